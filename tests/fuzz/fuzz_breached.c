/* fuzz_breached.c — the breached-password list reader (breached_db_open and its lookups) on an
 * arbitrary file.
 *
 * Each input is written to one file and opened as the list. A plain reference reader here splits
 * it into lines and checks each against the documented line format; the answers must agree:
 * - the open succeeds exactly when the file is empty, holds only byte-order marks, or its first
 *   line is well-formed (else COFFER_ERR_CONFIG);
 * - a lookup answers "found" only for a hash some well-formed line lists, with that line's
 *   count, whatever the order of the lines; when the well-formed lines are in strictly
 *   ascending order, as a real list is, every hash listed is found;
 * - a reload of the same file answers the same.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "signin/breached.h"

#define HEX_LEN	   (2 * BREACHED_SHA1_BYTES)
#define MAX_LINES  256
#define MAX_PROBES 48

static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};

struct ref_line {
	uint8_t sha1[BREACHED_SHA1_BYTES];
	uint64_t count;
};

struct ref_list {
	struct ref_line line[MAX_LINES];
	size_t n;	  /* well-formed lines kept (the first MAX_LINES) */
	size_t n_all;	  /* well-formed lines in the file */
	bool first_ok;	  /* the first line is well-formed */
	bool only_boms;	  /* the file is empty or byte-order marks only */
	bool strictly_up; /* the well-formed lines' hashes strictly ascend */
};

/* A line (without its '\n'): byte-order marks, 40 hex digits, ':', digits, an optional '\r'. */
static bool ref_parse_line(const uint8_t *p, size_t len, struct ref_line *out)
{
	while (len >= sizeof bom && memcmp(p, bom, sizeof bom) == 0) {
		p += sizeof bom;
		len -= sizeof bom;
	}
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len < HEX_LEN + 2 || p[HEX_LEN] != ':')
		return false;
	/* Without an end pointer, sodium_hex2bin refuses anything but 40 hex digits. */
	size_t bin_len = 0;
	if (sodium_hex2bin(out->sha1, sizeof out->sha1, (const char *)p, HEX_LEN, NULL, &bin_len,
			   NULL) != 0 ||
	    bin_len != BREACHED_SHA1_BYTES)
		return false;
	out->count = 0;
	for (size_t i = HEX_LEN + 1; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned digit = (unsigned)(p[i] - '0');
		out->count =
		    out->count > (UINT64_MAX - digit) / 10 ? UINT64_MAX : out->count * 10 + digit;
	}
	return true;
}

static void ref_read(const uint8_t *data, size_t size, struct ref_list *ref)
{
	memset(ref, 0, sizeof *ref);
	size_t at = 0;
	while (at < size && size - at >= sizeof bom && memcmp(data + at, bom, sizeof bom) == 0)
		at += sizeof bom;
	ref->only_boms = at == size;
	ref->strictly_up = true;
	for (size_t start = 0, index = 0; start < size; index++) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl == NULL ? size - start : (size_t)(nl - (data + start));
		struct ref_line ln;
		if (ref_parse_line(data + start, len, &ln)) {
			if (index == 0)
				ref->first_ok = true;
			if (ref->n > 0 &&
			    memcmp(ln.sha1, ref->line[ref->n - 1].sha1, sizeof ln.sha1) <= 0)
				ref->strictly_up = false;
			if (ref->n < MAX_LINES)
				ref->line[ref->n++] = ln;
			ref->n_all++;
		}
		start += len + 1;
	}
}

/* Checks one lookup of SHA1 against the reference. */
static void probe(struct breached_db *db, const struct ref_list *ref, const uint8_t *sha1)
{
	bool found = true;
	uint64_t count = 1;
	check(breached_db_check_sha1(db, sha1, &found, &count) == COFFER_OK, "lookup fails");
	bool listed = false, same_count = false;
	for (size_t i = 0; i < ref->n; i++) {
		if (memcmp(ref->line[i].sha1, sha1, BREACHED_SHA1_BYTES) == 0) {
			listed = true;
			same_count |= ref->line[i].count == count;
		}
	}
	if (ref->n == ref->n_all) { /* every line is in the reference */
		check(!found || listed, "found a hash no well-formed line lists");
		check(!found || same_count, "found with a count no line gives it");
		check(!ref->strictly_up || found == listed,
		      "a listed hash of a sorted list missed");
	}
	check(found || count == 0, "count set when not found");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[PATH_MAX];
	static struct ref_list ref;
	if (path[0] == '\0')
		scratch_path("breached.txt", path);
	scratch_write(path, data, size, 0600);
	ref_read(data, size, &ref);

	struct breached_db *db = NULL;
	enum coffer_err rc = breached_db_open(path, &db);
	bool want_open = ref.only_boms || ref.first_ok;
	check(rc == (want_open ? COFFER_OK : COFFER_ERR_CONFIG), "open answers as the reference");
	if (rc != COFFER_OK)
		return 0;

	/* Every listed hash, each one step away from a listed hash, and the two extremes. */
	uint8_t sha1[BREACHED_SHA1_BYTES];
	size_t probes = 0;
	for (size_t i = 0; i < ref.n && probes < MAX_PROBES; i++, probes += 3) {
		memcpy(sha1, ref.line[i].sha1, sizeof sha1);
		probe(db, &ref, sha1);
		sha1[BREACHED_SHA1_BYTES - 1]++;
		probe(db, &ref, sha1);
		sha1[BREACHED_SHA1_BYTES - 1] -= 2;
		probe(db, &ref, sha1);
	}
	memset(sha1, 0, sizeof sha1);
	probe(db, &ref, sha1);
	memset(sha1, 0xff, sizeof sha1);
	probe(db, &ref, sha1);

	/* The hashing entry point: "password" is a classic line of every real list. */
	bool found;
	uint64_t count;
	check(breached_db_check(db, "password", 8, &found, &count) == COFFER_OK, "check fails");
	check(found || count == 0, "count set when not found");

	check(breached_db_reload(db) == COFFER_OK, "reload of an unchanged file fails");
	if (ref.n > 0)
		probe(db, &ref, ref.line[0].sha1);
	breached_db_close(db);
	return 0;
}
