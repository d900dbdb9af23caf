/* test_workers.c — the pool that runs slow requests: every job runs exactly once, on as many
 * threads as asked and no more, a full queue refuses at once instead of blocking, stopping
 * runs what was queued before joining, and a drained pool refuses late jobs until it is freed. */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "http/workers.h"

static atomic_int running, peak, done;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void open_gate(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* A job that waits at the gate, so the test controls when jobs finish. */
static void job(void *ctx, void *arg)
{
	int *ran = arg;
	(void)ctx;
	int now = atomic_fetch_add(&running, 1) + 1;
	int seen = atomic_load(&peak);
	while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now))
		;
	pthread_mutex_lock(&gate_mu);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	(*ran)++;
	atomic_fetch_sub(&running, 1);
	atomic_fetch_add(&done, 1);
}

static void reset(void)
{
	atomic_store(&running, 0);
	atomic_store(&peak, 0);
	atomic_store(&done, 0);
	gate_open = false;
}

static void test_bounded_threads_and_queue(void **state)
{
	(void)state;
	reset();
	struct workers *w = NULL;
	int ran[6] = {0};
	assert_int_equal(workers_start(2, 4, job, NULL, &w), COFFER_OK);
	/* Two run (and block at the gate), four wait in the queue, the seventh is refused. */
	for (int i = 0; i < 2; i++)
		assert_true(workers_submit(w, &ran[i]));
	while (atomic_load(&running) < 2)
		usleep(1000);
	for (int i = 2; i < 6; i++)
		assert_true(workers_submit(w, &ran[i]));
	int extra = 0;
	assert_false(workers_submit(w, &extra));
	open_gate();
	workers_stop(w); /* runs the queued jobs, then joins */
	assert_int_equal(atomic_load(&done), 6);
	assert_int_equal(atomic_load(&peak), 2);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ran[i], 1);
	assert_int_equal(extra, 0);
}

/* Draining runs what was queued and joins, but leaves the pool to be asked: a late job is
 * refused (the server answers 503) instead of meeting freed memory; stop frees it after. */
static void test_drain_then_refuse_then_stop(void **state)
{
	(void)state;
	reset();
	struct workers *w = NULL;
	int ran[3] = {0}, late = 0;
	assert_int_equal(workers_start(1, 4, job, NULL, &w), COFFER_OK);
	for (int i = 0; i < 3; i++)
		assert_true(workers_submit(w, &ran[i]));
	open_gate();
	workers_drain(w);
	assert_int_equal(atomic_load(&done), 3);
	assert_false(workers_submit(w, &late));
	workers_drain(w); /* twice is harmless */
	workers_stop(w);
	assert_int_equal(late, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ran[i], 1);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct workers *w = NULL;
	assert_int_equal(workers_start(0, 4, job, NULL, &w), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(workers_start(1, 0, job, NULL, &w), COFFER_ERR_INVALID_INPUT);
	workers_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounded_threads_and_queue),
	    cmocka_unit_test(test_drain_then_refuse_then_stop),
	    cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
