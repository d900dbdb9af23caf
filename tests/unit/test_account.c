/* test_account.c — keyd's seals and the records it seals: account records and invitations
 * round-trip; any changed byte, a record sealed for another purpose, or one from another
 * deployment is refused; records sealed under an older master key version still open after a
 * rotation; TOTP secrets are bound to their account; an account's breach digest is its
 * password's SHA-1, bound to that account, and accounts of the format before digests still
 * open, without one; the password hash is encrypted in the sealed record, and accounts of the
 * formats that held it in clear still open, marked to be sealed again. */
#include "test_util.h"

#include <limits.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

#include "common/wire.h"
#include "crypto/master_key.h"
#include "keyd/account.h"
#include "keyd/seal.h"

static char dir[] = "/tmp/coffer-test-account-XXXXXX";
static char key_path[PATH_MAX];

static struct seal_keys *load_seals(void)
{
	struct master_keyring *ring = NULL;
	struct seal_keys *k = NULL;
	assert_int_equal(master_key_load(key_path, NULL, 0, &ring), COFFER_OK);
	assert_int_equal(seal_keys_derive(ring, &k), COFFER_OK);
	master_keyring_free(ring);
	return k;
}

static void sample_account(struct account *a)
{
	memset(a, 0, sizeof *a);
	strcpy(a->user_id, "5b0b6a8e-3f0e-4c4e-9a53-0c6f2f2e9a11");
	strcpy(a->email, "ann@example.org");
	a->role = TICKET_ROLE_USER;
	a->n_orgs = 2;
	strcpy(a->orgs[0].org_id, "0f1c2d3e-4b5a-4c6d-8e7f-0123456789ab");
	a->orgs[0].org_role = TICKET_ORG_ADMIN;
	a->orgs[0].clearance = 3;
	strcpy(a->orgs[1].org_id, "1f1c2d3e-4b5a-4c6d-8e7f-0123456789ab");
	a->orgs[1].org_role = TICKET_ORG_MEMBER;
	a->orgs[1].clearance = 1;
	strcpy(a->password_hash, "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA");
	a->totp = ACCOUNT_TOTP_NONE;
}

static void test_account_round_trip_and_tamper(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct account a, b;
	uint8_t sealed[ACCOUNT_SEALED_MAX];
	size_t len = 0;
	sample_account(&a);
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], back[ACCOUNT_TOTP_SECRET_BYTES];
	randombytes_buf(secret, sizeof secret);
	assert_int_equal(account_totp_seal(k, a.user_id, secret, a.totp_sealed), COFFER_OK);
	a.totp = ACCOUNT_TOTP_ACTIVE;
	assert_int_equal(account_seal(k, &a, sealed, &len), COFFER_OK);
	assert_int_equal(account_open(k, sealed, len, &b), COFFER_OK);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(account_totp_open(k, b.user_id, b.totp_sealed, back), COFFER_OK);
	assert_memory_equal(back, secret, sizeof secret);
	/* The secret is bound to its account: another user id does not open it. */
	assert_int_equal(
	    account_totp_open(k, "6b0b6a8e-3f0e-4c4e-9a53-0c6f2f2e9a11", b.totp_sealed, back),
	    COFFER_ERR_CRYPTO);
	/* Every single changed byte is refused, and nothing is handed out. */
	for (size_t i = 0; i < len; i++) {
		sealed[i] ^= 0x20;
		if (account_open(k, sealed, len, &b) != COFFER_ERR_UNAUTHENTICATED)
			fail_msg("byte %zu changed and still opened", i);
		assert_int_equal(b.user_id[0], 0);
		sealed[i] ^= 0x20;
	}
	assert_int_equal(account_open(k, sealed, len - 1, &b), COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(account_open(k, sealed, 0, &b), COFFER_ERR_UNAUTHENTICATED);
	/* An account is not an invitation, even to the same keys. */
	struct invite inv;
	assert_int_equal(invite_open(k, sealed, len, &inv), COFFER_ERR_UNAUTHENTICATED);
	seal_keys_free(k);
}

static void test_invalid_accounts_refused(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct account a;
	uint8_t sealed[ACCOUNT_SEALED_MAX];
	size_t len = 0;
	for (int c = 0; c < 7; c++) {
		sample_account(&a);
		switch (c) {
		case 0: a.user_id[0] = '\0'; break;
		case 1: a.password_hash[0] = '\0'; break;
		case 2: a.role = 9; break;
		case 3: a.role = TICKET_ROLE_SYSADMIN; break; /* with memberships */
		case 4: a.orgs[1].clearance = 4; break;
		case 5: a.orgs[0].org_role = 0; break;
		case 6: a.totp = 3; break;
		}
		if (account_seal(k, &a, sealed, &len) != COFFER_ERR_INVALID_INPUT)
			fail_msg("case %d sealed", c);
	}
	seal_keys_free(k);
}

static void test_invite(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct invite inv, back;
	uint8_t sealed[INVITE_SEALED_MAX];
	size_t len = 0;
	memset(&inv, 0, sizeof inv);
	randombytes_buf(inv.token.bytes, sizeof inv.token.bytes);
	strcpy(inv.email, "new@example.org");
	inv.role = INVITE_MEMBER;
	strcpy(inv.org_id, "0f1c2d3e-4b5a-4c6d-8e7f-0123456789ab");
	inv.clearance = 2;
	inv.expires_at = 1900000000;
	assert_int_equal(invite_seal(k, &inv, sealed, &len), COFFER_OK);
	assert_int_equal(invite_open(k, sealed, len, &back), COFFER_OK);
	assert_memory_equal(&inv, &back, sizeof inv);
	sealed[len / 2] ^= 1;
	assert_int_equal(invite_open(k, sealed, len, &back), COFFER_ERR_UNAUTHENTICATED);
	/* A sysadmin invitation names no organisation; an org invitation must. */
	inv.role = INVITE_SYSADMIN;
	assert_int_equal(invite_seal(k, &inv, sealed, &len), COFFER_ERR_INVALID_INPUT);
	inv.org_id[0] = '\0';
	inv.clearance = 0;
	assert_int_equal(invite_seal(k, &inv, sealed, &len), COFFER_OK);
	assert_int_equal(invite_open(k, sealed, len, &back), COFFER_OK);
	assert_int_equal(back.org_id[0], '\0');
	inv.role = INVITE_ORG_ADMIN;
	assert_int_equal(invite_seal(k, &inv, sealed, &len), COFFER_ERR_INVALID_INPUT);
	seal_keys_free(k);
}

static void test_rotation_and_other_deployments(void **state)
{
	(void)state;
	struct seal_keys *before = load_seals();
	struct account a, b;
	uint8_t sealed[ACCOUNT_SEALED_MAX], secret[ACCOUNT_TOTP_SECRET_BYTES],
	    back[ACCOUNT_TOTP_SECRET_BYTES];
	size_t len = 0;
	uint32_t v = 0;
	sample_account(&a);
	randombytes_buf(secret, sizeof secret);
	assert_int_equal(account_totp_seal(before, a.user_id, secret, a.totp_sealed), COFFER_OK);
	a.totp = ACCOUNT_TOTP_PENDING;
	assert_int_equal(account_seal(before, &a, sealed, &len), COFFER_OK);
	/* After a master key rotation, records sealed under version 1 still open... */
	assert_int_equal(master_key_rotate(key_path, NULL, 0, &v), COFFER_OK);
	struct seal_keys *after = load_seals();
	assert_int_equal(seal_newest_version(after), 2);
	assert_int_equal(account_open(after, sealed, len, &b), COFFER_OK);
	assert_int_equal(account_totp_open(after, b.user_id, b.totp_sealed, back), COFFER_OK);
	assert_memory_equal(back, secret, sizeof secret);
	/* ...and new seals use version 2, which the old keys cannot check. */
	uint8_t resealed[ACCOUNT_SEALED_MAX];
	size_t len2 = 0;
	assert_int_equal(account_seal(after, &b, resealed, &len2), COFFER_OK);
	assert_int_equal(account_open(before, resealed, len2, &b), COFFER_ERR_UNAUTHENTICATED);
	/* Another deployment's keys open nothing of this one's. */
	char other[PATH_MAX];
	snprintf(other, sizeof other, "%s/other.key", dir);
	struct master_keyring *ring = NULL;
	struct seal_keys *foreign = NULL;
	assert_int_equal(master_key_create(other, NULL, 0), COFFER_OK);
	assert_int_equal(master_key_load(other, NULL, 0, &ring), COFFER_OK);
	assert_int_equal(seal_keys_derive(ring, &foreign), COFFER_OK);
	assert_int_equal(account_open(foreign, sealed, len, &b), COFFER_ERR_UNAUTHENTICATED);
	master_keyring_free(ring);
	unlink(other);
	seal_keys_free(foreign);
	seal_keys_free(before);
	seal_keys_free(after);
}

static void test_breach_digest(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct account a, b, other;
	uint8_t sealed[ACCOUNT_SEALED_MAX], sha1[ACCOUNT_BREACH_BYTES], want[ACCOUNT_BREACH_BYTES];
	unsigned int wl = 0;
	size_t len = 0;
	sample_account(&a);
	assert_false(a.has_breach);
	assert_int_equal(account_breach_open(k, &a, sha1), COFFER_ERR_NOT_FOUND);
	assert_int_equal(account_breach_set(k, &a, (const uint8_t *)"hunter2 but long", 16),
			 COFFER_OK);
	assert_true(a.has_breach);
	assert_int_equal(EVP_Digest("hunter2 but long", 16, want, &wl, EVP_sha1(), NULL), 1);
	/* Sealed, not in the clear. */
	assert_null(memmem(a.breach_sealed, sizeof a.breach_sealed, want, sizeof want));
	assert_int_equal(account_seal(k, &a, sealed, &len), COFFER_OK);
	assert_null(memmem(sealed, len, want, sizeof want));
	assert_int_equal(account_open(k, sealed, len, &b), COFFER_OK);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(account_breach_open(k, &b, sha1), COFFER_OK);
	assert_memory_equal(sha1, want, sizeof want);
	/* Bound to its account: moved to another, it does not open; nor when changed. */
	sample_account(&other);
	strcpy(other.user_id, "6b0b6a8e-3f0e-4c4e-9a53-0c6f2f2e9a11");
	memcpy(other.breach_sealed, a.breach_sealed, sizeof other.breach_sealed);
	other.has_breach = true;
	assert_int_equal(account_breach_open(k, &other, sha1), COFFER_ERR_CRYPTO);
	b.breach_sealed[10] ^= 1;
	assert_int_equal(account_breach_open(k, &b, sha1), COFFER_ERR_CRYPTO);
	/* Not a TOTP secret either: the same bytes do not open as one. */
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	assert_int_equal(account_totp_open(k, a.user_id, a.breach_sealed, secret),
			 COFFER_ERR_CRYPTO);
	seal_keys_free(k);
}

static const char sample_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA";

/* An account of format FMT (1 or 2, which held the password hash in clear) up to its TOTP
 * secret: a member of one organisation, without TOTP. */
static void put_clear_hash_account(struct wire_writer *w, uint8_t fmt)
{
	wire_put_u8(w, fmt);
	wire_put_str(w, "5b0b6a8e-3f0e-4c4e-9a53-0c6f2f2e9a11");
	wire_put_str(w, "ann@example.org");
	wire_put_u8(w, TICKET_ROLE_USER);
	wire_put_u8(w, 1);
	wire_put_str(w, "0f1c2d3e-4b5a-4c6d-8e7f-0123456789ab");
	wire_put_u8(w, TICKET_ORG_MEMBER);
	wire_put_u8(w, 2);
	wire_put_str(w, sample_hash);
	wire_put_u8(w, ACCOUNT_TOTP_NONE);
	wire_put_bytes(w, NULL, 0);
}

/* An account of format 1 (before breach digests), sealed as keyd sealed them then: it opens,
 * with no digest, and is written back in the current format. */
static void test_format_1_account(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct account a;
	uint8_t buf[ACCOUNT_SEALED_MAX];
	size_t len = 0;
	struct wire_writer w = wire_writer_init(buf, sizeof buf - SEAL_OVERHEAD);
	put_clear_hash_account(&w, 1);
	assert_false(w.bad);
	size_t body = w.len;
	assert_int_equal(seal_close(k, SEAL_ACCOUNT, buf, body, sizeof buf, &len), COFFER_OK);
	assert_int_equal(account_open(k, buf, len, &a), COFFER_OK);
	assert_false(a.has_breach);
	assert_true(a.hash_in_clear);
	assert_string_equal(a.email, "ann@example.org");
	/* A format-1 body with a digest field after it, or an unknown format, is refused. */
	w = wire_writer_init(buf, sizeof buf - SEAL_OVERHEAD);
	w.len = body;
	wire_put_bytes(&w, NULL, 0);
	assert_int_equal(seal_close(k, SEAL_ACCOUNT, buf, w.len, sizeof buf, &len), COFFER_OK);
	assert_int_equal(account_open(k, buf, len, &a), COFFER_ERR_UNAUTHENTICATED);
	buf[0] = 4;
	assert_int_equal(seal_close(k, SEAL_ACCOUNT, buf, body, sizeof buf, &len), COFFER_OK);
	assert_int_equal(account_open(k, buf, len, &a), COFFER_ERR_UNAUTHENTICATED);
	/* A digest of the wrong length, in format 2, is refused. */
	buf[0] = 2;
	w = wire_writer_init(buf, sizeof buf - SEAL_OVERHEAD);
	w.len = body;
	wire_put_bytes(&w, "short", 5);
	assert_int_equal(seal_close(k, SEAL_ACCOUNT, buf, w.len, sizeof buf, &len), COFFER_OK);
	assert_int_equal(account_open(k, buf, len, &a), COFFER_ERR_UNAUTHENTICATED);
	seal_keys_free(k);
}

/* The account of sample_account, sealed in format 2: its password hash in clear. */
static size_t seal_format_2(const struct seal_keys *k, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	struct wire_writer w = wire_writer_init(buf, cap - SEAL_OVERHEAD);
	put_clear_hash_account(&w, 2);
	wire_put_bytes(&w, NULL, 0); /* no breach digest */
	assert_false(w.bad);
	assert_int_equal(seal_close(k, SEAL_ACCOUNT, buf, w.len, cap, &len), COFFER_OK);
	return len;
}

/* ASVS V2.4.5: the sealed record holds no password hash in clear, only one encrypted under a
 * key derived from the master key; a record that held it in clear opens, marked, and is sealed
 * again encrypted. */
static void test_password_hash_encrypted(void **state)
{
	(void)state;
	struct seal_keys *k = load_seals();
	struct account a, b;
	uint8_t sealed[ACCOUNT_SEALED_MAX];
	size_t len = 0;
	sample_account(&a);
	assert_int_equal(account_seal(k, &a, sealed, &len), COFFER_OK);
	assert_int_equal(sealed[0], 4); /* format 4: with passkeys */
	assert_null(memmem(sealed, len, "$argon2id$", 10));
	assert_null(memmem(sealed, len, "c29tZXNhbHQ", 11));
	assert_int_equal(account_open(k, sealed, len, &b), COFFER_OK);
	assert_false(b.hash_in_clear);
	assert_string_equal(b.password_hash, sample_hash);
	/* Two seals of one account differ (a fresh nonce), and both open. */
	uint8_t again[ACCOUNT_SEALED_MAX];
	size_t again_len = 0;
	assert_int_equal(account_seal(k, &a, again, &again_len), COFFER_OK);
	assert_int_equal(again_len, len);
	assert_memory_not_equal(again, sealed, len);
	/* Format 2 held the hash in clear: it opens, marked, and seals again encrypted. */
	len = seal_format_2(k, sealed, sizeof sealed);
	assert_non_null(memmem(sealed, len, "$argon2id$", 10));
	assert_int_equal(account_open(k, sealed, len, &b), COFFER_OK);
	assert_true(b.hash_in_clear);
	assert_string_equal(b.password_hash, sample_hash);
	assert_int_equal(account_seal(k, &b, again, &again_len), COFFER_OK);
	assert_int_equal(again[0], 4);
	assert_null(memmem(again, again_len, "$argon2id$", 10));
	assert_int_equal(account_open(k, again, again_len, &a), COFFER_OK);
	assert_false(a.hash_in_clear);
	assert_string_equal(a.password_hash, sample_hash);
	seal_keys_free(k);
}

int main(void)
{
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(key_path, sizeof key_path, "%s/master.key", dir);
	if (master_key_create(key_path, NULL, 0) != COFFER_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_account_round_trip_and_tamper),
	    cmocka_unit_test(test_invalid_accounts_refused),
	    cmocka_unit_test(test_invite),
	    cmocka_unit_test(test_rotation_and_other_deployments),
	    cmocka_unit_test(test_breach_digest),
	    cmocka_unit_test(test_format_1_account),
	    cmocka_unit_test(test_password_hash_encrypted),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(key_path);
	rmdir(dir);
	return failed;
}
