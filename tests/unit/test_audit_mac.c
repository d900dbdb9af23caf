/* test_audit_mac.c — the MAC-linked audit chain: digests, links and checkpoints under keys
 * derived from a master keyring (audit/mac_keys.h), the signer that links entries in batches
 * (audit/signer.h), the checkpoint line's format (audit/checkpoint.h), the verdicts
 * (audit/judge.h) and the keeper that gathers checkpoints on their way to storage
 * (audit/keeper.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "audit/judge.h"
#include "audit/keeper.h"
#include "audit/mac_keys.h"
#include "audit/signer.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct audit_mac_keys *keys_of(uint8_t fill, uint32_t versions)
{
	struct master_keyring ring;
	struct audit_mac_keys *k = NULL;
	memset(&ring, 0, sizeof ring);
	ring.count = versions;
	for (uint32_t i = 0; i < versions; i++) {
		ring.keys[i].version = i + 1;
		memset(ring.keys[i].key, fill + (int)i, MASTER_KEY_BYTES);
	}
	assert_int_equal(audit_mac_keys_derive(&ring, &k), COFFER_OK);
	return k;
}

static void entry(struct audit_entry *e, uint64_t seq)
{
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->time = 1700000000 + (int64_t)seq;
	snprintf(e->actor, sizeof e->actor, "user-%llu", (unsigned long long)seq);
	snprintf(e->action, sizeof e->action, "record.read");
	snprintf(e->target, sizeof e->target, "rec-%llu", (unsigned long long)seq);
	snprintf(e->outcome, sizeof e->outcome, "success");
}

static void test_digest_covers_every_field(void **state)
{
	(void)state;
	struct audit_entry a, b;
	uint8_t da[AUDIT_HASH_BYTES], db[AUDIT_HASH_BYTES];
	entry(&a, 3);
	assert_int_equal(audit_digest("system", &a, da), COFFER_OK);
	for (int f = 0; f < 9; f++) {
		b = a;
		switch (f) {
		case 0: b.seq++; break;
		case 1: b.time++; break;
		case 2: b.actor[0] ^= 1; break;
		case 3: b.action[0] ^= 1; break;
		case 4: b.target[0] ^= 1; break;
		case 5: b.ip[0] = 'x'; break;
		case 6: b.outcome[0] ^= 1; break;
		case 7: b.reason[0] = 'x'; break;
		case 8: break;
		}
		const char *chain = f == 8 ? "systen" : "system";
		assert_int_equal(audit_digest(chain, &b, db), COFFER_OK);
		assert_memory_not_equal(da, db, AUDIT_HASH_BYTES);
	}
	memset(b.actor, 'a', sizeof b.actor - 1);
	b.actor[sizeof b.actor - 1] = '\0';
	assert_int_equal(audit_digest("system", &b, db), COFFER_OK);
	assert_true(audit_entry_fits(&b));
	b.actor[sizeof b.actor - 1] = 'a'; /* one byte over, and no NUL where one must be */
	b.action[0] = '\0';
	assert_false(audit_entry_fits(&b));
	assert_int_equal(audit_digest("", &a, db), COFFER_ERR_INVALID_INPUT);
}

static void test_links_need_the_key_and_bind_their_place(void **state)
{
	(void)state;
	struct audit_mac_keys *k = keys_of(0x11, 2), *other = keys_of(0x55, 1);
	uint8_t prev[AUDIT_HASH_BYTES] = {0}, d[AUDIT_HASH_BYTES] = {1}, l[AUDIT_HASH_BYTES];
	uint8_t x[AUDIT_HASH_BYTES];
	assert_int_equal(audit_mac_keys_newest(k), 2);
	assert_int_equal(audit_mac_link(k, 1, "system", prev, 1, d, l), COFFER_OK);
	assert_int_equal(audit_mac_link(k, 1, "system", prev, 1, d, x), COFFER_OK);
	assert_memory_equal(l, x, AUDIT_HASH_BYTES); /* deterministic */
	assert_int_equal(audit_mac_link(k, 2, "system", prev, 1, d, x), COFFER_OK);
	assert_memory_not_equal(l, x, AUDIT_HASH_BYTES);
	assert_int_equal(audit_mac_link(other, 1, "system", prev, 1, d, x), COFFER_OK);
	assert_memory_not_equal(l, x, AUDIT_HASH_BYTES);
	assert_int_equal(audit_mac_link(k, 1, "org-1", prev, 1, d, x), COFFER_OK);
	assert_memory_not_equal(l, x, AUDIT_HASH_BYTES);
	assert_int_equal(audit_mac_link(k, 1, "system", prev, 2, d, x), COFFER_OK);
	assert_memory_not_equal(l, x, AUDIT_HASH_BYTES);
	prev[5] = 1;
	assert_int_equal(audit_mac_link(k, 1, "system", prev, 1, d, x), COFFER_OK);
	assert_memory_not_equal(l, x, AUDIT_HASH_BYTES);
	assert_int_equal(audit_mac_link(k, 3, "system", prev, 1, d, x), COFFER_ERR_NOT_FOUND);
	audit_mac_keys_free(k);
	audit_mac_keys_free(other);
}

/* The signer links more entries than one call takes, in calls of AUDIT_LINK_MAX, as one
 * chain: the result is the chain linked one entry at a time. */
static void test_signer_links_in_batches(void **state)
{
	(void)state;
	struct audit_mac_keys *k = keys_of(0x22, 1);
	struct audit_signer s = audit_signer_local(k);
	size_t n = AUDIT_LINK_MAX + 7;
	struct audit_entry *e = calloc(n, sizeof *e);
	struct audit_checkpoint cp;
	uint8_t prev[AUDIT_HASH_BYTES] = {0}, d[AUDIT_HASH_BYTES], want[AUDIT_HASH_BYTES];
	assert_non_null(e);
	for (size_t i = 0; i < n; i++)
		entry(&e[i], i + 1);
	assert_int_equal(audit_sign_entries(&s, "system", prev, e, n, &cp), COFFER_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].key_version, 1);
		assert_int_equal(audit_digest("system", &e[i], d), COFFER_OK);
		assert_int_equal(audit_mac_link(k, 1, "system", prev, i + 1, d, want), COFFER_OK);
		assert_memory_equal(e[i].hash, want, AUDIT_HASH_BYTES);
		memcpy(prev, want, AUDIT_HASH_BYTES);
	}
	assert_string_equal(cp.chain, "system");
	assert_int_equal(cp.seq, n);
	assert_memory_equal(cp.head, prev, AUDIT_HASH_BYTES);
	assert_int_equal(audit_mac_checkpoint_check(k, &cp), COFFER_OK);
	/* Entries whose seqs do not follow are refused; so is nothing at all. */
	e[5].seq = 99;
	assert_int_equal(audit_sign_entries(&s, "system", prev, e, 10, NULL),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(audit_sign_entries(&s, "system", prev, e, 0, NULL),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(audit_sign_entries(NULL, "system", prev, e, 1, NULL), COFFER_ERR_INTERNAL);
	free(e);
	audit_mac_keys_free(k);
}

static void test_checkpoints_are_sealed_and_checked(void **state)
{
	(void)state;
	struct audit_mac_keys *k = keys_of(0x33, 1), *other = keys_of(0x44, 1);
	struct audit_signer s = audit_signer_local(k);
	static const uint8_t zeros[AUDIT_HASH_BYTES];
	struct audit_checkpoint cp, bad;
	assert_int_equal(audit_sign_head(&s, "4b6c8d0e-1111-2222-3333-444455556666", 0, zeros, &cp),
			 COFFER_OK);
	assert_int_equal(cp.seq, 0);
	assert_int_equal(cp.key_version, 1);
	assert_true(cp.time > 0);
	assert_int_equal(s.check(s.ctx, &cp), COFFER_OK);
	assert_int_equal(audit_mac_checkpoint_check(other, &cp), COFFER_ERR_CRYPTO);
	for (int f = 0; f < 5; f++) {
		bad = cp;
		switch (f) {
		case 0: bad.seq++; break;
		case 1: bad.head[0] ^= 1; break;
		case 2: bad.time--; break;
		case 3: bad.chain[0] = '5'; break;
		case 4: bad.key_version = 2; break;
		}
		assert_int_equal(s.check(s.ctx, &bad), COFFER_ERR_CRYPTO);
	}
	audit_mac_keys_free(k);
	audit_mac_keys_free(other);
}

static void test_checkpoint_line(void **state)
{
	(void)state;
	struct audit_checkpoint cp, back;
	char line[AUDIT_CHECKPOINT_LINE_MAX];
	memset(&cp, 0, sizeof cp);
	memcpy(cp.chain, "system", 6);
	cp.seq = 42;
	cp.time = 1700000000;
	cp.key_version = 3;
	memset(cp.head, 0xab, sizeof cp.head);
	memset(cp.mac, 0x01, sizeof cp.mac);
	size_t n = audit_checkpoint_format(&cp, line, sizeof line);
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_true(audit_checkpoint_parse(line, n, &back));
	assert_memory_equal(&back, &cp, sizeof cp);
	assert_true(audit_checkpoint_parse(line, n - 1, &back)); /* without the newline */
	static const char *const bad[] = {
	    "",
	    "coffer-audit-checkpoint 2 system 1 1 1 ",
	    "coffer-audit-checkpoint 1 System 1 1 1 ",
	    "coffer-audit-checkpoint 1 system 01 1 1 ",
	    "coffer-audit-checkpoint 1 system -1 1 1 ",
	    "coffer-audit-checkpoint 1 system 1 9999999999999999999 1 ",
	    "coffer-audit-checkpoint 1 system 1 1 4294967296 ",
	    "coffer-audit-checkpoint 1 system 1 1 1 zz",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_false(audit_checkpoint_parse(bad[i], strlen(bad[i]), &back));
	/* Anything after the MAC, or a character changed in it. */
	line[n - 1] = ' ';
	assert_false(audit_checkpoint_parse(line, n, &back));
	line[n - 1] = '\n';
	line[n - 2] = 'G';
	assert_false(audit_checkpoint_parse(line, n, &back));
	assert_false(audit_chain_id_ok("../x"));
	assert_false(audit_chain_id_ok(""));
	assert_true(audit_chain_id_ok("4b6c8d0e-1111-2222-3333-444455556666"));
}

static void test_verdicts(void **state)
{
	(void)state;
	struct audit_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	cp.seq = 10;
	memset(cp.head, 7, sizeof cp.head);
	struct audit_walk intact = {.pin_seq = 10, .n = 12, .pinned = true};
	memset(intact.pin_link, 7, sizeof intact.pin_link);
	struct audit_walk w;
	char why[256];
	assert_int_equal(audit_judge(&intact, &cp, true), AUDIT_INTACT);
	assert_int_equal(audit_judge(&intact, &cp, false), AUDIT_CHECKPOINT_FORGED);
	assert_int_equal(audit_judge(&intact, NULL, false), AUDIT_CHECKPOINT_MISSING);
	w = intact;
	w.broken = 4;
	w.why = AUDIT_BREAK_LINK;
	assert_int_equal(audit_judge(&w, &cp, true), AUDIT_BROKEN);
	audit_verdict_explain(AUDIT_BROKEN, &w, &cp, why, sizeof why);
	assert_non_null(strstr(why, "entry 4 does not verify"));
	w.why = AUDIT_BREAK_GAP;
	audit_verdict_explain(AUDIT_BROKEN, &w, &cp, why, sizeof why);
	assert_non_null(strstr(why, "entry 4 was removed"));
	w = intact;
	w.n = 8;
	w.pinned = false;
	assert_int_equal(audit_judge(&w, &cp, true), AUDIT_SHORTENED);
	audit_verdict_explain(AUDIT_SHORTENED, &w, &cp, why, sizeof why);
	assert_non_null(strstr(why, "entries 9 to 10 were removed from the end"));
	w.n = 0;
	assert_int_equal(audit_judge(&w, &cp, true), AUDIT_EMPTIED);
	w = intact;
	w.pin_link[0] = 8;
	assert_int_equal(audit_judge(&w, &cp, true), AUDIT_DIVERGED);
	w = intact;
	w.legacy = 3;
	assert_int_equal(audit_judge(&w, &cp, true), AUDIT_NOT_UPGRADED);
	assert_string_equal(audit_verdict_name(AUDIT_EMPTIED), "emptied");
}

/* A store that records what it was given. */
struct stored {
	pthread_mutex_t mu;
	size_t calls, total;
	uint64_t last_seq[2];
};

static enum coffer_err store_fn(void *ctx, const struct audit_checkpoint *cps, size_t n)
{
	struct stored *s = ctx;
	pthread_mutex_lock(&s->mu);
	s->calls++;
	s->total += n;
	for (size_t i = 0; i < n; i++)
		s->last_seq[cps[i].chain[0] == 'b'] = cps[i].seq;
	pthread_mutex_unlock(&s->mu);
	return COFFER_OK;
}

/* A keeper started on S (its store, ready to record) with CP cleared for the notes. */
static struct audit_keeper *keeper_on(struct stored *s, struct audit_checkpoint *cp)
{
	struct audit_keeper *k = NULL;
	*s = (struct stored){.calls = 0};
	pthread_mutex_init(&s->mu, NULL);
	memset(cp, 0, sizeof *cp);
	assert_int_equal(audit_keeper_start(store_fn, s, &k), COFFER_OK);
	return k;
}

static void test_keeper_keeps_the_furthest_of_each_chain(void **state)
{
	(void)state;
	struct stored s;
	struct audit_checkpoint cp;
	struct audit_keeper *k = keeper_on(&s, &cp);
	for (uint64_t i = 1; i <= 200; i++) {
		memcpy(cp.chain, i % 2 ? "a" : "b", 2);
		cp.seq = i;
		audit_keeper_note(k, &cp);
	}
	/* An older one reported late does not move a chain back. */
	memcpy(cp.chain, "a", 2);
	cp.seq = 3;
	audit_keeper_note(k, &cp);
	assert_int_equal(audit_keeper_sync(k), COFFER_OK);
	pthread_mutex_lock(&s.mu);
	assert_true(s.total <= 201);
	assert_int_equal(s.last_seq[1], 200);
	assert_true(s.last_seq[0] == 199 || s.last_seq[0] == 3);
	pthread_mutex_unlock(&s.mu);
	audit_keeper_stop(k);
	pthread_mutex_destroy(&s.mu);
}

/* The context switches of the task status file PATH, voluntary and not. */
static long switches_of(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[256];
	long total = 0, n;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
			total += n;
	}
	fclose(f);
	return total;
}

/* The context switches of every thread of this process but the calling one. */
static long other_threads_switches(void)
{
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	long total = 0;
	struct dirent *de;
	char path[300];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/status", de->d_name);
		total += switches_of(path);
	}
	closedir(d);
	return total - switches_of("/proc/thread-self/status");
}

/* Notes that come while the keeper waits out its interval after a write do not wake its
 * thread: under load that would be a switch per commit for nothing. */
static void test_keeper_is_not_woken_between_writes(void **state)
{
	(void)state;
	struct stored s;
	struct audit_checkpoint cp;
	struct audit_keeper *k = keeper_on(&s, &cp);
	memcpy(cp.chain, "a", 2);
	cp.seq = 1;
	audit_keeper_note(k, &cp);
	assert_int_equal(audit_keeper_sync(k), COFFER_OK); /* written: the interval begins */
	const long before = other_threads_switches();
	const struct timespec ms = {0, 1000000L};
	for (uint64_t i = 2; i <= 50; i++) { /* about 50 ms, within AUDIT_KEEPER_INTERVAL_MS */
		cp.seq = i;
		audit_keeper_note(k, &cp);
		nanosleep(&ms, NULL);
	}
	const long woken = other_threads_switches() - before;
	assert_true(woken < 10);
	assert_int_equal(audit_keeper_sync(k), COFFER_OK);
	pthread_mutex_lock(&s.mu);
	assert_int_equal(s.last_seq[0], 50);
	pthread_mutex_unlock(&s.mu);
	audit_keeper_stop(k);
	pthread_mutex_destroy(&s.mu);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_covers_every_field),
	    cmocka_unit_test(test_links_need_the_key_and_bind_their_place),
	    cmocka_unit_test(test_signer_links_in_batches),
	    cmocka_unit_test(test_checkpoints_are_sealed_and_checked),
	    cmocka_unit_test(test_checkpoint_line),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_keeper_keeps_the_furthest_of_each_chain),
	    cmocka_unit_test(test_keeper_is_not_woken_between_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
