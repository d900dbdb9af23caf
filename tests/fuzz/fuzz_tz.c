/* fuzz_tz.c — the TZif reader (tz_name_valid_in, tz_local_time_in) on an arbitrary zone file.
 *
 * Each input is written to the file "zone" of a scratch zoneinfo directory and looked up at a
 * fixed set of instants, at instants drawn from the input, and at every transition the file
 * lists (and the seconds either side). Checks beyond "no crash, no leak":
 * - tz_name_valid_in and tz_local_time_in agree, and refuse only with COFFER_ERR_INVALID_INPUT;
 * - weekday, minute and offset are in range and agree with each other;
 * - between the first and the last transition, the offset is the one a plain reference reader
 *   here takes from the 64-bit (or, in a version 1 file, 32-bit) block; after the last one, with
 *   no footer rule, the last transition's.
 *
 * Parsed zones are cached for the life of the process, keyed by name: a zone that parsed would
 * then never be read again. So the cache is filled first with links to one valid zone, after
 * which every lookup of "zone" parses the file afresh (and frees it after), as its comment in
 * tz.c promises; a self-check at start-up proves it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "signin/tz.h"

#define CACHE_FILL    512 /* tz.c's CACHE_MAX */
#define HEADER_LEN    44
#define MAX_REF_TIMES 64
#define UTOFF_MIN     (-89999)
#define UTOFF_MAX     93599

static const char *dir;
static char zone_path[PATH_MAX];

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
}

/* A version 2 zone with one local time type at UTOFF seconds east, no transitions and no
 * footer rule: the smallest file tz.c accepts. Returns its length. */
static size_t fixed_zone(int32_t utoff, uint8_t out[128])
{
	size_t len = 0;
	for (int block = 0; block < 2; block++) {
		uint8_t *h = out + len;
		memset(h, 0, HEADER_LEN);
		memcpy(h, "TZif2", 5);
		put_be32(h + 36, 1); /* types */
		put_be32(h + 40, 4); /* abbreviation bytes */
		len += HEADER_LEN;
		put_be32(out + len, (uint32_t)utoff);
		out[len + 4] = 0; /* not DST */
		out[len + 5] = 0; /* abbreviation index */
		memcpy(out + len + 6, "FUZ", 4);
		len += 10;
	}
	out[len++] = '\n';
	out[len++] = '\n';
	return len;
}

/* The plain reference: the transitions of the block tz.c reads, when their header is sound. */
struct ref_zone {
	bool ok;
	size_t n; /* transitions kept (the first MAX_REF_TIMES) */
	bool all; /* every transition was kept */
	int64_t at[MAX_REF_TIMES];
	int32_t off_at[MAX_REF_TIMES]; /* the offset each one starts */
	int32_t off0;		       /* type 0's offset */
	bool footer_empty;	       /* a v2+ file whose footer is "\n\n", or a v1 file */
};

static void ref_read(const uint8_t *d, size_t size, struct ref_zone *z)
{
	memset(z, 0, sizeof *z);
	if (size < HEADER_LEN)
		return;
	const uint8_t *h = d;
	size_t tlen = 4, off = HEADER_LEN;
	if (h[4] != '\0') {
		uint64_t skip = (uint64_t)be32(h + 32) * 5 + (uint64_t)be32(h + 36) * 6 +
				be32(h + 40) + (uint64_t)be32(h + 28) * 8 + be32(h + 24) +
				be32(h + 20);
		if (skip > size - off || size - off - skip < HEADER_LEN)
			return;
		h = d + off + skip;
		off += (size_t)skip + HEADER_LEN;
		tlen = 8;
	}
	uint32_t ntime = be32(h + 32), ntype = be32(h + 36);
	if (ntype < 1 || ntype > 256 || (uint64_t)ntime * (tlen + 1) + ntype * 6 > size - off)
		return;
	const uint8_t *times = d + off, *idx = times + (size_t)ntime * tlen;
	const uint8_t *types = idx + ntime;
	z->off0 = (int32_t)be32(types);
	for (uint32_t i = 0; i < ntime && z->n < MAX_REF_TIMES; i++) {
		const uint8_t *t = times + (size_t)i * tlen;
		z->at[z->n] = tlen == 8 ? (int64_t)((uint64_t)be32(t) << 32 | be32(t + 4))
					: (int64_t)(int32_t)be32(t);
		if (idx[i] >= ntype)
			return;
		z->off_at[z->n] = (int32_t)be32(types + (size_t)idx[i] * 6);
		z->n++;
	}
	z->all = z->n == ntime;
	z->footer_empty = tlen == 4 || (size >= 2 && d[size - 1] == '\n' && d[size - 2] == '\n');
	z->ok = true;
}

/* Looks "zone" up at T and checks the answer; VALID is what tz_name_valid_in said. */
static void look_up(const struct ref_zone *ref, bool valid, int64_t t)
{
	struct tz_local l;
	memset(&l, 0x5a, sizeof l);
	enum coffer_err rc = tz_local_time_in(dir, "zone", t, &l);
	if (t < TZ_TIME_MIN || t > TZ_TIME_MAX) {
		check(rc == COFFER_ERR_INVALID_INPUT, "an instant out of range accepted");
		return;
	}
	check(rc == (valid ? COFFER_OK : COFFER_ERR_INVALID_INPUT),
	      "tz_local_time_in and tz_name_valid_in disagree");
	if (rc != COFFER_OK)
		return;
	check(l.utc_offset >= UTOFF_MIN && l.utc_offset <= UTOFF_MAX, "offset out of range");
	int64_t local = t + l.utc_offset;
	int64_t day = floor_div(local, 86400);
	check(l.minute_of_day == (int)((local - day * 86400) / 60), "minute of day");
	check(l.weekday == (int)((day % 7 + 7 + 3) % 7), "weekday"); /* 1970-01-01: Thursday */

	if (!ref->ok || ref->n == 0)
		return;
	bool after_last = t >= ref->at[ref->n - 1];
	if (after_last && (!ref->all || !ref->footer_empty))
		return; /* transitions not kept, or the footer rule's time */
	int32_t want = ref->off0;
	for (size_t i = 0; i < ref->n && ref->at[i] <= t; i++)
		want = ref->off_at[i];
	check(l.utc_offset == want, "offset differs from the transition table");
}

static void self_check(void)
{
	uint8_t z[128];
	struct tz_local l;
	for (int32_t off = 3600; off <= 7200; off += 3600) {
		scratch_write(zone_path, z, fixed_zone(off, z), 0644);
		check(tz_local_time_in(dir, "zone", 0, &l) == COFFER_OK && l.utc_offset == off,
		      "start-up: the cache still holds \"zone\": raise CACHE_FILL to tz.c's");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	uint8_t z[128];
	char fill[PATH_MAX], link[PATH_MAX];
	dir = scratch_init();
	scratch_path("zone", zone_path);
	scratch_path("fill", fill);
	scratch_write(fill, z, fixed_zone(0, z), 0644);
	for (int i = 0; i < CACHE_FILL; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%d", i);
		scratch_path(name, link);
		check(symlink("fill", link) == 0, "symlink");
		check(tz_name_valid_in(dir, name), "a fill zone refused");
	}
	self_check();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref_zone ref;
	scratch_write(zone_path, data, size, 0644);
	ref_read(data, size, &ref);
	bool valid = tz_name_valid_in(dir, "zone");

	// clang-format off
	static const int64_t fixed[] = {
	    TZ_TIME_MIN - 1, TZ_TIME_MIN, -2208988800, -1, 0, 1, INT32_MAX, (int64_t)INT32_MAX + 1,
	    1700000000, 2145916800, 4102444800, TZ_TIME_MAX, TZ_TIME_MAX + 1,
	};
	// clang-format on
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		look_up(&ref, valid, fixed[i]);
	if (!valid)
		return 0;

	/* Instants drawn from the input (FNV-1a), spread over the range accepted. */
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * UINT64_C(0x100000001b3);
	for (int k = 0; k < 4; k++) {
		h = h * UINT64_C(6364136223846793005) + 1442695040888963407u;
		look_up(&ref, valid,
			TZ_TIME_MIN + (int64_t)(h % (uint64_t)(TZ_TIME_MAX - TZ_TIME_MIN + 1)));
	}
	for (size_t i = 0; ref.ok && i < ref.n; i++) {
		if (ref.at[i] < TZ_TIME_MIN || ref.at[i] > TZ_TIME_MAX)
			continue; /* refused as instants; and +-1 could overflow */
		look_up(&ref, valid, ref.at[i] - 1);
		look_up(&ref, valid, ref.at[i]);
		look_up(&ref, valid, ref.at[i] + 1);
	}
	return 0;
}
