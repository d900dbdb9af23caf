/* account_requests.c — keyd's account requests: invitations accepted, TOTP enrolment
 * confirmed, logins checked and sessions issued, tickets renewed, a session's holder
 * re-authenticated, passwords changed (ACCEPT, TOTP_CONFIRM, LOGIN, TICKET_RENEW,
 * REAUTHENTICATE, PASSWORD_SET in keyproto/protocol.h; permits in dispatch.c). Invitations are
 * sealed in people_requests.c.
 *
 * Design points:
 * - keyd keeps no state: every record it is handed back (invite, account) is believed only
 *   once its seal opens (seal.h), and every change comes back sealed anew for the web process
 *   to store.
 * - A session's ticket carries the memberships of the account at login; when the account
 *   changes (a membership changed or removed by an org_admin), the web process has the ticket
 *   renewed from the changed account before the session's next key request, so the change
 *   holds in keyd from then on. A renewal keeps the ticket's authentication time; only
 *   REAUTHENTICATE, which checks the password (and code) as a login does, moves it to now.
 * - Whenever keyd sets a password, or verifies one to change the account (a join), the account
 *   gets the password's breach digest (account.h), for BREACH_CHECK (breach_requests.c).
 * - Passwords are hashed with Argon2id under the gate (hash_gate.h). A LOGIN for an unknown
 *   account, or one whose seal does not open, is verified against a dummy hash of the same
 *   cost, so the time taken does not tell it from a wrong password.
 * - The clock is keyd's own, read once a request (keyd_caller.now): invite expiry, TOTP
 *   steps, session lifetimes. The web process's clock decides nothing here.
 * - Everything secret a request carries or keyd decrypts (passwords, codes, tokens, the TOTP
 *   secret, the decoded records) is in the request (request.h), wiped after it; keyd.c wipes
 *   the request and reply frames. A refusal logs its reason code, never a password, code,
 *   token, hash or secret.
 * - Refusals: UNAUTHENTICATED for a seal keyd did not make or a token that does not match (an
 *   account whose email is not the invite's included), INVALID_CREDENTIALS for a wrong
 *   password or code, NOT_FOUND for an expired invite, EXISTS for a membership the account
 *   already has, INVALID_INPUT for fields out of range (and for a sysadmin invite accepted by
 *   an existing account, or an organisation invite by a sysadmin's account). A LOGIN that
 *   fails answers LOGIN_FAILED with its reason, never DENIED.
 */
#include <sodium.h>
#include <string.h>

#include "common/email.h"
#include "common/uuid.h"
#include "keyd/handlers.h"
#include "keyd/hash_gate.h"
#include "signin/totp.h"

_Static_assert(KEYD_CODE_MAX == TOTP_DIGITS, "keyd parses a six-digit code");
_Static_assert(ACCOUNT_TOTP_SECRET_BYTES == TOTP_SECRET_BYTES, "TOTP secret size");
_Static_assert(TICKET_SEALED_MAX <= ACCOUNT_SEALED_MAX && INVITE_SEALED_MAX <= ACCOUNT_SEALED_MAX,
	       "one output buffer for every sealed record");

void keyd_get_opt_str(struct wire_reader *r, char *out, size_t max)
{
	size_t n = wire_get_bytes(r, out, max);
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL)
		r->bad = true;
}

void keyd_put_account(struct frame_writer *f, const struct keyd_account_work *x)
{
	struct wire_writer *w = frame_begin(f, KEYD_MSG_ACCOUNT);
	wire_put_bytes(w, x->out, x->out_len);
	wire_put_bytes(w, x->secret, x->has_secret ? sizeof x->secret : 0);
}

/* ---- ACCEPT (PERMIT_NONE: the invite's seal and token are the proof) ---------------------- */

bool keyd_read_accept(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	wire_get_str(r, in->token, TOKEN_TEXT_LEN);
	in->invite_len = wire_get_bytes(r, in->invite, sizeof in->invite);
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	keyd_get_opt_str(r, in->user_id, TICKET_ID_MAX);
	in->password_len = wire_get_bytes(r, in->password, sizeof in->password);
	in->with_totp = wire_get_u8(r);
	return !r->bad;
}

/* The membership invite INV grants: member or org_admin of its organisation, at its clearance. */
static void set_membership(struct ticket_membership *m, const struct invite *inv)
{
	memcpy(m->org_id, inv->org_id, strlen(inv->org_id) + 1);
	m->org_role = inv->role == INVITE_ORG_ADMIN ? TICKET_ORG_ADMIN : TICKET_ORG_MEMBER;
	m->clearance = inv->clearance;
}

enum coffer_err keyd_enrol(const struct keyd_keys *keys, const uint8_t *password,
			   size_t password_len, bool with_totp, struct keyd_account_work *x)
{
	struct account *a = &x->a;
	enum coffer_err err =
	    keyd_hash_password(keys->hashing, password, password_len, a->password_hash);
	if (err == COFFER_OK)
		err = account_breach_set(keys->seals, a, password, password_len);
	a->totp = ACCOUNT_TOTP_NONE;
	memset(a->totp_sealed, 0, sizeof a->totp_sealed);
	/* A reset enrols the second factor anew: the passkeys of before are not trusted. */
	a->n_passkeys = 0;
	memset(a->passkeys, 0, sizeof a->passkeys);
	if (err == COFFER_OK && with_totp) {
		totp_secret_generate(x->secret);
		x->has_secret = true;
		a->totp = ACCOUNT_TOTP_PENDING;
		err = account_totp_seal(keys->seals, a->user_id, x->secret, a->totp_sealed);
	}
	if (err == COFFER_OK)
		err = account_seal(keys->seals, a, x->out, &x->out_len);
	return err;
}

/* A new account for the opened invite, with a pending TOTP secret when WITH_TOTP (always for an
 * administrator: a sysadmin or an org_admin). */
static enum coffer_err accept_new(const struct keyd_keys *keys,
				  const struct keyd_account_fields *in, struct keyd_account_work *x,
				  bool with_totp)
{
	struct account *a = &x->a;
	const struct invite *inv = &x->inv;
	if (!uuid_valid(in->user_id))
		return COFFER_ERR_INVALID_INPUT;
	memset(a, 0, sizeof *a);
	memcpy(a->user_id, in->user_id, strlen(in->user_id) + 1);
	memcpy(a->email, inv->email, strlen(inv->email) + 1);
	if (inv->role == INVITE_SYSADMIN) {
		a->role = TICKET_ROLE_SYSADMIN;
		with_totp = true;
	} else {
		a->role = TICKET_ROLE_USER;
		a->n_orgs = 1;
		set_membership(&a->orgs[0], inv);
	}
	return keyd_enrol(keys, in->password, in->password_len, with_totp || account_is_admin(a),
			  x);
}

/* The existing account joins the opened invite's organisation, if its password is right. */
static enum coffer_err accept_join(const struct keyd_keys *keys,
				   const struct keyd_account_fields *in,
				   struct keyd_account_work *x)
{
	struct account *a = &x->a;
	const struct invite *inv = &x->inv;
	if (account_open(keys->seals, in->account, in->account_len, a) != COFFER_OK ||
	    strcmp(a->email, inv->email) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	if (inv->role == INVITE_SYSADMIN || a->role != TICKET_ROLE_USER)
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_verify_password(keys->hashing, a->password_hash, in->password, in->password_len))
		return COFFER_ERR_INVALID_CREDENTIALS;
	/* Joining cannot enrol an authenticator: an account without one is not made an admin. */
	if (inv->role == INVITE_ORG_ADMIN && !account_has_second_factor(a))
		return COFFER_ERR_ADMIN_NEEDS_TOTP;
	/* The password is at hand: an account sealed before breach digests gets one. */
	enum coffer_err err = account_breach_set(keys->seals, a, in->password, in->password_len);
	if (err != COFFER_OK)
		return err;
	for (uint32_t i = 0; i < a->n_orgs; i++) {
		if (strcmp(a->orgs[i].org_id, inv->org_id) != 0)
			continue;
		/* A member invited as org_admin (an organisation recovered, or a member promoted by
		 * invitation) takes the invitation's role and clearance; anything else is had. */
		if (inv->role != INVITE_ORG_ADMIN || a->orgs[i].org_role != TICKET_ORG_MEMBER)
			return COFFER_ERR_EXISTS;
		set_membership(&a->orgs[i], inv);
		return account_seal(keys->seals, a, x->out, &x->out_len);
	}
	if (a->n_orgs >= TICKET_ORGS_MAX)
		return COFFER_ERR_INVALID_INPUT;
	set_membership(&a->orgs[a->n_orgs++], inv);
	return account_seal(keys->seals, a, x->out, &x->out_len);
}

static enum coffer_err accept(const struct keyd_keys *keys, const struct keyd_account_fields *in,
			      struct keyd_account_work *x, int64_t now)
{
	struct token_hash presented;
	if (in->with_totp > 1 || in->password_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (invite_open(keys->seals, in->invite, in->invite_len, &x->inv) != COFFER_OK ||
	    !token_hash_text(in->token, &presented) ||
	    sodium_memcmp(presented.bytes, x->inv.token.bytes, TOKEN_HASH_BYTES) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	if (x->inv.expires_at <= now)
		return COFFER_ERR_NOT_FOUND;
	return in->account_len == 0 ? accept_new(keys, in, x, in->with_totp == 1)
				    : accept_join(keys, in, x);
}

void keyd_answer_accept(const struct keyd_keys *keys, const struct keyd_caller *caller,
			struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = accept(keys, &q->account, &q->work, caller->now);
	if (err == COFFER_OK)
		keyd_put_account(reply, &q->work);
	else
		keyd_refuse(reply, "invite acceptance", err);
}

/* ---- TOTP_CONFIRM (PERMIT_NONE: the account's seal and the code are the proof) ------------ */

bool keyd_read_totp_confirm(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	wire_get_str(r, in->code, KEYD_CODE_MAX);
	return !r->bad;
}

static enum coffer_err totp_confirm(const struct keyd_keys *keys,
				    const struct keyd_account_fields *in,
				    struct keyd_account_work *x, int64_t now, int64_t *step)
{
	struct account *a = &x->a;
	if (account_open(keys->seals, in->account, in->account_len, a) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	if (a->totp != ACCOUNT_TOTP_PENDING)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = account_totp_open(keys->seals, a->user_id, a->totp_sealed, x->secret);
	if (err == COFFER_OK)
		err = totp_verify(x->secret, in->code, now, TOTP_STEP_NONE, step);
	if (err != COFFER_OK)
		return err;
	a->totp = ACCOUNT_TOTP_ACTIVE;
	return account_seal(keys->seals, a, x->out, &x->out_len);
}

void keyd_answer_totp_confirm(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	int64_t step = TOTP_STEP_NONE;
	enum coffer_err err = totp_confirm(keys, &q->account, &q->work, caller->now, &step);
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_TOTP_OK);
		wire_put_bytes(w, q->work.out, q->work.out_len);
		wire_put_u64(w, (uint64_t)step);
	} else {
		keyd_refuse(reply, "TOTP confirmation", err);
	}
}

/* ---- LOGIN (PERMIT_NONE: the account's seal, the password and the code are the proof) ----- */

bool keyd_read_login(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	in->password_len = wire_get_bytes(r, in->password, sizeof in->password);
	keyd_get_opt_str(r, in->code, KEYD_CODE_MAX);
	in->last_step = (int64_t)wire_get_u64(r);
	in->ttl = wire_get_u32(r);
	keyd_read_assertion(r, &q->passkey);
	return !r->bad;
}

/* Checks the credentials: COFFER_OK with *FAILURE 0, *STEP the code's step (or
 * TOTP_STEP_NONE) and X->factor the second factor used, for a login that may go ahead;
 * COFFER_OK with *FAILURE set for one that may not, or an error for a fault (DENIED). A passkey
 * presented is the second factor, whatever else the account has; without one, an account with
 * an active TOTP needs its code, and one with passkeys alone needs a passkey. */
static enum coffer_err check_login(const struct keyd_keys *keys,
				   const struct keyd_account_fields *in,
				   const struct keyd_passkey_fields *pk,
				   struct keyd_account_work *x, int64_t now,
				   enum keyd_login_failure *failure, int64_t *step)
{
	struct account *a = &x->a;
	*failure = 0;
	*step = TOTP_STEP_NONE;
	x->factor = KEYD_FACTOR_NONE;
	/* Unknown, or a record keyd did not seal: the same Argon2id run, then the same answer. */
	bool known = in->account_len > 0 &&
		     account_open(keys->seals, in->account, in->account_len, a) == COFFER_OK;
	const char *hash = known ? a->password_hash : keys->hashing->dummy_hash;
	bool right = keyd_verify_password(keys->hashing, hash, in->password, in->password_len);
	if (!known || !right) {
		*failure = KEYD_LOGIN_BAD_PASSWORD;
		return COFFER_OK;
	}
	/* An administrator always needs a second factor (an active TOTP or a passkey); nobody
	 * signs in with a pending TOTP. */
	if (a->totp == ACCOUNT_TOTP_PENDING ||
	    (account_is_admin(a) && !account_has_second_factor(a))) {
		*failure = KEYD_LOGIN_TOTP_NOT_ENROLLED;
		return COFFER_OK;
	}
	if (pk->cred_id_len > 0) {
		enum coffer_err err =
		    keyd_passkey_login(keys, pk, a, now, failure, &x->account_changed);
		if (err == COFFER_OK && *failure == 0)
			x->factor = KEYD_FACTOR_PASSKEY;
		return err;
	}
	if (a->totp != ACCOUNT_TOTP_ACTIVE) {
		if (a->n_passkeys > 0)
			*failure = KEYD_LOGIN_SECOND_FACTOR_MISSING;
		return COFFER_OK;
	}
	if (in->code[0] == '\0') {
		*failure = KEYD_LOGIN_TOTP_MISSING;
		return COFFER_OK;
	}
	enum coffer_err err = account_totp_open(keys->seals, a->user_id, a->totp_sealed, x->secret);
	if (err == COFFER_OK)
		err = totp_verify(x->secret, in->code, now, in->last_step, step);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		/* Right code for a step already used (or an earlier one): a replay. */
		int64_t any = TOTP_STEP_NONE;
		bool reused =
		    in->last_step != TOTP_STEP_NONE &&
		    totp_verify(x->secret, in->code, now, TOTP_STEP_NONE, &any) == COFFER_OK;
		*failure = reused ? KEYD_LOGIN_TOTP_REUSED : KEYD_LOGIN_TOTP_WRONG;
		*step = TOTP_STEP_NONE;
		return COFFER_OK;
	}
	if (err == COFFER_OK)
		x->factor = KEYD_FACTOR_TOTP;
	return err;
}

/* A new session for the opened account, until NOW + TTL: its token and sealed ticket. */
static enum coffer_err issue_session(const struct keyd_keys *keys, struct keyd_account_work *x,
				     int64_t now, uint32_t ttl)
{
	struct ticket *t = &x->t;
	const struct account *a = &x->a;
	memset(t, 0, sizeof *t);
	token_generate(x->new_token, &t->token);
	memcpy(t->user_id, a->user_id, sizeof t->user_id);
	t->role = a->role;
	t->issued_at = t->authenticated_at = now;
	t->expires_at = now + (int64_t)ttl;
	t->n_orgs = a->n_orgs;
	memcpy(t->orgs, a->orgs, sizeof t->orgs);
	return ticket_seal(keys->ticket_key, t, x->out, &x->out_len);
}

void keyd_answer_login(const struct keyd_keys *keys, const struct keyd_caller *caller,
		       struct keyd_request *q, struct frame_writer *reply)
{
	const struct keyd_account_fields *in = &q->account;
	struct keyd_account_work *x = &q->work;
	enum keyd_login_failure failure = 0;
	int64_t step = TOTP_STEP_NONE;
	enum coffer_err err = COFFER_OK;
	if (in->ttl == 0 || in->ttl > KEYD_SESSION_TTL_MAX || in->last_step < TOTP_STEP_NONE ||
	    in->password_len == 0)
		err = COFFER_ERR_INVALID_INPUT;
	if (err == COFFER_OK)
		err = check_login(keys, in, &q->passkey, x, caller->now, &failure, &step);
	if (err == COFFER_OK && failure == 0)
		err = issue_session(keys, x, caller->now, in->ttl);
	/* An account that held its password hash in clear is sealed again, encrypting it, and
	 * one whose passkey's counter moved, with the new counter, for the web process to store
	 * in its place. */
	x->out2_len = 0;
	if (err == COFFER_OK && failure == 0 && (x->a.hash_in_clear || x->account_changed))
		err = account_seal(keys->seals, &x->a, x->out2, &x->out2_len);
	if (err != COFFER_OK) {
		keyd_refuse(reply, "login", err);
	} else if (failure != 0) {
		log_msg(LOG_WARN, "keyd", "login refused: reason %d", (int)failure);
		wire_put_u8(frame_begin(reply, KEYD_MSG_LOGIN_FAILED), (uint8_t)failure);
	} else {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_SESSION_NEW);
		wire_put_str(w, x->new_token);
		wire_put_bytes(w, x->out, x->out_len);
		wire_put_u64(w, (uint64_t)x->t.expires_at);
		wire_put_u64(w, (uint64_t)step);
		wire_put_bytes(w, x->out2, x->out2_len);
		wire_put_u8(w, x->factor);
	}
}

/* ---- TICKET_RENEW (PERMIT_SESSION: the live session and the account's seal are the proof) -- */

bool keyd_read_ticket_renew(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	return !r->bad;
}

/* Whether the opened account A is the one the caller's ticket was issued for. */
static bool account_is_callers(const struct account *a, const struct keyd_caller *caller)
{
	return strcmp(a->user_id, caller->ticket.user_id) == 0 && a->role == caller->ticket.role;
}

/* The caller's ticket again into X->t, with the memberships of the opened account X->a. Its
 * authentication time is kept: a renewal proves nothing about the holder. */
static void ticket_reissue(const struct keyd_caller *caller, struct keyd_account_work *x)
{
	struct ticket *t = &x->t;
	*t = caller->ticket;
	memset(t->orgs, 0, sizeof t->orgs);
	t->n_orgs = x->a.n_orgs;
	memcpy(t->orgs, x->a.orgs, sizeof t->orgs);
}

/* The caller's ticket again, with the memberships of the account it presents (its own). */
static enum coffer_err ticket_renew(const struct keyd_keys *keys, const struct keyd_caller *caller,
				    const struct keyd_account_fields *in,
				    struct keyd_account_work *x)
{
	if (account_open(keys->seals, in->account, in->account_len, &x->a) != COFFER_OK ||
	    !account_is_callers(&x->a, caller))
		return COFFER_ERR_UNAUTHENTICATED;
	ticket_reissue(caller, x);
	return ticket_seal(keys->ticket_key, &x->t, x->out, &x->out_len);
}

void keyd_answer_ticket_renew(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = ticket_renew(keys, caller, &q->account, &q->work);
	if (err == COFFER_OK)
		wire_put_bytes(frame_begin(reply, KEYD_MSG_TICKET), q->work.out, q->work.out_len);
	else
		keyd_refuse(reply, "ticket renewal", err);
}

/* ---- REAUTHENTICATE (PERMIT_SESSION: the live session, and the password and code of its own
 * account, are the proof) ---------------------------------------------------------------- */

bool keyd_read_reauthenticate(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	keyd_read_session(r, &q->session);
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	in->password_len = wire_get_bytes(r, in->password, sizeof in->password);
	keyd_get_opt_str(r, in->code, KEYD_CODE_MAX);
	in->last_step = (int64_t)wire_get_u64(r);
	return !r->bad;
}

/* The credentials checked exactly as a login's (check_login: the code single-use past
 * LAST_STEP), for the account of the caller's own session; then the caller's ticket again,
 * authenticated now. */
static enum coffer_err
reauthenticate(const struct keyd_keys *keys, const struct keyd_caller *caller,
	       const struct keyd_account_fields *in, const struct keyd_passkey_fields *no_passkey,
	       struct keyd_account_work *x, enum keyd_login_failure *failure, int64_t *step)
{
	*failure = 0;
	*step = TOTP_STEP_NONE;
	if (in->password_len == 0 || in->last_step < TOTP_STEP_NONE)
		return COFFER_ERR_INVALID_INPUT;
	/* Another account's password proves nothing about this session's holder. */
	if (account_open(keys->seals, in->account, in->account_len, &x->a) != COFFER_OK ||
	    !account_is_callers(&x->a, caller))
		return COFFER_ERR_UNAUTHENTICATED;
	enum coffer_err err = check_login(keys, in, no_passkey, x, caller->now, failure, step);
	/* An account whose second factor is a passkey alone re-authenticates with its password:
	 * the browser's passkey is not asked for again here. */
	if (err == COFFER_OK && *failure == KEYD_LOGIN_SECOND_FACTOR_MISSING)
		*failure = 0;
	if (err != COFFER_OK || *failure != 0)
		return err;
	ticket_reissue(caller, x);
	/* Never before the login (another server's keyd, its clock a little behind); the session
	 * is live, so now is before its expiry. */
	x->t.authenticated_at =
	    caller->now > caller->ticket.issued_at ? caller->now : caller->ticket.issued_at;
	return ticket_seal(keys->ticket_key, &x->t, x->out, &x->out_len);
}

void keyd_answer_reauthenticate(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply)
{
	enum keyd_login_failure failure = 0;
	int64_t step = TOTP_STEP_NONE;
	/* The password and a code re-authenticate (the password alone, where a passkey is the
	 * only second factor). */
	q->passkey.cred_id_len = 0;
	enum coffer_err err =
	    reauthenticate(keys, caller, &q->account, &q->passkey, &q->work, &failure, &step);
	if (err != COFFER_OK) {
		keyd_refuse(reply, "re-authentication", err);
	} else if (failure != 0) {
		log_msg(LOG_WARN, "keyd", "re-authentication refused: reason %d", (int)failure);
		wire_put_u8(frame_begin(reply, KEYD_MSG_LOGIN_FAILED), (uint8_t)failure);
	} else {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_REAUTHENTICATED);
		wire_put_bytes(w, q->work.out, q->work.out_len);
		wire_put_u64(w, (uint64_t)step);
	}
}

/* ---- PASSWORD_SET (PERMIT_NONE: the account's seal and current password are the proof) ---- */

bool keyd_read_password_set(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_account_fields *in = &q->account;
	in->account_len = wire_get_bytes(r, in->account, sizeof in->account);
	in->password_len = wire_get_bytes(r, in->password, sizeof in->password);
	in->new_password_len = wire_get_bytes(r, in->new_password, sizeof in->new_password);
	return !r->bad;
}

static enum coffer_err password_set(const struct keyd_keys *keys,
				    const struct keyd_account_fields *in,
				    struct keyd_account_work *x)
{
	struct account *a = &x->a;
	if (in->password_len == 0 || in->new_password_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (account_open(keys->seals, in->account, in->account_len, a) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	if (!keyd_verify_password(keys->hashing, a->password_hash, in->password, in->password_len))
		return COFFER_ERR_INVALID_CREDENTIALS;
	enum coffer_err err = keyd_hash_password(keys->hashing, in->new_password,
						 in->new_password_len, a->password_hash);
	if (err == COFFER_OK)
		err = account_breach_set(keys->seals, a, in->new_password, in->new_password_len);
	if (err == COFFER_OK)
		err = account_seal(keys->seals, a, x->out, &x->out_len);
	return err;
}

void keyd_answer_password_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	enum coffer_err err = password_set(keys, &q->account, &q->work);
	if (err == COFFER_OK)
		keyd_put_account(reply, &q->work);
	else
		keyd_refuse(reply, "password change", err);
}
