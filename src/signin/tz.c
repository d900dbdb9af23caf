/* tz.c — a TZif reader (RFC 8536) with the POSIX TZ rule of its footer, and the zone cache.
 *
 * In the order a lookup needs them:
 *   1. calendar arithmetic (proleptic Gregorian, days counted from 1970-01-01);
 *   2. the POSIX TZ string of the footer: parsing it, and the offset its yearly rule gives;
 *   3. the TZif file: two headers and data blocks, then the footer;
 *   4. names and files: what may be opened, and how;
 *   5. the cache and the public functions.
 *
 * Strict by design: a zone file that departs from RFC 8536 is refused rather than guessed at,
 * since a misread zone opens or shuts a login window at the wrong hour. Every zone of Debian
 * 12's tzdata 2025b outside right/ parses (the unit tests go through zone1970.tab). */
#include "signin/tz.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"

#define SECS_PER_DAY  86400
#define SECS_PER_HOUR 3600

/* The largest file read. Debian's biggest zone is under 5 KiB; a TZif file holds at most 256
 * types and, as zic writes them, some 2,000 transitions. */
#define TZIF_MAX_BYTES	(64 * 1024)
#define TZIF_HEADER_LEN 44

/* UT offsets RFC 8536 allows in a local time type (-24:59:59 .. +25:59:59). */
#define UTOFF_MIN (-89999)
#define UTOFF_MAX 93599

/* Longest footer accepted; the longest in tzdata 2025b is 44 characters. */
#define FOOTER_MAX 128

/* Zones cached. tzdata 2025b has 606 names outside posix/ and right/, but one server serves a
 * few dozen: past this, a zone is parsed for each lookup and dropped after it. */
#define CACHE_MAX 512

/* ---- 1. Calendar --------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool is_leap_year(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_length(int64_t year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to YEAR-MONTH-DAY (H. Hinnant's days_from_civil: years as 400-year eras
 * starting in March, so that February 29 falls last). */
static int64_t days_from_civil(int64_t year, int month, int day)
{
	year -= month <= 2;
	int64_t era = floor_div(year, 400);
	int64_t yoe = year - era * 400;						     /* 0..399 */
	int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;			     /* 0..146096 */
	return era * 146097 + doe - 719468;
}

/* The year in which day DAYS (counted from 1970-01-01) falls: the inverse of the above. */
static int64_t year_of_day(int64_t days)
{
	days += 719468;
	int64_t era = floor_div(days, 146097);
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153; /* months from March: 10 and 11 are January, February */
	return yoe + era * 400 + (mp >= 10);
}

/* ---- 2. The POSIX TZ string ----------------------------------------------------------------
 *
 * "std offset [dst [offset] ,start[/time],end[/time]]", for example "GMT0BST,M3.5.0/1,M10.5.0".
 * Offsets are hours west of UT ("EST5" is UT-5), at most 24; a missing DST offset is one hour
 * ahead of standard time. Days are "Jn" (1..365, February 29 never counted), "n" (0..365,
 * counted) or "Mm.w.d" (day d, 0 = Sunday, of week w of month m, 5 = the last). Times default
 * to 02:00 and, as RFC 8536 extends POSIX, may be signed and up to 167 hours ("M3.4.4/50" is
 * Gaza's, "M3.5.0/-1" Greenland's). POSIX leaves DST without a rule implementation-defined
 * (glibc reads "posixrules", a US zone): refused here, as zic never writes it. */

enum rule_kind { RULE_JULIAN_NO_LEAP, RULE_DAY_OF_YEAR, RULE_MONTH_WEEK_DAY };

struct rule_day {
	enum rule_kind kind;
	int day;		  /* JULIAN_NO_LEAP: 1..365; DAY_OF_YEAR: 0..365 */
	int month, week, weekday; /* MONTH_WEEK_DAY: 1..12, 1..5, 0 = Sunday .. 6 */
	int32_t time;		  /* seconds from local midnight, -167 h .. +167 h */
};

struct posix_tz {
	int32_t std_offset; /* seconds east of UT */
	bool has_dst;
	int32_t dst_offset;
	/* START goes into DST at a time read on the standard-time clock; END comes out of it at a
	 * time read on the DST clock. */
	struct rule_day start, end;
};

static bool is_ascii_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skips an abbreviation: three or more letters, or "<...>" around three or more of
 * [A-Za-z0-9+-]. Only skipped: coffer never shows them. */
static bool skip_abbreviation(const char **s)
{
	const char *p = *s;
	size_t n = 0;
	if (*p == '<') {
		p++;
		while (is_ascii_alpha(p[n]) || is_ascii_digit(p[n]) || p[n] == '+' || p[n] == '-')
			n++;
		if (n < 3 || p[n] != '>')
			return false;
		*s = p + n + 1;
		return true;
	}
	while (is_ascii_alpha(p[n]))
		n++;
	if (n < 3)
		return false;
	*s = p + n;
	return true;
}

/* Steps over C if it comes next; never past the end of the string. */
static bool expect(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

/* Reads 1 to MAX_DIGITS decimal digits whose value is at most MAX. */
static bool read_number(const char **s, int max_digits, int max, int *value)
{
	int v = 0, n = 0;
	while (n < max_digits && is_ascii_digit((*s)[n])) {
		v = v * 10 + ((*s)[n] - '0');
		n++;
	}
	if (n == 0 || is_ascii_digit((*s)[n]) || v > max)
		return false;
	*s += n;
	*value = v;
	return true;
}

/* Reads "[+|-]h[h[h]][:mm[:ss]]" as seconds: hours 0..MAX_HOURS, minutes and seconds 0..59. */
static bool read_hms(const char **s, int max_hours, int32_t *secs)
{
	int sign = 1, h, m = 0, sec = 0;
	if (**s == '+' || **s == '-') {
		sign = **s == '-' ? -1 : 1;
		(*s)++;
	}
	if (!read_number(s, 3, max_hours, &h))
		return false;
	if (expect(s, ':')) {
		if (!read_number(s, 2, 59, &m))
			return false;
		if (expect(s, ':') && !read_number(s, 2, 59, &sec))
			return false;
	}
	*secs = sign * (h * SECS_PER_HOUR + m * 60 + sec);
	return true;
}

/* A UT offset as POSIX writes it (hours west) turned into seconds east. */
static bool read_offset(const char **s, int32_t *east)
{
	int32_t west;
	if (!read_hms(s, 24, &west))
		return false;
	*east = -west;
	return true;
}

static bool read_rule_day(const char **s, struct rule_day *r)
{
	memset(r, 0, sizeof *r);
	if (expect(s, 'J')) {
		r->kind = RULE_JULIAN_NO_LEAP;
		if (!read_number(s, 3, 365, &r->day) || r->day < 1)
			return false;
	} else if (expect(s, 'M')) {
		r->kind = RULE_MONTH_WEEK_DAY;
		if (!read_number(s, 2, 12, &r->month) || r->month < 1 || !expect(s, '.') ||
		    !read_number(s, 1, 5, &r->week) || r->week < 1 || !expect(s, '.') ||
		    !read_number(s, 1, 6, &r->weekday))
			return false;
	} else {
		r->kind = RULE_DAY_OF_YEAR;
		if (!read_number(s, 3, 365, &r->day))
			return false;
	}
	r->time = 2 * SECS_PER_HOUR;
	return !expect(s, '/') || read_hms(s, 167, &r->time);
}

static bool posix_parse(const char *s, struct posix_tz *out)
{
	struct posix_tz tz;
	memset(&tz, 0, sizeof tz);
	if (!skip_abbreviation(&s) || !read_offset(&s, &tz.std_offset))
		return false;
	if (*s == '\0') {
		*out = tz;
		return true;
	}
	if (!skip_abbreviation(&s))
		return false;
	tz.has_dst = true;
	tz.dst_offset = tz.std_offset + SECS_PER_HOUR;
	if (*s != ',' && !read_offset(&s, &tz.dst_offset))
		return false;
	if (!expect(&s, ',') || !read_rule_day(&s, &tz.start) || !expect(&s, ',') ||
	    !read_rule_day(&s, &tz.end) || *s != '\0')
		return false;
	*out = tz;
	return true;
}

/* The day (from 1970-01-01) on which rule R falls in YEAR. */
static int64_t rule_date(const struct rule_day *r, int64_t year)
{
	int64_t jan1 = days_from_civil(year, 1, 1);
	if (r->kind == RULE_JULIAN_NO_LEAP) /* J60 is March 1 in every year */
		return jan1 + r->day - 1 + (is_leap_year(year) && r->day >= 60);
	if (r->kind == RULE_DAY_OF_YEAR)
		return jan1 + r->day;
	int64_t first = days_from_civil(year, r->month, 1);
	/* 0 = Sunday; 1970-01-01 was a Thursday. */
	int first_weekday = (int)floor_mod(first + 4, 7);
	int mday = 1 + (r->weekday - first_weekday + 7) % 7 + 7 * (r->week - 1);
	if (mday > month_length(year, r->month)) /* week 5, "the last", in a four-week month */
		mday -= 7;
	return first + mday - 1;
}

/* The UT instant of a change by rule R in YEAR, its time read on a clock at OFFSET_BEFORE. */
static int64_t rule_instant(const struct rule_day *r, int64_t year, int32_t offset_before)
{
	return rule_date(r, year) * SECS_PER_DAY + r->time - offset_before;
}

/* The offset the rule gives at T: that of the latest change at or before T. The changes of year
 * y all fall within 9 days of it (times of up to 167 h, offsets of up to 26 h), so those of the
 * year of T, the one after and the two before always include the answer. They are taken in
 * order — by year, and within a year by instant — and on a tie the later in that order wins: so
 * "DST all year", which RFC 8536 writes as "EST5EDT,0/0,J365/25" (the end of one year's DST
 * meeting the next one's start), is DST without a gap. glibc looks at the year of T alone and
 * gets the first hours of such a year wrong; no zone in tzdata has a rule where it matters. */
static int32_t posix_offset(const struct posix_tz *tz, int64_t t)
{
	if (!tz->has_dst)
		return tz->std_offset;
	int64_t year = year_of_day(floor_div(t, SECS_PER_DAY));
	bool found = false, dst = false;
	int64_t latest = 0;
	for (int64_t y = year - 2; y <= year + 1; y++) {
		int64_t start = rule_instant(&tz->start, y, tz->std_offset);
		int64_t end = rule_instant(&tz->end, y, tz->dst_offset);
		const int64_t at[2] = {start <= end ? start : end, start <= end ? end : start};
		const bool to_dst[2] = {start <= end, start > end};
		for (int k = 0; k < 2; k++) {
			if (at[k] <= t && (!found || at[k] >= latest)) {
				found = true;
				latest = at[k];
				dst = to_dst[k];
			}
		}
	}
	return dst ? tz->dst_offset : tz->std_offset;
}

/* ---- 3. The TZif file ------------------------------------------------------------------------
 *
 * A header (magic "TZif", version, six counts) and a data block with 32-bit times; from version
 * 2, a second header and block with 64-bit times, then a footer "\nTZ string\n". Only the block
 * with 64-bit times is read when there is one: the first is there for old 32-bit readers. A
 * leap-second table (right/ zones) makes times count leap seconds, which POSIX time does not:
 * such files are refused rather than read 27 seconds off. */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

/* A parsed zone: immutable once built, one allocation. */
struct tz_zone {
	size_t count;	 /* transitions */
	int64_t *at;	 /* their UT instants, strictly ascending */
	uint8_t *type;	 /* the local time type each one starts */
	int32_t *utoff;	 /* seconds east of UT, per local time type */
	bool has_footer; /* else the last transition's type holds for ever after */
	struct posix_tz footer;
};

struct reader {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct reader *r, size_t n)
{
	if (n > r->left)
		return NULL;
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(struct reader *r, char *version, struct tzif_counts *c)
{
	const uint8_t *h = take(r, TZIF_HEADER_LEN);
	if (h == NULL || memcmp(h, "TZif", 4) != 0)
		return false;
	*version = (char)h[4];
	if (*version != '\0' && (*version < '2' || *version > '4'))
		return false;
	c->isut = be32(h + 20);
	c->isstd = be32(h + 24);
	c->leap = be32(h + 28);
	c->time = be32(h + 32);
	c->type = be32(h + 36);
	c->chars = be32(h + 40);
	/* RFC 8536 section 3.1; at most 256 types, as a transition names its type in one byte. */
	return c->type >= 1 && c->type <= 256 && c->chars >= 1 &&
	       (c->isut == 0 || c->isut == c->type) && (c->isstd == 0 || c->isstd == c->type);
}

/* Bytes of the data block the counts describe, with TIME_LEN-byte times. Each count is below
 * 2^32 and each multiplier at most 12, so the sum cannot overflow 64 bits. */
static uint64_t block_len(const struct tzif_counts *c, size_t time_len)
{
	return (uint64_t)c->time * (time_len + 1) + (uint64_t)c->type * 6 + c->chars +
	       (uint64_t)c->leap * (time_len + 4) + c->isstd + c->isut;
}

static bool all_zero_or_one(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] > 1)
			return false;
	}
	return true;
}

/* Reads the data block described by C into a new zone (footer still unset). */
static enum coffer_err read_block(struct reader *r, const struct tzif_counts *c, size_t time_len,
				  struct tz_zone **out)
{
	if (block_len(c, time_len) > r->left)
		return COFFER_ERR_INVALID_INPUT;
	/* In file order; block_len has checked that all of it is there. */
	const uint8_t *times = take(r, (size_t)c->time * time_len);
	const uint8_t *indices = take(r, c->time);
	const uint8_t *types = take(r, (size_t)c->type * 6);
	const uint8_t *chars = take(r, c->chars);
	take(r, (size_t)c->leap * (time_len + 4));
	const uint8_t *isstd = take(r, c->isstd);
	const uint8_t *isut = take(r, c->isut);
	if (c->leap != 0) /* see the top of this section */
		return COFFER_ERR_INVALID_INPUT;
	if (chars[c->chars - 1] != '\0' || !all_zero_or_one(isstd, c->isstd) ||
	    !all_zero_or_one(isut, c->isut))
		return COFFER_ERR_INVALID_INPUT;

	size_t n = c->time;
	struct tz_zone *z = malloc(sizeof *z + n * sizeof(int64_t) + c->type * sizeof(int32_t) + n);
	if (z == NULL)
		return COFFER_ERR_NOMEM;
	memset(z, 0, sizeof *z);
	z->count = n;
	z->at = (int64_t *)(void *)(z + 1);
	z->utoff = (int32_t *)(void *)(z->at + n);
	z->type = (uint8_t *)(void *)(z->utoff + c->type);

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = times + i * time_len;
		z->at[i] = time_len == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
		z->type[i] = indices[i];
		if ((i > 0 && z->at[i] <= z->at[i - 1]) || indices[i] >= c->type)
			goto invalid;
	}
	for (size_t i = 0; i < c->type; i++) {
		const uint8_t *t = types + i * 6;
		int32_t utoff = (int32_t)be32(t);
		if (utoff < UTOFF_MIN || utoff > UTOFF_MAX || t[4] > 1 || t[5] >= c->chars)
			goto invalid;
		z->utoff[i] = utoff;
	}
	*out = z;
	return COFFER_OK;
invalid:
	free(z);
	return COFFER_ERR_INVALID_INPUT;
}

/* The footer, the last bytes of the file: "\n", a TZ string, "\n". Empty, it says nothing of
 * the times after the last transition, and the last type holds, as for glibc and tzcode. */
static bool read_footer(struct reader *r, struct tz_zone *z)
{
	if (r->left < 2 || r->p[0] != '\n' || r->p[r->left - 1] != '\n')
		return false;
	size_t n = r->left - 2;
	const char *text = (const char *)(r->p + 1);
	if (n >= FOOTER_MAX || memchr(text, '\n', n) != NULL || memchr(text, '\0', n) != NULL)
		return false;
	if (n == 0)
		return true;
	char buf[FOOTER_MAX];
	memcpy(buf, text, n);
	buf[n] = '\0';
	z->has_footer = true;
	return posix_parse(buf, &z->footer);
}

static enum coffer_err tzif_parse(const uint8_t *data, size_t len, struct tz_zone **out)
{
	struct reader r = {data, len};
	struct tzif_counts c;
	char version, version2;
	struct tz_zone *z = NULL;
	enum coffer_err err;

	if (!read_header(&r, &version, &c))
		return COFFER_ERR_INVALID_INPUT;
	if (version == '\0') {
		err = read_block(&r, &c, 4, &z);
		if (err != COFFER_OK)
			return err;
		if (r.left != 0)
			goto invalid;
		*out = z;
		return COFFER_OK;
	}
	if (block_len(&c, 4) > r.left || take(&r, (size_t)block_len(&c, 4)) == NULL ||
	    !read_header(&r, &version2, &c) || version2 != version)
		return COFFER_ERR_INVALID_INPUT;
	err = read_block(&r, &c, 8, &z);
	if (err != COFFER_OK)
		return err;
	if (!read_footer(&r, z))
		goto invalid;
	*out = z;
	return COFFER_OK;
invalid:
	free(z);
	return COFFER_ERR_INVALID_INPUT;
}

static int32_t zone_offset(const struct tz_zone *z, int64_t t)
{
	/* RFC 8536 section 3.2: type 0 before the first transition; the footer, else the last
	 * transition's type, from the last transition on (or everywhere, if there is none). */
	if (z->count == 0)
		return z->has_footer ? posix_offset(&z->footer, t) : z->utoff[0];
	if (t < z->at[0])
		return z->utoff[0];
	if (t >= z->at[z->count - 1])
		return z->has_footer ? posix_offset(&z->footer, t)
				     : z->utoff[z->type[z->count - 1]];
	size_t lo = 0, hi = z->count - 1; /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->type[lo]];
}

/* ---- 4. Names and files ------------------------------------------------------------------- */

static bool name_syntax_valid(const char *name)
{
	size_t n = strnlen(name, TZ_NAME_MAX + 1);
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!is_ascii_alpha(c) && !is_ascii_digit(c) && c != '/' && c != '_' && c != '+' &&
		    c != '-')
			return false;
		if (c == '/' && name[i + 1] == '/')
			return false;
	}
	return strcmp(name, "localtime") != 0;
}

/* Is PATH (resolved) strictly inside directory DIR (resolved)? */
static bool path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strncmp(path, dir, n) != 0)
		return false;
	if (n == 1) /* DIR is "/" */
		return path[1] != '\0';
	return path[n] == '/';
}

/* Reads zone NAME (syntax already checked) under DIR. Links are followed, for tzdata's aliases
 * ("GB", "US/Eastern") are links, but where they lead must stay inside DIR. realpath(3) needs
 * only readlink(2), which the web process's seccomp filter allows (openat2's RESOLVE_BENEATH
 * would do it in one call, but the filter kills the process on it). */
static enum coffer_err zone_load(const char *dir, const char *name, struct tz_zone **out)
{
	char path[PATH_MAX], real_dir[PATH_MAX], real_path[PATH_MAX];
	struct stat st;
	char *data;
	size_t len;

	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	if (realpath(dir, real_dir) == NULL)
		return COFFER_ERR_IO;
	if (realpath(path, real_path) == NULL)
		return errno == ENOMEM || errno == EIO ? COFFER_ERR_IO : COFFER_ERR_INVALID_INPUT;
	if (!path_inside(real_path, real_dir) || stat(real_path, &st) != 0 || !S_ISREG(st.st_mode))
		return COFFER_ERR_INVALID_INPUT;

	enum coffer_err err = file_read_all(real_path, TZIF_MAX_BYTES, 0, &data, &len);
	if (err == COFFER_ERR_NOT_FOUND || err == COFFER_ERR_TOO_LARGE)
		return COFFER_ERR_INVALID_INPUT;
	if (err != COFFER_OK)
		return err;
	err = tzif_parse((const uint8_t *)data, len, out);
	free(data);
	return err;
}

/* ---- 5. The cache ----------------------------------------------------------------------------
 *
 * Keyed by the path as named ("DIR/NAME"), so "GB" and "Europe/London" are two entries of the
 * same zone. Only zones that parsed are kept: junk names cannot fill the cache. Files are read
 * outside the lock; two threads that miss together both parse and the second drops its copy. */

struct cached_zone {
	uint64_t hash; /* of PATH: most lookups then compare no string but their own */
	char *path;
	const struct tz_zone *zone;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached_zone cache[CACHE_MAX];
static size_t cache_len;

/* FNV-1a, 64 bits. */
static uint64_t path_hash(const char *path)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	return h;
}

/* Caller holds cache_lock. */
static const struct tz_zone *cache_find(uint64_t hash, const char *path)
{
	for (size_t i = 0; i < cache_len; i++) {
		if (cache[i].hash == hash && strcmp(cache[i].path, path) == 0)
			return cache[i].zone;
	}
	return NULL;
}

/* Finds zone NAME under DIR, loading it on a miss. *UNCACHED is the zone when the cache had no
 * room for it: the caller frees it once done. */
static enum coffer_err zone_get(const char *dir, const char *name, const struct tz_zone **out,
				struct tz_zone **uncached)
{
	char key[PATH_MAX];
	*uncached = NULL;
	if (dir == NULL || dir[0] == '\0' || name == NULL || !name_syntax_valid(name))
		return COFFER_ERR_INVALID_INPUT;
	int n = snprintf(key, sizeof key, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof key)
		return COFFER_ERR_INVALID_INPUT;

	uint64_t hash = path_hash(key);
	pthread_mutex_lock(&cache_lock);
	const struct tz_zone *z = cache_find(hash, key);
	pthread_mutex_unlock(&cache_lock);
	if (z != NULL) {
		*out = z;
		return COFFER_OK;
	}

	struct tz_zone *fresh;
	enum coffer_err err = zone_load(dir, name, &fresh);
	if (err != COFFER_OK)
		return err;
	char *path = strdup(key);
	pthread_mutex_lock(&cache_lock);
	z = cache_find(hash, key);
	if (z == NULL && path != NULL && cache_len < CACHE_MAX) {
		cache[cache_len].hash = hash;
		cache[cache_len].path = path;
		cache[cache_len].zone = fresh;
		cache_len++;
		z = fresh;
		path = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	free(path);
	if (z == NULL) { /* no room (or no memory for the key): use it this once */
		*uncached = fresh;
		*out = fresh;
	} else {
		if (z != fresh)
			free(fresh);
		*out = z;
	}
	return COFFER_OK;
}

bool tz_name_valid_in(const char *dir, const char *name)
{
	const struct tz_zone *z;
	struct tz_zone *uncached;
	enum coffer_err err = zone_get(dir, name, &z, &uncached);
	free(uncached);
	return err == COFFER_OK;
}

bool tz_name_valid(const char *name)
{
	return tz_name_valid_in(TZ_SYSTEM_DIR, name);
}

enum coffer_err tz_local_time_in(const char *dir, const char *name, int64_t utc_seconds,
				 struct tz_local *out)
{
	const struct tz_zone *z;
	struct tz_zone *uncached;
	if (utc_seconds < TZ_TIME_MIN || utc_seconds > TZ_TIME_MAX)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = zone_get(dir, name, &z, &uncached);
	if (err != COFFER_OK)
		return err;
	int32_t offset = zone_offset(z, utc_seconds);
	free(uncached);

	int64_t local = utc_seconds + offset;
	out->weekday = (int)floor_mod(floor_div(local, SECS_PER_DAY) + 3, 7); /* 1970-01-01: Thu */
	out->minute_of_day = (int)(floor_mod(local, SECS_PER_DAY) / 60);
	out->utc_offset = offset;
	return COFFER_OK;
}

enum coffer_err tz_local_time(const char *name, int64_t utc_seconds, struct tz_local *out)
{
	return tz_local_time_in(TZ_SYSTEM_DIR, name, utc_seconds, out);
}
