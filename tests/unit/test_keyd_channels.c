/* test_keyd_channels.c — which CPU each keyd channel belongs to (common/cpu_set.h) and the web
 * process's choice of channel (keyclient/channel.c): a free channel of the CPU the caller runs
 * on first, another free one when the CPU's are taken, and every channel still reachable. */
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cpu_set.h"
#include "keyclient/channel.h"

static void test_cpu_list_is_this_threads_mask(void **state)
{
	(void)state;
	int cpus[CPU_SET_LIST_MAX];
	int n = cpu_set_list(cpus);
	assert_true(n >= 1);
	for (int i = 1; i < n; i++)
		assert_true(cpus[i] > cpus[i - 1]);
	assert_true(cpu_set_index(cpus, n, sched_getcpu()) >= 0);
	assert_int_equal(cpu_set_index(cpus, n, CPU_SETSIZE), -1);
	assert_int_equal(cpu_set_index(cpus, n, cpus[n - 1]), n - 1);
}

static struct keyd_client *client_on_socketpairs(void)
{
	int fds[KEYD_CHANNELS], other[KEYD_CHANNELS];
	for (int i = 0; i < KEYD_CHANNELS; i++) {
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
		fds[i] = sv[0];
		other[i] = sv[1];
	}
	struct keyd_client *c = keyd_client_new(fds);
	assert_non_null(c);
	for (int i = 0; i < KEYD_CHANNELS; i++)
		close(other[i]);
	return c;
}

static int channel_index(const struct keyd_client *c, const struct keyd_channel *ch)
{
	return (int)(ch - c->ch);
}

/* Runs the calling thread on CPU only. */
static void run_on(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
	while (sched_getcpu() != cpu)
		sched_yield();
}

static void test_channels_of_this_cpu_first(void **state)
{
	(void)state;
	struct keyd_client *c = client_on_socketpairs();
	if (c->n_cpus < 2) {
		keyd_client_free(c);
		skip(); /* one CPU: no channel is pinned, any will do */
	}
	cpu_set_t saved;
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof saved, &saved), 0);
	const int me = c->n_cpus - 1; /* the last CPU, so that channel 0 is not it by chance */
	run_on(c->cpus[me]);
	struct keyd_channel *held[KEYD_CHANNELS];
	int n_held = 0, mine = 0;
	for (int i = me; i < KEYD_CHANNELS; i += c->n_cpus)
		mine++;
	/* As many as the CPU has: each is one of its own. */
	for (; n_held < mine; n_held++) {
		held[n_held] = keyd_channel_acquire(c);
		assert_int_equal(channel_index(c, held[n_held]) % c->n_cpus, me);
	}
	/* Its own all taken: another free one, never one already held. */
	for (; n_held < KEYD_CHANNELS; n_held++) {
		held[n_held] = keyd_channel_acquire(c);
		assert_int_not_equal(channel_index(c, held[n_held]) % c->n_cpus, me);
		for (int j = 0; j < n_held; j++)
			assert_ptr_not_equal(held[j], held[n_held]);
	}
	for (int i = 0; i < n_held; i++)
		keyd_channel_release(held[i]);
	/* Given back: the CPU's own first again. */
	struct keyd_channel *again = keyd_channel_acquire(c);
	assert_int_equal(channel_index(c, again) % c->n_cpus, me);
	keyd_channel_release(again);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof saved, &saved), 0);
	keyd_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpu_list_is_this_threads_mask),
	    cmocka_unit_test(test_channels_of_this_cpu_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
