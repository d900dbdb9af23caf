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

enum coffer_err keyd_permit_check(const uint8_t ticket_key[MAC_KEY_BYTES], enum keyd_permit permit,
				  const struct keyd_request *q, int64_t now,
				  struct keyd_caller *caller)
{
	caller->now = now;
	if (permit == PERMIT_NONE)
		return COFFER_OK;
	const enum coffer_err session = session_live(ticket_key, &q->session, now, &caller->ticket);
	switch (permit) {
	case PERMIT_SYSADMIN:
		if (session != COFFER_OK)
			return session;
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
