/* permit.c — the one check of who may send a request (rules in permit.h). */
#include "keyd/permit.h"

#include <sodium.h>
#include <string.h>

#include "common/level.h"

/* Whether session S is live at NOW (permit.h); on success T is its ticket. */
static enum coffer_err session_live(const uint8_t key[MAC_KEY_BYTES],
				    const struct keyd_session_fields *s, int64_t now,
				    struct ticket *t)
{
	struct token_hash presented;
	if (!token_hash_text(s->token, &presented) ||
	    ticket_open(key, s->ticket, s->ticket_len, t) != COFFER_OK ||
	    sodium_memcmp(t->token.bytes, presented.bytes, TOKEN_HASH_BYTES) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	/* Only the expiry: the issuing keyd may be another server's, its clock a little ahead. */
	return now < t->expires_at ? COFFER_OK : COFFER_ERR_UNAUTHENTICATED;
}

/* The verdict on object O for a session whose liveness is SESSION and ticket T. */
static enum coffer_err member_verdict(enum coffer_err session, const struct ticket *t,
				      const struct keyd_object_ref *o)
{
	if (o->level > LEVEL_RESTRICTED)
		return COFFER_ERR_INVALID_INPUT;
	if (session != COFFER_OK)
		return session;
	if (t->role != TICKET_ROLE_USER)
		return COFFER_ERR_FORBIDDEN;
	for (uint32_t i = 0; i < t->n_orgs && i < TICKET_ORGS_MAX; i++) {
		if (strcmp(t->orgs[i].org_id, o->org_id) == 0)
			return t->orgs[i].clearance >= o->level ? COFFER_OK : COFFER_ERR_FORBIDDEN;
	}
	return COFFER_ERR_FORBIDDEN;
}

/* PERMIT_ORG_ADMIN for the live session's ticket T: an org_admin of ORG_ID, cleared there to
 * GRANT at least; *CLEARANCE is the admin's clearance. */
static enum coffer_err org_admin_verdict(const struct ticket *t, const char *org_id, uint8_t grant,
					 uint8_t *clearance)
{
	if (grant > LEVEL_RESTRICTED)
		return COFFER_ERR_INVALID_INPUT;
	if (t->role != TICKET_ROLE_USER)
		return COFFER_ERR_FORBIDDEN;
	for (uint32_t i = 0; i < t->n_orgs && i < TICKET_ORGS_MAX; i++) {
		const struct ticket_membership *m = &t->orgs[i];
		if (strcmp(m->org_id, org_id) != 0)
			continue;
		if (m->org_role != TICKET_ORG_ADMIN || m->clearance < grant)
			return COFFER_ERR_FORBIDDEN;
		*clearance = m->clearance;
		return COFFER_OK;
	}
	return COFFER_ERR_FORBIDDEN;
}

/* PERMIT_INVITER for the live session C->ticket and the invitation in Q (permit.h). */
static enum coffer_err inviter_verdict(const struct seal_keys *seals, const struct keyd_request *q,
				       struct keyd_caller *c)
{
	const struct invite *inv = &q->account.inv;
	if (inv->role < INVITE_SYSADMIN || inv->role > INVITE_ORG_ADMIN)
		return COFFER_ERR_INVALID_INPUT;
	if (inv->role == INVITE_SYSADMIN || c->ticket.role != TICKET_ROLE_SYSADMIN) {
		if (inv->role == INVITE_SYSADMIN)
			return c->ticket.role == TICKET_ROLE_SYSADMIN ? COFFER_OK
								      : COFFER_ERR_FORBIDDEN;
		return org_admin_verdict(&c->ticket, inv->org_id, inv->clearance, &c->clearance);
	}
	/* A sysadmin, into an organisation: only its first org_admin, while it is founded. */
	struct charter ch;
	if (seals == NULL || inv->role != INVITE_ORG_ADMIN || q->charter_len == 0 ||
	    charter_open(seals, q->charter, q->charter_len, &ch) != COFFER_OK ||
	    strcmp(ch.org_id, inv->org_id) != 0 || c->now >= ch.founding_until)
		return COFFER_ERR_FORBIDDEN;
	c->founding = true;
	c->clearance = LEVEL_RESTRICTED;
	return COFFER_OK;
}

enum coffer_err keyd_permit_check(const uint8_t ticket_key[MAC_KEY_BYTES],
				  const struct seal_keys *seals, enum keyd_permit permit,
				  const struct keyd_request *q, int64_t now,
				  struct keyd_caller *caller)
{
	caller->now = now;
	caller->founding = false;
	caller->clearance = 0;
	if (permit == PERMIT_NONE)
		return COFFER_OK;
	const enum coffer_err session = session_live(ticket_key, &q->session, now, &caller->ticket);
	if (session != COFFER_OK && permit != PERMIT_MEMBER && permit != PERMIT_MEMBER_EACH)
		return session;
	switch (permit) {
	case PERMIT_SESSION: return COFFER_OK;
	case PERMIT_ORG_ADMIN:
		return org_admin_verdict(&caller->ticket, q->org_id, q->grant, &caller->clearance);
	case PERMIT_INVITER: return inviter_verdict(seals, q, caller);
	case PERMIT_SYSADMIN:
		return caller->ticket.role == TICKET_ROLE_SYSADMIN ? COFFER_OK
								   : COFFER_ERR_FORBIDDEN;
	case PERMIT_MEMBER: return member_verdict(session, &caller->ticket, &q->objects[0]);
	case PERMIT_MEMBER_EACH:
		for (uint32_t i = 0; i < q->n_objects && i < KEYD_OPEN_BATCH_MAX; i++)
			caller->verdict[i] =
			    member_verdict(session, &caller->ticket, &q->objects[i]);
		return COFFER_OK;
	case PERMIT_NONE: break;
	}
	return COFFER_ERR_FORBIDDEN;
}

enum coffer_err keyd_auth_recent(const struct keyd_caller *caller)
{
	/* A ticket authenticated "in the future" (another server's keyd, its clock a little
	 * ahead) is recent. */
	return caller->now - caller->ticket.authenticated_at <= KEYD_REAUTH_AFTER_S
		   ? COFFER_OK
		   : COFFER_ERR_REAUTHENTICATION_REQUIRED;
}
