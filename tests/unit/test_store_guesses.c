/* test_store_guesses.c — the system store's windows of failed guesses (store.h): per device
 * cookie and per user over all its cookies, and wrong codes per user; what each failure counts
 * against; stale rows swept as failures come; bad arguments; and the device key, made once and
 * the same for every caller after. */
#include "test_store.h"

#define T0 1700000000

static const char USER[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
static const char OTHER[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/* Small windows, so that the tests can see them fill and move on. */
static const struct guess_limits LIM = {
    .address_window = 600,
    .device = {3, 100},
    .devices = {5, 100},
    .codes = {2, 50},
};

static const uint8_t DEV_A[STORE_DEVICE_ID_BYTES] = {1};
static const uint8_t DEV_B[STORE_DEVICE_ID_BYTES] = {2};

static struct guess_state get(const struct env *e, const struct guess_who *w, int64_t now)
{
	struct guess_state s;
	memset(&s, 0xee, sizeof s);
	assert_int_equal(store_guess_get(e->st, w, &LIM, now, &s), COFFER_OK);
	return s;
}

static void count_fail(const struct env *e, const struct guess_who *w, unsigned int flags,
		       int64_t now)
{
	assert_int_equal(store_guess_fail(e->st, w, flags, &LIM, now), COFFER_OK);
}

static void test_a_device_window_fills_and_moves_on(void **state)
{
	struct env *e = *state;
	const struct guess_who a = {"amy@example.org", "192.0.2.1", USER, DEV_A};
	struct guess_state s = get(e, &a, T0);
	assert_int_equal(s.device_until, 0);
	assert_int_equal(s.devices_until, 0);
	assert_int_equal(s.codes_until, 0);
	assert_int_equal(s.untrusted.account_failures, 0);
	count_fail(e, &a, STORE_GUESS_DEVICE, T0);
	count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 10);
	assert_int_equal(get(e, &a, T0 + 10).device_until, 0); /* 2 of 3 */
	count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 20);
	/* Full: until the oldest of the newest three leaves the window (T0 + 100). */
	s = get(e, &a, T0 + 20);
	assert_int_equal(s.device_until, T0 + 100);
	assert_int_equal(s.devices_until, 0); /* 3 of the user's 5 */
	/* A device's failures are not the account's: its untrusted count is untouched; the
	 * address counts every failure. */
	assert_int_equal(s.untrusted.account_failures, 0);
	assert_int_equal(s.untrusted.address_failures, 3);
	/* Moving on: at T0 + 100 the first has left the window. */
	assert_int_equal(get(e, &a, T0 + 100).device_until, 0);
	/* Another failure fills it again, until the second leaves. */
	count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 100);
	assert_int_equal(get(e, &a, T0 + 100).device_until, T0 + 110);
	/* Another cookie of the same user has its own window ... */
	const struct guess_who b = {"amy@example.org", "192.0.2.1", USER, DEV_B};
	s = get(e, &b, T0 + 100);
	assert_int_equal(s.device_until, 0);
	/* ... but shares the user's: 3 in the window, 2 more fill it. */
	count_fail(e, &b, STORE_GUESS_DEVICE, T0 + 101);
	assert_int_equal(get(e, &b, T0 + 101).devices_until, 0);
	count_fail(e, &b, STORE_GUESS_DEVICE, T0 + 102);
	s = get(e, &b, T0 + 102);
	assert_int_equal(s.device_until, 0);
	assert_int_equal(s.devices_until, T0 + 110);
	/* Another user's cookies are theirs alone. */
	const struct guess_who other = {"bob@example.org", "192.0.2.1", OTHER, DEV_B};
	s = get(e, &other, T0 + 102);
	assert_int_equal(s.devices_until, 0);
}

static void test_codes_fill_a_window_per_user(void **state)
{
	struct env *e = *state;
	const struct guess_who u = {"amy@example.org", "192.0.2.1", USER, NULL};
	const struct guess_who o = {"bob@example.org", "192.0.2.2", OTHER, NULL};
	count_fail(e, &u, STORE_GUESS_ACCOUNT | STORE_GUESS_CODE, T0);
	struct guess_state s = get(e, &u, T0);
	assert_int_equal(s.codes_until, 0);
	assert_int_equal(s.untrusted.account_failures, 1); /* both counted */
	count_fail(e, &u, STORE_GUESS_ACCOUNT | STORE_GUESS_CODE, T0 + 5);
	s = get(e, &u, T0 + 5);
	assert_int_equal(s.codes_until, T0 + 50);
	assert_int_equal(s.untrusted.account_failures, 2);
	assert_int_equal(get(e, &o, T0 + 5).codes_until, 0); /* another user's */
	assert_int_equal(get(e, &u, T0 + 49).codes_until, T0 + 50);
	assert_int_equal(get(e, &u, T0 + 50).codes_until, 0);
	/* A wrong password alone is no wrong code. */
	count_fail(e, &u, STORE_GUESS_ACCOUNT, T0 + 51);
	s = get(e, &u, T0 + 51);
	assert_int_equal(s.codes_until, 0);
	assert_int_equal(s.untrusted.account_failures, 3);
	/* A code confirmed on its own (an invitation's): no account at all. */
	const struct guess_who code_only = {NULL, "192.0.2.3", OTHER, NULL};
	count_fail(e, &code_only, STORE_GUESS_CODE, T0 + 60);
	count_fail(e, &code_only, STORE_GUESS_CODE, T0 + 61);
	s = get(e, &code_only, T0 + 61);
	assert_int_equal(s.codes_until, T0 + 110);
	assert_int_equal(s.untrusted.account_failures, 0);
	assert_int_equal(s.untrusted.address_failures, 2);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 1);
}

/* Each failure removes a bounded number of stale rows, whoever they belong to. */
static void test_stale_rows_are_swept(void **state)
{
	struct env *e = *state;
	char sql[256];
	for (int i = 0; i < 20; i++) {
		snprintf(sql, sizeof sql,
			 "INSERT INTO throttle_devices (device, user_id, time) "
			 "VALUES (randomblob(16), 'u%d', %d);"
			 "INSERT INTO throttle_codes (user_id, time) VALUES ('u%d', %d)",
			 i, T0, i, T0);
		raw_exec(e, sql);
	}
	const struct guess_who a = {"amy@example.org", "192.0.2.1", USER, DEV_A};
	count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 1000);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 20 + 1 - 8);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20); /* not written */
	const struct guess_who u = {"amy@example.org", "192.0.2.1", USER, NULL};
	count_fail(e, &u, STORE_GUESS_ACCOUNT | STORE_GUESS_CODE, T0 + 1000);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20 + 1 - 8);
	count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 1001);
	count_fail(e, &u, STORE_GUESS_CODE, T0 + 1001);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 20 + 2 - 16);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20 + 2 - 16);
	/* Rows inside their window stay. */
	for (int i = 0; i < 4; i++)
		count_fail(e, &a, STORE_GUESS_DEVICE, T0 + 1002);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 6);
}

static void test_bad_arguments(void **state)
{
	struct env *e = *state;
	struct guess_state s;
	const struct guess_who ok = {"amy@example.org", "192.0.2.1", USER, DEV_A};
	const struct guess_who no_user = {"amy@example.org", "192.0.2.1", NULL, NULL};
	const struct guess_who device_no_user = {"amy@example.org", "192.0.2.1", NULL, DEV_A};
	const struct guess_who no_account = {NULL, "192.0.2.1", USER, NULL};
	const struct guess_who no_address = {"amy@example.org", "", USER, NULL};
	const struct guess_who long_user = {"amy@example.org", "192.0.2.1",
					    "0123456789012345678901234567890123456", NULL};
	assert_int_equal(store_guess_get(e->st, &device_no_user, &LIM, T0, &s),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_get(e->st, &no_address, &LIM, T0, &s),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_get(e->st, &long_user, &LIM, T0, &s),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_get(e->st, &ok, &LIM, -1, &s), COFFER_ERR_INVALID_INPUT);
	struct guess_limits bad = LIM;
	bad.codes.max = 0;
	assert_int_equal(store_guess_get(e->st, &ok, &bad, T0, &s), COFFER_ERR_INVALID_INPUT);
	bad = LIM;
	bad.device.window = 0;
	assert_int_equal(store_guess_fail(e->st, &ok, STORE_GUESS_DEVICE, &bad, T0),
			 COFFER_ERR_INVALID_INPUT);
	/* Flags naming what WHO lacks, or nothing known. */
	assert_int_equal(store_guess_fail(e->st, &no_user, STORE_GUESS_DEVICE, &LIM, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_fail(e->st, &no_user, STORE_GUESS_CODE, &LIM, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_fail(e->st, &no_account, STORE_GUESS_ACCOUNT, &LIM, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_fail(e->st, &ok, 8, &LIM, T0), COFFER_ERR_INVALID_INPUT);
	/* Nothing was written by any of them. */
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 0);
}

static void test_the_device_key_is_made_once(void **state)
{
	struct env *e = *state;
	uint8_t first[32], second[32], got[32];
	memset(first, 0x11, sizeof first);
	memset(second, 0x22, sizeof second);
	assert_int_equal(store_device_key(e->st, first, T0, got), COFFER_OK);
	assert_memory_equal(got, first, sizeof got);
	/* Another server, or a restart, offering its own: the stored one wins. */
	assert_int_equal(store_device_key(e->st, second, T0 + 1, got), COFFER_OK);
	assert_memory_equal(got, first, sizeof got);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM device_key"), 1);
	/* Reopened: the same key. */
	store_close(e->st);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(store_device_key(e->st, second, T0 + 2, got), COFFER_OK);
	assert_memory_equal(got, first, sizeof got);
}

int main(void)
{
	(void)make_org; /* test_store.h's, for other files */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_device_window_fills_and_moves_on, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_codes_fill_a_window_per_user, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_stale_rows_are_swept, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_the_device_key_is_made_once, env_setup,
					    env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
