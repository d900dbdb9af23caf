/* test_audit_batch.c — the audit group commit (audit/batch.h): every submitter hears back
 * once, with the commit's outcome; each chain gets its entries in submission order and in
 * few transactions when many arrive at once; under steady load a round waits for more;
 * stopping commits what is queued; a full queue refuses rather than grows. */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "audit/batch.h"
#include "test_audit_signer.h"

#define CHAINS	  3
#define PER_CHAIN 600

struct fake_store {
	pthread_mutex_t mu;
	uint64_t next[CHAINS]; /* next expected number per chain */
	unsigned int commits;
	bool out_of_order;
	bool fail;	     /* every commit fails */
	useconds_t delay;    /* each commit takes this long (an fsync) */
	atomic_bool entered; /* a commit has started */
	atomic_bool hold;    /* commits wait while it is set */
};

static enum coffer_err fake_commit(void *ctx, const char *chain, struct audit_entry *e, size_t n)
{
	struct fake_store *fs = ctx;
	atomic_store(&fs->entered, true);
	while (atomic_load(&fs->hold))
		usleep(1000);
	if (fs->delay)
		usleep(fs->delay);
	int c = chain[0] - 'a';
	pthread_mutex_lock(&fs->mu);
	fs->commits++;
	for (size_t i = 0; i < n; i++) {
		if (c < 0 || c >= CHAINS || e[i].time != (int64_t)fs->next[c])
			fs->out_of_order = true;
		else
			fs->next[c]++;
	}
	pthread_mutex_unlock(&fs->mu);
	return fs->fail ? COFFER_ERR_IO : COFFER_OK;
}

struct waiter {
	atomic_int calls;
	atomic_int failures;
};

static void on_done(void *ctx, enum coffer_err err)
{
	struct waiter *w = ctx;
	atomic_fetch_add(&w->calls, 1);
	if (err != COFFER_OK)
		atomic_fetch_add(&w->failures, 1);
}

static void entry(struct audit_entry *e, uint64_t n)
{
	memset(e, 0, sizeof *e);
	e->time = (int64_t)n; /* the submission order, checked by the fake store */
	snprintf(e->action, sizeof e->action, "record.read");
}

static void test_every_entry_in_order_and_batched(void **state)
{
	(void)state;
	struct fake_store fs = {.delay = 2000};
	pthread_mutex_init(&fs.mu, NULL);
	struct audit_batch *b = NULL;
	struct waiter w = {0};
	assert_int_equal(audit_batch_start(fake_commit, &fs, &b), COFFER_OK);
	for (uint64_t i = 0; i < PER_CHAIN; i++) {
		for (int c = 0; c < CHAINS; c++) {
			struct audit_entry e;
			char chain[2] = {(char)('a' + c), '\0'};
			entry(&e, i);
			assert_true(audit_batch_submit(b, chain, &e, on_done, &w));
		}
	}
	audit_batch_stop(b);
	assert_int_equal(atomic_load(&w.calls), CHAINS * PER_CHAIN);
	assert_int_equal(atomic_load(&w.failures), 0);
	assert_false(fs.out_of_order);
	for (int c = 0; c < CHAINS; c++)
		assert_int_equal(fs.next[c], PER_CHAIN);
	/* 1800 entries while each commit takes 2 ms: they share transactions. */
	assert_true(fs.commits < CHAINS * PER_CHAIN / 4);
	pthread_mutex_destroy(&fs.mu);
}

static void test_failure_reaches_every_submitter(void **state)
{
	(void)state;
	struct fake_store fs = {.fail = true};
	pthread_mutex_init(&fs.mu, NULL);
	struct audit_batch *b = NULL;
	struct waiter w = {0};
	assert_int_equal(audit_batch_start(fake_commit, &fs, &b), COFFER_OK);
	for (uint64_t i = 0; i < 10; i++) {
		struct audit_entry e;
		entry(&e, i);
		assert_true(audit_batch_submit(b, "a", &e, on_done, &w));
	}
	/* Fire and forget: no callback, but committed all the same. */
	struct audit_entry e;
	entry(&e, 10);
	assert_true(audit_batch_submit(b, "a", &e, NULL, NULL));
	audit_batch_stop(b);
	assert_int_equal(atomic_load(&w.calls), 10);
	assert_int_equal(atomic_load(&w.failures), 10);
	assert_int_equal(fs.next[0], 11);
	pthread_mutex_destroy(&fs.mu);
}

/* What the gather hook does: counts its calls and submits GATHERED entries, as if they had
 * arrived while the round waited. */
struct gathering {
	struct audit_batch *b;
	struct waiter *w;
	uint64_t next;
	int calls;
};

static void gather_more(void *ctx)
{
	struct gathering *g = ctx;
	g->calls++;
	for (int i = 0; i < 3; i++) {
		struct audit_entry e;
		entry(&e, g->next++);
		assert_true(audit_batch_submit(g->b, "a", &e, on_done, g->w));
	}
}

/* A round on an idle batch commits at once; one that follows a round during which entries
 * arrived (steady load) waits once for more, and what arrives meanwhile shares it. (Whether
 * the round after that waits depends on when the next entry comes, so it is not asked.) */
static void test_steady_load_gathers_a_round(void **state)
{
	(void)state;
	struct fake_store fs = {.delay = 0};
	pthread_mutex_init(&fs.mu, NULL);
	struct waiter w = {0};
	struct gathering g = {.w = &w};
	assert_int_equal(audit_batch_start(fake_commit, &fs, &g.b), COFFER_OK);
	audit_batch_set_gather(g.b, gather_more, &g);
	atomic_store(&fs.hold, true);
	struct audit_entry e;
	entry(&e, g.next++);
	assert_true(audit_batch_submit(g.b, "a", &e, on_done, &w)); /* round 1: idle */
	while (!atomic_load(&fs.entered))
		usleep(1000);
	entry(&e, g.next++);
	assert_true(audit_batch_submit(g.b, "a", &e, on_done, &w)); /* arrives meanwhile */
	atomic_store(&fs.hold, false);
	while (atomic_load(&w.calls) < 5)
		usleep(1000);
	/* Round 1 alone, then the entry that waited with the 3 gathered: 2 commits, 1 wait. */
	pthread_mutex_lock(&fs.mu);
	assert_int_equal(fs.commits, 2);
	pthread_mutex_unlock(&fs.mu);
	audit_batch_stop(g.b);
	assert_int_equal(g.calls, 1);
	assert_int_equal(atomic_load(&w.calls), 5);
	assert_false(fs.out_of_order);
	pthread_mutex_destroy(&fs.mu);
}

static void test_full_queue_and_bad_chain_refused(void **state)
{
	(void)state;
	struct fake_store fs = {.delay = 0};
	atomic_store(&fs.hold, true); /* the first commit holds the thread until released */
	pthread_mutex_init(&fs.mu, NULL);
	struct audit_batch *b = NULL;
	assert_int_equal(audit_batch_start(fake_commit, &fs, &b), COFFER_OK);
	struct audit_entry e;
	entry(&e, 0);
	assert_true(audit_batch_submit(b, "a", &e, NULL, NULL));
	while (!atomic_load(&fs.entered))
		usleep(1000); /* until the thread has taken it and sleeps in its commit */
	size_t accepted = 0;
	for (size_t i = 1; i <= AUDIT_BATCH_QUEUE_MAX + 10; i++) {
		entry(&e, i);
		if (audit_batch_submit(b, "a", &e, NULL, NULL))
			accepted++;
	}
	assert_int_equal(accepted, AUDIT_BATCH_QUEUE_MAX);
	char long_chain[AUDIT_CHAIN_ID_MAX + 2];
	memset(long_chain, 'a', sizeof long_chain - 1);
	long_chain[sizeof long_chain - 1] = '\0';
	assert_false(audit_batch_submit(b, long_chain, &e, NULL, NULL));
	assert_false(audit_batch_submit(b, "", &e, NULL, NULL));
	atomic_store(&fs.hold, false);
	audit_batch_stop(b);
	assert_false(fs.out_of_order);
	assert_int_equal(fs.next[0], AUDIT_BATCH_QUEUE_MAX + 1);
	pthread_mutex_destroy(&fs.mu);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_entry_in_order_and_batched),
	    cmocka_unit_test(test_failure_reaches_every_submitter),
	    cmocka_unit_test(test_steady_load_gathers_a_round),
	    cmocka_unit_test(test_full_queue_and_bad_chain_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
