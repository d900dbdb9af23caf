/* test_store_guesses.c — the system store's windows of failed guesses (store.h): per device
 * cookie and per user over all its cookies, and wrong codes per user; what each failure counts
 * against; a claim deciding and counting in one transaction, so that a burst of guesses from
 * many threads at once cannot pass a limit together, and taken back exactly; stale rows swept
 * as failures come; bad arguments; and the device key, made once and the same for every caller
 * after. */
#include "test_store.h"
#include "test_audit_signer.h"

#include <pthread.h>

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
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0);
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 10);
	assert_int_equal(get(e, &a, T0 + 10).device_until, 0); /* 2 of 3 */
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 20);
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
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 100);
	assert_int_equal(get(e, &a, T0 + 100).device_until, T0 + 110);
	/* Another cookie of the same user has its own window ... */
	const struct guess_who b = {"amy@example.org", "192.0.2.1", USER, DEV_B};
	s = get(e, &b, T0 + 100);
	assert_int_equal(s.device_until, 0);
	/* ... but shares the user's: 3 in the window, 2 more fill it. */
	count_fail(e, &b, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 101);
	assert_int_equal(get(e, &b, T0 + 101).devices_until, 0);
	count_fail(e, &b, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 102);
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
	count_fail(e, &code_only, STORE_GUESS_ADDRESS | STORE_GUESS_CODE, T0 + 60);
	count_fail(e, &code_only, STORE_GUESS_ADDRESS | STORE_GUESS_CODE, T0 + 61);
	s = get(e, &code_only, T0 + 61);
	assert_int_equal(s.codes_until, T0 + 110);
	assert_int_equal(s.untrusted.account_failures, 0);
	assert_int_equal(s.untrusted.address_failures, 2);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 1);
}

/* A decision for store_guess_claim: an untrusted client may go ahead while the account has
 * fewer than 3 failures (CTX: how many times it was asked, bumped atomically). */
static unsigned int three_free(const struct guess_state *s, int64_t now, void *ctx)
{
	(void)now;
	__atomic_add_fetch((int *)ctx, 1, __ATOMIC_SEQ_CST);
	return s->untrusted.account_failures < 3 ? STORE_GUESS_ADDRESS | STORE_GUESS_ACCOUNT : 0;
}

static void test_a_claim_decides_and_counts_at_once(void **state)
{
	struct env *e = *state;
	const struct guess_who w = {"amy@example.org", "192.0.2.1", USER, NULL};
	struct guess_claim c[5];
	int asked = 0;
	/* Five at the same second: the first three go ahead, each counted before the next is
	 * judged; the others must wait and count nothing. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_guess_claim(e->st, &w, &LIM, T0, three_free, &asked, &c[i]),
				 COFFER_OK);
		assert_int_equal(c[i].flags,
				 i < 3 ? STORE_GUESS_ADDRESS | STORE_GUESS_ACCOUNT : 0u);
	}
	assert_int_equal(asked, 5);
	struct guess_state s = get(e, &w, T0);
	assert_int_equal(s.untrusted.account_failures, 3);
	assert_int_equal(s.untrusted.address_failures, 3);
	/* One turned out right: taken back, exactly (another's row and count stay). */
	assert_int_equal(store_guess_forgive(e->st, &w, &c[1]), COFFER_OK);
	s = get(e, &w, T0);
	assert_int_equal(s.untrusted.account_failures, 2);
	assert_int_equal(s.untrusted.address_failures, 2);
	/* Nothing claimed, nothing to take back. */
	assert_int_equal(store_guess_forgive(e->st, &w, &c[4]), COFFER_OK);
	/* The last of an account's failures taken back: no count at all. */
	assert_int_equal(store_guess_forgive(e->st, &w, &c[0]), COFFER_OK);
	assert_int_equal(store_guess_forgive(e->st, &w, &c[2]), COFFER_OK);
	s = get(e, &w, T0);
	assert_int_equal(s.untrusted.account_failures, 0);
	assert_int_equal(s.untrusted.address_failures, 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_accounts"), 0);
}

/* A trusted client's claim counts against its cookie; taken back, the cookie's row goes. */
static unsigned int as_device(const struct guess_state *s, int64_t now, void *ctx)
{
	(void)ctx;
	return s->device_until > now ? 0 : STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE;
}

static void test_a_device_claim_is_taken_back(void **state)
{
	struct env *e = *state;
	const struct guess_who w = {"amy@example.org", "192.0.2.1", USER, DEV_A};
	struct guess_claim c[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_guess_claim(e->st, &w, &LIM, T0, as_device, NULL, &c[i]),
				 COFFER_OK);
	assert_int_equal(c[2].flags, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE);
	assert_int_equal(c[3].flags, 0); /* the window (3) was full */
	assert_int_equal(get(e, &w, T0).device_until, T0 + 100);
	assert_int_equal(store_guess_forgive(e->st, &w, &c[0]), COFFER_OK);
	assert_int_equal(get(e, &w, T0).device_until, 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 2);
	assert_int_equal(get(e, &w, T0).untrusted.account_failures, 0);
}

/* A claim confirmed as a failure: its wait runs from the failure; a wrong code counts too. */
static void test_a_confirmed_claim_counts_from_the_failure(void **state)
{
	struct env *e = *state;
	const struct guess_who w = {"amy@example.org", "192.0.2.1", USER, NULL};
	struct guess_claim c;
	int asked = 0;
	assert_int_equal(store_guess_claim(e->st, &w, &LIM, T0, three_free, &asked, &c), COFFER_OK);
	assert_int_equal(store_guess_confirm(e->st, &w, &c, STORE_GUESS_CODE, &LIM, T0 + 2),
			 COFFER_OK);
	struct guess_state s = get(e, &w, T0 + 2);
	assert_int_equal(s.untrusted.account_failures, 1);
	assert_int_equal(s.untrusted.account_last, T0 + 2);
	assert_int_equal(s.untrusted.address_failures, 1);
	assert_int_equal(s.untrusted.address_last, T0 + 2);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 1);
	/* Never back in time (another server's clock a little behind). */
	assert_int_equal(store_guess_confirm(e->st, &w, &c, 0, &LIM, T0 + 1), COFFER_OK);
	assert_int_equal(get(e, &w, T0 + 2).untrusted.account_last, T0 + 2);
	/* A device's row takes the time too. */
	const struct guess_who d = {"amy@example.org", "192.0.2.1", USER, DEV_A};
	assert_int_equal(store_guess_claim(e->st, &d, &LIM, T0, as_device, NULL, &c), COFFER_OK);
	assert_int_equal(store_guess_confirm(e->st, &d, &c, 0, &LIM, T0 + 30), COFFER_OK);
	assert_int_equal(raw_int(e, "SELECT max(time) FROM throttle_devices"), T0 + 30);
	/* Bad arguments: a code for nobody, another flag as the code. */
	const struct guess_who nobody = {"x@example.org", "192.0.2.1", NULL, NULL};
	const struct guess_claim none = {0, 0, 0};
	assert_int_equal(store_guess_confirm(e->st, &nobody, &none, STORE_GUESS_CODE, &LIM, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_confirm(e->st, &w, &none, STORE_GUESS_ACCOUNT, &LIM, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_guess_confirm(e->st, &nobody, &none, 0, &LIM, T0), COFFER_OK);
}

/* A decision naming what the guess lacks is a bug: refused, and nothing written. */
static unsigned int bad_decision(const struct guess_state *s, int64_t now, void *ctx)
{
	(void)s, (void)now, (void)ctx;
	return STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE;
}

static void test_a_bad_decision_writes_nothing(void **state)
{
	struct env *e = *state;
	const struct guess_who w = {"amy@example.org", "192.0.2.1", USER, NULL};
	struct guess_claim c = {7, 7, 7};
	assert_int_equal(store_guess_claim(e->st, &w, &LIM, T0, bad_decision, NULL, &c),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(c.flags, 7); /* untouched */
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_addresses"), 0);
	/* A claim never counts a code (that is known only after the check), so none is taken
	 * back. */
	const struct guess_claim code = {STORE_GUESS_CODE, 0, 0};
	assert_int_equal(store_guess_forgive(e->st, &w, &code), COFFER_ERR_INVALID_INPUT);
}

/* Many threads, one account, one moment: exactly three go ahead. */
struct burst {
	struct store *st;
	int asked;
	int went;
};

static void *burst_one(void *arg)
{
	struct burst *b = arg;
	const struct guess_who w = {"amy@example.org", "192.0.2.1", USER, NULL};
	struct guess_claim c;
	if (store_guess_claim(b->st, &w, &LIM, T0, three_free, &b->asked, &c) == COFFER_OK &&
	    c.flags != 0)
		__atomic_add_fetch(&b->went, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_a_burst_cannot_pass_together(void **state)
{
	struct env *e = *state;
	struct burst b = {e->st, 0, 0};
	pthread_t t[16];
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, burst_one, &b), 0);
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(b.went, 3);
	assert_true(b.asked >= 16);
	assert_int_equal(raw_int(e, "SELECT failures FROM throttle_accounts"), 3);
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
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 1000);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 20 + 1 - 8);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20); /* not written */
	const struct guess_who u = {"amy@example.org", "192.0.2.1", USER, NULL};
	count_fail(e, &u, STORE_GUESS_ACCOUNT | STORE_GUESS_CODE, T0 + 1000);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20 + 1 - 8);
	count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 1001);
	count_fail(e, &u, STORE_GUESS_CODE, T0 + 1001);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_devices"), 20 + 2 - 16);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM throttle_codes"), 20 + 2 - 16);
	/* Rows inside their window stay. */
	for (int i = 0; i < 4; i++)
		count_fail(e, &a, STORE_GUESS_ADDRESS | STORE_GUESS_DEVICE, T0 + 1002);
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
	assert_int_equal(store_guess_fail(e->st, &ok, 16, &LIM, T0), COFFER_ERR_INVALID_INPUT);
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
	(void)test_audit_signer_install();
	(void)make_org; /* test_store.h's, for other files */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_device_window_fills_and_moves_on, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_codes_fill_a_window_per_user, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_a_claim_decides_and_counts_at_once, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_a_device_claim_is_taken_back, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_a_confirmed_claim_counts_from_the_failure,
					    env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_a_bad_decision_writes_nothing, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_a_burst_cannot_pass_together, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_stale_rows_are_swept, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_the_device_key_is_made_once, env_setup,
					    env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
