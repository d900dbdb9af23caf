/* test_audit_chain.c — the audit chain: known hashes from an independent Python computation
 * (the encoding of chain.h), and every kind of tampering caught at the first broken entry:
 * a changed field, a removed, inserted, duplicated or reordered entry, an entry moved to
 * another chain. */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "audit/chain.h"

/* Made with /usr/bin/python3 from chain.h's description (hashlib.sha256 over "coffer/audit/v1",
 * the u16-length-prefixed chain id, the previous hash, u64 seq, u64 time and the six
 * u16-length-prefixed fields). */
static const char hash1_hex[] = "17a9070b1aeba9abef5c1a5e4ca9c15539f31bcd2ab20ba427d10a53ae799a1d";
static const char hash2_hex[] = "e793d76873fc598667ca6b22f8d5617eb3604c6c474193d9b93beba1eacbc70c";

static void entry(struct audit_entry *e, uint64_t seq, int64_t t, const char *actor,
		  const char *action, const char *target, const char *ip, const char *outcome,
		  const char *reason)
{
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->time = t;
	snprintf(e->actor, sizeof e->actor, "%s", actor);
	snprintf(e->action, sizeof e->action, "%s", action);
	snprintf(e->target, sizeof e->target, "%s", target);
	snprintf(e->ip, sizeof e->ip, "%s", ip);
	snprintf(e->outcome, sizeof e->outcome, "%s", outcome);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

#define N 8
static struct audit_entry chain[N];

/* Builds a chain of N entries in CHAIN_ID. */
static void build(const char *chain_id)
{
	uint8_t prev[AUDIT_HASH_BYTES] = {0};
	for (int i = 0; i < N; i++) {
		entry(&chain[i], (uint64_t)i + 1, 1795400000 + i * 60, "ann@example.org",
		      i % 2 ? "invite.create" : "login", i % 3 ? "bob@example.org" : "",
		      "192.0.2.7", "success", "");
		assert_int_equal(audit_legacy_hash(chain_id, prev, &chain[i], chain[i].hash),
				 COFFER_OK);
		memcpy(prev, chain[i].hash, AUDIT_HASH_BYTES);
	}
}

/* The index of the first entry that fails, or -1 when all verify. */
static int first_broken(const char *chain_id, const struct audit_entry *entries, int n)
{
	struct audit_verifier v;
	audit_verify_start(&v, chain_id);
	for (int i = 0; i < n; i++) {
		if (audit_verify_next(&v, &entries[i]) != COFFER_OK)
			return i;
	}
	return -1;
}

static void test_known_hashes(void **state)
{
	(void)state;
	struct audit_entry e1, e2;
	uint8_t zero[AUDIT_HASH_BYTES] = {0}, want[AUDIT_HASH_BYTES];
	size_t len = 0;
	entry(&e1, 1, 1795400000, "ann@example.org", "login", "", "192.0.2.7", "success", "");
	assert_int_equal(audit_legacy_hash(AUDIT_SYSTEM_CHAIN, zero, &e1, e1.hash), COFFER_OK);
	assert_int_equal(sodium_hex2bin(want, sizeof want, hash1_hex, 64, NULL, &len, NULL), 0);
	assert_memory_equal(e1.hash, want, AUDIT_HASH_BYTES);
	entry(&e2, 2, 1795400060, "", "login", "bob@example.org", "2001:db8::1", "failure",
	      "invalid_credentials");
	assert_int_equal(audit_legacy_hash(AUDIT_SYSTEM_CHAIN, e1.hash, &e2, e2.hash), COFFER_OK);
	assert_int_equal(sodium_hex2bin(want, sizeof want, hash2_hex, 64, NULL, &len, NULL), 0);
	assert_memory_equal(e2.hash, want, AUDIT_HASH_BYTES);
}

static void test_intact_chain_verifies(void **state)
{
	(void)state;
	build("org-1");
	assert_int_equal(first_broken("org-1", chain, N), -1);
	/* The same entries are not a chain of another organisation. */
	assert_int_equal(first_broken("org-2", chain, N), 0);
}

static void test_tampering_is_caught_where_it_happens(void **state)
{
	(void)state;
	static struct audit_entry copy[N + 1];
	build(AUDIT_SYSTEM_CHAIN);
	/* A changed field in entry 3, in each field in turn. */
	for (int f = 0; f < 8; f++) {
		memcpy(copy, chain, sizeof chain);
		switch (f) {
		case 0: copy[3].seq = 99; break;
		case 1: copy[3].time++; break;
		case 2: copy[3].actor[0] = 'b'; break;
		case 3: strcpy(copy[3].action, "login"); break;
		case 4: strcpy(copy[3].target, "eve@example.org"); break;
		case 5: strcpy(copy[3].ip, "192.0.2.8"); break;
		case 6: strcpy(copy[3].outcome, "failure"); break;
		case 7: strcpy(copy[3].reason, "x"); break;
		}
		if (first_broken(AUDIT_SYSTEM_CHAIN, copy, N) != 3)
			fail_msg("a change to field %d of entry 3 was not caught there", f);
	}
	/* A field's bytes moved to its neighbour (same concatenation): still caught. */
	memcpy(copy, chain, sizeof chain);
	strcpy(copy[2].actor, "ann@example.orgl");
	strcpy(copy[2].action, "ogin");
	assert_int_equal(first_broken(AUDIT_SYSTEM_CHAIN, copy, N), 2);
	/* Removed: entry 4 gone. */
	memcpy(copy, chain, 4 * sizeof chain[0]);
	memcpy(copy + 4, chain + 5, (N - 5) * sizeof chain[0]);
	assert_int_equal(first_broken(AUDIT_SYSTEM_CHAIN, copy, N - 1), 4);
	/* Removed and renumbered: the hash still breaks. */
	for (int i = 4; i < N - 1; i++)
		copy[i].seq--;
	assert_int_equal(first_broken(AUDIT_SYSTEM_CHAIN, copy, N - 1), 4);
	/* Duplicated. */
	memcpy(copy, chain, 5 * sizeof chain[0]);
	copy[5] = chain[4];
	assert_int_equal(first_broken(AUDIT_SYSTEM_CHAIN, copy, 6), 5);
	/* Reordered. */
	memcpy(copy, chain, sizeof chain);
	copy[1] = chain[2];
	copy[2] = chain[1];
	assert_int_equal(first_broken(AUDIT_SYSTEM_CHAIN, copy, N), 1);
	/* Once broken, the verifier accepts nothing more, even a good entry. */
	struct audit_verifier v;
	audit_verify_start(&v, AUDIT_SYSTEM_CHAIN);
	assert_int_equal(audit_verify_next(&v, &chain[1]), COFFER_ERR_CRYPTO);
	assert_int_equal(audit_verify_next(&v, &chain[0]), COFFER_ERR_CRYPTO);
}

static void test_limits(void **state)
{
	(void)state;
	struct audit_entry e;
	uint8_t zero[AUDIT_HASH_BYTES] = {0}, h[AUDIT_HASH_BYTES];
	entry(&e, 1, 0, "a", "b", "", "", "success", "");
	assert_int_equal(audit_legacy_hash("", zero, &e, h), COFFER_ERR_INVALID_INPUT);
	char long_chain[AUDIT_CHAIN_ID_MAX + 2];
	memset(long_chain, 'c', sizeof long_chain - 1);
	long_chain[sizeof long_chain - 1] = '\0';
	assert_int_equal(audit_legacy_hash(long_chain, zero, &e, h), COFFER_ERR_INVALID_INPUT);
	long_chain[AUDIT_CHAIN_ID_MAX] = '\0';
	assert_int_equal(audit_legacy_hash(long_chain, zero, &e, h), COFFER_OK);
	memset(e.reason, 'r', AUDIT_FIELD_MAX);
	assert_int_equal(audit_legacy_hash("system", zero, &e, h), COFFER_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_hashes),
	    cmocka_unit_test(test_intact_chain_verifies),
	    cmocka_unit_test(test_tampering_is_caught_where_it_happens),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
