/* people_requests.c — keyd's requests about who belongs to an organisation: creating one with
 * its founding charter, sealing invitations, changing or removing a membership, sealing and
 * accepting a sign-in reset (ORG_CREATE, INVITE_SEAL, MEMBER_SET, RESET_SEAL, RESET_ACCEPT in
 * keyproto/protocol.h; permits in dispatch.c and permit.h).
 *
 * Design points:
 * - Membership is the organisation's own: every change to it is sealed here only for a session
 *   that permit.h lets through — an org_admin of that organisation, never granting more than
 *   their own clearance — so neither a sysadmin nor a web process that forges requests can put
 *   anyone into an organisation. The one exception is an organisation's founding: keyd names a
 *   new organisation itself (ORG_CREATE), so the charter that lets a sysadmin invite its first
 *   org_admin can only ever exist for an organisation nobody has used, and it lapses.
 * - An org_admin changes, removes or resets only members at or below their own clearance, so
 *   an admin cannot lower a better-cleared colleague or take over their sign-in.
 * - A reset is for a member of this organisation and no other: a reset hands the admin a way
 *   to set the member's password, which must not reach another organisation's data. The
 *   account is checked again when the reset is accepted.
 * - Everything sealed comes back to the web process to store; keyd keeps nothing.
 */
#include <sodium.h>
#include <string.h>

#include "common/email.h"
#include "common/uuid.h"
#include "crypto/keywrap.h"
#include "crypto/master_wrap.h"
#include "keyd/handlers.h"

#define FOUNDING_TTL_S (72 * 3600) /* a new organisation's charter: as long as an invite */

/* ---- ORG_CREATE (PERMIT_SYSADMIN) --------------------------------------------------------- */

bool keyd_read_org_create(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	return !r->bad;
}

void keyd_answer_org_create(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	struct keyd_account_work *x = &q->work;
	uint8_t org_key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	const struct master_key *mk = master_keyring_newest(keys->ring);
	uuid_generate(x->charter.org_id);
	x->charter.founding_until = caller->now + FOUNDING_TTL_S;
	randombytes_buf(org_key, sizeof org_key);
	enum coffer_err err =
	    master_wrap_org_key(keys->ring, mk->version, x->charter.org_id, 1, org_key, wrapped);
	sodium_memzero(org_key, sizeof org_key);
	if (err == COFFER_OK)
		err = charter_seal(keys->seals, &x->charter, x->out2, &x->out2_len);
	if (err != COFFER_OK) {
		keyd_refuse(reply, "organisation creation", err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_ORG_CREATED);
	wire_put_str(w, x->charter.org_id);
	wire_put_u32(w, mk->version);
	wire_put_bytes(w, wrapped, sizeof wrapped);
	wire_put_bytes(w, x->out2, x->out2_len);
}

/* ---- INVITE_SEAL (PERMIT_INVITER) --------------------------------------------------------- */

bool keyd_read_invite_seal(struct wire_reader *r, struct keyd_request *q)
{
	struct invite *inv = &q->account.inv;
	keyd_read_session(r, &q->session);
	wire_get_exact(r, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(r, inv->email, EMAIL_MAX);
	inv->role = wire_get_u8(r);
	keyd_get_opt_str(r, inv->org_id, TICKET_ID_MAX);
	inv->clearance = wire_get_u8(r);
	inv->expires_at = (int64_t)wire_get_u64(r);
	q->charter_len = wire_get_bytes(r, q->charter, sizeof q->charter);
	memcpy(q->org_id, inv->org_id, sizeof inv->org_id);
	q->grant = inv->clearance;
	return !r->bad;
}

static enum coffer_err check_invite(const struct invite *inv, int64_t now)
{
	char norm[EMAIL_MAX + 1];
	bool sysadmin = inv->role == INVITE_SYSADMIN;
	if (inv->role < INVITE_SYSADMIN || inv->role > INVITE_ORG_ADMIN ||
	    inv->clearance > LEVEL_RESTRICTED || sysadmin != (inv->org_id[0] == '\0') ||
	    (sysadmin && inv->clearance != 0) || inv->expires_at <= now ||
	    inv->expires_at > now + KEYD_INVITE_TTL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	if (!email_normalize(inv->email, norm) || strcmp(norm, inv->email) != 0)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

void keyd_answer_invite_seal(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply)
{
	struct keyd_account_work *x = &q->work;
	const struct invite *inv = &q->account.inv;
	enum coffer_err err = check_invite(inv, caller->now);
	if (err == COFFER_OK)
		err = invite_seal(keys->seals, inv, x->out, &x->out_len);
	/* A founding invitation keeps the charter alive while it can still be accepted. */
	x->out2_len = 0;
	if (err == COFFER_OK && caller->founding) {
		memcpy(x->charter.org_id, inv->org_id, sizeof inv->org_id);
		x->charter.founding_until = inv->expires_at;
		err = charter_seal(keys->seals, &x->charter, x->out2, &x->out2_len);
	}
	if (err != COFFER_OK) {
		keyd_refuse(reply, "invite seal", err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_SEALED);
	wire_put_bytes(w, x->out, x->out_len);
	wire_put_bytes(w, x->out2, x->out2_len);
}

/* ---- MEMBER_SET, RESET_SEAL (PERMIT_ORG_ADMIN) -------------------------------------------- */

/* The membership of the organisation ORG_ID in account A, or NULL. */
static struct ticket_membership *membership_in(struct account *a, const char *org_id)
{
	for (uint32_t i = 0; i < a->n_orgs && i < TICKET_ORGS_MAX; i++) {
		if (strcmp(a->orgs[i].org_id, org_id) == 0)
			return &a->orgs[i];
	}
	return NULL;
}

/* Opens the member's account that Q carries, and finds its membership in Q's organisation,
 * which must be at or below the admin's clearance CLEARANCE. */
static enum coffer_err open_member(const struct keyd_keys *keys, const struct keyd_request *q,
				   uint8_t clearance, struct account *a,
				   struct ticket_membership **m)
{
	if (account_open(keys->seals, q->account.account, q->account.account_len, a) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	*m = membership_in(a, q->org_id);
	if (a->role != TICKET_ROLE_USER || *m == NULL)
		return COFFER_ERR_NOT_FOUND;
	return (*m)->clearance <= clearance ? COFFER_OK : COFFER_ERR_FORBIDDEN;
}

static void read_member_ref(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	wire_get_str(r, q->org_id, TICKET_ID_MAX);
}

bool keyd_read_member_set(struct wire_reader *r, struct keyd_request *q)
{
	read_member_ref(r, q);
	q->account.org_role = wire_get_u8(r);
	q->grant = wire_get_u8(r);
	return !r->bad;
}

static enum coffer_err member_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
				  const struct keyd_request *q, struct keyd_account_work *x)
{
	struct account *a = &x->a;
	struct ticket_membership *m = NULL;
	const uint8_t role = q->account.org_role;
	if (role > TICKET_ORG_ADMIN || (role == 0 && q->grant != 0))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = open_member(keys, q, caller->clearance, a, &m);
	if (err != COFFER_OK)
		return err;
	if (role == 0) {
		uint32_t last = a->n_orgs - 1;
		if (m != &a->orgs[last])
			*m = a->orgs[last];
		memset(&a->orgs[last], 0, sizeof a->orgs[last]);
		a->n_orgs = last;
	} else {
		/* An org_admin signs in with TOTP: one without cannot be made one (ASVS V4.3.1). */
		if (role == TICKET_ORG_ADMIN && !account_has_second_factor(a))
			return COFFER_ERR_ADMIN_NEEDS_TOTP;
		m->org_role = role;
		m->clearance = q->grant;
	}
	return account_seal(keys->seals, a, x->out, &x->out_len);
}

void keyd_answer_member_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = member_set(keys, caller, q, &q->work);
	if (err == COFFER_OK)
		keyd_put_account(reply, &q->work);
	else
		keyd_refuse(reply, "membership change", err);
}

bool keyd_read_reset_seal(struct wire_reader *r, struct keyd_request *q)
{
	read_member_ref(r, q);
	wire_get_exact(r, q->account.reset_token.bytes, TOKEN_HASH_BYTES);
	q->account.reset_expires_at = (int64_t)wire_get_u64(r);
	q->grant = 0; /* the member's clearance is checked against the admin's in the handler */
	return !r->bad;
}

static enum coffer_err reset_make(const struct keyd_keys *keys, const struct keyd_caller *caller,
				  const struct keyd_request *q, struct keyd_account_work *x)
{
	struct account *a = &x->a;
	struct ticket_membership *m = NULL;
	const int64_t expires = q->account.reset_expires_at;
	if (expires <= caller->now || expires > caller->now + KEYD_INVITE_TTL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = open_member(keys, q, caller->clearance, a, &m);
	if (err != COFFER_OK)
		return err;
	if (a->n_orgs != 1)
		return COFFER_ERR_FORBIDDEN; /* the sign-in is shared with another organisation */
	struct reset *rs = &x->reset;
	rs->token = q->account.reset_token;
	memcpy(rs->user_id, a->user_id, sizeof rs->user_id);
	memcpy(rs->email, a->email, sizeof rs->email);
	memcpy(rs->org_id, q->org_id, sizeof rs->org_id);
	rs->expires_at = expires;
	return reset_seal(keys->seals, rs, x->out, &x->out_len);
}

void keyd_answer_reset_seal(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = reset_make(keys, caller, q, &q->work);
	if (err != COFFER_OK) {
		keyd_refuse(reply, "reset seal", err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_SEALED);
	wire_put_bytes(w, q->work.out, q->work.out_len);
	wire_put_bytes(w, NULL, 0);
}

/* ---- RESET_ACCEPT (PERMIT_NONE: the reset's seal and token are the proof) ----------------- */

bool keyd_read_reset_accept(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	wire_get_str(r, in->token, TOKEN_TEXT_LEN);
	in->invite_len = wire_get_bytes(r, in->invite, sizeof in->invite);
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	in->password_len = wire_get_bytes(r, in->password, sizeof in->password);
	return !r->bad;
}

static enum coffer_err reset_accept(const struct keyd_keys *keys,
				    const struct keyd_account_fields *in,
				    struct keyd_account_work *x, int64_t now)
{
	struct token_hash presented;
	struct account *a = &x->a;
	if (in->password_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (reset_open(keys->seals, in->invite, in->invite_len, &x->reset) != COFFER_OK ||
	    !token_hash_text(in->token, &presented) ||
	    sodium_memcmp(presented.bytes, x->reset.token.bytes, TOKEN_HASH_BYTES) != 0 ||
	    account_open(keys->seals, in->account, in->account_len, a) != COFFER_OK ||
	    strcmp(a->user_id, x->reset.user_id) != 0 || strcmp(a->email, x->reset.email) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	if (x->reset.expires_at <= now)
		return COFFER_ERR_NOT_FOUND;
	/* Still a member of the resetting organisation alone, as when the reset was made. */
	if (a->role != TICKET_ROLE_USER || a->n_orgs != 1 ||
	    strcmp(a->orgs[0].org_id, x->reset.org_id) != 0)
		return COFFER_ERR_FORBIDDEN;
	return keyd_enrol(keys, in->password, in->password_len, true, x);
}

void keyd_answer_reset_accept(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = reset_accept(keys, &q->account, &q->work, caller->now);
	if (err == COFFER_OK)
		keyd_put_account(reply, &q->work);
	else
		keyd_refuse(reply, "reset acceptance", err);
}
