/* test_tz.c — the TZif reader against glibc, and its refusals.
 *
 * The oracle is glibc's localtime_r with TZ set: fine here, where one thread at a time changes
 * TZ, and exactly what tz.c exists to avoid in the server. Zones are compared at every day from
 * 1970 to 2100, at each change of offset (found by bisecting the oracle) and the seconds either
 * side, and at random instants over the whole range tz accepts, so that the footer rules are
 * checked for every year past the last transition of the file (2037 in Debian's fat files).
 * Footer rules are also checked alone: a TZif file with no transitions and that footer, against
 * glibc given the same POSIX string as TZ. Broken files are written to a temporary directory,
 * which the tz_*_in functions take in place of /usr/share/zoneinfo. */
#include "test_util.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "signin/tz.h"

#define SYS    TZ_SYSTEM_DIR
#define T_1900 INT64_C(-2208988800)
#define T_2100 INT64_C(4102444800)
#define DAY    86400

/* The zones the brief names, and the odd ones of tzdata: negative DST (Dublin), rule times
 * beyond 24 h (Jerusalem, Gaza) and below 0 (Nuuk), a 24:00 rule (Santiago), +14 and the day
 * Kiribati skipped, a +02 DST over +00 (Troll), 45-minute offsets (Eucla). */
// clang-format off
static const char *const oracle_zones[] = {
    "Europe/London",	  "America/New_York", "Australia/Lord_Howe",
    "Asia/Kathmandu",	  "Pacific/Chatham",  "America/St_Johns",
    "Africa/Casablanca",  "Etc/UTC",	      "UTC",
    "America/Sao_Paulo",  "Europe/Dublin",    "Asia/Jerusalem",
    "Asia/Gaza",	  "America/Nuuk",     "America/Santiago",
    "Pacific/Kiritimati", "Antarctica/Troll", "Australia/Eucla",
    "America/Havana",	  "Africa/Cairo",
};
// clang-format on

/* ---- helpers -------------------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64: deterministic runs */
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t rng_between(int64_t lo, int64_t hi) /* [lo, hi) */
{
	return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo));
}

static void oracle_set(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static struct tz_local oracle(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		fail_msg("localtime_r(%lld) failed", (long long)t);
	struct tz_local l = {(tm.tm_wday + 6) % 7, tm.tm_hour * 60 + tm.tm_min,
			     (int32_t)tm.tm_gmtoff};
	return l;
}

static size_t comparisons;

/* NAME under DIR must agree with the oracle (TZ already set) at T. */
static void expect_oracle(const char *dir, const char *name, int64_t t)
{
	struct tz_local want = oracle(t), got;
	enum coffer_err err = tz_local_time_in(dir, name, t, &got);
	if (err != COFFER_OK)
		fail_msg("%s: tz_local_time(%lld) failed: %d", name, (long long)t, err);
	if (got.weekday != want.weekday || got.minute_of_day != want.minute_of_day ||
	    got.utc_offset != want.utc_offset)
		fail_msg(
		    "%s at %lld: got day %d minute %d offset %d, glibc day %d minute %d offset %d",
		    name, (long long)t, got.weekday, got.minute_of_day, got.utc_offset,
		    want.weekday, want.minute_of_day, want.utc_offset);
	comparisons++;
}

/* The sweep described at the top of the file, stepping STEP seconds from 1970 to 2100, with
 * random instants from OLDEST on: the oracle is wrong before 1970 for TZ strings (glibc's
 * compute_change computes every year up to 1970 as 1970), right for zone files. */
static void sweep(const char *dir, const char *name, int64_t step, size_t n_random, int64_t oldest)
{
	int64_t prev = 0;
	int32_t prev_offset = oracle(0).utc_offset;
	size_t changes = 0;
	for (int64_t t = step; t <= T_2100; t += step) {
		expect_oracle(dir, name, t);
		int32_t offset = oracle(t).utc_offset;
		if (offset != prev_offset) {
			int64_t a = prev, b = t; /* oracle(a) is prev_offset, oracle(b) is not */
			while (b - a > 1) {
				int64_t m = a + (b - a) / 2;
				if (oracle(m).utc_offset == prev_offset)
					a = m;
				else
					b = m;
			}
			for (int64_t d = -2; d <= 1; d++)
				expect_oracle(dir, name, b + d);
			changes++;
		}
		prev = t;
		prev_offset = offset;
	}
	for (size_t i = 0; i < n_random; i++) {
		expect_oracle(dir, name, rng_between(oldest > T_1900 ? oldest : T_1900, T_2100));
		expect_oracle(dir, name, rng_between(oldest, TZ_TIME_MAX + 1));
	}
	expect_oracle(dir, name, oldest);
	expect_oracle(dir, name, TZ_TIME_MAX);
	expect_oracle(dir, name, INT32_MAX); /* fat files' filler transition */
	expect_oracle(dir, name, (int64_t)INT32_MAX + 1);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_system_zone(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", SYS, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	uint8_t *buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void copy_system_zone(const char *dir, const char *as, const char *name)
{
	size_t len;
	uint8_t *data = read_system_zone(name, &len);
	write_file(dir, as, data, len);
	free(data);
}

static char *make_temp_dir(void)
{
	char *dir = strdup("/tmp/coffer-test-tz-XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_temp_dir(char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* ---- a TZif writer, for files the tests break on purpose -------------------------------- */

struct tzif_spec {
	char version; /* '\0' (version 1), '2', '3', '4' */
	size_t ntimes;
	const int64_t *times;
	const uint8_t *indices;
	size_t ntypes;
	const int32_t *utoff;
	const uint8_t *isdst;
	const uint8_t *desig;
	const char *chars; /* designations, NULs included */
	size_t nchars;
	bool indicators; /* write isstd and isut arrays (all zero) */
	size_t nleap;
	const char *footer; /* TZ string without its newlines (versions 2+) */
};

struct tzif {
	uint8_t *b;
	size_t len, cap;
	size_t hdr2, times2, indices2, types2, chars2; /* where the version 2+ parts start */
};

static void put(struct tzif *f, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (f->len + n > f->cap) {
		f->cap = (f->len + n) * 2;
		f->b = realloc(f->b, f->cap);
		assert_non_null(f->b);
	}
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put_be(struct tzif *f, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		uint8_t byte = (uint8_t)(v >> (8 * i));
		put(f, &byte, 1);
	}
}

static void put_block(struct tzif *f, const struct tzif_spec *s, int time_len, char version)
{
	size_t ind = s->indicators ? s->ntypes : 0;
	put(f, "TZif", 4);
	put(f, &version, 1);
	put(f, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15);
	put_be(f, ind, 4);
	put_be(f, ind, 4);
	put_be(f, s->nleap, 4);
	put_be(f, s->ntimes, 4);
	put_be(f, s->ntypes, 4);
	put_be(f, s->nchars, 4);
	if (time_len == 8)
		f->times2 = f->len;
	for (size_t i = 0; i < s->ntimes; i++)
		put_be(f, (uint64_t)s->times[i], time_len);
	if (time_len == 8)
		f->indices2 = f->len;
	put(f, s->indices, s->ntimes);
	if (time_len == 8)
		f->types2 = f->len;
	for (size_t i = 0; i < s->ntypes; i++) {
		put_be(f, (uint32_t)s->utoff[i], 4);
		put(f, &s->isdst[i], 1);
		put(f, &s->desig[i], 1);
	}
	if (time_len == 8)
		f->chars2 = f->len;
	put(f, s->chars, s->nchars);
	for (size_t i = 0; i < s->nleap; i++) {
		put_be(f, (uint64_t)(78796800 + (int64_t)i * 15778800), time_len);
		put_be(f, i + 1, 4);
	}
	for (size_t i = 0; i < 2 * ind; i++)
		put(f, "\0", 1);
}

/* Version 1: one block of 32-bit times. Later versions: the same block (the spec's times must
 * fit 32 bits), then the 64-bit block and the footer. */
static struct tzif tzif_build(const struct tzif_spec *s)
{
	struct tzif f;
	memset(&f, 0, sizeof f);
	put_block(&f, s, 4, s->version);
	if (s->version == '\0')
		return f;
	f.hdr2 = f.len;
	put_block(&f, s, 8, s->version);
	put(&f, "\n", 1);
	put(&f, s->footer, strlen(s->footer));
	put(&f, "\n", 1);
	return f;
}

/* A small valid zone: AAA (+1) before -1e8 and from 0, BBB (+2, DST) from -1e8 and from 1e8,
 * then the footer (+2 for ever unless overridden). */
static const int64_t base_times[3] = {-100000000, 0, 100000000};
static const uint8_t base_indices[3] = {1, 0, 1};
static const int32_t base_utoff[2] = {3600, 7200};
static const uint8_t base_isdst[2] = {0, 1};
static const uint8_t base_desig[2] = {0, 4};

static struct tzif_spec base_spec(void)
{
	struct tzif_spec s = {
	    .version = '2',
	    .ntimes = 3,
	    .times = base_times,
	    .indices = base_indices,
	    .ntypes = 2,
	    .utoff = base_utoff,
	    .isdst = base_isdst,
	    .desig = base_desig,
	    .chars = "AAA\0BBB",
	    .nchars = 8,
	    .indicators = true,
	    .footer = "BBB-2",
	};
	return s;
}

static bool file_accepted(const char *dir, const struct tzif *f)
{
	static unsigned serial;
	char name[32];
	/* A new name each time: the cache keeps every zone that once parsed. */
	snprintf(name, sizeof name, "Zone%u", serial++);
	write_file(dir, name, f->b, f->len);
	return tz_name_valid_in(dir, name);
}

static int32_t offset_in(const char *dir, const char *name, int64_t t)
{
	struct tz_local l;
	assert_int_equal(tz_local_time_in(dir, name, t, &l), COFFER_OK);
	return l.utc_offset;
}

/* ---- threads (first, while the cache is cold) ---------------------------------------------- */

#define THREADS		8
#define THREAD_INSTANTS 1500

static const char *thread_dir;
static int64_t thread_instants[THREAD_INSTANTS];
static struct tz_local thread_want[ARRAY_LEN(oracle_zones)][THREAD_INSTANTS];
static pthread_barrier_t thread_start;

struct thread_job {
	size_t index;
	size_t mismatches, done;
};

static void *thread_main(void *arg)
{
	struct thread_job *job = arg;
	size_t n = ARRAY_LEN(oracle_zones);
	pthread_barrier_wait(&thread_start);
	for (size_t k = 0; k < n; k++) {
		size_t z = (job->index * 3 + k) % n; /* each thread its own order */
		char flat[64];
		snprintf(flat, sizeof flat, "%s", oracle_zones[z]);
		for (char *p = flat; *p != '\0'; p++)
			*p = *p == '/' ? '_' : *p;
		for (size_t i = 0; i < THREAD_INSTANTS; i++) {
			struct tz_local got;
			/* Even threads the system directory, odd ones copies in a fresh one. */
			enum coffer_err err =
			    job->index % 2 == 0
				? tz_local_time(oracle_zones[z], thread_instants[i], &got)
				: tz_local_time_in(thread_dir, flat, thread_instants[i], &got);
			const struct tz_local *w = &thread_want[z][i];
			if (err != COFFER_OK || got.weekday != w->weekday ||
			    got.minute_of_day != w->minute_of_day ||
			    got.utc_offset != w->utc_offset)
				job->mismatches++;
			job->done++;
		}
	}
	return NULL;
}

/* Threads in different zones at once give what glibc gave, computed beforehand in one thread. */
static void test_threads_agree(void **state)
{
	(void)state;
	char *dir = make_temp_dir();
	thread_dir = dir;
	rng_state = 42;
	for (size_t i = 0; i < THREAD_INSTANTS; i++)
		thread_instants[i] = rng_between(T_1900, T_2100);
	for (size_t z = 0; z < ARRAY_LEN(oracle_zones); z++) {
		char flat[64];
		snprintf(flat, sizeof flat, "%s", oracle_zones[z]);
		for (char *p = flat; *p != '\0'; p++)
			*p = *p == '/' ? '_' : *p;
		copy_system_zone(dir, flat, oracle_zones[z]);
		oracle_set(oracle_zones[z]);
		for (size_t i = 0; i < THREAD_INSTANTS; i++)
			thread_want[z][i] = oracle(thread_instants[i]);
	}
	unsetenv("TZ");
	tzset();

	pthread_t threads[THREADS];
	struct thread_job jobs[THREADS];
	assert_int_equal(pthread_barrier_init(&thread_start, NULL, THREADS), 0);
	for (size_t i = 0; i < THREADS; i++) {
		jobs[i] = (struct thread_job){.index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, thread_main, &jobs[i]), 0);
	}
	for (size_t i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		if (jobs[i].mismatches != 0)
			fail_msg("thread %zu: %zu mismatches", i, jobs[i].mismatches);
		assert_int_equal(jobs[i].done, ARRAY_LEN(oracle_zones) * THREAD_INSTANTS);
	}
	pthread_barrier_destroy(&thread_start);
	remove_temp_dir(dir);
}

/* ---- against glibc ----------------------------------------------------------------------- */

static void test_zones_against_glibc(void **state)
{
	(void)state;
	rng_state = 1;
	comparisons = 0;
	for (size_t z = 0; z < ARRAY_LEN(oracle_zones); z++) {
		oracle_set(oracle_zones[z]);
		sweep(SYS, oracle_zones[z], DAY, 10000, TZ_TIME_MIN);
	}
	print_message("[          ] %zu comparisons in %zu zones\n", comparisons,
		      ARRAY_LEN(oracle_zones));
}

/* Every zone of zone1970.tab, more coarsely: each must parse and agree. */
static void test_every_zone_against_glibc(void **state)
{
	(void)state;
	FILE *tab = fopen(SYS "/zone1970.tab", "r");
	if (tab == NULL)
		skip();
	char line[512];
	size_t zones = 0;
	rng_state = 2;
	comparisons = 0;
	while (fgets(line, sizeof line, tab) != NULL) {
		if (line[0] == '#')
			continue;
		char *save, *name;
		if (strtok_r(line, "\t\n", &save) == NULL ||
		    strtok_r(NULL, "\t\n", &save) == NULL ||
		    (name = strtok_r(NULL, "\t\n", &save)) == NULL)
			continue;
		if (!tz_name_valid(name))
			fail_msg("%s refused", name);
		oracle_set(name);
		sweep(SYS, name, 14 * DAY, 300, TZ_TIME_MIN);
		zones++;
	}
	fclose(tab);
	assert_true(zones > 300);
	print_message("[          ] %zu comparisons in %zu zones\n", comparisons, zones);
}

/* Footer rules alone: a file with no transitions, against glibc given the string as TZ. */
static void test_footer_rules_against_glibc(void **state)
{
	(void)state;
	static const char *const rules[] = {
	    "GMT0BST,M3.5.0/1,M10.5.0",
	    "<-03>3",
	    "EST5EDT,M3.2.0,M11.1.0",
	    "AEST-10AEDT,M10.1.0,M4.1.0/3",
	    "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",
	    "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
	    "NST3:30NDT,M3.2.0,M11.1.0",
	    "IST-1GMT0,M10.5.0,M3.5.0/1",      /* negative DST */
	    "IST-2IDT,M3.4.4/26,M10.5.0",      /* 26 h */
	    "EET-2EEST,M3.4.4/50,M10.4.4/50",  /* 50 h */
	    "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", /* -1 h */
	    "<-04>4<-03>,M9.1.6/24,M4.1.6/24", /* 24 h */
	    "EET-2EEST,M4.5.5/0,M10.5.4/24",
	    "CET-1CEST,J60/2,J300/3", /* Jn: February 29 not counted */
	    "CET-1CEST,59/2,299/3",   /* n: counted */
	    "CET-1CEST,J1/5,J365/20", /* first and last day of the year */
	    "<+0545>-5:45",
	    "<-0930>9:30",
	    "UTC0",
	    "<+14>-14",
	    "<-12>12",
	    "EST+5EDT,M3.2.0/2,M11.1.0/2",	/* explicit sign */
	    "<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", /* Troll: DST two hours ahead */
	    "HST10HDT,M3.2.0,M11.1.0",
	    "CST5CDT,M3.2.0/0,M11.1.0/1",
	    "<-0330>3:30<-0230>2:30:15,M3.5.0/1:30:45,M10.5.0/-2:15", /* seconds, signs */
	    "<+13>-13<+14>,M9.5.0/3,M4.1.0/4",
	    "XXX-4YYY-5:30,M2.5.3/167,M11.5.6/-167", /* the RFC 8536 limits */
	};
	char *dir = make_temp_dir();
	static const int32_t zero_utoff[1] = {0};
	static const uint8_t zero[1] = {0};
	rng_state = 3;
	comparisons = 0;
	for (size_t i = 0; i < ARRAY_LEN(rules); i++) {
		struct tzif_spec s = {.version = '2',
				      .ntypes = 1,
				      .utoff = zero_utoff,
				      .isdst = zero,
				      .desig = zero,
				      .chars = "",
				      .nchars = 1,
				      .footer = rules[i]};
		struct tzif f = tzif_build(&s);
		char name[16], path[512];
		snprintf(name, sizeof name, "Rule%zu", i);
		write_file(dir, name, f.b, f.len);
		free(f.b);
		/* glibc would read a file of that name rather than parse the string. */
		snprintf(path, sizeof path, "%s/%s", SYS, rules[i]);
		assert_int_not_equal(access(path, F_OK), 0);
		oracle_set(rules[i]);
		sweep(dir, name, DAY, 2000, 0);
	}
	unsetenv("TZ");
	tzset();
	remove_temp_dir(dir);
	print_message("[          ] %zu comparisons in %zu rules\n", comparisons, ARRAY_LEN(rules));
}

/* Where glibc is wrong: DST all year as RFC 8536 writes it. glibc judges an instant by the
 * rules of its UTC year alone and so puts the first five hours of each year in EST. */
static void test_footer_dst_all_year(void **state)
{
	(void)state;
	char *dir = make_temp_dir();
	static const int32_t utoff[1] = {-14400};
	static const uint8_t one[1] = {1}, zero[1] = {0};
	struct tzif_spec s = {.version = '3',
			      .ntypes = 1,
			      .utoff = utoff,
			      .isdst = one,
			      .desig = zero,
			      .chars = "EDT",
			      .nchars = 4,
			      .footer = "EST5EDT,0/0,J365/25"};
	struct tzif f = tzif_build(&s);
	write_file(dir, "AllYear", f.b, f.len);
	free(f.b);
	for (int64_t y = 1971; y <= 2099; y++) {
		struct tm tm = {.tm_year = (int)(y - 1900), .tm_mon = 0, .tm_mday = 1};
		int64_t jan1 = (int64_t)timegm(&tm);
		for (int64_t d = -2 * 3600; d <= 8 * 3600; d += 900)
			assert_int_equal(offset_in(dir, "AllYear", jan1 + d), -14400);
		assert_int_equal(offset_in(dir, "AllYear", jan1 + 180 * DAY), -14400);
	}
	remove_temp_dir(dir);
}

/* The result's fields, by hand: weekday and minute from the offset. */
static void test_fields(void **state)
{
	(void)state;
	struct tz_local l;
	/* 2024-01-01T00:00:00Z, a Monday. Kathmandu is +05:45. */
	assert_int_equal(tz_local_time("Asia/Kathmandu", 1704067200, &l), COFFER_OK);
	assert_int_equal(l.weekday, 0);
	assert_int_equal(l.minute_of_day, 5 * 60 + 45);
	assert_int_equal(l.utc_offset, 20700);
	/* 2024-01-01T00:00:00Z is still Sunday 31 December 14:00 in Honolulu. */
	assert_int_equal(tz_local_time("Pacific/Honolulu", 1704067200, &l), COFFER_OK);
	assert_int_equal(l.weekday, 6);
	assert_int_equal(l.minute_of_day, 14 * 60);
	assert_int_equal(l.utc_offset, -36000);
	/* The bounds: 0001-01-01 was a Monday, 9999-12-31 a Friday. */
	assert_int_equal(tz_local_time("UTC", TZ_TIME_MIN, &l), COFFER_OK);
	assert_int_equal(l.weekday, 0);
	assert_int_equal(l.minute_of_day, 0);
	assert_int_equal(tz_local_time("UTC", TZ_TIME_MAX, &l), COFFER_OK);
	assert_int_equal(l.weekday, 4);
	assert_int_equal(l.minute_of_day, 1439);
	/* Before 1970: 1969-12-31T23:59:59Z, a Wednesday. */
	assert_int_equal(tz_local_time("UTC", -1, &l), COFFER_OK);
	assert_int_equal(l.weekday, 2);
	assert_int_equal(l.minute_of_day, 1439);
	static const int64_t out_of_range[] = {TZ_TIME_MIN - 1, TZ_TIME_MAX + 1, INT64_MIN,
					       INT64_MAX};
	for (size_t i = 0; i < ARRAY_LEN(out_of_range); i++)
		assert_int_equal(tz_local_time("UTC", out_of_range[i], &l),
				 COFFER_ERR_INVALID_INPUT);
}

/* ---- names ------------------------------------------------------------------------------- */

static void test_names_accepted(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "Etc/UTC",
	    "UTC",
	    "America/Argentina/Buenos_Aires",
	    "Europe/London",
	    "GB",
	    "posixrules",
	    "Etc/GMT+5",
	    "Etc/GMT-14",
	    "America/Port-au-Prince",
	    "Factory",
	    "EST5EDT",
	    "America/Argentina/ComodRivadavia",
	    "US/Eastern",
	    "posix/Europe/London",
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		if (!tz_name_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	}
	/* Links agree with their targets. */
	struct tz_local a, b;
	assert_int_equal(tz_local_time("GB", 1719835200, &a), COFFER_OK);
	assert_int_equal(tz_local_time("Europe/London", 1719835200, &b), COFFER_OK);
	assert_int_equal(a.utc_offset, 3600);
	assert_int_equal(b.utc_offset, 3600);
}

static void test_names_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "/etc/passwd",
	    "/usr/share/zoneinfo/UTC",
	    "../etc/passwd",
	    "../../../../etc/passwd",
	    "Europe/../../../etc/passwd",
	    "Etc/../UTC", /* would stay inside, but '.' is refused outright */
	    "./UTC",
	    ".UTC",
	    "Etc/.UTC",
	    "UTC/",
	    "/UTC",
	    "Europe//London",
	    "Europe/London/",
	    "Europe/Nowhere",
	    "Nowhere",
	    "Europe",		   /* a directory */
	    "America/Argentina",   /* a directory */
	    "posix",		   /* a link to the directory itself */
	    "localtime",	   /* a link to /etc/localtime */
	    "right/Europe/London", /* leap seconds (absent from newer Debian: refused either way) */
	    "zone.tab",		   /* '.' */
	    "tzdata.zi",
	    "leapseconds", /* exists, not TZif */
	    "Europe/London ",
	    " Europe/London",
	    "Europe/London\n",
	    "Europe\\London",
	    "Europe/Lon%don",
	    "Europe/Lon:don",
	    "europe/london", /* names are case-sensitive on this file system */
	    "Europe/Z\xc3\xbcrich",
	    "EST5EDT,M3.2.0,M11.1.0", /* a POSIX string is not a name */
	    "UTC0",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct tz_local l = {-7, -7, -7};
		if (tz_name_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
		if (tz_local_time(bad[i], 0, &l) != COFFER_ERR_INVALID_INPUT)
			fail_msg("'%s': not INVALID_INPUT", bad[i]);
		assert_int_equal(l.weekday, -7); /* untouched on failure */
	}
	char long_name[TZ_NAME_MAX + 2];
	memset(long_name, 'A', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_false(tz_name_valid(long_name));
	assert_false(tz_name_valid(NULL));
	assert_false(tz_name_valid_in(NULL, "UTC"));
	assert_false(tz_name_valid_in("", "UTC"));
	struct tz_local l;
	assert_int_equal(tz_local_time_in("/nonexistent-zoneinfo", "UTC", 0, &l), COFFER_ERR_IO);
}

/* What only a directory of our own can show: length limits, links out, odd file types. */
static void test_names_in_own_dir(void **state)
{
	(void)state;
	char *dir = make_temp_dir();
	char name[TZ_NAME_MAX + 2], path[512], target[512];

	copy_system_zone(dir, "Good", "Europe/London");
	assert_true(tz_name_valid_in(dir, "Good"));

	memset(name, 'L', TZ_NAME_MAX);
	name[TZ_NAME_MAX] = '\0';
	copy_system_zone(dir, name, "UTC");
	assert_true(tz_name_valid_in(dir, name)); /* 64 characters */
	name[TZ_NAME_MAX] = 'L';
	name[TZ_NAME_MAX + 1] = '\0';
	copy_system_zone(dir, name, "UTC");
	assert_false(tz_name_valid_in(dir, name)); /* 65, though the file is there */

	snprintf(path, sizeof path, "%s/Alias", dir);
	assert_int_equal(symlink("Good", path), 0);
	assert_true(tz_name_valid_in(dir, "Alias")); /* a link within the directory */

	snprintf(path, sizeof path, "%s/Escape", dir);
	assert_int_equal(symlink(SYS "/Europe/London", path), 0);
	assert_false(tz_name_valid_in(dir, "Escape")); /* a TZif file, but outside */

	snprintf(target, sizeof target, "%s-outside", dir);
	copy_system_zone("/tmp", target + strlen("/tmp/"), "UTC");
	snprintf(path, sizeof path, "%s/Sneaky", dir);
	snprintf(target, sizeof target, "../%s-outside", strrchr(dir, '/') + 1);
	assert_int_equal(symlink(target, path), 0);
	assert_false(tz_name_valid_in(dir, "Sneaky")); /* relative, but out through ".." */
	snprintf(target, sizeof target, "%s-outside", dir);
	unlink(target);

	snprintf(path, sizeof path, "%s/Loop", dir);
	assert_int_equal(symlink("Loop", path), 0);
	assert_false(tz_name_valid_in(dir, "Loop"));

	snprintf(path, sizeof path, "%s/Fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_false(tz_name_valid_in(dir, "Fifo")); /* refused, and without blocking */

	snprintf(path, sizeof path, "%s/Sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_false(tz_name_valid_in(dir, "Sub"));
	copy_system_zone(path, "Zone", "Asia/Tokyo");
	assert_true(tz_name_valid_in(dir, "Sub/Zone"));

	write_file(dir, "Empty", "", 0);
	assert_false(tz_name_valid_in(dir, "Empty"));

	/* A link in a subdirectory back up to a zone; and the cache keeps directories apart. */
	snprintf(path, sizeof path, "%s/Sub/Good", dir);
	assert_int_equal(symlink("../Good", path), 0);
	assert_true(tz_name_valid_in(dir, "Sub/Good"));
	copy_system_zone(dir, "Same", "Asia/Tokyo");
	snprintf(path, sizeof path, "%s/Sub", dir);
	copy_system_zone(path, "Same", "America/New_York");
	assert_int_equal(offset_in(dir, "Same", 0), 9 * 3600);
	assert_int_equal(offset_in(path, "Same", 0), -5 * 3600);
	remove_temp_dir(dir);
}

/* ---- broken files --------------------------------------------------------------------------- */

static void test_builder_baseline(void **state)
{
	(void)state;
	char *dir = make_temp_dir();
	struct tzif_spec s = base_spec();
	struct tzif f = tzif_build(&s);
	write_file(dir, "Base", f.b, f.len);
	free(f.b);
	assert_int_equal(offset_in(dir, "Base", -100000001), 3600); /* type 0 before the first */
	assert_int_equal(offset_in(dir, "Base", -100000000), 7200);
	assert_int_equal(offset_in(dir, "Base", -1), 7200);
	assert_int_equal(offset_in(dir, "Base", 0), 3600);
	assert_int_equal(offset_in(dir, "Base", 99999999), 3600);
	assert_int_equal(offset_in(dir, "Base", 100000000), 7200); /* the footer from the last */

	s.footer = "CCC-3";
	f = tzif_build(&s);
	write_file(dir, "Footer", f.b, f.len);
	free(f.b);
	assert_int_equal(offset_in(dir, "Footer", 99999999), 3600);
	assert_int_equal(offset_in(dir, "Footer", 100000000), 10800);
	assert_int_equal(offset_in(dir, "Footer", TZ_TIME_MAX), 10800);

	s.footer = ""; /* empty footer: the last type holds */
	f = tzif_build(&s);
	write_file(dir, "NoFooter", f.b, f.len);
	free(f.b);
	assert_int_equal(offset_in(dir, "NoFooter", TZ_TIME_MAX), 7200);

	s.footer = "CCC-3"; /* no transitions: the footer everywhere */
	s.ntimes = 0;
	f = tzif_build(&s);
	write_file(dir, "OnlyFooter", f.b, f.len);
	free(f.b);
	assert_int_equal(offset_in(dir, "OnlyFooter", TZ_TIME_MIN), 10800);

	s = base_spec(); /* version 1: 32-bit times, no footer, the last type holds */
	s.version = '\0';
	f = tzif_build(&s);
	write_file(dir, "V1", f.b, f.len);
	assert_int_equal(offset_in(dir, "V1", -100000001), 3600);
	assert_int_equal(offset_in(dir, "V1", -5), 7200);
	assert_int_equal(offset_in(dir, "V1", 5), 3600);
	assert_int_equal(offset_in(dir, "V1", TZ_TIME_MAX), 7200);
	put(&f, "\n", 1); /* nothing may follow the block */
	assert_false(file_accepted(dir, &f));
	free(f.b);

	for (char v = '2'; v <= '4'; v++) {
		s = base_spec();
		s.version = v;
		f = tzif_build(&s);
		assert_true(file_accepted(dir, &f));
		free(f.b);
	}
	s = base_spec(); /* no indicator arrays: allowed */
	s.indicators = false;
	f = tzif_build(&s);
	assert_true(file_accepted(dir, &f));
	free(f.b);
	remove_temp_dir(dir);
}

/* Every proper prefix of a real file is refused; the whole file is not. */
static void test_truncated_files_refused(void **state)
{
	(void)state;
	static const char *const zones[] = {"Europe/London", "Asia/Kathmandu", "Etc/UTC"};
	char *dir = make_temp_dir();
	for (size_t z = 0; z < ARRAY_LEN(zones); z++) {
		size_t len;
		uint8_t *data = read_system_zone(zones[z], &len);
		struct tzif f = {.b = data, .len = len};
		assert_true(file_accepted(dir, &f));
		for (size_t n = 0; n < len; n++) {
			f.len = n;
			if (file_accepted(dir, &f))
				fail_msg("%s cut to %zu of %zu bytes accepted", zones[z], n, len);
		}
		free(data);
	}
	remove_temp_dir(dir);
}

static void set_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One byte or count changed at a time, each breaking one rule of RFC 8536. */
static void test_corrupt_files_refused(void **state)
{
	(void)state;
	char *dir = make_temp_dir();
	struct tzif_spec s = base_spec();
	enum {
		MAGIC,
		VERSION_1,
		VERSION_5,
		VERSION_MISMATCH,
		TYPECNT_0,
		TYPECNT_257,
		CHARCNT_0,
		ISSTDCNT_1,
		TIMECNT_HUGE,
		INDEX_RANGE,
		ISDST_2,
		DESIG_RANGE,
		CHARS_UNTERMINATED,
		ISSTD_2,
		ISUT_2,
		FOOTER_NO_LEADING_NL,
		FOOTER_NO_TRAILING_NL,
		TRAILING_BYTE,
		FOOTER_NUL,
		V1_COUNTS_HUGE,
		N_CORRUPTIONS
	};
	for (int c = 0; c < N_CORRUPTIONS; c++) {
		struct tzif f = tzif_build(&s);
		uint8_t *b = f.b;
		switch (c) {
		case MAGIC: b[0] = 'X'; break;
		case VERSION_1: b[4] = '1'; break;
		case VERSION_5: b[4] = b[f.hdr2 + 4] = '5'; break;
		case VERSION_MISMATCH: b[f.hdr2 + 4] = '3'; break;
		case TYPECNT_0: set_be32(b + f.hdr2 + 36, 0); break;
		case TYPECNT_257: set_be32(b + f.hdr2 + 36, 257); break;
		case CHARCNT_0: set_be32(b + f.hdr2 + 40, 0); break;
		case ISSTDCNT_1: set_be32(b + f.hdr2 + 24, 1); break;
		case TIMECNT_HUGE: set_be32(b + f.hdr2 + 32, 0xffffffffu); break;
		case INDEX_RANGE: b[f.indices2 + 1] = 2; break;
		case ISDST_2: b[f.types2 + 4] = 2; break;
		case DESIG_RANGE: b[f.types2 + 6 + 5] = 8; break;
		case CHARS_UNTERMINATED: b[f.chars2 + 7] = 'X'; break;
		case ISSTD_2: b[f.chars2 + 8] = 2; break;
		case ISUT_2: b[f.chars2 + 8 + 2 + 1] = 2; break;
		case FOOTER_NO_LEADING_NL: b[f.chars2 + 12] = ' '; break;
		case FOOTER_NO_TRAILING_NL: f.len--; break;
		case TRAILING_BYTE: put(&f, "x", 1); break;
		case FOOTER_NUL: b[f.len - 3] = '\0'; break;
		case V1_COUNTS_HUGE: set_be32(b + 32, 0x7fffffffu); break;
		}
		if (file_accepted(dir, &f))
			fail_msg("corruption %d accepted", c);
		free(f.b);
	}

	/* Counts and values a file states rather than a byte flipped. */
	static const int64_t equal_times[3] = {0, 0, 100000000};
	static const int64_t falling_times[3] = {5, 3, 100000000};
	static const int32_t bad_utoff[][2] = {{INT32_MIN, 0}, {93600, 0}, {-90000, 0}};
	static const int32_t edge_utoff[2] = {93599, -89999};
	struct tzif f;
	s = base_spec();
	s.times = equal_times;
	f = tzif_build(&s);
	assert_false(file_accepted(dir, &f));
	free(f.b);
	s.times = falling_times;
	f = tzif_build(&s);
	assert_false(file_accepted(dir, &f));
	free(f.b);
	for (size_t i = 0; i < ARRAY_LEN(bad_utoff); i++) {
		s = base_spec();
		s.utoff = bad_utoff[i];
		f = tzif_build(&s);
		assert_false(file_accepted(dir, &f));
		free(f.b);
	}
	s = base_spec();
	s.utoff = edge_utoff;
	f = tzif_build(&s);
	assert_true(file_accepted(dir, &f));
	free(f.b);
	s = base_spec(); /* leap seconds: refused, in either block */
	s.nleap = 1;
	f = tzif_build(&s);
	assert_false(file_accepted(dir, &f));
	free(f.b);
	s.version = '\0';
	f = tzif_build(&s);
	assert_false(file_accepted(dir, &f));
	free(f.b);

	/* Larger than any zone: 8,000 transitions (72 KB). The same with 4,000 is accepted. */
	int64_t *many = malloc(8000 * sizeof *many);
	uint8_t *many_idx = calloc(8000, 1);
	assert_non_null(many);
	assert_non_null(many_idx);
	for (size_t i = 0; i < 8000; i++)
		many[i] = (int64_t)i * 3600;
	s = base_spec();
	s.times = many;
	s.indices = many_idx;
	s.ntimes = 8000;
	f = tzif_build(&s);
	assert_false(file_accepted(dir, &f));
	free(f.b);
	s.ntimes = 4000;
	f = tzif_build(&s);
	assert_true(file_accepted(dir, &f));
	free(f.b);
	free(many);
	free(many_idx);
	remove_temp_dir(dir);
}

static void test_footers_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "junk",
	    "EST",
	    "EST5EDT", /* DST without a rule */
	    "ES5",
	    "<AB>3",
	    "<ABC3",
	    "<A_C>3",
	    "EST25",
	    "EST-25",
	    "EST5:60",
	    "EST5:00:60",
	    "EST 5",
	    " EST5",
	    "EST5 ",
	    "EST0005",
	    "EST+-5",
	    "EST5EDT,M3.2.0",
	    "EST5EDT,M3.2.0,",
	    "EST5EDT,M3.2.0,M11.1.0,",
	    "EST5EDT,M3.2.0,M11.1.0x",
	    "EST5EDT,,",
	    "EST5EDT,M13.1.0,M11.1.0",
	    "EST5EDT,M0.1.0,M11.1.0",
	    "EST5EDT,M3.6.0,M11.1.0",
	    "EST5EDT,M3.0.0,M11.1.0",
	    "EST5EDT,M3.2.7,M11.1.0",
	    "EST5EDT,M3.2,M11.1.0",
	    "EST5EDT,M3..0,M11.1.0",
	    "EST5EDT,J0,J100",
	    "EST5EDT,J366,J100",
	    "EST5EDT,366,100",
	    "EST5EDT,-1,100",
	    "EST5EDT,M3.2.0/168,M11.1.0",
	    "EST5EDT,M3.2.0/-168,M11.1.0",
	    "EST5EDT,M3.2.0/2:60,M11.1.0",
	    "EST5EDT,M3.2.0/2:00:60,M11.1.0",
	    "EST5EDT,M3.2.0/,M11.1.0",
	    "EST5EDT25,M3.2.0,M11.1.0",
	    "EST5EDT4:,M3.2.0,M11.1.0",
	    "5EST",
	    "EST5\tEDT,M3.2.0,M11.1.0",
	    NULL, /* replaced below by a valid footer of 128 characters */
	};
	static const char *const good[] = {
	    "EST5EDT,0/0,J365/25",     "EST+5", "EST5:00:00", "<+0545>-5:45",
	    "EST5EDT4,M3.2.0,M11.1.0", "EST024"};
	static const int32_t utoff[1] = {0};
	static const uint8_t zero[1] = {0};
	/* "<AAA...A>5": a valid string, refused for its length alone at 128, accepted at 127. */
	char too_long[129], longest[128];
	too_long[0] = longest[0] = '<';
	memset(too_long + 1, 'A', 125);
	memcpy(too_long + 126, ">5", 3);
	memset(longest + 1, 'A', 124);
	memcpy(longest + 125, ">5", 3);
	assert_int_equal(strlen(too_long), 128);
	assert_int_equal(strlen(longest), 127);
	char *dir = make_temp_dir();
	for (size_t i = 0; i < ARRAY_LEN(bad) + ARRAY_LEN(good) + 1; i++) {
		bool want = i >= ARRAY_LEN(bad);
		const char *footer = i == ARRAY_LEN(bad) + ARRAY_LEN(good) ? longest
				     : want	      ? good[i - ARRAY_LEN(bad)]
				     : bad[i] != NULL ? bad[i]
						      : too_long;
		struct tzif_spec s = {.version = '2',
				      .ntypes = 1,
				      .utoff = utoff,
				      .isdst = zero,
				      .desig = zero,
				      .chars = "",
				      .nchars = 1,
				      .footer = footer};
		struct tzif f = tzif_build(&s);
		if (file_accepted(dir, &f) != want)
			fail_msg("footer '%s' %s", footer, want ? "refused" : "accepted");
		free(f.b);
	}
	remove_temp_dir(dir);
}

/* Random damage to real files: whatever is accepted or refused, nothing is read out of bounds
 * (AddressSanitizer watches) and whatever is accepted answers. */
static void test_random_damage(void **state)
{
	(void)state;
	static const char *const zones[] = {"Europe/London", "Africa/Casablanca", "Etc/UTC"};
	char *dir = make_temp_dir();
	rng_state = 4;
	size_t accepted = 0, total = 0;
	for (size_t z = 0; z < ARRAY_LEN(zones); z++) {
		size_t len;
		uint8_t *orig = read_system_zone(zones[z], &len);
		uint8_t *copy = malloc(len);
		assert_non_null(copy);
		for (int round = 0; round < 400; round++) {
			memcpy(copy, orig, len);
			int flips = 1 + (int)(rng_next() % 4);
			for (int k = 0; k < flips; k++)
				copy[rng_next() % len] ^= (uint8_t)(1u << (rng_next() % 8));
			char name[32];
			snprintf(name, sizeof name, "Damaged%zu", total++);
			write_file(dir, name, copy, len);
			if (tz_name_valid_in(dir, name)) {
				struct tz_local l;
				accepted++;
				for (int k = 0; k < 50; k++) {
					int64_t t = rng_between(TZ_TIME_MIN, TZ_TIME_MAX);
					assert_int_equal(tz_local_time_in(dir, name, t, &l),
							 COFFER_OK);
					assert_in_range(l.minute_of_day, 0, 1439);
					assert_in_range(l.weekday, 0, 6);
				}
			}
		}
		free(orig);
		free(copy);
	}
	print_message("[          ] %zu of %zu damaged files still parsed\n", accepted, total);
	remove_temp_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threads_agree), /* first: the cache is cold */
	    cmocka_unit_test(test_zones_against_glibc),
	    cmocka_unit_test(test_every_zone_against_glibc),
	    cmocka_unit_test(test_footer_rules_against_glibc),
	    cmocka_unit_test(test_footer_dst_all_year),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_names_accepted),
	    cmocka_unit_test(test_names_refused),
	    cmocka_unit_test(test_names_in_own_dir),
	    cmocka_unit_test(test_builder_baseline),
	    cmocka_unit_test(test_truncated_files_refused),
	    cmocka_unit_test(test_corrupt_files_refused),
	    cmocka_unit_test(test_footers_refused),
	    cmocka_unit_test(test_random_damage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
