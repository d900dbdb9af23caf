/* test_backup_schedule.c — when the nightly backup runs (backup_next_run): the next crossing of
 * backup_at in backup_time_zone after now, the same day or the next; on a day whose clock
 * skips that minute (spring forward), the first minute after the skip; never "now" itself. */
#include "test_util.h"

#include "backup/nightly.h"

/* 2026-12-05T00:00:00Z */
#define DEC5 INT64_C(1796428800)
#define H    INT64_C(3600)

static void test_utc(void **state)
{
	(void)state;
	int64_t next = 0;
	assert_int_equal(backup_next_run("UTC", 150, DEC5, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 2 * H + 30 * 60);
	/* at 02:30 exactly, the next is tomorrow's */
	assert_int_equal(backup_next_run("UTC", 150, DEC5 + 2 * H + 30 * 60, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 26 * H + 30 * 60);
	assert_int_equal(backup_next_run("UTC", 150, DEC5 + 2 * H + 31 * 60, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 26 * H + 30 * 60);
	/* midnight */
	assert_int_equal(backup_next_run("UTC", 0, DEC5 + 1, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 24 * H);
	assert_int_equal(backup_next_run("UTC", 1439, DEC5, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 23 * H + 59 * 60);
}

static void test_zones(void **state)
{
	(void)state;
	int64_t next = 0;
	/* New York in December is UTC-5: 02:30 local is 07:30Z */
	assert_int_equal(backup_next_run("America/New_York", 150, DEC5, &next), COFFER_OK);
	assert_int_equal(next, DEC5 + 7 * H + 30 * 60);
	/* 2027-03-14, New York springs from 02:00 to 03:00 (07:00Z): 02:30 does not exist, the
	 * run is at 03:00 EDT = 07:00Z */
	const int64_t mar14 = INT64_C(1804982400); /* 2027-03-14T00:00:00Z */
	assert_int_equal(backup_next_run("America/New_York", 150, mar14, &next), COFFER_OK);
	assert_int_equal(next, mar14 + 7 * H);
	/* London in summer is UTC+1: 02:30 local is 01:30Z */
	const int64_t jul1 = INT64_C(1814400000); /* 2027-07-01T00:00:00Z */
	assert_int_equal(backup_next_run("Europe/London", 150, jul1, &next), COFFER_OK);
	assert_int_equal(next, jul1 + 1 * H + 30 * 60);
	assert_int_equal(backup_next_run("Nowhere/Nothing", 150, DEC5, &next),
			 COFFER_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utc),
	    cmocka_unit_test(test_zones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
