/* test_keyd_identity.c — keyd's identity requests end to end: a real keyd forked by keyd_spawn
 * over a temporary data directory, driven through the client calls (keyclient/keyclient.h). Invites
 * are sealed here with seal keys derived from the same keyring (as `coffer init` seals the first
 * one), TOTP codes come from liboath directly, and every record keyd returns is opened here to
 * check what it holds. Covers: accepting invites (new accounts, with and without TOTP, and
 * joining another organisation), TOTP enrolment, logins and each reason one fails, the
 * sessions issued, password changes, invite sealing by sysadmins only, the refusals of sealed
 * records that are not keyd's, the client's own checks, the dummy hash for unknown accounts,
 * the bound on concurrent hashing, and malformed identity frames ending keyd.
 *
 * Argon2id at 64 MiB costs ~100 ms a run; the tests keep to a few dozen runs in all. Accounts
 * made here rather than by keyd carry hashes at libsodium's minimum cost, which verify fast. */
#include "test_util.h"

#define KEYD_FIXTURE_DIR "/tmp/coffer-test-keyd-identity-XXXXXX"
#include "test_keyd_fixture.h"

#include <fcntl.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "signin/totp.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "crypto/token.h"
#include "keyclient/keyclient.h"
#include "keyclient/spawn.h"
#include "test_run_as.h"
#include "keyd/account.h"
#include "keyd/dispatch.h"
#include "keyd/hash_gate.h"
#include "keyd/keys.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "keyproto/frame.h"

#define TTL	       3600
#define PASSWORD       "correct horse battery staple"
#define OTHER_PASSWORD "Tr0ub4dor&3 but longer"

static int reap_keyd(void **state)
{
	(void)state;
	keyd_reap();
	return 0;
}

/* ---- records made here -------------------------------------------------------------------- */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct made_invite {
	char token[TOKEN_TEXT_LEN + 1];
	struct invite inv;
	uint8_t sealed[INVITE_SEALED_MAX];
	size_t len;
};

/* An invite sealed here, as `coffer init` or keyd would. ORG NULL for a sysadmin. */
static void make_invite(struct made_invite *m, uint8_t role, const char *email, const char *org,
			uint8_t clearance, int64_t expires_at)
{
	memset(m, 0, sizeof *m);
	token_generate(m->token, &m->inv.token);
	snprintf(m->inv.email, sizeof m->inv.email, "%s", email);
	snprintf(m->inv.org_id, sizeof m->inv.org_id, "%s", org ? org : "");
	m->inv.role = role;
	m->inv.clearance = clearance;
	m->inv.expires_at = expires_at;
	assert_int_equal(invite_seal(keys.seals, &m->inv, m->sealed, &m->len), COFFER_OK);
}

/* An account keyd made, with the TOTP secret it gave (if any). */
struct acct {
	char user_id[UUID_TEXT_LEN + 1];
	struct keyd_sealed sealed;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has_secret;
};

static struct keyd_accept accept_args(const struct made_invite *m, const char *user_id,
				      const char *password, bool with_totp)
{
	return (struct keyd_accept){.invite_token = m->token,
				    .invite = m->sealed,
				    .invite_len = m->len,
				    .account = NULL,
				    .account_len = 0,
				    .user_id = user_id,
				    .password = password,
				    .password_len = password ? strlen(password) : 0,
				    .with_totp = with_totp};
}

/* Accepts M as a new user; the account must open here and hold what the invite said. */
static void accept_new(const struct made_invite *m, bool with_totp, struct acct *a)
{
	struct account opened;
	memset(a, 0, sizeof *a);
	uuid_generate(a->user_id);
	const struct keyd_accept in = accept_args(m, a->user_id, PASSWORD, with_totp);
	assert_int_equal(keyd_accept(client, &in, &a->sealed, a->secret, &a->has_secret),
			 COFFER_OK);
	assert_int_equal(account_open(keys.seals, a->sealed.bytes, a->sealed.len, &opened),
			 COFFER_OK);
	assert_string_equal(opened.user_id, a->user_id);
	assert_string_equal(opened.email, m->inv.email);
	assert_int_equal(strncmp(opened.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$", 31), 0);
	if (m->inv.role == INVITE_SYSADMIN) {
		assert_int_equal(opened.role, TICKET_ROLE_SYSADMIN);
		assert_int_equal(opened.n_orgs, 0);
	} else {
		assert_int_equal(opened.role, TICKET_ROLE_USER);
		assert_int_equal(opened.n_orgs, 1);
		assert_string_equal(opened.orgs[0].org_id, m->inv.org_id);
		assert_int_equal(opened.orgs[0].org_role, m->inv.role == INVITE_ORG_ADMIN
							      ? TICKET_ORG_ADMIN
							      : TICKET_ORG_MEMBER);
		assert_int_equal(opened.orgs[0].clearance, m->inv.clearance);
	}
	bool totp = with_totp || m->inv.role != INVITE_MEMBER; /* an admin always enrols */
	assert_int_equal(a->has_secret, totp);
	assert_int_equal(opened.totp, totp ? ACCOUNT_TOTP_PENDING : ACCOUNT_TOTP_NONE);
	if (totp) {
		uint8_t back[ACCOUNT_TOTP_SECRET_BYTES];
		assert_int_equal(
		    account_totp_open(keys.seals, opened.user_id, opened.totp_sealed, back),
		    COFFER_OK);
		assert_memory_equal(back, a->secret, sizeof back);
	}
}

/* SECRET's code for the step of time T. */
static void code_at(const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], int64_t t, char out[7])
{
	assert_int_equal(oath_totp_generate((const char *)secret, ACCOUNT_TOTP_SECRET_BYTES,
					    (time_t)t, TOTP_STEP_SECONDS, 0, TOTP_DIGITS, out),
			 OATH_OK);
}

/* A six-digit code that is none of SECRET's from two steps back to two ahead. */
static void wrong_code(const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], char out[7])
{
	char near[5][7];
	for (int i = 0; i < 5; i++)
		code_at(secret, now_s() + (i - 2) * TOTP_STEP_SECONDS, near[i]);
	for (unsigned int v = 0;; v++) {
		snprintf(out, 7, "%06u", v);
		bool clash = false;
		for (int i = 0; i < 5; i++)
			clash = clash || strcmp(out, near[i]) == 0;
		if (!clash)
			return;
	}
}

/* Confirms A's TOTP with the current code; A's record becomes the confirmed one. */
static int64_t confirm(struct acct *a)
{
	char code[7];
	int64_t step = -7;
	struct keyd_sealed out;
	int64_t before = now_s() / TOTP_STEP_SECONDS;
	code_at(a->secret, now_s(), code);
	assert_int_equal(
	    keyd_totp_confirm(client, a->sealed.bytes, a->sealed.len, code, &out, &step),
	    COFFER_OK);
	assert_true(step >= before - 1 && step <= now_s() / TOTP_STEP_SECONDS + 1);
	struct account opened;
	assert_int_equal(account_open(keys.seals, out.bytes, out.len, &opened), COFFER_OK);
	assert_int_equal(opened.totp, ACCOUNT_TOTP_ACTIVE);
	a->sealed = out;
	return step;
}

static enum coffer_err login(const struct keyd_sealed *a, const char *password, const char *code,
			     int64_t last_step, struct keyd_login_result *out)
{
	const struct keyd_login in = {.account = a ? a->bytes : NULL,
				      .account_len = a ? a->len : 0,
				      .password = password,
				      .password_len = strlen(password),
				      .code = code,
				      .last_step = last_step,
				      .ttl_s = TTL};
	memset(out, 0x5a, sizeof *out);
	return keyd_login(client, &in, out);
}

static void login_fails(const struct keyd_sealed *a, const char *password, const char *code,
			int64_t last_step, enum keyd_login_failure why)
{
	struct keyd_login_result out;
	assert_int_equal(login(a, password, code, last_step, &out), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(out.failure, why);
}

/* A login that works: the session's ticket is keyd's, for the token issued, the user of
 * ACCOUNT, with its memberships, for TTL seconds. Returns the ticket opened into T. */
static void login_ok(const struct keyd_sealed *a, const char *password, const char *code,
		     int64_t last_step, struct keyd_login_result *out, struct ticket *t)
{
	struct account opened;
	struct token_hash h;
	int64_t before = now_s();
	assert_int_equal(login(a, password, code, last_step, out), COFFER_OK);
	int64_t after = now_s();
	assert_int_equal(ticket_open(keys.ticket_key, out->ticket, out->ticket_len, t), COFFER_OK);
	assert_true(token_hash_text(out->token, &h));
	assert_memory_equal(h.bytes, t->token.bytes, TOKEN_HASH_BYTES);
	assert_int_equal(account_open(keys.seals, a->bytes, a->len, &opened), COFFER_OK);
	assert_string_equal(t->user_id, opened.user_id);
	assert_int_equal(t->role, opened.role);
	assert_int_equal(t->n_orgs, opened.n_orgs);
	for (uint32_t i = 0; i < t->n_orgs; i++) {
		assert_string_equal(t->orgs[i].org_id, opened.orgs[i].org_id);
		assert_int_equal(t->orgs[i].org_role, opened.orgs[i].org_role);
		assert_int_equal(t->orgs[i].clearance, opened.orgs[i].clearance);
	}
	assert_true(t->issued_at >= before && t->issued_at <= after);
	assert_int_equal(t->expires_at, t->issued_at + TTL);
	assert_int_equal(out->expires_at, t->expires_at);
}

/* A ticket sealed here for a fresh token: ROLE's, expiring at EXPIRES. */
struct sess {
	char token[TOKEN_TEXT_LEN + 1];
	struct ticket t;
	uint8_t sealed[TICKET_SEALED_MAX];
	size_t len;
};

static struct keyd_session local_session(struct sess *x, uint8_t role, int64_t expires)
{
	memset(x, 0, sizeof *x);
	token_generate(x->token, &x->t.token);
	uuid_generate(x->t.user_id);
	x->t.role = role;
	x->t.issued_at = now_s() - 7200;
	x->t.expires_at = expires;
	/* Signed in two hours ago, and proved it was them a minute ago (or, expired, not since). */
	x->t.authenticated_at = expires < now_s() ? x->t.issued_at : now_s() - 60;
	if (role == TICKET_ROLE_USER) {
		x->t.n_orgs = 1;
		uuid_generate(x->t.orgs[0].org_id);
		x->t.orgs[0].org_role = TICKET_ORG_ADMIN;
		x->t.orgs[0].clearance = LEVEL_RESTRICTED;
	}
	assert_int_equal(ticket_seal(keys.ticket_key, &x->t, x->sealed, &x->len), COFFER_OK);
	return (struct keyd_session){.token = x->token, .ticket = x->sealed, .ticket_len = x->len};
}

/* An account sealed here (its hash at libsodium's minimum cost, so quick to verify). */
static void local_account(struct keyd_sealed *out, uint8_t role, uint8_t totp, const char *pw)
{
	struct account a;
	memset(&a, 0, sizeof a);
	uuid_generate(a.user_id);
	snprintf(a.email, sizeof a.email, "local@example.org");
	a.role = role;
	if (role == TICKET_ROLE_USER) {
		a.n_orgs = 1;
		uuid_generate(a.orgs[0].org_id);
		a.orgs[0].org_role = TICKET_ORG_MEMBER;
		a.orgs[0].clearance = LEVEL_INTERNAL;
	}
	assert_int_equal(crypto_pwhash_str_alg(
			     a.password_hash, pw, strlen(pw), crypto_pwhash_argon2id_OPSLIMIT_MIN,
			     crypto_pwhash_argon2id_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
			 0);
	a.totp = totp;
	if (totp != ACCOUNT_TOTP_NONE) {
		uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
		randombytes_buf(secret, sizeof secret);
		assert_int_equal(account_totp_seal(keys.seals, a.user_id, secret, a.totp_sealed),
				 COFFER_OK);
	}
	assert_int_equal(account_seal(keys.seals, &a, out->bytes, &out->len), COFFER_OK);
}

/* An account sealed here that is a member of one organisation and org_admin of a second. */
static void local_admin_account(struct keyd_sealed *out, uint8_t totp, const char *pw)
{
	struct keyd_sealed member;
	struct account a;
	local_account(&member, TICKET_ROLE_USER, totp, pw);
	assert_int_equal(account_open(keys.seals, member.bytes, member.len, &a), COFFER_OK);
	a.n_orgs = 2;
	uuid_generate(a.orgs[1].org_id);
	a.orgs[1].org_role = TICKET_ORG_ADMIN;
	a.orgs[1].clearance = LEVEL_PUBLIC;
	assert_int_equal(account_seal(keys.seals, &a, out->bytes, &out->len), COFFER_OK);
}

/* ---- enrolment and login ------------------------------------------------------------------ */

/* A member with TOTP: accept, confirm, then every way a login succeeds or fails. */
static void test_user_with_totp(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct a;
	struct keyd_login_result out;
	struct ticket t;
	struct keyd_sealed still;
	char org[UUID_TEXT_LEN + 1], code[7], next[7], bad[7];
	int64_t step = 0;
	uuid_generate(org);
	make_invite(&m, INVITE_MEMBER, "ann@example.org", org, LEVEL_CONFIDENTIAL,
		    now_s() + 72 * 3600);
	accept_new(&m, true, &a);

	/* Pending: not yet a way in, even with the right password and code. */
	code_at(a.secret, now_s(), code);
	login_fails(&a.sealed, PASSWORD, code, TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);

	/* Confirmation: a wrong code, a code of the wrong form (refused by the client), then the
	 * right one; once active there is nothing left to confirm. */
	wrong_code(a.secret, bad);
	assert_int_equal(
	    keyd_totp_confirm(client, a.sealed.bytes, a.sealed.len, bad, &still, &step),
	    COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(
	    keyd_totp_confirm(client, a.sealed.bytes, a.sealed.len, "12345", &still, &step),
	    COFFER_ERR_INVALID_CREDENTIALS);
	int64_t confirmed = confirm(&a);
	code_at(a.secret, now_s(), code);
	assert_int_equal(
	    keyd_totp_confirm(client, a.sealed.bytes, a.sealed.len, code, &still, &step),
	    COFFER_ERR_INVALID_INPUT);

	/* The confirmation's step is used: its code again is a replay. */
	code_at(a.secret, confirmed * TOTP_STEP_SECONDS, code);
	login_fails(&a.sealed, PASSWORD, code, confirmed, KEYD_LOGIN_TOTP_REUSED);
	/* The next step's code (one step ahead is within the window) works... */
	code_at(a.secret, (confirmed + 1) * TOTP_STEP_SECONDS, next);
	login_ok(&a.sealed, PASSWORD, next, confirmed, &out, &t);
	assert_int_equal(out.step, confirmed + 1);
	assert_int_equal(t.role, TICKET_ROLE_USER);
	assert_int_equal(t.n_orgs, 1);
	assert_string_equal(t.orgs[0].org_id, org);
	assert_int_equal(t.orgs[0].clearance, LEVEL_CONFIDENTIAL);
	/* ...once. */
	login_fails(&a.sealed, PASSWORD, next, out.step, KEYD_LOGIN_TOTP_REUSED);
	/* A wrong code, a missing one (NULL or ""), one of the wrong form (the client sends it
	 * as a wrong code), a wrong password (whatever the code). */
	wrong_code(a.secret, bad);
	login_fails(&a.sealed, PASSWORD, bad, out.step, KEYD_LOGIN_TOTP_WRONG);
	login_fails(&a.sealed, PASSWORD, NULL, out.step, KEYD_LOGIN_TOTP_MISSING);
	login_fails(&a.sealed, PASSWORD, "", out.step, KEYD_LOGIN_TOTP_MISSING);
	login_fails(&a.sealed, PASSWORD, "1234567", out.step, KEYD_LOGIN_TOTP_WRONG);
	login_fails(&a.sealed, OTHER_PASSWORD, next, confirmed, KEYD_LOGIN_BAD_PASSWORD);
	/* No account (an unknown email), and an account keyd did not seal. */
	login_fails(NULL, PASSWORD, next, confirmed, KEYD_LOGIN_BAD_PASSWORD);
	struct keyd_sealed tampered = a.sealed;
	tampered.bytes[10] ^= 0x01;
	login_fails(&tampered, PASSWORD, next, confirmed, KEYD_LOGIN_BAD_PASSWORD);
	/* keyd is still serving. */
	assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

/* A member without TOTP logs in with the password alone (a code given is ignored); an
 * account made here, pending or without TOTP, exercises the rest of the rules. */
static void test_user_without_totp_and_sysadmin_rules(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct a;
	struct keyd_login_result out;
	struct ticket t;
	struct keyd_sealed local;
	char org[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	make_invite(&m, INVITE_MEMBER, "bob@example.org", org, LEVEL_RESTRICTED, now_s() + 3600);
	accept_new(&m, false, &a);
	login_ok(&a.sealed, PASSWORD, NULL, TOTP_STEP_NONE, &out, &t);
	assert_int_equal(out.step, TOTP_STEP_NONE);
	assert_int_equal(t.orgs[0].org_role, TICKET_ORG_MEMBER);
	assert_int_equal(t.orgs[0].clearance, LEVEL_RESTRICTED);
	login_ok(&a.sealed, PASSWORD, "123456", 5, &out, &t);
	assert_int_equal(out.step, TOTP_STEP_NONE);
	/* TOTP_CONFIRM for an account with no pending secret. */
	int64_t step = 0;
	struct keyd_sealed still;
	assert_int_equal(
	    keyd_totp_confirm(client, a.sealed.bytes, a.sealed.len, "123456", &still, &step),
	    COFFER_ERR_INVALID_INPUT);
	/* A sysadmin without TOTP never gets in; nor does one with it pending. */
	local_account(&local, TICKET_ROLE_SYSADMIN, ACCOUNT_TOTP_NONE, "pw");
	login_fails(&local, "pw", NULL, TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	login_fails(&local, "pw", "123456", TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	local_account(&local, TICKET_ROLE_SYSADMIN, ACCOUNT_TOTP_PENDING, "pw");
	login_fails(&local, "pw", "123456", TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	/* The password comes first: a wrong one is BAD_PASSWORD whatever else is wrong. */
	login_fails(&local, "pW", NULL, TOTP_STEP_NONE, KEYD_LOGIN_BAD_PASSWORD);
	/* A user made here without TOTP logs in... */
	local_account(&local, TICKET_ROLE_USER, ACCOUNT_TOTP_NONE, "pw");
	login_ok(&local, "pw", NULL, TOTP_STEP_NONE, &out, &t);
	/* ...but not once an org_admin anywhere (ASVS V4.3.1), as an account sealed before that
	 * rule could be. */
	struct keyd_sealed admin;
	local_admin_account(&admin, ACCOUNT_TOTP_NONE, "pw");
	login_fails(&admin, "pw", NULL, TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	login_fails(&admin, "pw", "123456", TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	login_fails(&admin, "pW", NULL, TOTP_STEP_NONE, KEYD_LOGIN_BAD_PASSWORD);
	/* Session lifetimes keyd will not issue: 0 and more than 7 days; a last step below -1. */
	const uint32_t ttls[] = {0, 30 * 24 * 3600 + 1, UINT32_MAX};
	for (size_t i = 0; i < ARRAY_LEN(ttls); i++) {
		const struct keyd_login in = {.account = local.bytes,
					      .account_len = local.len,
					      .password = "pw",
					      .password_len = 2,
					      .last_step = TOTP_STEP_NONE,
					      .ttl_s = ttls[i]};
		assert_int_equal(keyd_login(client, &in, &out), COFFER_ERR_INVALID_INPUT);
	}
	const struct keyd_login week = {.account = local.bytes,
					.account_len = local.len,
					.password = "pw",
					.password_len = 2,
					.last_step = TOTP_STEP_NONE,
					.ttl_s = 30 * 24 * 3600};
	assert_int_equal(keyd_login(client, &week, &out), COFFER_OK);
	const struct keyd_login old = {.account = local.bytes,
				       .account_len = local.len,
				       .password = "pw",
				       .password_len = 2,
				       .last_step = -2,
				       .ttl_s = TTL};
	assert_int_equal(keyd_login(client, &old, &out), COFFER_ERR_INVALID_INPUT);
	stop_expect(0);
}

/* ---- sysadmins and invite sealing --------------------------------------------------------- */

/* The founding charter a sysadmin's invitations into an organisation present (none: NULL). */
static const struct keyd_sealed *charter;

static enum coffer_err seal_invite(const struct keyd_session *s, const struct invite *inv)
{
	struct keyd_sealed out;
	return keyd_invite_seal(client, s, inv, charter ? charter->bytes : NULL,
				charter ? charter->len : 0, &out, NULL);
}

static void test_sysadmin_seals_invites(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct admin;
	struct keyd_login_result out;
	struct ticket t;
	struct sess x;
	char code[7], org[UUID_TEXT_LEN + 1];
	make_invite(&m, INVITE_SYSADMIN, "root@example.org", NULL, 0, now_s() + 3600);
	/* A sysadmin gets a TOTP secret even when none is asked for. */
	accept_new(&m, false, &admin);
	assert_true(admin.has_secret);
	code_at(admin.secret, now_s(), code);
	login_fails(&admin.sealed, PASSWORD, code, TOTP_STEP_NONE, KEYD_LOGIN_TOTP_NOT_ENROLLED);
	int64_t confirmed = confirm(&admin);
	code_at(admin.secret, (confirmed + 1) * TOTP_STEP_SECONDS, code);
	login_ok(&admin.sealed, PASSWORD, code, confirmed, &out, &t);
	assert_int_equal(t.role, TICKET_ROLE_SYSADMIN);
	assert_int_equal(t.n_orgs, 0);
	const struct keyd_session admin_s = {
	    .token = out.token, .ticket = out.ticket, .ticket_len = out.ticket_len};

	/* The session from LOGIN creates an organisation and seals the invite of its first
	 * org_admin, which opens here as exactly that invite. */
	struct keyd_org_created created;
	assert_int_equal(keyd_org_create(client, &admin_s, &created), COFFER_OK);
	snprintf(org, sizeof org, "%s", created.org_id);
	charter = &created.charter;
	struct invite inv, opened;
	memset(&inv, 0, sizeof inv);
	char token[TOKEN_TEXT_LEN + 1];
	token_generate(token, &inv.token);
	snprintf(inv.email, sizeof inv.email, "carol@example.org");
	inv.role = INVITE_ORG_ADMIN;
	snprintf(inv.org_id, sizeof inv.org_id, "%s", org);
	inv.clearance = LEVEL_INTERNAL;
	inv.expires_at = now_s() + 72 * 3600;
	struct keyd_sealed sealed;
	assert_int_equal(
	    keyd_invite_seal(client, &admin_s, &inv, charter->bytes, charter->len, &sealed, NULL),
	    COFFER_OK);
	assert_int_equal(invite_open(keys.seals, sealed.bytes, sealed.len, &opened), COFFER_OK);
	assert_memory_equal(&opened, &inv, sizeof inv);
	/* ...and keyd accepts it, with the token it was made for. */
	struct made_invite carol = {.inv = inv, .len = sealed.len};
	memcpy(carol.token, token, sizeof token);
	memcpy(carol.sealed, sealed.bytes, sealed.len);
	struct acct c;
	accept_new(&carol, false, &c);
	/* A sysadmin invite too. */
	struct invite sys = inv;
	sys.role = INVITE_SYSADMIN;
	sys.org_id[0] = '\0';
	sys.clearance = 0;
	assert_int_equal(seal_invite(&admin_s, &sys), COFFER_OK);

	/* Fields out of range. */
	struct invite bad[9];
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		bad[i] = inv;
	bad[0].role = 0;
	bad[1].role = 4;
	bad[2].clearance = LEVEL_RESTRICTED + 1;
	bad[3].org_id[0] = '\0'; /* a member of no organisation */
	bad[4] = sys;		 /* a sysadmin in an organisation */
	snprintf(bad[4].org_id, sizeof bad[4].org_id, "%s", org);
	bad[5] = sys; /* a sysadmin with a clearance */
	bad[5].clearance = LEVEL_PUBLIC + 1;
	snprintf(bad[6].email, sizeof bad[6].email, "Carol@example.org"); /* not normalised */
	snprintf(bad[7].email, sizeof bad[7].email, "carol");
	bad[8].expires_at = now_s() - 1;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		/* An organisation's invite without one: its charter is not for it. */
		enum coffer_err want = i == 3 ? COFFER_ERR_FORBIDDEN : COFFER_ERR_INVALID_INPUT;
		if (seal_invite(&admin_s, &bad[i]) != want)
			fail_msg("bad invite %zu sealed", i);
	}

	/* Sessions that may not: a user's (FORBIDDEN); an expired sysadmin's, another token
	 * with the sysadmin's ticket, a ticket keyd did not seal (UNAUTHENTICATED). */
	struct keyd_session s = local_session(&x, TICKET_ROLE_USER, now_s() + 600);
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_FORBIDDEN);
	s = local_session(&x, TICKET_ROLE_SYSADMIN, now_s() - 1);
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_UNAUTHENTICATED);
	s = local_session(&x, TICKET_ROLE_SYSADMIN, now_s() + 600);
	assert_int_equal(seal_invite(&s, &inv), COFFER_OK);
	s = admin_s;
	s.token = x.token;
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_UNAUTHENTICATED);
	x.sealed[x.len - 1] ^= 0x80;
	s = (struct keyd_session){.token = x.token, .ticket = x.sealed, .ticket_len = x.len};
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_UNAUTHENTICATED);
	/* Refused by the client before keyd sees them. */
	s = admin_s;
	s.token = "short";
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_UNAUTHENTICATED);
	s = admin_s;
	s.ticket_len = TICKET_SEALED_MAX + 1;
	assert_int_equal(seal_invite(&s, &inv), COFFER_ERR_UNAUTHENTICATED);
	struct invite unterminated = inv;
	memset(unterminated.org_id, 'o', sizeof unterminated.org_id);
	assert_int_equal(seal_invite(&admin_s, &unterminated), COFFER_ERR_INVALID_INPUT);
	unterminated = inv;
	memset(unterminated.email, 'e', sizeof unterminated.email);
	assert_int_equal(seal_invite(&admin_s, &unterminated), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(seal_invite(&admin_s, &inv), COFFER_OK);
	/* Without the charter, a sysadmin invites nobody into an organisation. */
	charter = NULL;
	assert_int_equal(seal_invite(&admin_s, &inv), COFFER_ERR_FORBIDDEN);
	stop_expect(0);
}

/* ---- accepting: refusals, joining another organisation ------------------------------------ */

static void test_accept_refusals(void **state)
{
	(void)state;
	struct made_invite m, expired, other;
	struct keyd_sealed acc;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has = false;
	char org[UUID_TEXT_LEN + 1], uid[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	uuid_generate(uid);
	make_invite(&m, INVITE_MEMBER, "dan@example.org", org, LEVEL_PUBLIC, now_s() + 60);
	make_invite(&other, INVITE_MEMBER, "dan@example.org", org, LEVEL_PUBLIC, now_s() + 60);
	make_invite(&expired, INVITE_MEMBER, "dan@example.org", org, LEVEL_PUBLIC, now_s() - 1);
	struct keyd_accept in = accept_args(&m, uid, PASSWORD, true);

	/* Another invite's token; a token of the right form that is no invite's. */
	in.invite_token = other.token;
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	char bad_token[TOKEN_TEXT_LEN + 1];
	memset(bad_token, '!', TOKEN_TEXT_LEN);
	bad_token[TOKEN_TEXT_LEN] = '\0';
	in.invite_token = bad_token;
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	/* Expired, by keyd's clock. */
	in = accept_args(&expired, uid, PASSWORD, true);
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_NOT_FOUND);
	/* A changed byte in the sealed invite; an account record given as the invite. */
	in = accept_args(&m, uid, PASSWORD, true);
	m.sealed[3] ^= 0x01;
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	m.sealed[3] ^= 0x01;
	struct keyd_sealed local;
	local_account(&local, TICKET_ROLE_USER, ACCOUNT_TOTP_NONE, "pw");
	in.invite = local.bytes;
	in.invite_len = local.len < INVITE_SEALED_MAX ? local.len : INVITE_SEALED_MAX;
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	/* A new user id that is not a UUID. */
	in = accept_args(&m, "user-1", PASSWORD, true);
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_ERR_INVALID_INPUT);
	/* Refused by the client: no token, a short one, no invite, an invite too long, no user
	 * id, one too long, no password, an empty or too long one. */
	static char long_pw[KEYD_PASSWORD_MAX + 2];
	memset(long_pw, 'p', KEYD_PASSWORD_MAX + 1);
	struct keyd_accept bad[9];
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		bad[i] = accept_args(&m, uid, PASSWORD, true);
	bad[0].invite_token = NULL;
	bad[1].invite_token = "abc";
	bad[2].invite = NULL;
	bad[3].invite_len = INVITE_SEALED_MAX + 1;
	bad[4].user_id = NULL;
	bad[5].user_id = "0123456789-0123456789-0123456789-0123";
	bad[6].password = NULL;
	bad[7].password_len = 0;
	bad[8].password = long_pw;
	bad[8].password_len = KEYD_PASSWORD_MAX + 1;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		enum coffer_err err = keyd_accept(client, &bad[i], &acc, secret, &has);
		if (err != COFFER_ERR_UNAUTHENTICATED && err != COFFER_ERR_INVALID_INPUT)
			fail_msg("bad accept %zu: %d", i, (int)err);
	}
	/* The longest password keyd takes is fine, and keyd has survived all of the above. */
	in = accept_args(&m, uid, PASSWORD, false);
	in.password = long_pw;
	in.password_len = KEYD_PASSWORD_MAX;
	assert_int_equal(keyd_accept(client, &in, &acc, secret, &has), COFFER_OK);
	assert_false(has);
	stop_expect(0);
}

static void test_join_second_org(void **state)
{
	(void)state;
	struct made_invite first, second, again, twice, sys, elsewhere;
	struct acct a;
	struct keyd_sealed joined, promoted, out;
	struct keyd_login_result res;
	struct ticket t;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has = true;
	char org_a[UUID_TEXT_LEN + 1], org_b[UUID_TEXT_LEN + 1];
	uuid_generate(org_a);
	uuid_generate(org_b);
	make_invite(&first, INVITE_MEMBER, "eve@example.org", org_a, LEVEL_INTERNAL, now_s() + 600);
	make_invite(&second, INVITE_ORG_ADMIN, "eve@example.org", org_b, LEVEL_RESTRICTED,
		    now_s() + 600);
	make_invite(&again, INVITE_ORG_ADMIN, "eve@example.org", org_a, LEVEL_RESTRICTED,
		    now_s() + 600);
	make_invite(&twice, INVITE_MEMBER, "eve@example.org", org_a, LEVEL_PUBLIC, now_s() + 600);
	make_invite(&sys, INVITE_SYSADMIN, "eve@example.org", NULL, 0, now_s() + 600);
	make_invite(&elsewhere, INVITE_MEMBER, "mallory@example.org", org_b, LEVEL_PUBLIC,
		    now_s() + 600);
	/* Without an authenticator, an account cannot become an org_admin by joining (after the
	 * password check: a wrong one is still just wrong). */
	struct acct bare;
	accept_new(&first, false, &bare);
	struct keyd_accept in = accept_args(&second, NULL, OTHER_PASSWORD, false);
	in.account = bare.sealed.bytes;
	in.account_len = bare.sealed.len;
	assert_int_equal(keyd_accept(client, &in, &joined, secret, &has),
			 COFFER_ERR_INVALID_CREDENTIALS);
	in.password = PASSWORD;
	in.password_len = strlen(PASSWORD);
	assert_int_equal(keyd_accept(client, &in, &joined, secret, &has),
			 COFFER_ERR_ADMIN_NEEDS_TOTP);

	accept_new(&first, true, &a);
	int64_t step = confirm(&a);
	in = accept_args(&second, NULL, PASSWORD, true);
	in.account = a.sealed.bytes;
	in.account_len = a.sealed.len;
	/* The wrong password. */
	in.password = OTHER_PASSWORD;
	in.password_len = strlen(OTHER_PASSWORD);
	assert_int_equal(keyd_accept(client, &in, &joined, secret, &has),
			 COFFER_ERR_INVALID_CREDENTIALS);
	/* The right one: a second membership, no TOTP secret. */
	in.password = PASSWORD;
	in.password_len = strlen(PASSWORD);
	assert_int_equal(keyd_accept(client, &in, &joined, secret, &has), COFFER_OK);
	assert_false(has);
	struct account opened;
	assert_int_equal(account_open(keys.seals, joined.bytes, joined.len, &opened), COFFER_OK);
	assert_string_equal(opened.user_id, a.user_id);
	assert_int_equal(opened.n_orgs, 2);
	assert_string_equal(opened.orgs[1].org_id, org_b);
	assert_int_equal(opened.orgs[1].org_role, TICKET_ORG_ADMIN);
	assert_int_equal(opened.orgs[1].clearance, LEVEL_RESTRICTED);
	/* Already a member of org A: a member invitation is EXISTS (after the password check)... */
	in = accept_args(&twice, NULL, PASSWORD, false);
	in.account = joined.bytes;
	in.account_len = joined.len;
	assert_int_equal(keyd_accept(client, &in, &out, secret, &has), COFFER_ERR_EXISTS);
	/* ...an org_admin one promotes the member, with its clearance... */
	in = accept_args(&again, NULL, PASSWORD, false);
	in.account = joined.bytes;
	in.account_len = joined.len;
	assert_int_equal(keyd_accept(client, &in, &promoted, secret, &has), COFFER_OK);
	assert_int_equal(account_open(keys.seals, promoted.bytes, promoted.len, &opened),
			 COFFER_OK);
	assert_int_equal(opened.n_orgs, 2);
	assert_string_equal(opened.orgs[0].org_id, org_a);
	assert_int_equal(opened.orgs[0].org_role, TICKET_ORG_ADMIN);
	assert_int_equal(opened.orgs[0].clearance, LEVEL_RESTRICTED);
	/* ...and an org_admin is had by either. */
	in.account = promoted.bytes;
	in.account_len = promoted.len;
	assert_int_equal(keyd_accept(client, &in, &out, secret, &has), COFFER_ERR_EXISTS);
	/* A sysadmin invite is not for an existing account; another email's invite is not for
	 * this one; an account keyd did not seal is nobody's. */
	in = accept_args(&sys, NULL, PASSWORD, false);
	in.account = joined.bytes;
	in.account_len = joined.len;
	assert_int_equal(keyd_accept(client, &in, &out, secret, &has), COFFER_ERR_INVALID_INPUT);
	in = accept_args(&elsewhere, NULL, PASSWORD, false);
	in.account = joined.bytes;
	in.account_len = joined.len;
	assert_int_equal(keyd_accept(client, &in, &out, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	in = accept_args(&second, NULL, PASSWORD, false);
	struct keyd_sealed tampered = a.sealed;
	tampered.bytes[tampered.len - 1] ^= 0x01;
	in.account = tampered.bytes;
	in.account_len = tampered.len;
	assert_int_equal(keyd_accept(client, &in, &out, secret, &has), COFFER_ERR_UNAUTHENTICATED);
	/* The session carries both memberships. */
	char code[7];
	code_at(a.secret, now_s() + TOTP_STEP_SECONDS, code); /* a step after the confirmed one */
	login_ok(&joined, PASSWORD, code, step, &res, &t);
	assert_int_equal(t.n_orgs, 2);
	assert_string_equal(t.orgs[0].org_id, org_a);
	assert_string_equal(t.orgs[1].org_id, org_b);
	stop_expect(0);
}

/* ---- accounts of an older format ------------------------------------------------------------ */

/* A member account with password PW sealed here in format 2, which held the hash in clear. */
static void format_2_account(struct keyd_sealed *out, const char *pw)
{
	char hash[ACCOUNT_HASH_MAX + 1], uid[UUID_TEXT_LEN + 1], org[UUID_TEXT_LEN + 1];
	uuid_generate(uid);
	uuid_generate(org);
	assert_int_equal(crypto_pwhash_str_alg(
			     hash, pw, strlen(pw), crypto_pwhash_argon2id_OPSLIMIT_MIN,
			     crypto_pwhash_argon2id_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
			 0);
	struct wire_writer w = wire_writer_init(out->bytes, sizeof out->bytes - SEAL_OVERHEAD);
	wire_put_u8(&w, 2);
	wire_put_str(&w, uid);
	wire_put_str(&w, "old@example.org");
	wire_put_u8(&w, TICKET_ROLE_USER);
	wire_put_u8(&w, 1);
	wire_put_str(&w, org);
	wire_put_u8(&w, TICKET_ORG_MEMBER);
	wire_put_u8(&w, LEVEL_INTERNAL);
	wire_put_str(&w, hash);
	wire_put_u8(&w, ACCOUNT_TOTP_NONE);
	wire_put_bytes(&w, NULL, 0);
	wire_put_bytes(&w, NULL, 0);
	assert_false(w.bad);
	assert_int_equal(
	    seal_close(keys.seals, SEAL_ACCOUNT, out->bytes, w.len, sizeof out->bytes, &out->len),
	    COFFER_OK);
}

/* ASVS V2.4.5: an account whose password hash was sealed in clear is sealed again, encrypted,
 * at its next sign-in, and handed back to be stored; one sealed so already is not. */
static void test_login_seals_an_old_account_again(void **state)
{
	(void)state;
	struct keyd_sealed old;
	struct keyd_login_result out;
	struct ticket t;
	struct account opened;
	format_2_account(&old, "pw");
	/* A wrong password changes nothing. */
	assert_int_equal(login(&old, "pW", NULL, TOTP_STEP_NONE, &out),
			 COFFER_ERR_INVALID_CREDENTIALS);
	login_ok(&old, "pw", NULL, TOTP_STEP_NONE, &out, &t);
	assert_true(out.account.len > 0);
	assert_null(memmem(out.account.bytes, out.account.len, "$argon2id$", 10));
	assert_int_equal(account_open(keys.seals, out.account.bytes, out.account.len, &opened),
			 COFFER_OK);
	assert_false(opened.hash_in_clear);
	assert_string_equal(opened.email, "old@example.org");
	assert_string_equal(opened.user_id, t.user_id);
	/* The new record signs in with the same password, and is not sealed again. */
	struct keyd_sealed resealed = out.account;
	login_ok(&resealed, "pw", NULL, TOTP_STEP_NONE, &out, &t);
	assert_int_equal(out.account.len, 0);
	login_fails(&resealed, "pW", NULL, TOTP_STEP_NONE, KEYD_LOGIN_BAD_PASSWORD);
	stop_expect(0);
}

/* ---- password change ---------------------------------------------------------------------- */

static void test_password_set(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct a;
	struct keyd_sealed changed, out;
	struct keyd_login_result res;
	struct ticket t;
	char org[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	make_invite(&m, INVITE_MEMBER, "fay@example.org", org, LEVEL_INTERNAL, now_s() + 600);
	accept_new(&m, false, &a);
	const uint8_t *acc = a.sealed.bytes;
	const size_t len = a.sealed.len;
	const size_t np = strlen(OTHER_PASSWORD);
	/* The wrong current password; a record keyd did not seal. */
	assert_int_equal(keyd_password_set(client, acc, len, "nope", 4, OTHER_PASSWORD, np, &out),
			 COFFER_ERR_INVALID_CREDENTIALS);
	struct keyd_sealed tampered = a.sealed;
	tampered.bytes[20] ^= 0x01;
	assert_int_equal(keyd_password_set(client, tampered.bytes, tampered.len, PASSWORD,
					   strlen(PASSWORD), OTHER_PASSWORD, np, &out),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Refused by the client: an empty current password, an empty or too long new one. */
	assert_int_equal(keyd_password_set(client, acc, len, "", 0, OTHER_PASSWORD, np, &out),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(
	    keyd_password_set(client, acc, len, PASSWORD, strlen(PASSWORD), "", 0, &out),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_password_set(client, acc, len, PASSWORD, strlen(PASSWORD),
					   OTHER_PASSWORD, KEYD_PASSWORD_MAX + 1, &out),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(keyd_password_set(client, NULL, 0, PASSWORD, strlen(PASSWORD),
					   OTHER_PASSWORD, np, &out),
			 COFFER_ERR_UNAUTHENTICATED);
	/* The change: same account, new hash; the new password works and the old does not. */
	assert_int_equal(keyd_password_set(client, acc, len, PASSWORD, strlen(PASSWORD),
					   OTHER_PASSWORD, np, &changed),
			 COFFER_OK);
	struct account before, after;
	assert_int_equal(account_open(keys.seals, acc, len, &before), COFFER_OK);
	assert_int_equal(account_open(keys.seals, changed.bytes, changed.len, &after), COFFER_OK);
	assert_string_equal(after.user_id, before.user_id);
	assert_string_not_equal(after.password_hash, before.password_hash);
	/* The breach digest follows the password (it is the new one's, sealed afresh). */
	assert_true(before.has_breach && after.has_breach);
	assert_memory_not_equal(after.breach_sealed, before.breach_sealed,
				sizeof before.breach_sealed);
	memset(before.password_hash, 0, sizeof before.password_hash);
	memset(after.password_hash, 0, sizeof after.password_hash);
	memset(before.breach_sealed, 0, sizeof before.breach_sealed);
	memset(after.breach_sealed, 0, sizeof after.breach_sealed);
	assert_memory_equal(&before, &after, sizeof before);
	login_ok(&changed, OTHER_PASSWORD, NULL, TOTP_STEP_NONE, &res, &t);
	login_fails(&changed, PASSWORD, NULL, TOTP_STEP_NONE, KEYD_LOGIN_BAD_PASSWORD);
	stop_expect(0);
}

/* ---- cost and concurrency ----------------------------------------------------------------- */

/* A login for an unknown account runs Argon2id too, at the same cost as a wrong password.
 * Interleaved and the fastest of each kept, so that a busy machine slows both alike. */
static void test_unknown_account_costs_a_hash(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct a;
	char org[UUID_TEXT_LEN + 1];
	double unknown = 1e9, wrong = 1e9;
	uuid_generate(org);
	make_invite(&m, INVITE_MEMBER, "gus@example.org", org, LEVEL_INTERNAL, now_s() + 600);
	accept_new(&m, false, &a);
	for (int i = 0; i < 3; i++) {
		double t0 = now_ms();
		login_fails(NULL, PASSWORD, NULL, TOTP_STEP_NONE, KEYD_LOGIN_BAD_PASSWORD);
		double t1 = now_ms();
		login_fails(&a.sealed, OTHER_PASSWORD, NULL, TOTP_STEP_NONE,
			    KEYD_LOGIN_BAD_PASSWORD);
		double t2 = now_ms();
		unknown = t1 - t0 < unknown ? t1 - t0 : unknown;
		wrong = t2 - t1 < wrong ? t2 - t1 : wrong;
	}
	print_message("[   INFO   ] login, unknown account %.1f ms, wrong password %.1f ms\n",
		      unknown, wrong);
	assert_true(unknown > 10.0 && wrong > 10.0);
	assert_true(unknown >= wrong / 2 && wrong >= unknown / 2);
	stop_expect(0);
}

#define LOGINS 4

struct login_worker {
	const struct keyd_sealed *account;
	pthread_barrier_t *go;
	enum coffer_err got;
};

static void *login_work(void *arg)
{
	struct login_worker *w = arg;
	struct keyd_login_result out;
	const struct keyd_login in = {.account = w->account->bytes,
				      .account_len = w->account->len,
				      .password = PASSWORD,
				      .password_len = strlen(PASSWORD),
				      .last_step = TOTP_STEP_NONE,
				      .ttl_s = TTL};
	pthread_barrier_wait(w->go);
	w->got = keyd_login(client, &in, &out);
	return NULL;
}

/* LOGINS logins at once through keyd: all succeed (two hash while the others wait). */
static void test_concurrent_logins(void **state)
{
	(void)state;
	struct made_invite m;
	struct acct a;
	pthread_t th[LOGINS];
	struct login_worker w[LOGINS];
	pthread_barrier_t go;
	char org[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	make_invite(&m, INVITE_MEMBER, "hal@example.org", org, LEVEL_INTERNAL, now_s() + 600);
	accept_new(&m, false, &a);
	assert_int_equal(pthread_barrier_init(&go, NULL, LOGINS), 0);
	for (int i = 0; i < LOGINS; i++) {
		w[i] = (struct login_worker){
		    .account = &a.sealed, .go = &go, .got = COFFER_ERR_INTERNAL};
		assert_int_equal(pthread_create(&th[i], NULL, login_work, &w[i]), 0);
	}
	for (int i = 0; i < LOGINS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < LOGINS; i++)
		assert_int_equal(w[i].got, COFFER_OK);
	stop_expect(0);
}

/* The same in process, through keyd_handle, where the gate's high-water mark can be read: never
 * more than KEYD_HASH_CONCURRENCY Argon2id runs at once. */
struct handle_worker {
	struct frame_writer req, reply;
	pthread_barrier_t *go;
	bool handled;
	uint8_t reply_type;
};

static void *handle_work(void *arg)
{
	struct handle_worker *w = arg;
	struct wire_reader r = wire_reader_init(w->req.buf + 8, w->req.w.len - 8);
	pthread_barrier_wait(w->go);
	w->handled = keyd_handle(&keys, KEYD_MSG_LOGIN, &r, &w->reply);
	w->reply_type = w->reply.buf[5];
	return NULL;
}

static void put_login(struct frame_writer *f, const uint8_t *account, size_t account_len,
		      const char *password, const char *code)
{
	struct wire_writer *w = frame_begin(f, KEYD_MSG_LOGIN);
	wire_put_bytes(w, account, account_len);
	wire_put_bytes(w, password, strlen(password));
	wire_put_str(w, code);
	wire_put_u64(w, (uint64_t)TOTP_STEP_NONE);
	wire_put_u32(w, TTL);
	for (int i = 0; i < 5; i++) /* no passkey: ASSERTION's fields empty */
		wire_put_bytes(w, NULL, 0);
	assert_true(frame_end(f));
}

static void test_hashing_bounded(void **state)
{
	(void)state;
	pthread_t th[LOGINS];
	static struct handle_worker w[LOGINS];
	pthread_barrier_t go;
	assert_int_equal(pthread_barrier_init(&go, NULL, LOGINS), 0);
	atomic_store(&keys.hashing->peak, 0u);
	for (int i = 0; i < LOGINS; i++) {
		w[i].go = &go;
		put_login(&w[i].req, NULL, 0, PASSWORD, ""); /* unknown: the dummy hash */
		assert_int_equal(pthread_create(&th[i], NULL, handle_work, &w[i]), 0);
	}
	for (int i = 0; i < LOGINS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&go);
	unsigned int peak = atomic_load(&keys.hashing->peak);
	print_message("[   INFO   ] %d logins at once: at most %u hashing\n", LOGINS, peak);
	assert_true(peak >= 1 && peak <= KEYD_HASH_CONCURRENCY);
	assert_int_equal(atomic_load(&keys.hashing->running), 0);
	for (int i = 0; i < LOGINS; i++) {
		assert_true(w[i].handled);
		assert_int_equal(w[i].reply_type, KEYD_MSG_LOGIN_FAILED);
	}
}

/* ---- malformed identity requests ---------------------------------------------------------- */

/* The request in REQ is handled, its reply is of type WANT; cut anywhere, or with a byte
 * more, it is not handled. */
static void handled_whole_only(uint8_t want, const char *what)
{
	assert_true(handle());
	if (reply.buf[5] != want)
		fail_msg("%s: reply type %u, not %u", what, reply.buf[5], want);
	for (size_t n = 0; n < req.w.len - 8; n++) {
		if (handle_cut(n))
			fail_msg("%s cut to %zu bytes was handled", what, n);
	}
	wire_put_u8(&req.w, 0);
	assert_true(frame_end(&req));
	if (handle())
		fail_msg("%s with a byte more was handled", what);
}

static uint32_t denied_reason(void)
{
	uint8_t type = 0;
	struct wire_reader r;
	assert_true(frame_open(reply.buf + 4, reply.w.len - 4, &type, &r));
	assert_int_equal(type, KEYD_MSG_DENIED);
	uint32_t why = wire_get_u32(&r);
	assert_true(wire_reader_end(&r));
	return why;
}

/* An ACCEPT of M as a new user with id USER_ID (TOKEN may be another than M's). */
static void put_accept(const char *token, const struct made_invite *m, const char *user_id,
		       uint8_t with_totp)
{
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_ACCEPT);
	wire_put_bytes(w, token, strlen(token));
	wire_put_bytes(w, m->sealed, m->len);
	wire_put_bytes(w, NULL, 0);
	wire_put_str(w, user_id);
	wire_put_bytes(w, "pw", 2);
	wire_put_u8(w, with_totp);
	assert_true(frame_end(&req));
}

static void test_identity_frames_direct(void **state)
{
	(void)state;
	struct sess x;
	struct made_invite m;
	struct keyd_sealed local;
	struct wire_writer *w;
	char org[UUID_TEXT_LEN + 1];
	uuid_generate(org);
	(void)local_session(&x, TICKET_ROLE_SYSADMIN, now_s() + 600);
	make_invite(&m, INVITE_SYSADMIN, "ivy@example.org", NULL, 0, now_s() + 600);
	local_account(&local, TICKET_ROLE_USER, ACCOUNT_TOTP_PENDING, "pw");

	/* INVITE_SEAL, sealed. */
	w = frame_begin(&req, KEYD_MSG_INVITE_SEAL);
	wire_put_str(w, x.token);
	wire_put_bytes(w, x.sealed, x.len);
	wire_put_bytes(w, m.inv.token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(w, m.inv.email);
	wire_put_u8(w, m.inv.role);
	wire_put_str(w, m.inv.org_id);
	wire_put_u8(w, m.inv.clearance);
	wire_put_u64(w, (uint64_t)m.inv.expires_at);
	wire_put_bytes(w, NULL, 0); /* no charter: a sysadmin's, for another sysadmin */
	assert_true(frame_end(&req));
	handled_whole_only(KEYD_MSG_SEALED, "INVITE_SEAL");

	/* ACCEPT of a changed invite: DENIED before any hashing. */
	m.sealed[0] ^= 1;
	put_accept(m.token, &m, "", 1);
	handled_whole_only(KEYD_MSG_DENIED, "ACCEPT");
	assert_int_equal(denied_reason(), COFFER_ERR_UNAUTHENTICATED);
	m.sealed[0] ^= 1;
	/* with TOTP neither 0 nor 1: parses, refused. */
	put_accept(m.token, &m, "", 2);
	assert_true(handle());
	assert_int_equal(denied_reason(), COFFER_ERR_INVALID_INPUT);

	/* TOTP_CONFIRM of a pending account with a wrong code. */
	w = frame_begin(&req, KEYD_MSG_TOTP_CONFIRM);
	wire_put_bytes(w, local.bytes, local.len);
	wire_put_str(w, "000000");
	assert_true(frame_end(&req));
	handled_whole_only(KEYD_MSG_DENIED, "TOTP_CONFIRM");

	/* LOGIN of the pending account (a quick hash made here). */
	put_login(&req, local.bytes, local.len, "pw", "");
	handled_whole_only(KEYD_MSG_LOGIN_FAILED, "LOGIN");

	/* PASSWORD_SET of no account. */
	w = frame_begin(&req, KEYD_MSG_PASSWORD_SET);
	wire_put_bytes(w, NULL, 0);
	wire_put_bytes(w, "pw", 2);
	wire_put_bytes(w, "new", 3);
	assert_true(frame_end(&req));
	handled_whole_only(KEYD_MSG_DENIED, "PASSWORD_SET");
	assert_int_equal(denied_reason(), COFFER_ERR_UNAUTHENTICATED);

	/* Fields keyd does not parse: a code of seven characters, a password too long, an org id
	 * or a user id too long, a code with a NUL in it, an empty invite token. */
	put_login(&req, local.bytes, local.len, "pw", "1234567");
	assert_false(handle());
	static char long_pw[KEYD_PASSWORD_MAX + 2];
	memset(long_pw, 'p', KEYD_PASSWORD_MAX + 1);
	put_login(&req, NULL, 0, long_pw, "");
	assert_false(handle());
	w = frame_begin(&req, KEYD_MSG_TOTP_CONFIRM);
	wire_put_bytes(w, local.bytes, local.len);
	wire_put_bytes(w,
		       "12\0"
		       "456",
		       6);
	assert_true(frame_end(&req));
	assert_false(handle());
	w = frame_begin(&req, KEYD_MSG_TOTP_CONFIRM);
	wire_put_bytes(w, local.bytes, local.len);
	wire_put_str(w, "");
	assert_true(frame_end(&req));
	assert_false(handle());
	put_accept("", &m, "", 1);
	assert_false(handle());
	put_accept(m.token, &m, "0123456789-0123456789-0123456789-0123", 1);
	assert_false(handle());
	w = frame_begin(&req, KEYD_MSG_INVITE_SEAL);
	wire_put_str(w, x.token);
	wire_put_bytes(w, x.sealed, x.len);
	wire_put_bytes(w, m.inv.token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(w, m.inv.email);
	wire_put_u8(w, m.inv.role);
	wire_put_str(w, "0123456789-0123456789-0123456789-0123");
	wire_put_u8(w, m.inv.clearance);
	wire_put_u64(w, (uint64_t)m.inv.expires_at);
	assert_true(frame_end(&req));
	assert_false(handle());
}

/* Over a real channel, a LOGIN keyd cannot parse (a code longer than it reads, which the
 * client would never send) ends keyd with status 1. */
static void test_malformed_login_ends_keyd(void **state)
{
	(void)state;
	/* socketpair takes the lowest free descriptors: channel 0's web end is the lowest one
	 * free before keyd_spawn. */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	const struct keyd_start start = {
	    .data_dir = dir, .passphrase_file = NULL, .run_as = test_keyd_run_as()};
	assert_int_equal(keyd_spawn(&start, &pid, &client), COFFER_OK);
	static uint8_t body[FRAME_MAX];
	size_t len = 0;
	uint8_t type = 0;
	struct wire_reader r;
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(frame_recv(fd, body, &len), COFFER_OK);
	assert_true(frame_open(body, len, &type, &r));
	assert_int_equal(type, KEYD_MSG_READY);
	put_login(&req, NULL, 0, "pw", "1234567");
	assert_int_equal(frame_send(fd, &req), COFFER_OK);
	assert_int_equal(frame_recv(fd, body, &len), COFFER_ERR_UNAVAILABLE);
	int status = wait_exit(5000);
	assert_true(status >= 0 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
	if (sodium_init() < 0 || oath_init() != OATH_OK)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_user_with_totp, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_user_without_totp_and_sysadmin_rules, start_keyd,
					    reap_keyd),
	    cmocka_unit_test_setup_teardown(test_sysadmin_seals_invites, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_accept_refusals, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_join_second_org, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_password_set, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_login_seals_an_old_account_again, start_keyd,
					    reap_keyd),
	    cmocka_unit_test_setup_teardown(test_unknown_account_costs_a_hash, start_keyd,
					    reap_keyd),
	    cmocka_unit_test_setup_teardown(test_concurrent_logins, start_keyd, reap_keyd),
	    cmocka_unit_test(test_hashing_bounded),
	    cmocka_unit_test(test_identity_frames_direct),
	    cmocka_unit_test_teardown(test_malformed_login_ends_keyd, reap_keyd),
	};
	int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
	oath_done();
	return failed;
}
