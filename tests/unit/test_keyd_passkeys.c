/* test_keyd_passkeys.c — keyd's passkey requests (keyd/passkey_requests.c) driven through
 * keyd_handle with a software authenticator (test_webauthn_authenticator.h): a registration,
 * then LOGIN with a passkey and each way it is refused (a wrong signature, another origin or RP
 * ID, a registration's challenge, an expired or forged one, a counter that does not go up, a
 * credential the account does not hold, no second factor at all), an administrator whose only
 * second factor is a passkey, removal and listing, and an account of format 3 still opening.
 * Accounts are sealed here with hashes at libsodium's minimum cost. */
#include "test_util.h"

#define KEYD_FIXTURE_DIR "/tmp/coffer-test-keyd-passkeys-XXXXXX"
#include "test_keyd_fixture.h"

#include <sodium.h>
#include <time.h>

#include "common/uuid.h"
#include "keyd/account.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "signin/totp.h"
#include "test_webauthn_authenticator.h"

#define RP     "localhost"
#define ORIGIN "https://localhost:8443"
#define PW     "correct horse battery"

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* A person: a sealed account, a session of theirs, and an authenticator. */
struct person {
	struct account a;
	uint8_t account[ACCOUNT_SEALED_MAX];
	size_t account_len;
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
	struct test_authenticator auth;
};

static void reseal(struct person *p)
{
	assert_int_equal(account_seal(keys.seals, &p->a, p->account, &p->account_len), COFFER_OK);
}

static void make_person(struct person *p, bool admin, int alg)
{
	struct ticket t;
	memset(p, 0, sizeof *p);
	uuid_generate(p->a.user_id);
	snprintf(p->a.email, sizeof p->a.email, "pk@example.org");
	p->a.role = TICKET_ROLE_USER;
	p->a.n_orgs = 1;
	uuid_generate(p->a.orgs[0].org_id);
	p->a.orgs[0].org_role = admin ? TICKET_ORG_ADMIN : TICKET_ORG_MEMBER;
	p->a.orgs[0].clearance = LEVEL_INTERNAL;
	assert_int_equal(crypto_pwhash_str_alg(p->a.password_hash, PW, strlen(PW),
					       crypto_pwhash_argon2id_OPSLIMIT_MIN,
					       crypto_pwhash_argon2id_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	reseal(p);
	memset(&t, 0, sizeof t);
	token_generate(p->token, &t.token);
	memcpy(t.user_id, p->a.user_id, sizeof t.user_id);
	t.role = p->a.role;
	t.issued_at = t.authenticated_at = now_s();
	t.expires_at = now_s() + 3600;
	t.n_orgs = 1;
	t.orgs[0] = p->a.orgs[0];
	assert_int_equal(ticket_seal(keys.ticket_key, &t, p->ticket, &p->ticket_len), COFFER_OK);
	ta_make(&p->auth, alg);
}

/* Runs REQ; the reply's type, with R over its payload. */
static uint8_t run(struct wire_reader *r)
{
	uint8_t type = 0;
	assert_true(handle());
	assert_true(frame_open(reply.buf + 4, reply.w.len - 4, &type, r));
	return type;
}

static uint32_t denied(void)
{
	struct wire_reader r;
	assert_int_equal(run(&r), KEYD_MSG_DENIED);
	return wire_get_u32(&r);
}

static void set_rp(void)
{
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_WEBAUTHN_SET);
	wire_put_str(w, RP);
	wire_put_str(w, ORIGIN);
	assert_true(frame_end(&req));
	struct wire_reader r;
	assert_int_equal(run(&r), KEYD_MSG_WEBAUTHN_OK);
}

/* A challenge: a sign-in's (P NULL) or P's registration's, into OUT. */
static size_t challenge(const struct person *p, uint8_t out[CHALLENGE_BYTES_MAX])
{
	struct wire_reader r;
	struct wire_writer *w = frame_begin(&req, p != NULL ? KEYD_MSG_PASSKEY_REGISTER_BEGIN
							    : KEYD_MSG_PASSKEY_LOGIN_BEGIN);
	if (p != NULL) {
		wire_put_str(w, p->token);
		wire_put_bytes(w, p->ticket, p->ticket_len);
	}
	assert_true(frame_end(&req));
	assert_int_equal(run(&r), KEYD_MSG_PASSKEY_CHALLENGE);
	size_t n = wire_get_bytes(&r, out, CHALLENGE_BYTES_MAX);
	int64_t expires = (int64_t)wire_get_u64(&r);
	assert_true(wire_reader_end(&r));
	assert_true(expires > now_s() && expires <= now_s() + KEYD_CHALLENGE_TTL);
	return n;
}

/* PASSKEY_REGISTER of P's authenticator with client data CD and authenticator data AD: the
 * reply's type (P's account replaced on success). */
static uint8_t send_register(struct person *p, const uint8_t *cd, size_t cdl, const uint8_t *ad,
			     size_t adl)
{
	uint8_t att[1024];
	struct wire_reader r;
	size_t al = ta_attestation_none(ad, adl, att);
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_PASSKEY_REGISTER);
	wire_put_str(w, p->token);
	wire_put_bytes(w, p->ticket, p->ticket_len);
	wire_put_bytes(w, p->account, p->account_len);
	wire_put_str(w, "laptop");
	wire_put_bytes(w, cd, cdl);
	wire_put_bytes(w, att, al);
	assert_true(frame_end(&req));
	uint8_t type = run(&r);
	if (type == KEYD_MSG_PASSKEY_ADDED) {
		uint8_t id[WEBAUTHN_CRED_ID_MAX];
		p->account_len = wire_get_bytes(&r, p->account, sizeof p->account);
		assert_int_equal(wire_get_bytes(&r, id, sizeof id), sizeof p->auth.cred_id);
		assert_memory_equal(id, p->auth.cred_id, sizeof p->auth.cred_id);
		assert_int_equal((int32_t)wire_get_u32(&r), p->auth.alg);
		assert_int_equal(wire_get_u32(&r), 0);
		assert_true(wire_reader_end(&r));
		assert_int_equal(account_open(keys.seals, p->account, p->account_len, &p->a),
				 COFFER_OK);
	}
	return type;
}

static void register_ok(struct person *p)
{
	uint8_t ch[CHALLENGE_BYTES_MAX], cd[600], ad[512];
	size_t chl = challenge(p, ch);
	size_t cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	size_t adl = ta_auth_data(&p->auth, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	assert_int_equal(send_register(p, cd, cdl, ad, adl), KEYD_MSG_PASSKEY_ADDED);
}

/* How an assertion is made. */
struct assertion_case {
	const char *type, *origin, *rp;
	uint8_t flags;
	uint32_t counter;
	bool register_challenge, flip_signature, other_key, expired;
	const char *user_handle;
};

/* LOGIN of P with its password and an assertion made as C: the reply's type; *FAILURE the
 * reason of a LOGIN_FAILED, *FACTOR the factor of a SESSION_NEW (P's account replaced when it
 * comes back sealed again). */
static uint8_t login_with(struct person *p, const struct assertion_case *c, uint8_t *failure,
			  uint8_t *factor)
{
	uint8_t ch[CHALLENGE_BYTES_MAX], cd[600], ad[64], sig[WEBAUTHN_SIGNATURE_MAX];
	struct wire_reader r;
	size_t chl;
	if (c->expired) {
		struct passkey_challenge old = {.kind = CHALLENGE_LOGIN, .expires_at = now_s() - 1};
		assert_int_equal(challenge_seal(keys.seals, &old, ch, &chl), COFFER_OK);
	} else {
		chl = challenge(c->register_challenge ? p : NULL, ch);
	}
	size_t cdl = ta_client_data(c->type ? c->type : "webauthn.get", ch, chl,
				    c->origin ? c->origin : ORIGIN, cd, sizeof cd);
	size_t adl =
	    ta_auth_data(&p->auth, c->rp ? c->rp : RP, c->flags ? c->flags : 1, c->counter, ad);
	struct test_authenticator other;
	if (c->other_key)
		ta_make(&other, WEBAUTHN_ES256);
	size_t sl = ta_sign(c->other_key ? &other : &p->auth, ad, adl, cd, cdl, sig);
	if (c->other_key)
		ta_free(&other);
	if (c->flip_signature)
		sig[sl - 1] ^= 1;
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_LOGIN);
	wire_put_bytes(w, p->account, p->account_len);
	wire_put_bytes(w, PW, strlen(PW));
	wire_put_str(w, "");
	wire_put_u64(w, (uint64_t)TOTP_STEP_NONE);
	wire_put_u32(w, 3600);
	wire_put_bytes(w, p->auth.cred_id, sizeof p->auth.cred_id);
	wire_put_bytes(w, ad, adl);
	wire_put_bytes(w, cd, cdl);
	wire_put_bytes(w, sig, sl);
	wire_put_bytes(w, c->user_handle, c->user_handle ? strlen(c->user_handle) : 0);
	assert_true(frame_end(&req));
	uint8_t type = run(&r);
	if (type == KEYD_MSG_LOGIN_FAILED) {
		*failure = wire_get_u8(&r);
	} else if (type == KEYD_MSG_SESSION_NEW) {
		char token[TOKEN_TEXT_LEN + 1];
		uint8_t again[ACCOUNT_SEALED_MAX];
		wire_get_str(&r, token, TOKEN_TEXT_LEN);
		(void)wire_get_bytes(&r, again, sizeof again); /* the ticket */
		(void)wire_get_u64(&r);
		assert_int_equal((int64_t)wire_get_u64(&r), TOTP_STEP_NONE);
		size_t al = wire_get_bytes(&r, again, sizeof again);
		*factor = wire_get_u8(&r);
		assert_true(wire_reader_end(&r));
		if (al > 0) {
			memcpy(p->account, again, al);
			p->account_len = al;
			assert_int_equal(account_open(keys.seals, p->account, al, &p->a),
					 COFFER_OK);
		}
	}
	return type;
}

static void login_fails(struct person *p, const struct assertion_case *c, uint8_t want)
{
	uint8_t failure = 0, factor = 0;
	assert_int_equal(login_with(p, c, &failure, &factor), KEYD_MSG_LOGIN_FAILED);
	assert_int_equal(failure, want);
}

static void test_register_and_sign_in(void **state)
{
	(void)state;
	struct person p;
	uint8_t failure = 0, factor = 0;
	make_person(&p, false, WEBAUTHN_ES256);
	register_ok(&p);
	assert_int_equal(p.a.n_passkeys, 1);
	assert_string_equal(p.a.passkeys[0].name, "laptop");
	/* Good: the counter goes to 5 and comes back sealed. */
	struct assertion_case good = {.counter = 5, .user_handle = p.a.user_id};
	assert_int_equal(login_with(&p, &good, &failure, &factor), KEYD_MSG_SESSION_NEW);
	assert_int_equal(factor, KEYD_FACTOR_PASSKEY);
	assert_int_equal(p.a.passkeys[0].sign_count, 5);
	/* The same counter again, or a lower one: a clone. */
	login_fails(&p, &good, KEYD_LOGIN_PASSKEY_COUNTER);
	login_fails(&p, &(struct assertion_case){.counter = 4}, KEYD_LOGIN_PASSKEY_COUNTER);
	login_fails(&p, &(struct assertion_case){.counter = 0}, KEYD_LOGIN_PASSKEY_COUNTER);
	/* Each thing wrong on its own. */
	const struct assertion_case wrong[] = {
	    {.counter = 9, .flip_signature = true},
	    {.counter = 9, .other_key = true},
	    {.counter = 9, .origin = "https://evil.example"},
	    {.counter = 9, .origin = "https://localhost:8444"},
	    {.counter = 9, .rp = "evil.example"},
	    {.counter = 9, .type = "webauthn.create"},
	    {.counter = 9, .flags = WEBAUTHN_FLAG_UV}, /* verified, yet not present */
	    {.counter = 9, .register_challenge = true},
	    {.counter = 9, .expired = true},
	    {.counter = 9, .user_handle = "someone else"},
	};
	for (size_t i = 0; i < ARRAY_LEN(wrong); i++)
		login_fails(&p, &wrong[i], KEYD_LOGIN_PASSKEY_WRONG);
	/* Still at 5: refusals change nothing. */
	assert_int_equal(login_with(&p, &(struct assertion_case){.counter = 6}, &failure, &factor),
			 KEYD_MSG_SESSION_NEW);
	/* A credential the account does not hold. */
	struct person stranger;
	make_person(&stranger, false, WEBAUTHN_ES256);
	memcpy(stranger.account, p.account, p.account_len);
	stranger.account_len = p.account_len;
	login_fails(&stranger, &(struct assertion_case){.counter = 7}, KEYD_LOGIN_PASSKEY_UNKNOWN);
	ta_free(&stranger.auth);
	ta_free(&p.auth);
}

static void test_counterless_and_eddsa(void **state)
{
	(void)state;
	struct person p;
	uint8_t failure = 0, factor = 0;
	make_person(&p, false, WEBAUTHN_EDDSA);
	register_ok(&p);
	/* An authenticator that keeps no counter (always 0) signs in, and nothing is resealed. */
	size_t before = p.account_len;
	assert_int_equal(login_with(&p, &(struct assertion_case){0}, &failure, &factor),
			 KEYD_MSG_SESSION_NEW);
	assert_int_equal(factor, KEYD_FACTOR_PASSKEY);
	assert_int_equal(p.account_len, before);
	assert_int_equal(login_with(&p, &(struct assertion_case){0}, &failure, &factor),
			 KEYD_MSG_SESSION_NEW);
	ta_free(&p.auth);
}

static void test_second_factor_rules(void **state)
{
	(void)state;
	struct person p;
	uint8_t failure = 0, factor = 0;
	struct wire_reader r;
	/* An org_admin without TOTP or passkey never signs in; with a passkey alone, does. */
	make_person(&p, true, WEBAUTHN_ES256);
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_LOGIN);
	wire_put_bytes(w, p.account, p.account_len);
	wire_put_bytes(w, PW, strlen(PW));
	wire_put_str(w, "");
	wire_put_u64(w, (uint64_t)TOTP_STEP_NONE);
	wire_put_u32(w, 3600);
	for (int i = 0; i < 5; i++)
		wire_put_bytes(w, NULL, 0);
	assert_true(frame_end(&req));
	assert_int_equal(run(&r), KEYD_MSG_LOGIN_FAILED);
	assert_int_equal(wire_get_u8(&r), KEYD_LOGIN_TOTP_NOT_ENROLLED);
	register_ok(&p);
	assert_int_equal(login_with(&p, &(struct assertion_case){.counter = 1}, &failure, &factor),
			 KEYD_MSG_SESSION_NEW);
	/* Passkeys and no TOTP: a sign-in without the passkey is refused. */
	w = frame_begin(&req, KEYD_MSG_LOGIN);
	wire_put_bytes(w, p.account, p.account_len);
	wire_put_bytes(w, PW, strlen(PW));
	wire_put_str(w, "");
	wire_put_u64(w, (uint64_t)TOTP_STEP_NONE);
	wire_put_u32(w, 3600);
	for (int i = 0; i < 5; i++)
		wire_put_bytes(w, NULL, 0);
	assert_true(frame_end(&req));
	assert_int_equal(run(&r), KEYD_MSG_LOGIN_FAILED);
	assert_int_equal(wire_get_u8(&r), KEYD_LOGIN_SECOND_FACTOR_MISSING);
	/* The admin's last passkey is not removed; an unknown id is NOT_FOUND. */
	w = frame_begin(&req, KEYD_MSG_PASSKEY_REMOVE);
	wire_put_str(w, p.token);
	wire_put_bytes(w, p.ticket, p.ticket_len);
	wire_put_bytes(w, p.account, p.account_len);
	wire_put_bytes(w, p.auth.cred_id, sizeof p.auth.cred_id);
	assert_true(frame_end(&req));
	assert_int_equal(denied(), COFFER_ERR_ADMIN_NEEDS_TOTP);
	w = frame_begin(&req, KEYD_MSG_PASSKEY_REMOVE);
	wire_put_str(w, p.token);
	wire_put_bytes(w, p.ticket, p.ticket_len);
	wire_put_bytes(w, p.account, p.account_len);
	wire_put_bytes(w, "nope", 4);
	assert_true(frame_end(&req));
	assert_int_equal(denied(), COFFER_ERR_NOT_FOUND);
	ta_free(&p.auth);
}

static void test_register_refusals_list_and_remove(void **state)
{
	(void)state;
	struct person p, other;
	uint8_t ch[CHALLENGE_BYTES_MAX], cd[600], ad[512];
	struct wire_reader r;
	make_person(&p, false, WEBAUTHN_ES256);
	make_person(&other, false, WEBAUTHN_ES256);
	size_t adl = ta_auth_data(&p.auth, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	/* Another user's registration challenge; a sign-in's; another origin; get's type. */
	size_t chl = challenge(&other, ch);
	size_t cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	chl = challenge(NULL, ch);
	cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	chl = challenge(&p, ch);
	cdl = ta_client_data("webauthn.create", ch, chl, "https://evil.example", cd, sizeof cd);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	cdl = ta_client_data("webauthn.get", ch, chl, ORIGIN, cd, sizeof cd);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	/* Another RP ID; no user presence. */
	cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	size_t bad =
	    ta_auth_data(&p.auth, "evil.example", WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	assert_int_equal(send_register(&p, cd, cdl, ad, bad), KEYD_MSG_DENIED);
	bad = ta_auth_data(&p.auth, RP, WEBAUTHN_FLAG_AT, 0, ad);
	assert_int_equal(send_register(&p, cd, cdl, ad, bad), KEYD_MSG_DENIED);
	/* Another user's account in this session. */
	memcpy(other.account, p.account, p.account_len);
	other.account_len = p.account_len;
	adl = ta_auth_data(&p.auth, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	chl = challenge(&other, ch);
	cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	assert_int_equal(send_register(&other, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	/* Then right; then the same credential again is EXISTS. */
	register_ok(&p);
	chl = challenge(&p, ch);
	cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	/* Up to eight, then TOO_LARGE. */
	for (int i = 1; i < ACCOUNT_PASSKEYS_MAX; i++) {
		randombytes_buf(p.auth.cred_id, sizeof p.auth.cred_id);
		register_ok(&p);
	}
	assert_int_equal(p.a.n_passkeys, ACCOUNT_PASSKEYS_MAX);
	randombytes_buf(p.auth.cred_id, sizeof p.auth.cred_id);
	chl = challenge(&p, ch);
	cdl = ta_client_data("webauthn.create", ch, chl, ORIGIN, cd, sizeof cd);
	adl = ta_auth_data(&p.auth, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	assert_int_equal(send_register(&p, cd, cdl, ad, adl), KEYD_MSG_DENIED);
	/* Listed, then one removed. */
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_PASSKEY_LIST);
	wire_put_str(w, p.token);
	wire_put_bytes(w, p.ticket, p.ticket_len);
	wire_put_bytes(w, p.account, p.account_len);
	assert_true(frame_end(&req));
	assert_int_equal(run(&r), KEYD_MSG_PASSKEYS);
	assert_int_equal(wire_get_u8(&r), ACCOUNT_PASSKEYS_MAX);
	w = frame_begin(&req, KEYD_MSG_PASSKEY_REMOVE);
	wire_put_str(w, p.token);
	wire_put_bytes(w, p.ticket, p.ticket_len);
	wire_put_bytes(w, p.account, p.account_len);
	wire_put_bytes(w, p.a.passkeys[3].id, p.a.passkeys[3].id_len);
	assert_true(frame_end(&req));
	assert_int_equal(run(&r), KEYD_MSG_ACCOUNT);
	p.account_len = wire_get_bytes(&r, p.account, sizeof p.account);
	struct account after;
	assert_int_equal(account_open(keys.seals, p.account, p.account_len, &after), COFFER_OK);
	assert_int_equal(after.n_passkeys, ACCOUNT_PASSKEYS_MAX - 1);
	assert_int_equal(account_passkey_find(&after, p.a.passkeys[3].id, p.a.passkeys[3].id_len),
			 -1);
	ta_free(&p.auth);
	ta_free(&other.auth);
}

/* An account sealed in format 3 (before passkeys) opens, with none. */
static void test_format_3_opens(void **state)
{
	(void)state;
	struct person p;
	struct account a;
	make_person(&p, false, WEBAUTHN_ES256);
	size_t body = p.account_len - SEAL_OVERHEAD;
	assert_int_equal(p.account[0], 4);
	assert_int_equal(p.account[body - 1], 0); /* no passkeys */
	p.account[0] = 3;
	size_t len = 0;
	assert_int_equal(
	    seal_close(keys.seals, SEAL_ACCOUNT, p.account, body - 1, sizeof p.account, &len),
	    COFFER_OK);
	assert_int_equal(account_open(keys.seals, p.account, len, &a), COFFER_OK);
	assert_int_equal(a.n_passkeys, 0);
	assert_string_equal(a.user_id, p.a.user_id);
	/* Format 4's count with nothing after it, in format 3: refused. */
	p.account[0] = 3;
	assert_int_equal(
	    seal_close(keys.seals, SEAL_ACCOUNT, p.account, body, sizeof p.account, &len),
	    COFFER_OK);
	assert_int_equal(account_open(keys.seals, p.account, len, &a), COFFER_ERR_UNAUTHENTICATED);
	ta_free(&p.auth);
}

static int setup(void **state)
{
	if (group_setup(state) != 0)
		return -1;
	set_rp();
	return 0;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* keyd_handle is driven directly here: the fixture's spawned keyd is not used. */
	(void)start_keyd;
	(void)stop_expect;
	(void)keyd_reap;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_and_sign_in),
	    cmocka_unit_test(test_counterless_and_eddsa),
	    cmocka_unit_test(test_second_factor_rules),
	    cmocka_unit_test(test_register_refusals_list_and_remove),
	    cmocka_unit_test(test_format_3_opens),
	};
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
