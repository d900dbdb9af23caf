/* identity.c — keyd's identity requests: invitations sealed and accepted, TOTP enrolment
 * confirmed, logins checked and sessions issued, passwords changed (messages in keyd.h).
 *
 * Design points:
 * - keyd keeps no state: every record it is handed back (session ticket, invite, account) is
 *   believed only once its seal opens (ticket.h, seal.h), and every change comes back sealed
 *   anew for the web process to store.
 * - Passwords are hashed with Argon2id at KEYD_PWHASH_*, at most KEYD_HASH_CONCURRENCY runs at
 *   once (the gate, identity.h); the rest wait for a slot. A LOGIN for an unknown account, or
 *   one whose seal does not open, is verified against a dummy hash of the same cost, so the
 *   time taken does not tell it from a wrong password.
 * - The clock is keyd's own (time(NULL)), read once a request: invite expiry, TOTP steps,
 *   session lifetimes. The web process's clock decides nothing here.
 * - Everything secret a request carries or keyd decrypts (passwords, codes, tokens, the TOTP
 *   secret, the decoded records) is copied into one per-thread scratch area, wiped before the
 *   handler returns; keyd.c wipes the request and reply frames. A refusal logs its reason
 *   code, never a password, code, token, hash or secret.
 * - Refusals (keyd.h): UNAUTHENTICATED for a seal keyd did not make or a token that does not
 *   match (an account whose email is not the invite's included), FORBIDDEN for an invite seal
 *   asked by a non-sysadmin session, INVALID_CREDENTIALS for a wrong password or code,
 *   NOT_FOUND for an expired invite, EXISTS for a membership the account already has,
 *   INVALID_INPUT for fields out of range (and for a sysadmin invite accepted by an existing
 *   account, or an organisation invite by a sysadmin's account). A LOGIN that fails answers
 *   LOGIN_FAILED with its reason, never DENIED: DENIED there means a bad request or a fault.
 */
#include "keyd/identity.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/email.h"
#include "common/log.h"
#include "common/uuid.h"
#include "crypto/token.h"
#include "keyd/keyd.h"
#include "keyd/ticket.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* The fuzz build only (the Makefile defines this for build/fuzz/, never for build/coffer):
 * Argon2id at libsodium's minimum cost, one pass over 8 KiB, so that the fuzzer runs thousands
 * of identity requests a second instead of ten. Hashes verify at the cost they were made with,
 * so the seeds are made by the fuzz build too. */
#define PWHASH_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_MIN
#define PWHASH_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_MIN
#else
#define PWHASH_OPSLIMIT KEYD_PWHASH_OPSLIMIT
#define PWHASH_MEMLIMIT KEYD_PWHASH_MEMLIMIT
#endif

#define SESSION_TTL_MAX (30 * 24 * 3600) /* coffer.conf's ceiling for session_absolute_ttl */

_Static_assert(crypto_pwhash_STRBYTES == ACCOUNT_HASH_MAX + 1, "account hash size");
_Static_assert(ACCOUNT_TOTP_SECRET_BYTES == TOTP_SECRET_BYTES, "TOTP secret size");
_Static_assert(TICKET_SEALED_MAX <= ACCOUNT_SEALED_MAX && INVITE_SEALED_MAX <= ACCOUNT_SEALED_MAX,
	       "one output buffer for every sealed record");

/* ---- the hashing gate --------------------------------------------------------------------- */

static void gate_enter(struct keyd_hash_gate *g)
{
	while (sem_wait(&g->slots) != 0) {
		if (errno != EINTR)
			abort(); /* only an invalid semaphore, a bug */
	}
	unsigned int now = atomic_fetch_add(&g->running, 1u) + 1u;
	unsigned int peak = atomic_load(&g->peak);
	while (now > peak && !atomic_compare_exchange_weak(&g->peak, &peak, now)) {
	}
}

static void gate_leave(struct keyd_hash_gate *g)
{
	atomic_fetch_sub(&g->running, 1u);
	sem_post(&g->slots);
}

/* Hashes the LEN bytes of PW into OUT (libsodium's encoded form), taking a slot. */
static enum coffer_err hash_password(struct keyd_hash_gate *g, const uint8_t *pw, size_t len,
				     char out[ACCOUNT_HASH_MAX + 1])
{
	char h[crypto_pwhash_STRBYTES];
	gate_enter(g);
	int rc = crypto_pwhash_str_alg(h, (const char *)pw, len, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
				       crypto_pwhash_ALG_ARGON2ID13);
	gate_leave(g);
	size_t n = rc == 0 ? strnlen(h, sizeof h) : 0;
	enum coffer_err err = COFFER_OK;
	if (n == 0 || n > ACCOUNT_HASH_MAX)
		err = COFFER_ERR_NOMEM; /* libsodium fails only to allocate the 64 MiB */
	else
		memcpy(out, h, n + 1);
	sodium_memzero(h, sizeof h);
	return err;
}

/* Whether PW matches HASH, taking a slot. */
static bool verify_password(struct keyd_hash_gate *g, const char *hash, const uint8_t *pw,
			    size_t len)
{
	gate_enter(g);
	int rc = crypto_pwhash_str_verify(hash, (const char *)pw, len);
	gate_leave(g);
	return rc == 0;
}

enum coffer_err keyd_hash_gate_new(struct keyd_hash_gate **out)
{
	uint8_t pw[32];
	struct keyd_hash_gate *g = calloc(1, sizeof *g);
	if (g == NULL)
		return COFFER_ERR_NOMEM;
	if (sem_init(&g->slots, 0, KEYD_HASH_CONCURRENCY) != 0) {
		free(g);
		return COFFER_ERR_INTERNAL;
	}
	atomic_init(&g->running, 0u);
	atomic_init(&g->peak, 0u);
	randombytes_buf(pw, sizeof pw);
	enum coffer_err err = hash_password(g, pw, sizeof pw, g->dummy_hash);
	sodium_memzero(pw, sizeof pw);
	atomic_store(&g->peak, 0u);
	if (err != COFFER_OK) {
		keyd_hash_gate_free(g);
		return err;
	}
	*out = g;
	return COFFER_OK;
}

void keyd_hash_gate_free(struct keyd_hash_gate *g)
{
	if (g == NULL)
		return;
	sem_destroy(&g->slots);
	free(g);
}

/* ---- requests ----------------------------------------------------------------------------- */

/* What one request may hold, per thread: wiped before every handler returns. */
struct scratch {
	char token[TOKEN_TEXT_LEN + 1]; /* a session or invite token */
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
	uint8_t invite[INVITE_SEALED_MAX];
	size_t invite_len;
	uint8_t account[ACCOUNT_SEALED_MAX];
	size_t account_len;
	uint8_t password[KEYD_PASSWORD_MAX], new_password[KEYD_PASSWORD_MAX];
	size_t password_len, new_password_len;
	char code[KEYD_CODE_MAX + 1];
	char user_id[TICKET_ID_MAX + 1];
	struct ticket t;
	struct invite inv;
	struct account a;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has_secret;
	char new_token[TOKEN_TEXT_LEN + 1];
	uint8_t out[ACCOUNT_SEALED_MAX]; /* the record sealed for the reply */
	size_t out_len;
};

static __thread struct scratch scratch;

static struct scratch *scratch_begin(void)
{
	sodium_memzero(&scratch, sizeof scratch);
	return &scratch;
}

static void scratch_end(struct scratch *x)
{
	sodium_memzero(x, sizeof *x);
}

/* A byte string of 0..MAX bytes without a NUL, as a C string in OUT (MAX + 1 bytes): a wire
 * str that may be empty ("" for none). */
static void get_opt_str(struct wire_reader *r, char *out, size_t max)
{
	size_t n = wire_get_bytes(r, out, max);
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL)
		r->bad = true;
}

static void refuse(struct frame_writer *f, const char *what, enum coffer_err err)
{
	log_msg(LOG_WARN, "keyd", "%s refused: %s", what, coffer_err_info(err)->code);
	keyd_deny(f, err);
}

static void put_account(struct frame_writer *f, const struct scratch *x)
{
	struct wire_writer *w = frame_begin(f, KEYD_MSG_ACCOUNT);
	wire_put_bytes(w, x->out, x->out_len);
	wire_put_bytes(w, x->secret, x->has_secret ? sizeof x->secret : 0);
}

static bool same_hash(const struct token_hash *a, const struct token_hash *b)
{
	return sodium_memcmp(a->bytes, b->bytes, TOKEN_HASH_BYTES) == 0;
}

/* ---- INVITE_SEAL -------------------------------------------------------------------------- */

/* The session in X (token and ticket) must be a live sysadmin's. */
static enum coffer_err check_sysadmin(const struct keyd_keys *keys, struct scratch *x, int64_t now)
{
	struct token_hash presented;
	if (!token_hash_text(x->token, &presented) ||
	    ticket_open(keys->ticket_key, x->ticket, x->ticket_len, &x->t) != COFFER_OK ||
	    !same_hash(&presented, &x->t.token) || x->t.expires_at <= now)
		return COFFER_ERR_UNAUTHENTICATED;
	return x->t.role == TICKET_ROLE_SYSADMIN ? COFFER_OK : COFFER_ERR_FORBIDDEN;
}

static enum coffer_err check_invite(const struct invite *inv, int64_t now)
{
	char norm[EMAIL_MAX + 1];
	bool sysadmin = inv->role == INVITE_SYSADMIN;
	if (inv->role < INVITE_SYSADMIN || inv->role > INVITE_ORG_ADMIN ||
	    inv->clearance > LEVEL_RESTRICTED || sysadmin != (inv->org_id[0] == '\0') ||
	    (sysadmin && inv->clearance != 0) || inv->expires_at <= now)
		return COFFER_ERR_INVALID_INPUT;
	if (!email_normalize(inv->email, norm) || strcmp(norm, inv->email) != 0)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

bool keyd_on_invite_seal(const struct keyd_keys *keys, struct wire_reader *r,
			 struct frame_writer *f)
{
	struct scratch *x = scratch_begin();
	wire_get_str(r, x->token, TOKEN_TEXT_LEN);
	x->ticket_len = wire_get_bytes(r, x->ticket, sizeof x->ticket);
	wire_get_exact(r, x->inv.token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(r, x->inv.email, EMAIL_MAX);
	x->inv.role = wire_get_u8(r);
	get_opt_str(r, x->inv.org_id, TICKET_ID_MAX);
	x->inv.clearance = wire_get_u8(r);
	x->inv.expires_at = (int64_t)wire_get_u64(r);
	bool parsed = wire_reader_end(r);
	if (parsed) {
		const int64_t now = (int64_t)time(NULL);
		enum coffer_err err = check_sysadmin(keys, x, now);
		if (err == COFFER_OK)
			err = check_invite(&x->inv, now);
		if (err == COFFER_OK)
			err = invite_seal(keys->seals, &x->inv, x->out, &x->out_len);
		if (err == COFFER_OK)
			wire_put_bytes(frame_begin(f, KEYD_MSG_SEALED), x->out, x->out_len);
		else
			refuse(f, "invite seal", err);
	}
	scratch_end(x);
	return parsed;
}

/* ---- ACCEPT ------------------------------------------------------------------------------- */

/* A new account for the invite in X, with a pending TOTP secret when WITH_TOTP (always for a
 * sysadmin). */
static enum coffer_err accept_new(const struct keyd_keys *keys, struct scratch *x, bool with_totp)
{
	struct account *a = &x->a;
	const struct invite *inv = &x->inv;
	if (!uuid_valid(x->user_id))
		return COFFER_ERR_INVALID_INPUT;
	memset(a, 0, sizeof *a);
	memcpy(a->user_id, x->user_id, strlen(x->user_id) + 1);
	memcpy(a->email, inv->email, strlen(inv->email) + 1);
	if (inv->role == INVITE_SYSADMIN) {
		a->role = TICKET_ROLE_SYSADMIN;
		with_totp = true;
	} else {
		a->role = TICKET_ROLE_USER;
		a->n_orgs = 1;
		memcpy(a->orgs[0].org_id, inv->org_id, strlen(inv->org_id) + 1);
		a->orgs[0].org_role =
		    inv->role == INVITE_ORG_ADMIN ? TICKET_ORG_ADMIN : TICKET_ORG_MEMBER;
		a->orgs[0].clearance = inv->clearance;
	}
	enum coffer_err err =
	    hash_password(keys->hashing, x->password, x->password_len, a->password_hash);
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

/* The existing account in X joins the invite's organisation, if its password is right. */
static enum coffer_err accept_join(const struct keyd_keys *keys, struct scratch *x)
{
	struct account *a = &x->a;
	const struct invite *inv = &x->inv;
	if (account_open(keys->seals, x->account, x->account_len, a) != COFFER_OK ||
	    strcmp(a->email, inv->email) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	if (inv->role == INVITE_SYSADMIN || a->role != TICKET_ROLE_USER)
		return COFFER_ERR_INVALID_INPUT;
	if (!verify_password(keys->hashing, a->password_hash, x->password, x->password_len))
		return COFFER_ERR_INVALID_CREDENTIALS;
	for (uint32_t i = 0; i < a->n_orgs; i++) {
		if (strcmp(a->orgs[i].org_id, inv->org_id) == 0)
			return COFFER_ERR_EXISTS;
	}
	if (a->n_orgs >= TICKET_ORGS_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct ticket_membership *m = &a->orgs[a->n_orgs++];
	memcpy(m->org_id, inv->org_id, strlen(inv->org_id) + 1);
	m->org_role = inv->role == INVITE_ORG_ADMIN ? TICKET_ORG_ADMIN : TICKET_ORG_MEMBER;
	m->clearance = inv->clearance;
	return account_seal(keys->seals, a, x->out, &x->out_len);
}

static enum coffer_err accept(const struct keyd_keys *keys, struct scratch *x, uint8_t with_totp)
{
	struct token_hash presented;
	if (with_totp > 1 || x->password_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (invite_open(keys->seals, x->invite, x->invite_len, &x->inv) != COFFER_OK ||
	    !token_hash_text(x->token, &presented) || !same_hash(&presented, &x->inv.token))
		return COFFER_ERR_UNAUTHENTICATED;
	if (x->inv.expires_at <= (int64_t)time(NULL))
		return COFFER_ERR_NOT_FOUND;
	return x->account_len == 0 ? accept_new(keys, x, with_totp == 1) : accept_join(keys, x);
}

bool keyd_on_accept(const struct keyd_keys *keys, struct wire_reader *r, struct frame_writer *f)
{
	struct scratch *x = scratch_begin();
	wire_get_str(r, x->token, TOKEN_TEXT_LEN);
	x->invite_len = wire_get_bytes(r, x->invite, sizeof x->invite);
	x->account_len = wire_get_bytes(r, x->account, sizeof x->account);
	get_opt_str(r, x->user_id, TICKET_ID_MAX);
	x->password_len = wire_get_bytes(r, x->password, sizeof x->password);
	const uint8_t with_totp = wire_get_u8(r);
	bool parsed = wire_reader_end(r);
	if (parsed) {
		enum coffer_err err = accept(keys, x, with_totp);
		if (err == COFFER_OK)
			put_account(f, x);
		else
			refuse(f, "invite acceptance", err);
	}
	scratch_end(x);
	return parsed;
}

/* ---- TOTP_CONFIRM ------------------------------------------------------------------------- */

static enum coffer_err totp_confirm(const struct keyd_keys *keys, struct scratch *x, int64_t *step)
{
	struct account *a = &x->a;
	if (account_open(keys->seals, x->account, x->account_len, a) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	if (a->totp != ACCOUNT_TOTP_PENDING)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = account_totp_open(keys->seals, a->user_id, a->totp_sealed, x->secret);
	if (err == COFFER_OK)
		err = totp_verify(x->secret, x->code, (int64_t)time(NULL), TOTP_STEP_NONE, step);
	if (err != COFFER_OK)
		return err;
	a->totp = ACCOUNT_TOTP_ACTIVE;
	return account_seal(keys->seals, a, x->out, &x->out_len);
}

bool keyd_on_totp_confirm(const struct keyd_keys *keys, struct wire_reader *r,
			  struct frame_writer *f)
{
	struct scratch *x = scratch_begin();
	x->account_len = wire_get_bytes(r, x->account, sizeof x->account);
	wire_get_str(r, x->code, KEYD_CODE_MAX);
	bool parsed = wire_reader_end(r);
	if (parsed) {
		int64_t step = TOTP_STEP_NONE;
		enum coffer_err err = totp_confirm(keys, x, &step);
		if (err == COFFER_OK) {
			struct wire_writer *w = frame_begin(f, KEYD_MSG_TOTP_OK);
			wire_put_bytes(w, x->out, x->out_len);
			wire_put_u64(w, (uint64_t)step);
		} else {
			refuse(f, "TOTP confirmation", err);
		}
	}
	scratch_end(x);
	return parsed;
}

/* ---- LOGIN -------------------------------------------------------------------------------- */

/* Checks the credentials in X: COFFER_OK with *FAILURE 0 and *STEP the code's step (or
 * TOTP_STEP_NONE) for a login that may go ahead, COFFER_OK with *FAILURE set for one that
 * may not, or an error for a fault (DENIED). */
static enum coffer_err check_login(const struct keyd_keys *keys, struct scratch *x,
				   int64_t last_step, int64_t now, enum keyd_login_failure *failure,
				   int64_t *step)
{
	struct account *a = &x->a;
	*failure = 0;
	*step = TOTP_STEP_NONE;
	/* Unknown, or a record keyd did not seal: the same Argon2id run, then the same answer. */
	bool known = x->account_len > 0 &&
		     account_open(keys->seals, x->account, x->account_len, a) == COFFER_OK;
	const char *hash = known ? a->password_hash : keys->hashing->dummy_hash;
	bool right = verify_password(keys->hashing, hash, x->password, x->password_len);
	if (!known || !right) {
		*failure = KEYD_LOGIN_BAD_PASSWORD;
		return COFFER_OK;
	}
	/* A sysadmin always needs an active TOTP; nobody signs in with a pending one. */
	if (a->totp == ACCOUNT_TOTP_PENDING ||
	    (a->role == TICKET_ROLE_SYSADMIN && a->totp != ACCOUNT_TOTP_ACTIVE)) {
		*failure = KEYD_LOGIN_TOTP_NOT_ENROLLED;
		return COFFER_OK;
	}
	if (a->totp != ACCOUNT_TOTP_ACTIVE)
		return COFFER_OK;
	if (x->code[0] == '\0') {
		*failure = KEYD_LOGIN_TOTP_MISSING;
		return COFFER_OK;
	}
	enum coffer_err err = account_totp_open(keys->seals, a->user_id, a->totp_sealed, x->secret);
	if (err == COFFER_OK)
		err = totp_verify(x->secret, x->code, now, last_step, step);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		/* Right code for a step already used (or an earlier one): a replay. */
		int64_t any = TOTP_STEP_NONE;
		bool reused =
		    last_step != TOTP_STEP_NONE &&
		    totp_verify(x->secret, x->code, now, TOTP_STEP_NONE, &any) == COFFER_OK;
		*failure = reused ? KEYD_LOGIN_TOTP_REUSED : KEYD_LOGIN_TOTP_WRONG;
		*step = TOTP_STEP_NONE;
		return COFFER_OK;
	}
	return err;
}

/* A new session for the account in X, until NOW + TTL: its token and sealed ticket. */
static enum coffer_err issue_session(const struct keyd_keys *keys, struct scratch *x, int64_t now,
				     uint32_t ttl)
{
	struct ticket *t = &x->t;
	const struct account *a = &x->a;
	memset(t, 0, sizeof *t);
	token_generate(x->new_token, &t->token);
	memcpy(t->user_id, a->user_id, sizeof t->user_id);
	t->role = a->role;
	t->issued_at = now;
	t->expires_at = now + (int64_t)ttl;
	t->n_orgs = a->n_orgs;
	memcpy(t->orgs, a->orgs, sizeof t->orgs);
	return ticket_seal(keys->ticket_key, t, x->out, &x->out_len);
}

bool keyd_on_login(const struct keyd_keys *keys, struct wire_reader *r, struct frame_writer *f)
{
	struct scratch *x = scratch_begin();
	x->account_len = wire_get_bytes(r, x->account, sizeof x->account);
	x->password_len = wire_get_bytes(r, x->password, sizeof x->password);
	get_opt_str(r, x->code, KEYD_CODE_MAX);
	const int64_t last_step = (int64_t)wire_get_u64(r);
	const uint32_t ttl = wire_get_u32(r);
	bool parsed = wire_reader_end(r);
	if (parsed) {
		const int64_t now = (int64_t)time(NULL);
		enum keyd_login_failure failure = 0;
		int64_t step = TOTP_STEP_NONE;
		enum coffer_err err = COFFER_OK;
		if (ttl == 0 || ttl > SESSION_TTL_MAX || last_step < TOTP_STEP_NONE ||
		    x->password_len == 0)
			err = COFFER_ERR_INVALID_INPUT;
		if (err == COFFER_OK)
			err = check_login(keys, x, last_step, now, &failure, &step);
		if (err == COFFER_OK && failure == 0)
			err = issue_session(keys, x, now, ttl);
		if (err != COFFER_OK) {
			refuse(f, "login", err);
		} else if (failure != 0) {
			log_msg(LOG_WARN, "keyd", "login refused: reason %d", (int)failure);
			wire_put_u8(frame_begin(f, KEYD_MSG_LOGIN_FAILED), (uint8_t)failure);
		} else {
			struct wire_writer *w = frame_begin(f, KEYD_MSG_SESSION_NEW);
			wire_put_str(w, x->new_token);
			wire_put_bytes(w, x->out, x->out_len);
			wire_put_u64(w, (uint64_t)x->t.expires_at);
			wire_put_u64(w, (uint64_t)step);
		}
	}
	scratch_end(x);
	return parsed;
}

/* ---- PASSWORD_SET ------------------------------------------------------------------------- */

static enum coffer_err password_set(const struct keyd_keys *keys, struct scratch *x)
{
	struct account *a = &x->a;
	if (x->password_len == 0 || x->new_password_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (account_open(keys->seals, x->account, x->account_len, a) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	if (!verify_password(keys->hashing, a->password_hash, x->password, x->password_len))
		return COFFER_ERR_INVALID_CREDENTIALS;
	enum coffer_err err =
	    hash_password(keys->hashing, x->new_password, x->new_password_len, a->password_hash);
	if (err == COFFER_OK)
		err = account_seal(keys->seals, a, x->out, &x->out_len);
	return err;
}

bool keyd_on_password_set(const struct keyd_keys *keys, struct wire_reader *r,
			  struct frame_writer *f)
{
	struct scratch *x = scratch_begin();
	x->account_len = wire_get_bytes(r, x->account, sizeof x->account);
	x->password_len = wire_get_bytes(r, x->password, sizeof x->password);
	x->new_password_len = wire_get_bytes(r, x->new_password, sizeof x->new_password);
	bool parsed = wire_reader_end(r);
	if (parsed) {
		enum coffer_err err = password_set(keys, x);
		if (err == COFFER_OK)
			put_account(f, x);
		else
			refuse(f, "password change", err);
	}
	scratch_end(x);
	return parsed;
}
