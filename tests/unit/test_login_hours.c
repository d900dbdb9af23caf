/* test_login_hours.c — parsing a login window's days and times, and judging instants against it:
 * ordinary and overnight windows, the ends of the day, the boundary minutes (from inclusive, to
 * exclusive), and London's two daylight-saving days of 2024, all with the system's tzdata. */
#include "test_util.h"

#include <stdio.h>
#include <time.h>

#include "signin/login_hours.h"

#define MINUTE 60
#define HOUR   3600
#define DAY    86400

static int64_t utc(int year, int month, int day, int hour, int minute, int second)
{
	struct tm tm = {.tm_year = year - 1900,
			.tm_mon = month - 1,
			.tm_mday = day,
			.tm_hour = hour,
			.tm_min = minute,
			.tm_sec = second};
	return (int64_t)timegm(&tm);
}

/* A window built through the parsers, as the policy code will build it. DAYS is a
 * space-separated list ("mon tue"). */
static struct login_hours window(const char *days, const char *from, const char *to,
				 const char *zone)
{
	struct login_hours h;
	char list[64], *save = NULL;
	memset(&h, 0, sizeof h);
	snprintf(list, sizeof list, "%s", days);
	for (char *d = strtok_r(list, " ", &save); d != NULL; d = strtok_r(NULL, " ", &save)) {
		int bit;
		if (!login_day_parse(d, &bit))
			fail_msg("day '%s' refused", d);
		h.days |= (uint8_t)(1u << bit);
	}
	if (!login_time_parse(from, false, &h.from) || !login_time_parse(to, true, &h.to))
		fail_msg("window %s-%s refused", from, to);
	snprintf(h.timezone, sizeof h.timezone, "%s", zone);
	assert_int_equal(login_hours_validate(&h), COFFER_OK);
	return h;
}

static bool allowed_at(const struct login_hours *h, int64_t t)
{
	bool allowed = true;
	enum coffer_err err = login_hours_allow(h, t, &allowed);
	if (err != COFFER_OK)
		fail_msg("login_hours_allow(%lld) failed: %d", (long long)t, err);
	return allowed;
}

/* Allowed minutes (probed at the start of each) in [FROM, FROM + MINUTES * 60). */
static int count_allowed(const struct login_hours *h, int64_t from, int minutes)
{
	int n = 0;
	for (int i = 0; i < minutes; i++)
		n += allowed_at(h, from + (int64_t)i * MINUTE);
	return n;
}

static void test_day_parse(void **state)
{
	(void)state;
	static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	for (int i = 0; i < 7; i++) {
		int bit = -1;
		assert_true(login_day_parse(days[i], &bit));
		assert_int_equal(bit, i);
	}
	static const char *const bad[] = {"Mon",  "MON",  "monday", "mo",    "",    " mon",
					  "mon ", "tues", "sat,",   "sun\n", "m0n", "lun"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		int bit = -7;
		if (login_day_parse(bad[i], &bit))
			fail_msg("day '%s' accepted", bad[i]);
		assert_int_equal(bit, -7);
	}
	int bit;
	assert_false(login_day_parse(NULL, &bit));
}

static void test_time_parse(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		uint16_t minutes;
	} good[] = {
	    {"00:00", 0}, {"00:01", 1}, {"09:30", 570}, {"12:00", 720}, {"23:59", 1439},
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		for (int is_end = 0; is_end <= 1; is_end++) {
			uint16_t m = 9999;
			if (!login_time_parse(good[i].s, is_end, &m))
				fail_msg("'%s' refused", good[i].s);
			assert_int_equal(m, good[i].minutes);
		}
	}
	uint16_t m = 9999;
	assert_true(login_time_parse("24:00", true, &m));
	assert_int_equal(m, LOGIN_MINUTES_PER_DAY);

	static const char *const bad[] = {
	    "9:00",   "24:01", "23:60",	  " 10:00",   "10:00 ", "",	 "1000",   "10-00", "10:0",
	    "010:00", "+1:00", "-1:00",	  "10:00:00", "ab:cd",	"25:00", "99:99",  "1a:00", "10:a0",
	    "10.00",  "24:60", "10:00\n", "\n10:00",  "0x1:00", "10 00", "24:00 ", "-0:00",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		for (int is_end = 0; is_end <= 1; is_end++) {
			m = 9999;
			if (login_time_parse(bad[i], is_end, &m))
				fail_msg("'%s' accepted (is_end %d)", bad[i], is_end);
			assert_int_equal(m, 9999); /* untouched on failure */
		}
	}
	assert_false(login_time_parse("24:00", false, &m)); /* only as an end */
	assert_int_equal(m, 9999);
	assert_false(login_time_parse(NULL, true, &m));
}

static void test_validate(void **state)
{
	(void)state;
	struct login_hours h = window("mon", "08:00", "18:00", "Europe/London");
	assert_int_equal(login_hours_validate(&h), COFFER_OK);

	struct login_hours bad = h;
	bad.from = bad.to = 600; /* empty window */
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	bad = h;
	bad.from = bad.to = 0;
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	bad = h;
	bad.from = LOGIN_MINUTES_PER_DAY; /* "24:00" is no start */
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	bad = h;
	bad.to = LOGIN_MINUTES_PER_DAY + 1;
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	bad = h;
	bad.days = 0x80; /* no eighth day */
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	bad = h;
	memset(bad.timezone, 'A', sizeof bad.timezone); /* not terminated */
	assert_int_equal(login_hours_validate(&bad), COFFER_ERR_INVALID_INPUT);
	static const char *const zones[] = {"Europe/Nowhere", "../etc/passwd", "",
					    "Europe",	      "localtime",     "/etc/localtime"};
	for (size_t i = 0; i < ARRAY_LEN(zones); i++) {
		bad = h;
		snprintf(bad.timezone, sizeof bad.timezone, "%s", zones[i]);
		if (login_hours_validate(&bad) != COFFER_ERR_INVALID_INPUT)
			fail_msg("zone '%s' accepted", zones[i]);
	}
	assert_int_equal(login_hours_validate(NULL), COFFER_ERR_INVALID_INPUT);

	struct login_hours edge = h;
	edge.days = 0; /* no day at all: valid, allows no one */
	assert_int_equal(login_hours_validate(&edge), COFFER_OK);
	edge = window("mon tue wed thu fri sat sun", "00:00", "24:00", "UTC");
	assert_int_equal(edge.days, LOGIN_ALL_DAYS);
	edge = window("sun", "23:59", "00:00", "UTC"); /* overnight to midnight */
	assert_int_equal(edge.from, 1439);
	assert_int_equal(edge.to, 0);
}

/* Office hours in UTC over a whole week, minute by minute, and the four boundary seconds. */
static void test_office_hours(void **state)
{
	(void)state;
	struct login_hours h = window("mon tue wed thu fri", "08:00", "18:00", "UTC");
	int64_t monday = utc(2024, 1, 1, 0, 0, 0);
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 5 * 10 * 60);
	assert_false(allowed_at(&h, utc(2024, 1, 1, 7, 59, 59)));
	assert_true(allowed_at(&h, utc(2024, 1, 1, 8, 0, 0))); /* from: inclusive */
	assert_true(allowed_at(&h, utc(2024, 1, 1, 17, 59, 59)));
	assert_false(allowed_at(&h, utc(2024, 1, 1, 18, 0, 0))); /* to: exclusive */
	assert_true(allowed_at(&h, utc(2024, 1, 5, 12, 0, 0)));	 /* Friday */
	assert_false(allowed_at(&h, utc(2024, 1, 6, 12, 0, 0))); /* Saturday */
	assert_false(allowed_at(&h, utc(2024, 1, 7, 12, 0, 0))); /* Sunday */
}

/* 22:00 to 06:00 with only Friday allowed: judged by the local day of the attempt. */
static void test_overnight(void **state)
{
	(void)state;
	struct login_hours h = window("fri", "22:00", "06:00", "UTC");
	int64_t monday = utc(2024, 1, 1, 0, 0, 0);
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 6 * 60 + 2 * 60);
	assert_true(allowed_at(&h, utc(2024, 1, 5, 23, 0, 0))); /* Friday night */
	assert_true(allowed_at(&h, utc(2024, 1, 5, 22, 0, 0)));
	assert_false(allowed_at(&h, utc(2024, 1, 5, 21, 59, 59)));
	assert_true(allowed_at(&h, utc(2024, 1, 5, 5, 59, 59))); /* Friday, early */
	assert_false(allowed_at(&h, utc(2024, 1, 5, 6, 0, 0)));
	assert_false(allowed_at(&h, utc(2024, 1, 6, 2, 0, 0)));	 /* Saturday: not allowed */
	assert_false(allowed_at(&h, utc(2024, 1, 4, 23, 0, 0))); /* Thursday night */

	h = window("fri sat", "22:00", "06:00", "UTC");
	assert_true(allowed_at(&h, utc(2024, 1, 6, 2, 0, 0))); /* now Saturday is */
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 2 * 8 * 60);

	h = window("mon tue wed thu fri sat sun", "22:00", "00:00", "UTC"); /* to midnight */
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 7 * 2 * 60);
	assert_true(allowed_at(&h, utc(2024, 1, 1, 23, 59, 59)));
	assert_false(allowed_at(&h, utc(2024, 1, 2, 0, 0, 0)));
}

/* The ends of the day: 00:00 to 24:00, the last minute, the first minute. */
static void test_day_ends(void **state)
{
	(void)state;
	int64_t monday = utc(2024, 1, 1, 0, 0, 0);
	struct login_hours h = window("sat sun", "00:00", "24:00", "UTC");
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 2 * 24 * 60);
	assert_false(allowed_at(&h, utc(2024, 1, 5, 23, 59, 59)));
	assert_true(allowed_at(&h, utc(2024, 1, 6, 0, 0, 0)));
	assert_true(allowed_at(&h, utc(2024, 1, 7, 23, 59, 59)));
	assert_false(allowed_at(&h, utc(2024, 1, 8, 0, 0, 0)));

	h = window("mon tue wed thu fri sat sun", "23:59", "24:00", "UTC");
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 7);
	assert_false(allowed_at(&h, utc(2024, 1, 1, 23, 58, 59)));
	assert_true(allowed_at(&h, utc(2024, 1, 1, 23, 59, 0)));
	assert_true(allowed_at(&h, utc(2024, 1, 1, 23, 59, 59)));

	h = window("mon", "00:00", "00:01", "UTC");
	assert_int_equal(count_allowed(&h, monday, 7 * 24 * 60), 1);
	assert_true(allowed_at(&h, monday + 59));
	assert_false(allowed_at(&h, monday + 60));
	assert_false(allowed_at(&h, monday - 1));
}

/* London, 2024: clocks forward at 01:00 GMT on Sunday 31 March, back at 02:00 BST (01:00 GMT)
 * on Sunday 27 October. The window follows the local clock. */
static void test_london_dst_days(void **state)
{
	(void)state;
	struct login_hours skipped = window("sun", "01:00", "02:00", "Europe/London");
	/* Local 31 March runs from 00:00Z to 23:00Z: the hour 01:00-02:00 never happens. */
	assert_int_equal(count_allowed(&skipped, utc(2024, 3, 31, 0, 0, 0), 23 * 60), 0);
	assert_false(allowed_at(&skipped, utc(2024, 3, 31, 0, 59, 59))); /* 00:59:59 GMT */
	assert_false(allowed_at(&skipped, utc(2024, 3, 31, 1, 0, 0)));	 /* 02:00:00 BST */
	/* Local 27 October runs from 26 October 23:00Z for 25 hours: the hour happens twice. */
	assert_int_equal(count_allowed(&skipped, utc(2024, 10, 26, 23, 0, 0), 25 * 60), 120);
	assert_false(allowed_at(&skipped, utc(2024, 10, 26, 23, 59, 59))); /* 00:59:59 BST */
	assert_true(allowed_at(&skipped, utc(2024, 10, 27, 0, 0, 0)));	   /* 01:00 BST */
	assert_true(allowed_at(&skipped, utc(2024, 10, 27, 1, 0, 0)));	   /* 01:00 GMT */
	assert_true(allowed_at(&skipped, utc(2024, 10, 27, 1, 59, 59)));
	assert_false(allowed_at(&skipped, utc(2024, 10, 27, 2, 0, 0)));

	/* Office hours on both days: 09:00-17:00 local is 08:00Z-16:00Z in March (BST). */
	struct login_hours office = window("sun", "09:00", "17:00", "Europe/London");
	assert_false(allowed_at(&office, utc(2024, 3, 31, 7, 59, 59)));
	assert_true(allowed_at(&office, utc(2024, 3, 31, 8, 0, 0)));
	assert_true(allowed_at(&office, utc(2024, 3, 31, 15, 59, 59)));
	assert_false(allowed_at(&office, utc(2024, 3, 31, 16, 0, 0)));
	assert_int_equal(count_allowed(&office, utc(2024, 3, 31, 0, 0, 0), 23 * 60), 8 * 60);
	/* ... and 09:00Z-17:00Z in October (GMT again). */
	assert_false(allowed_at(&office, utc(2024, 10, 27, 8, 59, 59)));
	assert_true(allowed_at(&office, utc(2024, 10, 27, 9, 0, 0)));
	assert_true(allowed_at(&office, utc(2024, 10, 27, 16, 59, 59)));
	assert_false(allowed_at(&office, utc(2024, 10, 27, 17, 0, 0)));
	assert_int_equal(count_allowed(&office, utc(2024, 10, 26, 23, 0, 0), 25 * 60), 8 * 60);

	/* The local day, not the UTC one: Sunday 30 June 23:00Z is Monday 00:00 BST. */
	struct login_hours monday = window("mon", "00:00", "24:00", "Europe/London");
	assert_false(allowed_at(&monday, utc(2024, 6, 30, 22, 59, 59)));
	assert_true(allowed_at(&monday, utc(2024, 6, 30, 23, 0, 0)));
	assert_true(allowed_at(&monday, utc(2024, 7, 1, 22, 59, 59)));
	assert_false(allowed_at(&monday, utc(2024, 7, 1, 23, 0, 0)));
	/* In winter the two agree. */
	assert_false(allowed_at(&monday, utc(2024, 1, 7, 23, 59, 59)));
	assert_true(allowed_at(&monday, utc(2024, 1, 8, 0, 0, 0)));
}

/* Zones whose offsets are not whole hours, and one behind UTC. */
static void test_other_zones(void **state)
{
	(void)state;
	struct login_hours h = window("mon", "05:45", "05:46", "Asia/Kathmandu"); /* +05:45 */
	assert_false(allowed_at(&h, utc(2023, 12, 31, 23, 59, 59)));
	assert_true(allowed_at(&h, utc(2024, 1, 1, 0, 0, 0)));
	assert_true(allowed_at(&h, utc(2024, 1, 1, 0, 0, 59)));
	assert_false(allowed_at(&h, utc(2024, 1, 1, 0, 1, 0)));

	/* Lord Howe: +11 in (southern) summer, +10:30 in winter. */
	h = window("mon tue wed thu fri sat sun", "11:00", "11:30", "Australia/Lord_Howe");
	assert_int_equal(count_allowed(&h, utc(2024, 1, 15, 0, 0, 0), 24 * 60), 30);
	assert_true(allowed_at(&h, utc(2024, 1, 15, 0, 0, 0)));
	assert_false(allowed_at(&h, utc(2024, 1, 15, 0, 30, 0)));
	assert_false(allowed_at(&h, utc(2024, 7, 15, 0, 29, 59)));
	assert_true(allowed_at(&h, utc(2024, 7, 15, 0, 30, 0)));
	assert_false(allowed_at(&h, utc(2024, 7, 15, 1, 0, 0)));

	/* Honolulu (-10): Monday 00:00Z is Sunday 14:00 there. */
	h = window("sun", "14:00", "15:00", "Pacific/Honolulu");
	assert_true(allowed_at(&h, utc(2024, 1, 1, 0, 0, 0)));
	assert_false(allowed_at(&h, utc(2024, 1, 1, 1, 0, 0)));
	h = window("mon", "14:00", "15:00", "Pacific/Honolulu");
	assert_false(allowed_at(&h, utc(2024, 1, 1, 0, 0, 0)));
}

/* Every failure refuses, and says so through *allowed too. */
static void test_failures_refuse(void **state)
{
	(void)state;
	struct login_hours good = window("mon tue wed thu fri sat sun", "00:00", "24:00", "UTC");
	int64_t now = utc(2024, 1, 1, 12, 0, 0);
	assert_true(allowed_at(&good, now));

	struct login_hours bad[7];
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		bad[i] = good;
	bad[0].from = bad[0].to = 0;
	bad[1].from = 720;
	bad[1].to = 720;
	bad[2].from = LOGIN_MINUTES_PER_DAY;
	bad[3].to = LOGIN_MINUTES_PER_DAY + 1;
	bad[4].days = 0xff;
	snprintf(bad[5].timezone, sizeof bad[5].timezone, "Europe/Nowhere");
	memset(bad[6].timezone, 'U', sizeof bad[6].timezone);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		bool allowed = true;
		if (login_hours_allow(&bad[i], now, &allowed) != COFFER_ERR_INVALID_INPUT)
			fail_msg("bad window %zu not refused", i);
		assert_false(allowed);
	}
	bool allowed = true;
	assert_int_equal(login_hours_allow(&good, TZ_TIME_MAX + 1, &allowed),
			 COFFER_ERR_INVALID_INPUT);
	assert_false(allowed);
	allowed = true;
	assert_int_equal(login_hours_allow(NULL, now, &allowed), COFFER_ERR_INVALID_INPUT);
	assert_false(allowed);

	struct login_hours none = good; /* no day allowed: valid, and never allows */
	none.days = 0;
	assert_int_equal(count_allowed(&none, utc(2024, 1, 1, 0, 0, 0), 7 * 24 * 60), 0);
	snprintf(none.timezone, sizeof none.timezone, "Europe/Nowhere"); /* still checked */
	allowed = true;
	assert_int_equal(login_hours_allow(&none, now, &allowed), COFFER_ERR_INVALID_INPUT);
	assert_false(allowed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_day_parse),	    cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_validate),	    cmocka_unit_test(test_office_hours),
	    cmocka_unit_test(test_overnight),	    cmocka_unit_test(test_day_ends),
	    cmocka_unit_test(test_london_dst_days), cmocka_unit_test(test_other_zones),
	    cmocka_unit_test(test_failures_refuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
