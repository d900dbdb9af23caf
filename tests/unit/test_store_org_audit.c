/* test_store_org_audit.c — an organisation's audit chain in its own database: batches appended
 * in one transaction (all or nothing), paging, concurrent appenders forming one chain, every
 * kind of tampering with the file caught at the first broken entry, and entries copied from
 * another organisation's chain refused (the chain id is bound into every hash). */
#include "test_org_store.h"
#include "test_audit_signer.h"

#include <pthread.h>

#define T0 1700000000

static void entry(struct audit_entry *a, int i)
{
	char target[64];
	snprintf(target, sizeof target, "target-%d", i);
	audit_of(a, T0 + i, "5b1d5c9e-3f0a-4c5e-9d1a-2b3c4d5e6f70", i % 2 ? "record.read" : "login",
		 target);
	snprintf(a->reason, sizeof a->reason, "r%d", i);
}

static void append(const char *org, struct org_db *odb, int from, int n)
{
	struct audit_entry batch[16];
	assert_true(n <= 16);
	for (int i = 0; i < n; i++)
		entry(&batch[i], from + i);
	assert_int_equal(store_org_audit_append(odb, org, batch, (size_t)n), COFFER_OK);
}

static void test_batches_and_paging(void **state)
{
	struct org_env *e = *state;
	struct audit_entry want[40], page[9];
	size_t n = 99;
	org_verify_ok(e->odb, e->org, 0);
	assert_int_equal(store_org_audit_list(e->odb, 0, page, ARRAY_LEN(page), &n), COFFER_OK);
	assert_int_equal(n, 0);
	/* Nothing to append is not an error. */
	assert_int_equal(store_org_audit_append(e->odb, e->org, want, 0), COFFER_OK);

	/* Batches of 1, 2, 3, ...: seqs run on without gaps, written back into each entry. */
	int done = 0;
	for (int size = 1; done + size <= 36; size++) {
		for (int i = 0; i < size; i++)
			entry(&want[done + i], done + i);
		assert_int_equal(store_org_audit_append(e->odb, e->org, &want[done], (size_t)size),
				 COFFER_OK);
		for (int i = 0; i < size; i++)
			assert_int_equal(want[done + i].seq, (uint64_t)(done + i + 1));
		done += size;
	}
	assert_int_equal(done, 36); /* 1 + 2 + ... + 8 */

	/* A batch with one bad entry appends none of them, and leaves them all as they were. */
	struct audit_entry bad[3];
	for (int i = 0; i < 3; i++) {
		entry(&bad[i], 100 + i);
		bad[i].seq = 777;
	}
	memset(bad[2].actor, 'a', sizeof bad[2].actor);
	assert_int_equal(store_org_audit_append(e->odb, e->org, bad, 3), COFFER_ERR_INVALID_INPUT);
	for (int i = 0; i < 3; i++)
		assert_int_equal(bad[i].seq, 777);
	/* Another organisation's id is refused: this database holds this organisation's chain. */
	char stranger[UUID_TEXT_LEN + 1];
	uuid_generate(stranger);
	assert_int_equal(store_org_audit_append(e->odb, stranger, want, 1),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_audit_append(e->odb, "system", want, 1),
			 COFFER_ERR_INVALID_INPUT);
	uint64_t vn = 0, broken = 0;
	assert_int_equal(store_org_audit_verify(e->odb, stranger, &vn, &broken),
			 COFFER_ERR_INVALID_INPUT);
	org_verify_ok(e->odb, e->org, 36);

	/* Pages of 9: 4 full ones. */
	uint64_t after = 0;
	size_t total = 0, pages = 0;
	for (;;) {
		assert_int_equal(store_org_audit_list(e->odb, after, page, ARRAY_LEN(page), &n),
				 COFFER_OK);
		if (n == 0)
			break;
		pages++;
		for (size_t k = 0; k < n; k++) {
			const struct audit_entry *w = &want[total + k];
			assert_int_equal(page[k].seq, w->seq);
			assert_int_equal(page[k].time, w->time);
			assert_string_equal(page[k].actor, w->actor);
			assert_string_equal(page[k].action, w->action);
			assert_string_equal(page[k].target, w->target);
			assert_string_equal(page[k].ip, w->ip);
			assert_string_equal(page[k].outcome, w->outcome);
			assert_string_equal(page[k].reason, w->reason);
			assert_memory_equal(page[k].hash, w->hash, AUDIT_HASH_BYTES);
		}
		total += n;
		after = page[n - 1].seq;
	}
	assert_int_equal(total, 36);
	assert_int_equal(pages, 4);
	assert_int_equal(store_org_audit_list(e->odb, 30, page, 4, &n), COFFER_OK);
	assert_int_equal(n, 4);
	assert_int_equal(page[0].seq, 31);
	assert_int_equal(store_org_audit_list(e->odb, UINT64_MAX, page, 4, &n), COFFER_OK);
	assert_int_equal(n, 0);
}

/* --- concurrent appenders -------------------------------------------------------------------- */

#define THREADS 6
#define ROUNDS	20

struct appender {
	struct org_env *e;
	int id;
	uint64_t last;
	enum coffer_err err;
};

static void *append_rounds(void *arg)
{
	struct appender *ap = arg;
	for (int r = 0; r < ROUNDS && ap->err == COFFER_OK; r++) {
		struct audit_entry b[3];
		for (int i = 0; i < 3; i++)
			entry(&b[i], ap->id * 1000 + r * 3 + i);
		ap->err = store_org_audit_append(ap->e->odb, ap->e->org, b, 3);
		/* A batch's seqs are consecutive: nobody else's entry lands in the middle. */
		if (ap->err == COFFER_OK &&
		    (b[1].seq != b[0].seq + 1 || b[2].seq != b[1].seq + 1 || b[0].seq <= ap->last))
			ap->err = COFFER_ERR_INTERNAL;
		ap->last = b[2].seq;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct org_env *e = *state;
	pthread_t t[THREADS];
	struct appender ap[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ap[i] = (struct appender){.e = e, .id = i, .err = COFFER_OK};
		assert_int_equal(pthread_create(&t[i], NULL, append_rounds, &ap[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(ap[i].err, COFFER_OK);
	}
	org_verify_ok(e->odb, e->org, THREADS * ROUNDS * 3);
}

/* --- tampering ------------------------------------------------------------------------------- */

#define CHAIN_LEN 30

struct tamper {
	const char *what;
	const char *sql;
	uint64_t broken; /* 0: not detectable by the chain alone */
};

// clang-format off
static const struct tamper tampering[] = {
    {"edit actor", "UPDATE audit SET actor = 'mallory' WHERE seq = 17", 17},
    {"edit target of the first", "UPDATE audit SET target = 'x' WHERE seq = 1", 1},
    {"edit time", "UPDATE audit SET time = time - 1 WHERE seq = 9", 9},
    {"edit the last reason", "UPDATE audit SET reason = '' WHERE seq = 30", 30},
    {"edit ip", "UPDATE audit SET ip = '203.0.113.66' WHERE seq = 21", 21},
    {"edit hash", "UPDATE audit SET hash = randomblob(32) WHERE seq = 12", 12},
    {"delete a middle row", "DELETE FROM audit WHERE seq = 15", 15},
    {"delete two middle rows", "DELETE FROM audit WHERE seq IN (22, 23)", 22},
    {"swap two rows' contents",
     "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (5, 6);"
     "UPDATE audit SET (time, actor, action, target, ip, outcome, reason, hash) ="
     " (SELECT time, actor, action, target, ip, outcome, reason, hash FROM t"
     "  WHERE t.seq = 11 - audit.seq) WHERE seq IN (5, 6);",
     5},
    {"swap two rows' positions",
     "UPDATE audit SET seq = 1000 WHERE seq = 7; UPDATE audit SET seq = 7 WHERE seq = 8;"
     "UPDATE audit SET seq = 8 WHERE seq = 1000;",
     7},
    {"replay a row at the end",
     "INSERT INTO audit SELECT 31, time, actor, action, target, ip, outcome, reason, hash,"
     " key_version"
     " FROM audit WHERE seq = 3",
     31},
    {"truncate the end", "DELETE FROM audit WHERE seq > 25", 0},
};
// clang-format on

static void test_tampering(void **state)
{
	struct org_env *e = *state;
	for (size_t c = 0; c < ARRAY_LEN(tampering); c++) {
		const struct tamper *tc = &tampering[c];
		raw_org_exec(e, e->org, "DELETE FROM audit");
		for (int i = 0; i < CHAIN_LEN; i += 10)
			append(e->org, e->odb, i, 10);
		org_verify_ok(e->odb, e->org, CHAIN_LEN);
		raw_org_exec(e, e->org, tc->sql);
		uint64_t n = 0, broken = 0;
		enum coffer_err err = store_org_audit_verify(e->odb, e->org, &n, &broken);
		print_message("%s: %s, broken at %llu after %llu\n", tc->what,
			      err == COFFER_OK ? "intact" : "broken", (unsigned long long)broken,
			      (unsigned long long)n);
		if (tc->broken == 0) {
			assert_int_equal(err, COFFER_OK);
			assert_int_equal(broken, 0);
		} else {
			assert_int_equal(err, COFFER_ERR_CRYPTO);
			assert_int_equal(broken, tc->broken);
			assert_int_equal(n, tc->broken - 1);
		}
	}
}

/* Two organisations with the same entries in the same order: only the chain id tells their
 * hashes apart, and an entry (or the whole chain) copied from one into the other breaks it. */
static void test_copied_between_orgs(void **state)
{
	struct org_env *e = *state;
	char b[UUID_TEXT_LEN + 1], sql[PATH_MAX + 256], path_a[PATH_MAX];
	struct org_db *odb_b = NULL;
	uuid_generate(b);
	assert_int_equal(store_org_db_open(e->tmp->dir, b, true, &odb_b), COFFER_OK);
	append(e->org, e->odb, 0, 8);
	append(b, odb_b, 0, 8);
	org_verify_ok(e->odb, e->org, 8);
	org_verify_ok(odb_b, b, 8);
	org_db_path(e, e->org, path_a);

	/* A's entry 4 in place of B's: every field the same but the hash, which is A's. */
	snprintf(
	    sql, sizeof sql,
	    "ATTACH '%s' AS a;"
	    "UPDATE main.audit SET hash = (SELECT hash FROM a.audit WHERE seq = 4) WHERE seq = 4;"
	    "DETACH a;",
	    path_a);
	raw_org_exec(e, b, sql);
	uint64_t n = 0, broken = 0;
	assert_int_equal(store_org_audit_verify(odb_b, b, &n, &broken), COFFER_ERR_CRYPTO);
	assert_int_equal(broken, 4);
	assert_int_equal(n, 3);

	/* All of A's chain, intact in A, in place of B's: broken from the first entry. */
	snprintf(sql, sizeof sql,
		 "ATTACH '%s' AS a; DELETE FROM main.audit;"
		 "INSERT INTO main.audit SELECT * FROM a.audit; DETACH a;",
		 path_a);
	raw_org_exec(e, b, sql);
	assert_int_equal(store_org_audit_verify(odb_b, b, &n, &broken), COFFER_ERR_CRYPTO);
	assert_int_equal(broken, 1);
	assert_int_equal(n, 0);
	org_verify_ok(e->odb, e->org, 8);
	store_org_db_close(odb_b);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_batches_and_paging, org_env_setup,
					    org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_tampering, org_env_setup, org_env_teardown),
	    cmocka_unit_test_setup_teardown(test_copied_between_orgs, org_env_setup,
					    org_env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
