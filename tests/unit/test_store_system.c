/* test_store_system.c — the rest of the system store's identity interface: login throttling
 * (counts, the address window, forgetting, bounded sweeping), policies, and the system audit
 * chain: concurrent appends forming one chain, paging, every kind of tampering with the
 * database caught at the right entry, and a writer killed mid-stream leaving an intact chain. */
#include "test_store.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/chain.h"
#include "store/sqlite/system_db.h"
#include "test_audit_signer.h"

#define T0     1700000000
#define DAY    86400
#define WINDOW 600

/* --- throttling ---------------------------------------------------------------------------- */

static struct throttle_state state_at(const struct env *e, const char *account, const char *address,
				      int64_t now)
{
	struct throttle_state t;
	memset(&t, 0xee, sizeof t);
	assert_int_equal(store_throttle_get(e->st, account, address, now, WINDOW, &t), COFFER_OK);
	return t;
}

static void count_failure(const struct env *e, const char *account, const char *address,
			  int64_t now)
{
	assert_int_equal(store_throttle_fail(e->st, account, address, now, WINDOW), COFFER_OK);
}

static void test_throttle_counts(void **state)
{
	struct env *e = *state;
	struct throttle_state t = state_at(e, "amy@example.org", "192.0.2.1", T0);
	assert_int_equal(t.account_failures, 0);
	assert_int_equal(t.account_last, 0);
	assert_int_equal(t.address_failures, 0);
	assert_int_equal(t.address_last, 0);

	count_failure(e, "amy@example.org", "192.0.2.1", T0);
	count_failure(e, "amy@example.org", "192.0.2.1", T0 + 1);
	count_failure(e, "amy@example.org", "2001:db8::1", T0 + 2);
	count_failure(e, "bob@example.org", "192.0.2.1", T0 + 3);
	t = state_at(e, "amy@example.org", "192.0.2.1", T0 + 4);
	assert_int_equal(t.account_failures, 3); /* whatever the addresses */
	assert_int_equal(t.account_last, T0 + 2);
	assert_int_equal(t.address_failures, 3); /* whatever the accounts */
	assert_int_equal(t.address_last, T0 + 3);
	t = state_at(e, "bob@example.org", "2001:db8::1", T0 + 4);
	assert_int_equal(t.account_failures, 1);
	assert_int_equal(t.account_last, T0 + 3);
	assert_int_equal(t.address_failures, 1);
	assert_int_equal(t.address_last, T0 + 2);

	/* A success resets the account, not the address. */
	assert_int_equal(store_throttle_reset(e->st, "amy@example.org"), COFFER_OK);
	assert_int_equal(store_throttle_reset(e->st, "amy@example.org"), COFFER_OK);
	t = state_at(e, "amy@example.org", "192.0.2.1", T0 + 5);
	assert_int_equal(t.account_failures, 0);
	assert_int_equal(t.account_last, 0);
	assert_int_equal(t.address_failures, 3);
	assert_int_equal(state_at(e, "bob@example.org", "192.0.2.1", T0 + 5).account_failures, 1);
	/* Another server's clock a little behind never moves the last failure back. */
	count_failure(e, "bob@example.org", "192.0.2.9", T0 + 1);
	t = state_at(e, "bob@example.org", "192.0.2.9", T0 + 5);
	assert_int_equal(t.account_failures, 2);
	assert_int_equal(t.account_last, T0 + 3);

	/* Bad arguments. */
	assert_int_equal(store_throttle_fail(e->st, "", "192.0.2.1", T0, WINDOW),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_throttle_fail(e->st, "a@b.c", "", T0, WINDOW),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_throttle_fail(e->st, "a@b.c", "192.0.2.1", T0, 0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_throttle_fail(e->st, "a@b.c", "192.0.2.1", -1, WINDOW),
			 COFFER_ERR_INVALID_INPUT);
	char huge[1000];
	memset(huge, 'x', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	assert_int_equal(store_throttle_fail(e->st, huge, "192.0.2.1", T0, WINDOW),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_throttle_get(e->st, "a@b.c", huge, T0, WINDOW, &t),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_throttle_reset(e->st, ""), COFFER_ERR_INVALID_INPUT);
}

/* The address is counted over the window before now; older rows are deleted as failures come. */
static void test_throttle_window(void **state)
{
	struct env *e = *state;
	count_failure(e, "a@example.org", "198.51.100.7", T0);
	count_failure(e, "b@example.org", "198.51.100.7", T0 + 300);
	count_failure(e, "c@example.org", "198.51.100.7", T0 + 599);
	struct throttle_state t = state_at(e, "z@example.org", "198.51.100.7", T0 + 599);
	assert_int_equal(t.address_failures, 3);
	assert_int_equal(t.address_last, T0 + 599);
	/* At T0 + 600 the failure at T0 is exactly WINDOW old: out. */
	t = state_at(e, "z@example.org", "198.51.100.7", T0 + 600);
	assert_int_equal(t.address_failures, 2);
	t = state_at(e, "z@example.org", "198.51.100.7", T0 + 1198);
	assert_int_equal(t.address_failures, 1);
	assert_int_equal(t.address_last, T0 + 599);
	t = state_at(e, "z@example.org", "198.51.100.7", T0 + 1199);
	assert_int_equal(t.address_failures, 0);
	assert_int_equal(t.address_last, 0);
	/* Still stored until the next failure of that address, which prunes them. */
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 3);
	count_failure(e, "d@example.org", "198.51.100.7", T0 + 1000);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 2);

	/* Stale rows of addresses that went quiet are swept by others' failures, a few at a time:
	 * each failure adds one row and removes up to eight stale ones. */
	raw_exec(e, "DELETE FROM throttle_addresses");
	for (int i = 0; i < 20; i++)
		count_failure(e, "spray@example.org", "203.0.113.5", T0 + i);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 20);
	count_failure(e, "x@example.org", "192.0.2.200", T0 + 10000);
	assert_int_equal(
	    raw_int(e, "SELECT count(*) FROM throttle_addresses WHERE address = '203.0.113.5'"),
	    12);
	count_failure(e, "x@example.org", "192.0.2.201", T0 + 10001);
	count_failure(e, "x@example.org", "192.0.2.202", T0 + 10002);
	assert_int_equal(
	    raw_int(e, "SELECT count(*) FROM throttle_addresses WHERE address = '203.0.113.5'"), 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 3);
}

/* An account's count is forgotten once idle for a day, and swept by later failures. */
static void test_throttle_account_idle(void **state)
{
	struct env *e = *state;
	for (int i = 0; i < 5; i++)
		count_failure(e, "idle@example.org", "192.0.2.1", T0);
	assert_int_equal(
	    state_at(e, "idle@example.org", "192.0.2.2", T0 + DAY - 1).account_failures, 5);
	struct throttle_state t = state_at(e, "idle@example.org", "192.0.2.2", T0 + DAY);
	assert_int_equal(t.account_failures, 0);
	assert_int_equal(t.account_last, 0);
	/* A failure after a day's quiet starts from one, not six. */
	count_failure(e, "idle@example.org", "192.0.2.1", T0 + DAY);
	t = state_at(e, "idle@example.org", "192.0.2.2", T0 + DAY);
	assert_int_equal(t.account_failures, 1);
	assert_int_equal(t.account_last, T0 + DAY);
	/* Twenty accounts tried once and forgotten: swept eight per later failure. */
	char account[64];
	for (int i = 0; i < 20; i++) {
		snprintf(account, sizeof account, "user%d@example.org", i);
		count_failure(e, account, "192.0.2.3", T0 + i);
	}
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 21);
	count_failure(e, "late@example.org", "192.0.2.4", T0 + 2 * DAY);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 21 + 1 - 8);
	count_failure(e, "late@example.org", "192.0.2.4", T0 + 2 * DAY + 1);
	count_failure(e, "late@example.org", "192.0.2.4", T0 + 2 * DAY + 2);
	/* Only late@ is left (idle@'s last failure is a day old too). */
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 1);
	assert_int_equal(
	    state_at(e, "late@example.org", "192.0.2.4", T0 + 2 * DAY + 3).account_failures, 3);
}

/* --- policies ------------------------------------------------------------------------------ */

static void test_policies(void **state)
{
	struct env *e = *state;
	char buf[STORE_POLICY_MAX + 1], org[STORE_ID_MAX + 1];
	make_org(e, "Acme", org);
	assert_int_equal(store_policy_get(e->st, STORE_POLICY_SYSTEM, buf, sizeof buf),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(
	    store_policy_put(e->st, STORE_POLICY_SYSTEM, "{\"require_totp\":true}", T0), COFFER_OK);
	assert_int_equal(store_policy_get(e->st, STORE_POLICY_SYSTEM, buf, sizeof buf), COFFER_OK);
	assert_string_equal(buf, "{\"require_totp\":true}");
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof buf), COFFER_ERR_NOT_FOUND);
	/* Replaced, scope by scope; hostile text kept as it is. */
	static const char hostile[] = "{\"x\":\"'); DROP TABLE policies; --\",\"ü\":\"%s%n\\\"\"}";
	assert_int_equal(store_policy_put(e->st, org, hostile, T0), COFFER_OK);
	assert_int_equal(store_policy_put(e->st, STORE_POLICY_SYSTEM, "{}", T0 + 1), COFFER_OK);
	assert_int_equal(store_policy_get(e->st, STORE_POLICY_SYSTEM, buf, sizeof buf), COFFER_OK);
	assert_string_equal(buf, "{}");
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof buf), COFFER_OK);
	assert_string_equal(buf, hostile);
	/* The output must hold the text and its NUL. */
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof hostile), COFFER_OK);
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof hostile - 1),
			 COFFER_ERR_TOO_LARGE);
	/* STORE_POLICY_MAX bytes are kept, one more refused (and the old text stays). */
	static char big[STORE_POLICY_MAX + 2];
	memset(big, ' ', sizeof big - 1);
	big[0] = '{';
	big[STORE_POLICY_MAX - 1] = '}';
	big[STORE_POLICY_MAX] = '\0';
	assert_int_equal(store_policy_put(e->st, org, big, T0), COFFER_OK);
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof buf), COFFER_OK);
	assert_int_equal(strlen(buf), STORE_POLICY_MAX);
	big[STORE_POLICY_MAX] = ' ';
	assert_int_equal(store_policy_put(e->st, org, big, T0), COFFER_ERR_TOO_LARGE);
	assert_int_equal(store_policy_get(e->st, org, buf, sizeof buf), COFFER_OK);
	assert_int_equal(strlen(buf), STORE_POLICY_MAX);
	/* A scope is "system" or an organisation id. */
	assert_int_equal(store_policy_put(e->st, "System", "{}", T0), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_policy_put(e->st, "' OR 1=1 --", "{}", T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_policy_get(e->st, "", buf, sizeof buf), COFFER_ERR_INVALID_INPUT);
}

/* --- the audit chain ----------------------------------------------------------------------- */

static void entry(struct audit_entry *a, int64_t t, const char *actor, const char *action,
		  const char *target)
{
	memset(a, 0, sizeof *a);
	a->time = t;
	snprintf(a->actor, sizeof a->actor, "%s", actor);
	snprintf(a->action, sizeof a->action, "%s", action);
	snprintf(a->target, sizeof a->target, "%s", target);
	snprintf(a->ip, sizeof a->ip, "192.0.2.%d", (int)(t % 250));
	snprintf(a->outcome, sizeof a->outcome, "success");
	snprintf(a->reason, sizeof a->reason, "r%lld", (long long)t);
}

static void verify_ok(const struct env *e, uint64_t want_n)
{
	uint64_t n = 0, broken = 99;
	assert_int_equal(store_audit_verify(e->st, &n, &broken), COFFER_OK);
	assert_int_equal(n, want_n);
	assert_int_equal(broken, 0);
}

#define THREADS	   4
#define PER_THREAD 50

struct appender {
	struct store *st;
	int id;
	uint64_t seqs[PER_THREAD];
	uint8_t hashes[PER_THREAD][AUDIT_HASH_BYTES];
	enum coffer_err err;
};

static void *append_many(void *arg)
{
	struct appender *a = arg;
	a->err = COFFER_OK;
	for (int i = 0; i < PER_THREAD && a->err == COFFER_OK; i++) {
		struct audit_entry en;
		char actor[32];
		snprintf(actor, sizeof actor, "thread-%d", a->id);
		entry(&en, T0 + i, actor, "login", "x");
		a->err = store_audit_append(a->st, &en);
		a->seqs[i] = en.seq;
		memcpy(a->hashes[i], en.hash, AUDIT_HASH_BYTES);
	}
	return NULL;
}

/* Four threads appending at once still make one chain: seq 1..200, each once, intact. */
static void test_audit_concurrent(void **state)
{
	struct env *e = *state;
	verify_ok(e, 0);
	pthread_t t[THREADS];
	static struct appender a[THREADS];
	for (int i = 0; i < THREADS; i++) {
		a[i].st = e->st;
		a[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, append_many, &a[i]), 0);
	}
	bool seen[THREADS * PER_THREAD + 1] = {false};
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].err, COFFER_OK);
		for (int k = 0; k < PER_THREAD; k++) {
			uint64_t s = a[i].seqs[k];
			assert_true(s >= 1 && s <= THREADS * PER_THREAD);
			assert_false(seen[s]);
			seen[s] = true;
			if (k > 0)
				assert_true(s > a[i].seqs[k - 1]);
		}
	}
	verify_ok(e, THREADS * PER_THREAD);
	/* Every commit held the pool's write lock (the WAL-reset race: db.c). */
	assert_int_equal(db_pool_unguarded_commits(&e->st->sqlite->pool), 0);
	/* The hashes handed back are the ones stored. */
	static struct audit_entry all[THREADS * PER_THREAD];
	size_t n = 0;
	assert_int_equal(store_audit_list(e->st, 0, all, ARRAY_LEN(all), &n), COFFER_OK);
	assert_int_equal(n, THREADS * PER_THREAD);
	for (int i = 0; i < THREADS; i++)
		for (int k = 0; k < PER_THREAD; k++)
			assert_memory_equal(all[a[i].seqs[k] - 1].hash, a[i].hashes[k],
					    AUDIT_HASH_BYTES);
}

static void test_audit_list(void **state)
{
	struct env *e = *state;
	struct audit_entry want[30], page[7];
	size_t n = 99;
	assert_int_equal(store_audit_list(e->st, 0, page, 7, &n), COFFER_OK);
	assert_int_equal(n, 0);
	for (int i = 0; i < 30; i++) {
		entry(&want[i], T0 + i, "admin@example.org", i % 2 ? "invite.create" : "login",
		      i == 3 ? "'; DROP TABLE audit; --" : "ünïcode ✓ %s%n");
		assert_int_equal(store_audit_append(e->st, &want[i]), COFFER_OK);
		assert_int_equal(want[i].seq, (uint64_t)i + 1);
	}
	uint64_t after = 0;
	size_t total = 0, pages = 0;
	for (;;) {
		assert_int_equal(store_audit_list(e->st, after, page, ARRAY_LEN(page), &n),
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
	assert_int_equal(total, 30);
	assert_int_equal(pages, 5); /* 7+7+7+7+2 */
	assert_int_equal(store_audit_list(e->st, 28, page, 0, &n), COFFER_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_audit_list(e->st, 28, page, 7, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_audit_list(e->st, UINT64_MAX, page, 7, &n), COFFER_OK);
	assert_int_equal(n, 0);

	/* Fields at the limit are kept; one past it is refused and takes no seq. */
	struct audit_entry big;
	entry(&big, T0, "", "login", "");
	memset(big.reason, 'r', AUDIT_FIELD_MAX);
	assert_int_equal(store_audit_append(e->st, &big), COFFER_OK);
	assert_int_equal(big.seq, 31);
	memset(big.actor, 'a', sizeof big.actor); /* no NUL within AUDIT_FIELD_MAX + 1 */
	big.seq = 777;
	assert_int_equal(store_audit_append(e->st, &big), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(big.seq, 777);
	entry(&big, T0, "", "login", "");
	assert_int_equal(store_audit_append(e->st, &big), COFFER_OK);
	assert_int_equal(big.seq, 32);
	verify_ok(e, 32);
}

#define CHAIN_LEN 30

struct tamper {
	const char *what;
	const char *sql;
	uint64_t broken; /* 0: not detectable by the chain alone */
};

// clang-format off
static const struct tamper tampering[] = {
    {"edit actor", "UPDATE audit SET actor = 'mallory' WHERE seq = 17", 17},
    {"edit time", "UPDATE audit SET time = time + 1 WHERE seq = 1", 1},
    {"edit last reason", "UPDATE audit SET reason = reason || ' ' WHERE seq = 30", 30},
    {"edit outcome", "UPDATE audit SET outcome = 'failure' WHERE seq = 2", 2},
    {"edit hash", "UPDATE audit SET hash = randomblob(32) WHERE seq = 12", 12},
    {"delete a row", "DELETE FROM audit WHERE seq = 10", 10},
    {"delete the first row", "DELETE FROM audit WHERE seq = 1", 1},
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
    {"renumber the last row", "UPDATE audit SET seq = 40 WHERE seq = 30", 30},
    {"replay a row at the end",
     "INSERT INTO audit SELECT 31, time, actor, action, target, ip, outcome, reason, hash,"
     " key_version"
     " FROM audit WHERE seq = 3",
     31},
    {"a hash of the wrong length",
     "PRAGMA ignore_check_constraints = 1; UPDATE audit SET hash = x'00' WHERE seq = 20", 20},
    /* Cutting off the end leaves a shorter intact chain: comparing the last hash with one
     * kept elsewhere is the caller's concern (chain.h). */
    {"truncate the end", "DELETE FROM audit WHERE seq > 25", 0},
};
// clang-format on

/* Every change to the stored chain is caught at the first entry it breaks. */
static void test_audit_tampering(void **state)
{
	struct env *e = *state;
	for (size_t c = 0; c < ARRAY_LEN(tampering); c++) {
		const struct tamper *tc = &tampering[c];
		raw_exec(e, "DELETE FROM audit");
		for (int i = 0; i < CHAIN_LEN; i++) {
			struct audit_entry en;
			entry(&en, T0 + i, "admin@example.org", "user.disable", "someone");
			assert_int_equal(store_audit_append(e->st, &en), COFFER_OK);
		}
		verify_ok(e, CHAIN_LEN);
		raw_exec(e, tc->sql);
		uint64_t n = 0, broken = 0;
		enum coffer_err err = store_audit_verify(e->st, &n, &broken);
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

/* A process appending in a loop is killed (SIGKILL) at an arbitrary moment: the chain it
 * leaves is intact, and appends carry on from its last entry. */
static void test_audit_killed_writer(void **state)
{
	struct env *e = *state;
	store_close(e->st);
	e->st = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		if (store_system_open(e->tmp->dir, &st) != COFFER_OK)
			_exit(2);
		for (int64_t i = 0;; i++) {
			struct audit_entry en;
			entry(&en, T0 + i, "child", "login", "loop");
			if (store_audit_append(st, &en) != COFFER_OK)
				_exit(3);
		}
	}
	/* Let it write a while, then kill it in the middle of whatever it is doing. */
	int64_t rows = 0;
	for (int tries = 0; tries < 600 && rows < 60; tries++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		rows = raw_int(e, "SELECT count(*) FROM audit");
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(rows >= 60);

	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	uint64_t n = 0, broken = 0;
	assert_int_equal(store_audit_verify(e->st, &n, &broken), COFFER_OK);
	assert_true(n >= (uint64_t)rows);
	struct audit_entry en;
	entry(&en, T0, "parent", "login", "after");
	assert_int_equal(store_audit_append(e->st, &en), COFFER_OK);
	assert_int_equal(en.seq, n + 1);
	verify_ok(e, n + 1);
}

#define CHILDREN 2

/* Processes appending to the same file at once (each with its own store), while this one's
 * threads do too: still one chain. */
static void test_audit_processes(void **state)
{
	struct env *e = *state;
	pid_t pids[CHILDREN];
	store_close(e->st); /* no connection crosses a fork */
	e->st = NULL;
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			struct store *st = NULL;
			struct appender a = {.id = 100 + c};
			if (store_system_open(e->tmp->dir, &st) != COFFER_OK)
				_exit(2);
			a.st = st;
			append_many(&a);
			store_close(st);
			_exit(a.err == COFFER_OK ? 0 : 3);
		}
	}
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	pthread_t t[THREADS];
	static struct appender a[THREADS];
	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct appender){.st = e->st, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, append_many, &a[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].err, COFFER_OK);
	}
	for (int c = 0; c < CHILDREN; c++) {
		int status = 0;
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	verify_ok(e, (CHILDREN + THREADS) * PER_THREAD);
	assert_int_equal(raw_int(e, "SELECT count(DISTINCT actor) FROM audit"), CHILDREN + THREADS);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_throttle_counts, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_throttle_window, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_throttle_account_idle, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_policies, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_concurrent, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_list, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_tampering, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_processes, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_audit_killed_writer, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
