/* test_alert_volume.c — alerts/volume.h: reads are counted per member and per clock hour; the
 * floor asks once for the threshold; the read that reaches the threshold is reported once an
 * hour; another member, another organisation or the next hour counts apart. */
#include "test_util.h"

#include "alerts/volume.h"

#define ORG   "3f1c8a52-0000-4000-8000-000000000001"
#define ORG2  "3f1c8a52-0000-4000-8000-000000000002"
#define ALICE "5d2e9b61-0000-4000-8000-00000000000a"
#define BOB   "5d2e9b61-0000-4000-8000-00000000000b"

static void test_floor_then_threshold_then_once(void **state)
{
	(void)state;
	int64_t now = 1800000000; /* on the hour */
	uint64_t count = 0;
	for (int i = 1; i < 5; i++)
		assert_int_equal(volume_count(ORG, ALICE, now, 5, &count), VOLUME_USUAL);
	assert_int_equal(count, 4);
	assert_int_equal(volume_count(ORG, ALICE, now + 10, 5, &count), VOLUME_NEEDS_THRESHOLD);
	/* Their busiest hour made the threshold 8: not yet. */
	assert_int_equal(volume_threshold(ORG, ALICE, now + 10, 8), VOLUME_USUAL);
	assert_int_equal(volume_count(ORG, ALICE, now + 20, 5, &count), VOLUME_USUAL);
	assert_int_equal(volume_count(ORG, ALICE, now + 20, 5, &count), VOLUME_USUAL);
	assert_int_equal(volume_count(ORG, ALICE, now + 30, 5, &count), VOLUME_UNUSUAL);
	assert_int_equal(count, 8);
	assert_int_equal(volume_count(ORG, ALICE, now + 40, 5, &count), VOLUME_USUAL);
	/* Others count apart. */
	assert_int_equal(volume_count(ORG, BOB, now, 5, &count), VOLUME_USUAL);
	assert_int_equal(count, 1);
	assert_int_equal(volume_count(ORG2, ALICE, now, 5, &count), VOLUME_USUAL);
	assert_int_equal(count, 1);
	/* The next hour starts again. */
	assert_int_equal(volume_count(ORG, ALICE, now + 3600, 5, &count), VOLUME_USUAL);
	assert_int_equal(count, 1);
}

static void test_threshold_already_reached(void **state)
{
	(void)state;
	int64_t now = 1800007200;
	uint64_t count = 0;
	for (int i = 1; i < 3; i++)
		(void)volume_count(ORG, BOB, now, 3, &count);
	assert_int_equal(volume_count(ORG, BOB, now, 3, &count), VOLUME_NEEDS_THRESHOLD);
	/* The floor is the threshold (no busier hour before): this read is the one. */
	assert_int_equal(volume_threshold(ORG, BOB, now, 3), VOLUME_UNUSUAL);
	assert_int_equal(volume_threshold(ORG, BOB, now, 3), VOLUME_USUAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_floor_then_threshold_then_once),
	    cmocka_unit_test(test_threshold_already_reached),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
