/* test_throttle.c — the waits after failed logins: free failures, then 1 s, 2 s, 4 s … doubling
 * per further failure, counted from the last failure (stamped in whole seconds, so a wait ends
 * one second later than the stamp plus the wait), capped at 900 s, and the address rule's
 * "more than 20" boundary; the verdict with and without a standing device cookie and with the
 * window of wrong codes full; and, on a clock the test runs, how many guesses an attacker gets
 * per hour: the figures docs/SECURITY.md states. */
#include "test_util.h"

#include "signin/throttle.h"

static void test_account_waits_double(void **state)
{
	(void)state;
	const int64_t last = 1000000;
	assert_int_equal(throttle_wait(0, 0, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(1, last, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(2, last, THROTTLE_FREE_FAILURES, last), 0);
	assert_int_equal(throttle_wait(3, last, THROTTLE_FREE_FAILURES, last), 2);
	assert_int_equal(throttle_wait(4, last, THROTTLE_FREE_FAILURES, last), 3);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last), 5);
	assert_int_equal(throttle_wait(12, last, THROTTLE_FREE_FAILURES, last), 513);
	assert_int_equal(throttle_wait(13, last, THROTTLE_FREE_FAILURES, last), THROTTLE_CAP_S + 1);
	assert_int_equal(throttle_wait(4000000000u, last, THROTTLE_FREE_FAILURES, last),
			 THROTTLE_CAP_S + 1);
}

static void test_wait_counts_from_the_last_failure(void **state)
{
	(void)state;
	const int64_t last = 5000;
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 1), 4);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 4), 1);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 5), 0);
	assert_int_equal(throttle_wait(5, last, THROTTLE_FREE_FAILURES, last + 100000), 0);
	/* Never more than the cap, whatever the count: no permanent lockout. */
	assert_int_equal(
	    throttle_wait(100, last, THROTTLE_FREE_FAILURES, last + 1 + THROTTLE_CAP_S), 0);
}

static void test_address_more_than_twenty(void **state)
{
	(void)state;
	const int64_t t = 777;
	assert_int_equal(throttle_wait(20, t, THROTTLE_ADDRESS_FREE + 1, t), 0);
	assert_int_equal(throttle_wait(21, t, THROTTLE_ADDRESS_FREE + 1, t), 2);
	assert_int_equal(throttle_wait(22, t, THROTTLE_ADDRESS_FREE + 1, t), 3);
}

static const int64_t T0 = 1700000000;

/* An account whose untrusted clients must wait: 5 failures, the last stamped in the second
 * before T0 (4 s after it: until T0 + 4). */
static struct throttle_counts locked_account(void)
{
	return (struct throttle_counts){.account_failures = 5, .account_last = T0 - 1};
}

static void test_untrusted_clients_wait_for_the_account(void **state)
{
	(void)state;
	struct throttle_counts c = locked_account();
	struct throttle_verdict v;
	throttle_decide(&c, T0, &v);
	assert_false(v.trusted);
	assert_int_equal(v.wait, 4);
	assert_int_equal(v.why, THROTTLE_ACCOUNT);
	throttle_decide(&c, T0 + 4, &v);
	assert_int_equal(v.wait, 0);
	assert_int_equal(v.why, THROTTLE_GO);
}

static void test_a_device_cookie_is_not_held_by_the_account(void **state)
{
	(void)state;
	struct throttle_counts c = locked_account();
	struct throttle_verdict v;
	c.account_failures = 1000; /* a stranger has been at it for days */
	c.device = true;
	throttle_decide(&c, T0, &v);
	assert_true(v.trusted);
	assert_int_equal(v.wait, 0);
	assert_int_equal(v.why, THROTTLE_GO);
}

static void test_a_device_cookie_that_failed_too_often_is_untrusted(void **state)
{
	(void)state;
	struct throttle_counts c = locked_account();
	struct throttle_verdict v;
	c.device = true;
	/* Its own window full (until T0 + 100): an untrusted client, held by the account. */
	c.device_until = T0 + 100;
	throttle_decide(&c, T0, &v);
	assert_false(v.trusted);
	assert_int_equal(v.wait, 4);
	/* Once its window has moved on (a second after: the stamps are whole seconds), it stands
	 * again. */
	throttle_decide(&c, T0 + 100, &v);
	assert_false(v.trusted);
	throttle_decide(&c, T0 + 101, &v);
	assert_true(v.trusted);
	assert_int_equal(v.wait, 0);
	/* All the account's cookies together full: none of them stands. */
	c.device_until = 0;
	c.devices_until = T0 + 1;
	throttle_decide(&c, T0, &v);
	assert_false(v.trusted);
	assert_int_equal(v.wait, 4);
}

static void test_the_address_rule_holds_for_everyone(void **state)
{
	(void)state;
	struct throttle_counts c = {.address_failures = 22, .address_last = T0 - 1, .device = true};
	struct throttle_verdict v;
	throttle_decide(&c, T0, &v);
	assert_true(v.trusted);
	assert_int_equal(v.wait, 2);
	assert_int_equal(v.why, THROTTLE_ADDRESS);
	/* Both: the longer wait is told, and which rule asked for it. */
	c = locked_account();
	c.address_failures = 21;
	c.address_last = T0 - 1;
	throttle_decide(&c, T0, &v);
	assert_int_equal(v.wait, 4);
	assert_int_equal(v.why, THROTTLE_ACCOUNT);
	c.address_failures = 25;
	throttle_decide(&c, T0, &v);
	assert_int_equal(v.wait, 16);
	assert_int_equal(v.why, THROTTLE_ADDRESS);
}

static void test_the_code_window_holds_untrusted_clients_only(void **state)
{
	(void)state;
	struct throttle_counts c = {.codes_until = T0 + 600};
	struct throttle_verdict v;
	throttle_decide(&c, T0, &v);
	/* No wait for the guess itself (that would tell whether a password was right): only a
	 * right password and code is refused, for the rest of the window. */
	assert_int_equal(v.wait, 0);
	assert_int_equal(v.codes_wait, 601);
	throttle_decide(&c, T0 + 601, &v);
	assert_int_equal(v.codes_wait, 0);
	c.device = true;
	throttle_decide(&c, T0, &v);
	assert_true(v.trusted);
	assert_int_equal(v.codes_wait, 0);
}

/* --- guesses per hour, on a clock the test runs ------------------------------------------ */

#define SIM_MAX 4096

/* A guesser who never gets in, on untrusted clients, trying at every moment the verdict
 * allows. ADDRESS: all from one address (the address rule too); SPRAY: each guess at another
 * account (only the address rule); CODES: guesses of codes after a right password, counted
 * only while the code window has room (while it is full even a right code is refused);
 * OWNER_RESETS: the account's owner signs in from an untrusted client after every guess, so
 * the account's wait never grows (the worst case for the code window). TIMES gets each
 * counted guess's time (from 0), up to SIM_MAX; returns how many there were before END. */
struct sim {
	bool address, spray, codes, owner_resets;
};

static size_t simulate(const struct sim *o, int64_t end, int64_t *times)
{
	struct throttle_counts c = {0};
	int64_t address[SIM_MAX], codes[SIM_MAX];
	size_t n_address = 0, n_codes = 0, n = 0;
	int64_t now = T0;
	while (now < T0 + end && n < SIM_MAX) {
		/* What the store would read at NOW: the windows' counts and "until"s. */
		c.address_failures = 0;
		for (size_t i = 0; o->address && i < n_address; i++) {
			if (address[i] > now - THROTTLE_WINDOW_S) {
				c.address_failures++;
				c.address_last = address[i];
			}
		}
		c.codes_until = 0;
		if (o->codes && n_codes >= THROTTLE_CODE_MAX &&
		    codes[n_codes - THROTTLE_CODE_MAX] > now - THROTTLE_CODE_WINDOW_S)
			c.codes_until = codes[n_codes - THROTTLE_CODE_MAX] + THROTTLE_CODE_WINDOW_S;
		struct throttle_verdict v;
		throttle_decide(&c, now, &v);
		int64_t wait = v.wait > v.codes_wait ? v.wait : v.codes_wait;
		if (wait > 0) {
			now += wait;
			continue;
		}
		/* The guess goes in at the last instant before NOW: the store stamps it with the
		 * second before, the earliest stamp a guess allowed at NOW can carry, so that the
		 * guesser loses no time to whole seconds and the figures are a bound. */
		times[n++] = now - T0;
		address[n_address++] = now - 1;
		codes[n_codes++] = now - 1;
		if (!o->spray && !o->owner_resets) {
			c.account_failures++;
			c.account_last = now - 1;
		}
	}
	return n;
}

static size_t between(const int64_t *times, size_t n, int64_t from, int64_t to)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += times[i] >= from && times[i] < to;
	return k;
}

static void test_password_guesses_per_hour(void **state)
{
	(void)state;
	static int64_t t[SIM_MAX];
	/* One account, without its device cookie, from many addresses: 3 at once, then after
	 * 1, 2, 4 … 512 s, then one per 900 s. 15 in the first hour, 4 in every hour after. */
	const struct sim many = {0};
	size_t n = simulate(&many, 3 * 3600, t);
	assert_int_equal(between(t, n, 0, 3600), 15);
	assert_int_equal(between(t, n, 3600, 7200), 4);
	assert_int_equal(between(t, n, 7200, 10800), 4);
	assert_int_equal(t[12], 1023); /* the 13th: after 1 + 2 + … + 512 s */
	assert_int_equal(t[13] - t[12], THROTTLE_CAP_S);
	/* From one address the address rule adds nothing: the account's binds first. */
	const struct sim one = {.address = true};
	size_t n1 = simulate(&one, 3 * 3600, t);
	assert_int_equal(n1, n);
	assert_int_equal(between(t, n1, 0, 3600), 15);
	assert_int_equal(between(t, n1, 3600, 7200), 4);
	/* No sliding hour holds more than the first: the figure is a bound. */
	for (size_t i = 0; i < n1; i++)
		assert_true(between(t, n1, t[i], t[i] + 3600) <= 15);
	/* Over a day: 15 + 23 × 4 (an account's count is kept while it keeps failing). */
	n = simulate(&many, 86400, t);
	assert_int_equal(n, 107);
}

static void test_spraying_from_one_address_per_hour(void **state)
{
	(void)state;
	static int64_t t[SIM_MAX];
	/* Every guess at another account, all from one address: 21 at once, then the doubling
	 * waits over a 10-minute window. 119 in the first hour, never more in any hour, 100 an
	 * hour over a day (the window empties and fills again every three hours). */
	const struct sim spray = {.address = true, .spray = true};
	size_t n = simulate(&spray, 12 * 3600, t);
	assert_int_equal(between(t, n, 0, 3600), 119);
	for (size_t i = 0; i < n; i++)
		assert_true(between(t, n, t[i], t[i] + 3600) <= 119);
	assert_int_equal(n, 12 * 100);
}

static void test_code_guesses_per_hour(void **state)
{
	(void)state;
	static int64_t t[SIM_MAX];
	/* Knowing the password, without the device cookie: every wrong code also feeds the
	 * account's wait, so 14 in the first hour and 4 in each hour after ... */
	const struct sim codes = {.codes = true};
	size_t n = simulate(&codes, 3 * 3600, t);
	assert_int_equal(between(t, n, 0, 3600), 14);
	assert_int_equal(between(t, n, 3600, 7200), 4);
	/* ... and never more than 5 in 15 minutes, 20 an hour, even when the owner's own
	 * sign-ins keep starting the account's count again. */
	const struct sim reset = {.codes = true, .owner_resets = true};
	n = simulate(&reset, 3 * 3600, t);
	assert_int_equal(between(t, n, 0, 3600), 20);
	assert_int_equal(between(t, n, 3600, 7200), 20);
	for (size_t i = 0; i < n; i++)
		assert_true(between(t, n, t[i], t[i] + THROTTLE_CODE_WINDOW_S) <=
			    THROTTLE_CODE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_account_waits_double),
	    cmocka_unit_test(test_wait_counts_from_the_last_failure),
	    cmocka_unit_test(test_address_more_than_twenty),
	    cmocka_unit_test(test_untrusted_clients_wait_for_the_account),
	    cmocka_unit_test(test_a_device_cookie_is_not_held_by_the_account),
	    cmocka_unit_test(test_a_device_cookie_that_failed_too_often_is_untrusted),
	    cmocka_unit_test(test_the_address_rule_holds_for_everyone),
	    cmocka_unit_test(test_the_code_window_holds_untrusted_clients_only),
	    cmocka_unit_test(test_password_guesses_per_hour),
	    cmocka_unit_test(test_spraying_from_one_address_per_hour),
	    cmocka_unit_test(test_code_guesses_per_hour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
