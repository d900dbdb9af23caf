/* test_throttle.c — the waits after failed logins: free failures, then 1 s, 2 s, 4 s … doubling
 * per further failure, counted from the last failure, capped at 900 s, and the address rule's
 * "more than 20" boundary. */
#include "test_util.h"

#include "signin/throttle.h"

static void test_account_waits_double(void **state)
{
	(void)state;
	const int64_t last = 1000000;
	assert_int_equal(throttle_wait(0, 0, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(1, last, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(2, last, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(3, last, THROTTLE_FREE_FAILURES, last), 1);
	assert_int_equal(throttle_wait(4, last, THROTTLE_FREE_FAILURES, last), 2);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last), 4);
	assert_int_equal(throttle_wait(12, last, THROTTLE_FREE_FAILURES, last), 512);
	assert_int_equal(throttle_wait(13, last, THROTTLE_FREE_FAILURES, last), THROTTLE_CAP_S);
	assert_int_equal(throttle_wait(4000000000u, last, THROTTLE_FREE_FAILURES, last),
			 THROTTLE_CAP_S);
}

static void test_wait_counts_from_the_last_failure(void **state)
{
	(void)state;
	const int64_t last = 5000;
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 1), 3);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 3), 1);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 4), 0);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 100000), 0);
	/* Never more than the cap, whatever the count: no permanent lockout. */
	assert_int_equal(throttle_wait(100, last, THROTTLE_FREE_FAILURES, last + THROTTLE_CAP_S),
			 0);
}

static void test_address_more_than_twenty(void **state)
{
	(void)state;
	const int64_t t = 777;
	assert_int_equal(throttle_wait(20, t, THROTTLE_ADDRESS_FREE + 1, t), 0);
	assert_int_equal(throttle_wait(21, t, THROTTLE_ADDRESS_FREE + 1, t), 1);
	assert_int_equal(throttle_wait(22, t, THROTTLE_ADDRESS_FREE + 1, t), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_account_waits_double),
	    cmocka_unit_test(test_wait_counts_from_the_last_failure),
	    cmocka_unit_test(test_address_more_than_twenty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
