/* test_thread_random.c — the per-thread keystream for identifiers (common/thread_random.h):
 * successive calls and other threads never repeat a value, nothing is written past N, and the
 * bytes are not a constant pattern. */
#include "test_util.h"

#include <pthread.h>

#include "common/thread_random.h"

#define DRAWS 4096

static void draw(unsigned char (*ids)[16], int n)
{
	for (int i = 0; i < n; i++)
		thread_random_bytes(ids[i], sizeof ids[i]);
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static unsigned char other_ids[DRAWS][16];

static void *other_thread(void *arg)
{
	(void)arg;
	draw(other_ids, DRAWS);
	return NULL;
}

static void test_no_repeats_within_or_across_threads(void **state)
{
	(void)state;
	static unsigned char all[2 * DRAWS][16];
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	draw(all, DRAWS);
	assert_int_equal(pthread_join(t, NULL), 0);
	memcpy(all[DRAWS], other_ids, sizeof other_ids);
	qsort(all, 2 * DRAWS, 16, cmp16);
	for (int i = 1; i < 2 * DRAWS; i++)
		assert_int_not_equal(memcmp(all[i - 1], all[i], 16), 0);
	/* Not a fixed pattern: about half of the bits set. */
	int ones = 0;
	for (int i = 0; i < 2 * DRAWS; i++)
		for (int j = 0; j < 16; j++)
			ones += __builtin_popcount(all[i][j]);
	assert_in_range(ones, 2 * DRAWS * 128 * 45 / 100, 2 * DRAWS * 128 * 55 / 100);
}

static void test_writes_n_bytes_at_most_one_block(void **state)
{
	(void)state;
	unsigned char buf[THREAD_RANDOM_MAX + 8];
	memset(buf, 0xA5, sizeof buf);
	thread_random_bytes(buf, 5);
	for (size_t i = 5; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0xA5);
	memset(buf, 0xA5, sizeof buf);
	thread_random_bytes(buf, sizeof buf); /* more than a block: one block */
	for (size_t i = THREAD_RANDOM_MAX; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0xA5);
	thread_random_bytes(buf, 0); /* nothing asked, nothing written */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_repeats_within_or_across_threads),
	    cmocka_unit_test(test_writes_n_bytes_at_most_one_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
