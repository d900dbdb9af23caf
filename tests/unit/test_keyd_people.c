/* test_keyd_people.c — who keyd lets change an organisation's people, through a real keyd forked
 * by keyd_spawn and the client calls (keyclient/keyclient.h): ORG_CREATE, INVITE_SEAL with and
 * without a founding charter, MEMBER_SET, RESET_SEAL, RESET_ACCEPT and TICKET_RENEW.
 *
 * The forged requests here are what a hostile operator holding a sysadmin's session, or a
 * compromised web process, could send over keyd's socket: a sysadmin's invitation into an
 * organisation with no charter, another organisation's charter or a lapsed one; an org_admin
 * granting more than their own clearance, or acting in another organisation; a reset of a member
 * who belongs elsewhere too. Each must be refused with its reason. Sessions and accounts are
 * sealed here with keys derived from the same keyring (accounts' password hashes at libsodium's
 * minimum cost, so they verify fast). */
#include "test_util.h"

#define KEYD_FIXTURE_DIR "/tmp/coffer-test-keyd-people-XXXXXX"
#include "test_keyd_fixture.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <liboath/oath.h>
#include <time.h>

#include "common/level.h"
#include "common/uuid.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"
#include "keyd/account.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "keyclient/keyclient.h"
#include "signin/totp.h"

_Static_assert((int)KEYD_ORG_MEMBER == (int)TICKET_ORG_MEMBER &&
		   (int)KEYD_ORG_ADMIN == (int)TICKET_ORG_ADMIN,
	       "the web process names org roles as keyd does");

#define PASSWORD "an old password, long enough"
#define NEW_PW	 "a new password after the reset"
#define DAY	 (24 * 3600)

static int reap_keyd(void **state)
{
	(void)state;
	keyd_reap();
	return 0;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* A session sealed here: a sysadmin's, or a user's with the memberships given. */
struct sess {
	char token[TOKEN_TEXT_LEN + 1];
	struct ticket t;
	uint8_t sealed[TICKET_SEALED_MAX];
	size_t len;
	struct keyd_session s;
};

static void seal_session(struct sess *x)
{
	assert_int_equal(ticket_seal(keys.ticket_key, &x->t, x->sealed, &x->len), COFFER_OK);
	x->s = (struct keyd_session){.token = x->token, .ticket = x->sealed, .ticket_len = x->len};
}

static void sysadmin_session(struct sess *x, int64_t expires)
{
	memset(x, 0, sizeof *x);
	token_generate(x->token, &x->t.token);
	uuid_generate(x->t.user_id);
	x->t.role = TICKET_ROLE_SYSADMIN;
	x->t.issued_at = x->t.authenticated_at = now_s() - 60;
	x->t.expires_at = expires;
	seal_session(x);
}

/* A user's session, one membership: ORG, as ORG_ROLE, at CLEARANCE. */
static void user_session(struct sess *x, const char *org, uint8_t org_role, uint8_t clearance)
{
	memset(x, 0, sizeof *x);
	token_generate(x->token, &x->t.token);
	uuid_generate(x->t.user_id);
	x->t.role = TICKET_ROLE_USER;
	x->t.issued_at = x->t.authenticated_at = now_s() - 60;
	x->t.expires_at = now_s() + 3600;
	x->t.n_orgs = 1;
	snprintf(x->t.orgs[0].org_id, sizeof x->t.orgs[0].org_id, "%s", org);
	x->t.orgs[0].org_role = org_role;
	x->t.orgs[0].clearance = clearance;
	seal_session(x);
}

/* An account sealed here: a user of the N organisations ORGS, as a member at CLEARANCES. */
static void user_account(struct account *a, struct keyd_sealed *out, const char *user_id,
			 const char *const *orgs, const uint8_t *clearances, uint32_t n)
{
	memset(a, 0, sizeof *a);
	snprintf(a->user_id, sizeof a->user_id, "%s", user_id);
	snprintf(a->email, sizeof a->email, "member@example.org");
	a->role = TICKET_ROLE_USER;
	a->n_orgs = n;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(a->orgs[i].org_id, sizeof a->orgs[i].org_id, "%s", orgs[i]);
		a->orgs[i].org_role = TICKET_ORG_MEMBER;
		a->orgs[i].clearance = clearances[i];
	}
	assert_int_equal(crypto_pwhash_str_alg(a->password_hash, PASSWORD, strlen(PASSWORD),
					       crypto_pwhash_argon2id_OPSLIMIT_MIN,
					       crypto_pwhash_argon2id_MEMLIMIT_MIN,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_int_equal(account_seal(keys.seals, a, out->bytes, &out->len), COFFER_OK);
}

/* A, given an active authenticator, sealed again into OUT. */
static void with_active_totp(struct account *a, struct keyd_sealed *out)
{
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	randombytes_buf(secret, sizeof secret);
	a->totp = ACCOUNT_TOTP_ACTIVE;
	assert_int_equal(account_totp_seal(keys.seals, a->user_id, secret, a->totp_sealed),
			 COFFER_OK);
	assert_int_equal(account_seal(keys.seals, a, out->bytes, &out->len), COFFER_OK);
}

static void invite_for(struct invite *inv, uint8_t role, const char *org, uint8_t clearance)
{
	char token[TOKEN_TEXT_LEN + 1];
	memset(inv, 0, sizeof *inv);
	token_generate(token, &inv->token);
	snprintf(inv->email, sizeof inv->email, "shadow@elsewhere.example");
	inv->role = role;
	snprintf(inv->org_id, sizeof inv->org_id, "%s", org ? org : "");
	inv->clearance = clearance;
	inv->expires_at = now_s() + 72 * 3600;
}

static enum coffer_err seal(const struct sess *x, const struct invite *inv,
			    const struct keyd_sealed *charter, struct keyd_sealed *renewed)
{
	struct keyd_sealed out;
	enum coffer_err err = keyd_invite_seal(client, &x->s, inv, charter ? charter->bytes : NULL,
					       charter ? charter->len : 0, &out, renewed);
	if (err == COFFER_OK) {
		struct invite opened;
		assert_int_equal(invite_open(keys.seals, out.bytes, out.len, &opened), COFFER_OK);
		assert_memory_equal(&opened, inv, sizeof opened);
	}
	return err;
}

/* ---- founding: keyd names the organisation, and a sysadmin invites its first admin -------- */

static void test_founding(void **state)
{
	(void)state;
	struct sess admin, user;
	struct keyd_org_created a, b;
	struct charter ch;
	struct invite inv;
	struct keyd_sealed renewed;
	uint8_t org_key[AEAD_KEY_BYTES];
	sysadmin_session(&admin, now_s() + 3600);

	int64_t before = now_s();
	assert_int_equal(keyd_org_create(client, &admin.s, &a), COFFER_OK);
	assert_int_equal(keyd_org_create(client, &admin.s, &b), COFFER_OK);
	assert_true(uuid_valid(a.org_id) && uuid_valid(b.org_id));
	assert_string_not_equal(a.org_id, b.org_id);
	/* The key is version 1 of that organisation's, under the master key. */
	const struct master_key *mk = master_keyring_find(keys.ring, a.master_version);
	assert_non_null(mk);
	assert_int_equal(keyunwrap_org_key(mk->key, a.org_id, 1, a.wrapped, org_key), COFFER_OK);
	assert_int_not_equal(keyunwrap_org_key(mk->key, b.org_id, 1, a.wrapped, org_key),
			     COFFER_OK);
	sodium_memzero(org_key, sizeof org_key);
	/* The charter is that organisation's, for 72 hours. */
	assert_int_equal(charter_open(keys.seals, a.charter.bytes, a.charter.len, &ch), COFFER_OK);
	assert_string_equal(ch.org_id, a.org_id);
	assert_true(ch.founding_until >= before + 72 * 3600 &&
		    ch.founding_until <= now_s() + 72 * 3600);

	/* With the charter, a sysadmin invites the first org_admin, and the charter is renewed
	 * until that invitation lapses. */
	invite_for(&inv, INVITE_ORG_ADMIN, a.org_id, LEVEL_RESTRICTED);
	inv.expires_at = now_s() + 3600;
	assert_int_equal(seal(&admin, &inv, &a.charter, &renewed), COFFER_OK);
	assert_int_equal(charter_open(keys.seals, renewed.bytes, renewed.len, &ch), COFFER_OK);
	assert_string_equal(ch.org_id, a.org_id);
	assert_int_equal(ch.founding_until, inv.expires_at);

	/* The attack: a sysadmin's invitation into an organisation, with no charter. */
	assert_int_equal(seal(&admin, &inv, NULL, NULL), COFFER_ERR_FORBIDDEN);
	/* A charter of another organisation, a forged one, a lapsed one. */
	assert_int_equal(seal(&admin, &inv, &b.charter, NULL), COFFER_ERR_FORBIDDEN);
	struct keyd_sealed forged = a.charter;
	forged.bytes[forged.len - 1] ^= 1;
	assert_int_equal(seal(&admin, &inv, &forged, NULL), COFFER_ERR_FORBIDDEN);
	struct keyd_sealed lapsed;
	ch = (struct charter){.founding_until = now_s() - 1};
	snprintf(ch.org_id, sizeof ch.org_id, "%s", a.org_id);
	assert_int_equal(charter_seal(keys.seals, &ch, lapsed.bytes, &lapsed.len), COFFER_OK);
	assert_int_equal(seal(&admin, &inv, &lapsed, NULL), COFFER_ERR_FORBIDDEN);
	/* A charter sealed for another purpose (an invite) is no charter. */
	struct keyd_sealed not_a_charter;
	assert_int_equal(invite_seal(keys.seals, &inv, not_a_charter.bytes, &not_a_charter.len),
			 COFFER_OK);
	assert_int_equal(seal(&admin, &inv, &not_a_charter, NULL), COFFER_ERR_FORBIDDEN);
	/* A charter founds admins only: no members, no second sysadmin through it. */
	invite_for(&inv, INVITE_MEMBER, a.org_id, LEVEL_PUBLIC);
	assert_int_equal(seal(&admin, &inv, &a.charter, NULL), COFFER_ERR_FORBIDDEN);
	/* Invitations live 72 hours at most. */
	invite_for(&inv, INVITE_ORG_ADMIN, a.org_id, LEVEL_RESTRICTED);
	inv.expires_at = now_s() + 4 * DAY;
	assert_int_equal(seal(&admin, &inv, &a.charter, NULL), COFFER_ERR_INVALID_INPUT);

	/* Only a sysadmin creates organisations, and only with a live session. */
	user_session(&user, a.org_id, TICKET_ORG_ADMIN, LEVEL_RESTRICTED);
	assert_int_equal(keyd_org_create(client, &user.s, &b), COFFER_ERR_FORBIDDEN);
	sysadmin_session(&admin, now_s() - 1);
	assert_int_equal(keyd_org_create(client, &admin.s, &b), COFFER_ERR_UNAUTHENTICATED);
	/* An org_admin of the organisation needs no charter, and ignores one. */
	invite_for(&inv, INVITE_MEMBER, a.org_id, LEVEL_RESTRICTED);
	renewed.len = 99;
	assert_int_equal(seal(&user, &inv, &a.charter, &renewed), COFFER_OK);
	assert_int_equal(renewed.len, 0);
	stop_expect(0);
}

/* ---- org_admins invite within their own clearance ----------------------------------------- */

static void test_org_admin_invites(void **state)
{
	(void)state;
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	struct sess admin, member, sys;
	struct invite inv;
	uuid_generate(org);
	uuid_generate(other);
	user_session(&admin, org, TICKET_ORG_ADMIN, LEVEL_CONFIDENTIAL);
	user_session(&member, org, TICKET_ORG_MEMBER, LEVEL_RESTRICTED);
	sysadmin_session(&sys, now_s() + 3600);

	static const struct {
		uint8_t role, clearance;
		bool other_org;
		enum coffer_err want;
	} cases[] = {
	    {INVITE_MEMBER, LEVEL_PUBLIC, false, COFFER_OK},
	    {INVITE_MEMBER, LEVEL_CONFIDENTIAL, false, COFFER_OK},
	    {INVITE_ORG_ADMIN, LEVEL_CONFIDENTIAL, false, COFFER_OK},
	    {INVITE_MEMBER, LEVEL_RESTRICTED, false, COFFER_ERR_FORBIDDEN}, /* above their own */
	    {INVITE_ORG_ADMIN, LEVEL_RESTRICTED, false, COFFER_ERR_FORBIDDEN},
	    {INVITE_MEMBER, LEVEL_PUBLIC, true, COFFER_ERR_FORBIDDEN}, /* not their organisation */
	    {INVITE_MEMBER, LEVEL_RESTRICTED + 1, false, COFFER_ERR_INVALID_INPUT},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		invite_for(&inv, cases[i].role, cases[i].other_org ? other : org,
			   cases[i].clearance);
		enum coffer_err got = seal(&admin, &inv, NULL, NULL);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
	}
	/* A member who is not an org_admin invites nobody, whatever their clearance. */
	invite_for(&inv, INVITE_MEMBER, org, LEVEL_PUBLIC);
	assert_int_equal(seal(&member, &inv, NULL, NULL), COFFER_ERR_FORBIDDEN);
	/* A sysadmin may not either, and an org_admin invites no sysadmin. */
	assert_int_equal(seal(&sys, &inv, NULL, NULL), COFFER_ERR_FORBIDDEN);
	invite_for(&inv, INVITE_SYSADMIN, NULL, 0);
	assert_int_equal(seal(&admin, &inv, NULL, NULL), COFFER_ERR_FORBIDDEN);
	assert_int_equal(seal(&sys, &inv, NULL, NULL), COFFER_OK);
	stop_expect(0);
}

/* ---- membership changes -------------------------------------------------------------------- */

static enum coffer_err member_set(const struct sess *x, const struct keyd_sealed *acct,
				  const char *org, uint8_t role, uint8_t clearance,
				  struct account *changed)
{
	struct keyd_sealed out;
	enum coffer_err err =
	    keyd_member_set(client, &x->s, acct->bytes, acct->len, org, role, clearance, &out);
	if (err == COFFER_OK)
		assert_int_equal(account_open(keys.seals, out.bytes, out.len, changed), COFFER_OK);
	return err;
}

static void test_member_set(void **state)
{
	(void)state;
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], uid[UUID_TEXT_LEN + 1];
	struct sess admin, member, sys;
	struct account a, changed;
	struct keyd_sealed acct, high, elsewhere;
	uuid_generate(org);
	uuid_generate(other);
	uuid_generate(uid);
	user_session(&admin, org, TICKET_ORG_ADMIN, LEVEL_CONFIDENTIAL);
	user_session(&member, org, TICKET_ORG_MEMBER, LEVEL_RESTRICTED);
	sysadmin_session(&sys, now_s() + 3600);
	const char *both[] = {other, org};
	const uint8_t levels[] = {LEVEL_RESTRICTED, LEVEL_INTERNAL};
	user_account(&a, &acct, uid, both, levels, 2);

	/* No org_admin without an authenticator (ASVS V4.3.1); a member's changes go on. */
	assert_int_equal(member_set(&admin, &acct, org, TICKET_ORG_ADMIN, LEVEL_PUBLIC, &changed),
			 COFFER_ERR_ADMIN_NEEDS_TOTP);
	assert_int_equal(member_set(&admin, &acct, org, TICKET_ORG_MEMBER, LEVEL_PUBLIC, &changed),
			 COFFER_OK);
	with_active_totp(&a, &acct);

	/* Re-cleared and promoted: the membership in ORG changes, the other does not. */
	assert_int_equal(member_set(&admin, &acct, org, TICKET_ORG_ADMIN, LEVEL_PUBLIC, &changed),
			 COFFER_OK);
	assert_int_equal(changed.n_orgs, 2);
	assert_string_equal(changed.orgs[1].org_id, org);
	assert_int_equal(changed.orgs[1].org_role, TICKET_ORG_ADMIN);
	assert_int_equal(changed.orgs[1].clearance, LEVEL_PUBLIC);
	assert_memory_equal(&changed.orgs[0], &a.orgs[0], sizeof a.orgs[0]);
	assert_string_equal(changed.password_hash, a.password_hash);
	/* Removed: only the other membership is left. */
	assert_int_equal(member_set(&admin, &acct, org, 0, 0, &changed), COFFER_OK);
	assert_int_equal(changed.n_orgs, 1);
	assert_string_equal(changed.orgs[0].org_id, other);
	assert_int_equal(changed.orgs[0].clearance, LEVEL_RESTRICTED);

	/* Refusals. Above the admin's clearance, as the new one or the member's present one: */
	assert_int_equal(
	    member_set(&admin, &acct, org, TICKET_ORG_MEMBER, LEVEL_RESTRICTED, &changed),
	    COFFER_ERR_FORBIDDEN);
	const char *one[] = {org};
	const uint8_t restricted[] = {LEVEL_RESTRICTED};
	user_account(&a, &high, uid, one, restricted, 1);
	assert_int_equal(member_set(&admin, &high, org, TICKET_ORG_MEMBER, LEVEL_PUBLIC, &changed),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(member_set(&admin, &high, org, 0, 0, &changed), COFFER_ERR_FORBIDDEN);
	/* Not a member there; not the admin's organisation; not an admin; a sysadmin. */
	const char *not_here[] = {other};
	user_account(&a, &elsewhere, uid, not_here, levels, 1);
	assert_int_equal(member_set(&admin, &elsewhere, org, 0, 0, &changed), COFFER_ERR_NOT_FOUND);
	assert_int_equal(member_set(&admin, &acct, other, 0, 0, &changed), COFFER_ERR_FORBIDDEN);
	assert_int_equal(member_set(&member, &acct, org, 0, 0, &changed), COFFER_ERR_FORBIDDEN);
	assert_int_equal(member_set(&sys, &acct, org, 0, 0, &changed), COFFER_ERR_FORBIDDEN);
	/* An account keyd did not seal. */
	struct keyd_sealed forged = acct;
	forged.bytes[3] ^= 1;
	assert_int_equal(member_set(&admin, &forged, org, 0, 0, &changed),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Out of range: refused by the client before keyd sees it. */
	assert_int_equal(member_set(&admin, &acct, org, 0, LEVEL_PUBLIC + 1, &changed),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(member_set(&admin, &acct, org, 3, LEVEL_PUBLIC, &changed),
			 COFFER_ERR_INVALID_INPUT);
	stop_expect(0);
}

/* ---- sign-in resets ------------------------------------------------------------------------ */

struct made_reset {
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct keyd_sealed sealed;
};

static enum coffer_err admin_reset(const struct sess *x, const struct keyd_sealed *acct,
				   const char *org, int64_t expires, struct made_reset *m)
{
	memset(m, 0, sizeof *m);
	token_generate(m->token, &m->hash);
	return keyd_reset_seal(client, &x->s, acct->bytes, acct->len, org, &m->hash, expires,
			       &m->sealed);
}

static enum coffer_err accept_reset(const struct made_reset *m, const char *token,
				    const struct keyd_sealed *acct, struct account *changed,
				    uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES])
{
	struct keyd_sealed out;
	enum coffer_err err =
	    keyd_reset_accept(client, token, m->sealed.bytes, m->sealed.len, acct->bytes, acct->len,
			      NEW_PW, strlen(NEW_PW), &out, secret);
	if (err == COFFER_OK)
		assert_int_equal(account_open(keys.seals, out.bytes, out.len, changed), COFFER_OK);
	return err;
}

static void test_reset(void **state)
{
	(void)state;
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], uid[UUID_TEXT_LEN + 1];
	struct sess admin, sys;
	struct account a, changed;
	struct keyd_sealed acct, shared, high;
	struct made_reset m, m2;
	struct reset opened;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], secret2[ACCOUNT_TOTP_SECRET_BYTES];
	uuid_generate(org);
	uuid_generate(other);
	uuid_generate(uid);
	user_session(&admin, org, TICKET_ORG_ADMIN, LEVEL_CONFIDENTIAL);
	sysadmin_session(&sys, now_s() + 3600);
	const char *one[] = {org};
	const char *both[] = {org, other};
	const uint8_t levels[] = {LEVEL_INTERNAL, LEVEL_INTERNAL};
	const uint8_t restricted[] = {LEVEL_RESTRICTED};

	user_account(&a, &acct, uid, one, levels, 1);
	const int64_t expires = now_s() + 72 * 3600;
	assert_int_equal(admin_reset(&admin, &acct, org, expires, &m), COFFER_OK);
	assert_int_equal(reset_open(keys.seals, m.sealed.bytes, m.sealed.len, &opened), COFFER_OK);
	assert_memory_equal(opened.token.bytes, m.hash.bytes, TOKEN_HASH_BYTES);
	assert_string_equal(opened.user_id, uid);
	assert_string_equal(opened.email, a.email);
	assert_string_equal(opened.org_id, org);
	assert_int_equal(opened.expires_at, expires);

	/* Accepted with its token: a new password, a new pending TOTP secret; the old password
	 * no longer verifies; the membership is untouched. */
	assert_int_equal(accept_reset(&m, m.token, &acct, &changed, secret), COFFER_OK);
	assert_int_equal(crypto_pwhash_str_verify(changed.password_hash, NEW_PW, strlen(NEW_PW)),
			 0);
	assert_int_not_equal(
	    crypto_pwhash_str_verify(changed.password_hash, PASSWORD, strlen(PASSWORD)), 0);
	assert_int_equal(changed.totp, ACCOUNT_TOTP_PENDING);
	uint8_t held[ACCOUNT_TOTP_SECRET_BYTES];
	assert_int_equal(account_totp_open(keys.seals, uid, changed.totp_sealed, held), COFFER_OK);
	assert_memory_equal(held, secret, sizeof held);
	assert_memory_equal(&changed.orgs[0], &a.orgs[0], sizeof a.orgs[0]);
	/* Twice: another secret (the web process keeps one reset single-use). */
	assert_int_equal(accept_reset(&m, m.token, &acct, &changed, secret2), COFFER_OK);
	assert_memory_not_equal(secret, secret2, sizeof secret);

	/* Accepting: another token, another user's account, a lapsed reset. */
	assert_int_equal(admin_reset(&admin, &acct, org, expires, &m2), COFFER_OK);
	assert_int_equal(accept_reset(&m, m2.token, &acct, &changed, secret),
			 COFFER_ERR_UNAUTHENTICATED);
	char uid2[UUID_TEXT_LEN + 1];
	struct keyd_sealed someone;
	uuid_generate(uid2);
	user_account(&a, &someone, uid2, one, levels, 1);
	assert_int_equal(accept_reset(&m, m.token, &someone, &changed, secret),
			 COFFER_ERR_UNAUTHENTICATED);
	struct reset lapsed = opened;
	lapsed.expires_at = now_s() - 1;
	struct made_reset old = m;
	assert_int_equal(reset_seal(keys.seals, &lapsed, old.sealed.bytes, &old.sealed.len),
			 COFFER_OK);
	assert_int_equal(accept_reset(&old, old.token, &acct, &changed, secret),
			 COFFER_ERR_NOT_FOUND);

	/* Sealing: a member who belongs to another organisation too, one above the admin's
	 * clearance, a request from a sysadmin, a reset meant to outlive 72 hours. */
	user_account(&a, &shared, uid, both, levels, 2);
	assert_int_equal(admin_reset(&admin, &shared, org, expires, &m2), COFFER_ERR_FORBIDDEN);
	user_account(&a, &high, uid, one, restricted, 1);
	assert_int_equal(admin_reset(&admin, &high, org, expires, &m2), COFFER_ERR_FORBIDDEN);
	assert_int_equal(admin_reset(&sys, &acct, org, expires, &m2), COFFER_ERR_FORBIDDEN);
	assert_int_equal(admin_reset(&admin, &acct, org, now_s() + 4 * DAY, &m2),
			 COFFER_ERR_INVALID_INPUT);
	/* A member who joined another organisation after the reset was made. */
	assert_int_equal(accept_reset(&m, m.token, &shared, &changed, secret),
			 COFFER_ERR_FORBIDDEN);
	stop_expect(0);
}

/* ---- tickets renewed from a changed account ------------------------------------------------ */

static void test_ticket_renew(void **state)
{
	(void)state;
	char org[UUID_TEXT_LEN + 1];
	struct sess member;
	struct account a;
	struct keyd_sealed acct, removed;
	struct keyd_org_key ok;
	uint8_t key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES], ticket[TICKET_SEALED_MAX];
	size_t ticket_len = 0;
	uuid_generate(org);
	user_session(&member, org, TICKET_ORG_MEMBER, LEVEL_RESTRICTED);
	const char *one[] = {org};
	const uint8_t levels[] = {LEVEL_RESTRICTED};
	user_account(&a, &acct, member.t.user_id, one, levels, 1);
	user_account(&a, &removed, member.t.user_id, NULL, NULL, 0);

	/* A data key, made and opened with the session as issued. */
	memset(&ok, 0, sizeof ok);
	assert_int_equal(keyd_org_key_new(client, org, 1, &ok), COFFER_OK);
	const struct object_ctx ctx = {org, "record", "rec-1", 1, LEVEL_INTERNAL};
	assert_int_equal(keyd_data_key_new(client, &member.s, &ok, &ctx, key, wrapped), COFFER_OK);
	assert_int_equal(keyd_data_key_open(client, &member.s, &ok, &ctx, wrapped, key), COFFER_OK);

	/* Renewed from the account with the membership removed: the same session, no longer a
	 * member, and keyd refuses it the key from then on. */
	assert_int_equal(
	    keyd_ticket_renew(client, &member.s, removed.bytes, removed.len, ticket, &ticket_len),
	    COFFER_OK);
	struct ticket t;
	assert_int_equal(ticket_open(keys.ticket_key, ticket, ticket_len, &t), COFFER_OK);
	assert_memory_equal(t.token.bytes, member.t.token.bytes, TOKEN_HASH_BYTES);
	assert_string_equal(t.user_id, member.t.user_id);
	assert_int_equal(t.issued_at, member.t.issued_at);
	assert_int_equal(t.expires_at, member.t.expires_at);
	assert_int_equal(t.n_orgs, 0);
	const struct keyd_session renewed = {
	    .token = member.token, .ticket = ticket, .ticket_len = ticket_len};
	assert_int_equal(keyd_data_key_open(client, &renewed, &ok, &ctx, wrapped, key),
			 COFFER_ERR_FORBIDDEN);
	sodium_memzero(key, sizeof key);

	/* Only the session's own user's account renews it, and only a live session. */
	char uid2[UUID_TEXT_LEN + 1];
	struct keyd_sealed someone;
	uuid_generate(uid2);
	user_account(&a, &someone, uid2, one, levels, 1);
	assert_int_equal(
	    keyd_ticket_renew(client, &member.s, someone.bytes, someone.len, ticket, &ticket_len),
	    COFFER_ERR_UNAUTHENTICATED);
	struct sess gone = member;
	gone.t.expires_at = now_s() - 1;
	seal_session(&gone);
	assert_int_equal(
	    keyd_ticket_renew(client, &gone.s, acct.bytes, acct.len, ticket, &ticket_len),
	    COFFER_ERR_UNAUTHENTICATED);
	stop_expect(0);
}

/* ---- re-authentication: the password (and code) again make a session recent ------------- */

static enum coffer_err reauth(const struct sess *x, const struct keyd_sealed *acct,
			      const char *password, const char *code, int64_t last_step,
			      struct keyd_reauth_result *res)
{
	const struct keyd_reauth in = {acct->bytes,	 acct->len, password,
				       strlen(password), code,	    last_step};
	memset(res, 0, sizeof *res);
	return keyd_reauthenticate(client, &x->s, &in, res);
}

static void test_reauthenticate(void **state)
{
	(void)state;
	char org[UUID_TEXT_LEN + 1], uid[UUID_TEXT_LEN + 1];
	struct sess admin;
	struct account a, changed;
	struct keyd_sealed own, member_acct, someone;
	struct keyd_reauth_result res;
	struct ticket t;
	uuid_generate(org);
	uuid_generate(uid);
	user_session(&admin, org, TICKET_ORG_ADMIN, LEVEL_RESTRICTED);
	const char *one[] = {org};
	const uint8_t levels[] = {LEVEL_INTERNAL};
	user_account(&a, &member_acct, uid, one, levels, 1);
	user_account(&a, &own, admin.t.user_id, one, levels, 1);
	a.orgs[0].org_role = TICKET_ORG_ADMIN;
	a.orgs[0].clearance = LEVEL_RESTRICTED;
	assert_int_equal(account_seal(keys.seals, &a, own.bytes, &own.len), COFFER_OK);

	/* Signed in (or last re-authenticated) over 15 minutes ago: keyd refuses the people's
	 * changes, whatever the web process says, and still answers everything else. */
	admin.t.issued_at = now_s() - 2 * KEYD_REAUTH_AFTER_S;
	admin.t.authenticated_at = now_s() - KEYD_REAUTH_AFTER_S - 2;
	seal_session(&admin);
	assert_int_equal(
	    member_set(&admin, &member_acct, org, TICKET_ORG_MEMBER, LEVEL_PUBLIC, &changed),
	    COFFER_ERR_REAUTHENTICATION_REQUIRED);
	struct made_reset m;
	assert_int_equal(admin_reset(&admin, &member_acct, org, now_s() + 3600, &m),
			 COFFER_ERR_REAUTHENTICATION_REQUIRED);
	struct invite inv;
	invite_for(&inv, INVITE_MEMBER, org, LEVEL_INTERNAL);
	assert_int_equal(seal(&admin, &inv, NULL, NULL), COFFER_ERR_REAUTHENTICATION_REQUIRED);
	/* A renewal (a membership changed) carries the time forward: still stale. */
	uint8_t renewed[TICKET_SEALED_MAX];
	size_t renewed_len = 0;
	assert_int_equal(
	    keyd_ticket_renew(client, &admin.s, own.bytes, own.len, renewed, &renewed_len),
	    COFFER_OK);
	assert_int_equal(ticket_open(keys.ticket_key, renewed, renewed_len, &t), COFFER_OK);
	assert_int_equal(t.authenticated_at, admin.t.authenticated_at);

	/* A wrong password, another user's account, or an account keyd did not seal: refused. */
	assert_int_equal(reauth(&admin, &own, "not the password", "", -1, &res),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(res.failure, KEYD_LOGIN_BAD_PASSWORD);
	assert_int_equal(reauth(&admin, &member_acct, PASSWORD, "", -1, &res),
			 COFFER_ERR_UNAUTHENTICATED);
	someone = own;
	someone.bytes[someone.len - 1] ^= 1;
	assert_int_equal(reauth(&admin, &someone, PASSWORD, "", -1, &res),
			 COFFER_ERR_UNAUTHENTICATED);
	/* Nor for a session that is not live. */
	struct sess gone = admin;
	gone.t.expires_at = now_s() - 1;
	gone.t.authenticated_at = gone.t.issued_at;
	seal_session(&gone);
	assert_int_equal(reauth(&gone, &own, PASSWORD, "", -1, &res), COFFER_ERR_UNAUTHENTICATED);

	/* An administrator always has an authenticator: without one, even the right password
	 * is refused (as at sign-in). */
	assert_int_equal(reauth(&admin, &own, PASSWORD, "", -1, &res),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(res.failure, KEYD_LOGIN_TOTP_NOT_ENROLLED);

	/* With one, its code is needed too: missing, wrong, or of a step already used, it is
	 * refused as at sign-in. */
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	char code[TOTP_DIGITS + 1];
	randombytes_buf(secret, sizeof secret);
	a.totp = ACCOUNT_TOTP_ACTIVE;
	assert_int_equal(account_totp_seal(keys.seals, a.user_id, secret, a.totp_sealed),
			 COFFER_OK);
	assert_int_equal(account_seal(keys.seals, &a, own.bytes, &own.len), COFFER_OK);
	assert_int_equal(oath_totp_generate((const char *)secret, sizeof secret, time(NULL),
					    TOTP_STEP_SECONDS, 0, TOTP_DIGITS, code),
			 OATH_OK);
	assert_int_equal(reauth(&admin, &own, PASSWORD, "", -1, &res),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(res.failure, KEYD_LOGIN_TOTP_MISSING);
	assert_int_equal(reauth(&admin, &own, "not the password", code, -1, &res),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(res.failure, KEYD_LOGIN_BAD_PASSWORD);
	const int64_t step = now_s() / TOTP_STEP_SECONDS;
	assert_int_equal(reauth(&admin, &own, PASSWORD, code, step + 1, &res),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(res.failure, KEYD_LOGIN_TOTP_REUSED);

	/* The right password and code: the same session, its memberships the account's,
	 * authenticated now, the code's step given back; and keyd makes the change. */
	int64_t before = now_s();
	assert_int_equal(reauth(&admin, &own, PASSWORD, code, -1, &res), COFFER_OK);
	assert_true(res.step >= step - 1 && res.step <= step + 1);
	assert_int_equal(ticket_open(keys.ticket_key, res.ticket, res.ticket_len, &t), COFFER_OK);
	assert_memory_equal(t.token.bytes, admin.t.token.bytes, TOKEN_HASH_BYTES);
	assert_string_equal(t.user_id, admin.t.user_id);
	assert_int_equal(t.issued_at, admin.t.issued_at);
	assert_int_equal(t.expires_at, admin.t.expires_at);
	assert_true(t.authenticated_at >= before && t.authenticated_at <= now_s());
	assert_int_equal(t.n_orgs, 1);
	assert_int_equal(t.orgs[0].clearance, LEVEL_RESTRICTED);
	const struct keyd_session fresh = {admin.token, res.ticket, res.ticket_len};
	struct keyd_sealed out;
	assert_int_equal(keyd_member_set(client, &fresh, member_acct.bytes, member_acct.len, org,
					 TICKET_ORG_MEMBER, LEVEL_PUBLIC, &out),
			 COFFER_OK);

	/* A member without an authenticator: the password alone (no step). */
	struct sess plain;
	user_session(&plain, org, TICKET_ORG_MEMBER, LEVEL_INTERNAL);
	memcpy(plain.t.user_id, uid, sizeof uid);
	seal_session(&plain);
	assert_int_equal(reauth(&plain, &member_acct, PASSWORD, "", -1, &res), COFFER_OK);
	assert_int_equal(res.step, -1);
	sodium_memzero(secret, sizeof secret);
	stop_expect(0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_founding, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_org_admin_invites, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_member_set, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_reset, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_ticket_renew, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_reauthenticate, start_keyd, reap_keyd),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
