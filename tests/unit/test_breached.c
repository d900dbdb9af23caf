/* test_breached.c — the breached-password list: file layouts (LF, CRLF, byte-order marks, case,
 * last line), malformed lines, open errors, reload (also under concurrent lookups), lists handed
 * over by descriptor (as keyd gets them) with their generations, and a search of a generated
 * file of 10 million lines. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signin/breached.h"
#include "common/fileio.h"

#define SHA1_LEN BREACHED_SHA1_BYTES

/* Writes a new file and renames it over PATH, as an operator replaces the list. No fsync (as
 * file_write_atomic would do): hundreds of files are written, and none must survive a crash. */
static void write_file(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.new", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	enum coffer_err err = fd_write_all(fd, data, len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(err, COFFER_OK);
	assert_int_equal(rename(tmp, path), 0);
}

static void sha1_of(const void *data, size_t len, uint8_t out[SHA1_LEN])
{
	unsigned int outlen = 0;
	assert_int_equal(EVP_Digest(data, len, out, &outlen, EVP_sha1(), NULL), 1);
	assert_int_equal(outlen, SHA1_LEN);
}

/* SHA1 + 1 or - 1 as a 160-bit big-endian number (wrapping). */
static void sha1_step(const uint8_t in[SHA1_LEN], int delta, uint8_t out[SHA1_LEN])
{
	memcpy(out, in, SHA1_LEN);
	for (size_t i = SHA1_LEN; i-- > 0;) {
		out[i] = (uint8_t)(out[i] + delta);
		if (out[i] != (delta > 0 ? 0x00 : 0xff))
			break;
	}
}

static void expect(struct breached_db *db, const uint8_t sha1[SHA1_LEN], bool want_found,
		   uint64_t want_count)
{
	bool found = !want_found;
	uint64_t count = 12345;
	assert_int_equal(breached_db_check_sha1(db, sha1, &found, &count), COFFER_OK);
	if (found != want_found) {
		char hex[2 * SHA1_LEN + 1];
		sodium_bin2hex(hex, sizeof hex, sha1, SHA1_LEN);
		fail_msg("%s: found=%d, want %d", hex, found, want_found);
	}
	assert_int_equal(count, want_found ? want_count : 0);
}

/* --- lists of entries and the files that hold them ---------------------------------------- */

struct entry {
	uint8_t sha1[SHA1_LEN];
	uint64_t count;
};

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->sha1, ((const struct entry *)b)->sha1, SHA1_LEN);
}

/* N entries: the SHA-1s of "pw-SEED-i" with distinct counts, sorted by hash. */
static struct entry *make_entries(size_t n, unsigned seed)
{
	struct entry *e = calloc(n ? n : 1, sizeof *e);
	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		char pw[64];
		int len = snprintf(pw, sizeof pw, "pw-%u-%zu", seed, i);
		sha1_of(pw, (size_t)len, e[i].sha1);
		e[i].count = 3 * i + 1;
	}
	qsort(e, n, sizeof *e, entry_cmp);
	return e;
}

/* How a list is laid out in its file. */
struct layout {
	const char *eol;    /* "\n" or "\r\n" */
	bool bom_first;	    /* a UTF-8 byte-order mark at the start of the file */
	unsigned bom_every; /* and one before every K-th line after the first (0: none) */
	bool lower;	    /* lower-case hex */
	bool final_eol;	    /* end the last line with EOL too */
};

static const struct layout lf = {"\n", false, 0, false, true};

static void put_hex(FILE *out, const uint8_t sha1[SHA1_LEN], bool lower)
{
	for (size_t i = 0; i < SHA1_LEN; i++)
		fprintf(out, lower ? "%02x" : "%02X", sha1[i]);
}

static void write_entries(const char *path, const struct entry *e, size_t n,
			  const struct layout *lay)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if ((i == 0 && lay->bom_first) ||
		    (i > 0 && lay->bom_every && i % lay->bom_every == 0))
			fputs("\xef\xbb\xbf", out);
		put_hex(out, e[i].sha1, lay->lower);
		fprintf(out, ":%llu%s", (unsigned long long)e[i].count,
			i + 1 < n || lay->final_eol ? lay->eol : "");
	}
	assert_int_equal(fclose(out), 0);
	write_file(path, buf, len);
	free(buf);
}

/* Every entry is found with its count; its neighbours ±1 and the extreme hashes are not. */
static void expect_exactly(struct breached_db *db, const struct entry *e, size_t n)
{
	uint8_t h[SHA1_LEN];
	for (size_t i = 0; i < n; i++) {
		expect(db, e[i].sha1, true, e[i].count);
		sha1_step(e[i].sha1, +1, h);
		expect(db, h, false, 0);
		sha1_step(e[i].sha1, -1, h);
		expect(db, h, false, 0);
	}
	memset(h, 0x00, sizeof h);
	expect(db, h, false, 0);
	memset(h, 0xff, sizeof h);
	expect(db, h, false, 0);
}

/* Writes N entries in layout LAY, opens the file and checks every lookup. */
static void check_layout(const struct fixture *f, size_t n, const struct layout *lay)
{
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	struct entry *e = make_entries(n, (unsigned)n);
	path_in(f, "list.txt", path);
	write_entries(path, e, n, lay);
	assert_int_equal(breached_db_open(path, &db), COFFER_OK);
	expect_exactly(db, e, n);
	breached_db_close(db);
	free(e);
}

/* --- configuration and open errors --------------------------------------------------------- */

static void test_no_list(void **state)
{
	(void)state;
	static const char *const none[] = {NULL, ""};
	for (size_t i = 0; i < ARRAY_LEN(none); i++) {
		struct breached_db *db = NULL;
		bool found = true;
		uint64_t count = 7;
		uint8_t h[SHA1_LEN];
		assert_int_equal(breached_db_open(none[i], &db), COFFER_OK);
		assert_non_null(db);
		assert_int_equal(breached_db_check(db, "password", 8, &found, &count), COFFER_OK);
		assert_false(found);
		assert_int_equal(count, 0);
		sha1_of("password", 8, h);
		expect(db, h, false, 0);
		assert_int_equal(breached_db_reload(db), COFFER_OK);
		expect(db, h, false, 0);
		breached_db_close(db);
	}
	breached_db_close(NULL);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	static const char *const wrong_first_line[] = {
	    "hello\n",
	    "\n5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n", /* blank first line */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD:1\n",    /* 39 digits */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8A:1\n",  /* 41 digits */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8\n",     /* no count */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:\n",    /* empty count */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:x\n",   /* count not a number */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8 1\n",   /* no colon */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1 \n",  /* trailing junk */
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FG8:1\n",   /* not hex */
	    /* A BOM, then 39 digits; half a BOM. (Split literals: \x would eat the hex.) */
	    "\xef\xbb\xbf"
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD:1",
	    "\xef\xbb"
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n",
	    "$2b$12$abcdefghijklmnopqrstuuvwxyz0123456789ABCDEFGHIJKLMNO\n",
	};

	path_in(f, "missing.txt", path);
	assert_int_equal(breached_db_open(path, &db), COFFER_ERR_NOT_FOUND);
	assert_int_equal(breached_db_open(f->dir, &db), COFFER_ERR_IO); /* a directory */
	/* Not a regular file. */
	assert_int_equal(breached_db_open("/dev/null", &db), COFFER_ERR_IO);

	path_in(f, "list.txt", path);
	for (size_t i = 0; i < ARRAY_LEN(wrong_first_line); i++) {
		write_file(path, wrong_first_line[i], strlen(wrong_first_line[i]));
		if (breached_db_open(path, &db) != COFFER_ERR_CONFIG)
			fail_msg("case %zu: opened, want COFFER_ERR_CONFIG", i);
	}
}

/* --- lookups ------------------------------------------------------------------------------- */

/* The real SHA-1 of the password's exact bytes, matched against lines written by hand. */
static void test_known_passwords(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	bool found = false;
	uint64_t count = 0;
	static const char list[] =
	    "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824\n"  /* password */
	    "726CCDBD77CC9BB88DB6CC320E5326531304E721:17\n"	  /* pass\0word */
	    "7C4A8D09CA3762AF61E59520943DC26494F8941B:37359195\n" /* 123456 */
	    "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42:3\n";	  /* correct horse... */
	static const struct {
		const char *password;
		size_t len;
		bool found;
		uint64_t count;
	} cases[] = {
	    {"password", 8, true, 9545824},
	    {"123456", 6, true, 37359195},
	    {"correct horse battery staple", 28, true, 3},
	    {"pass\0word", 9, true, 17}, /* every byte counts, NUL included */
	    {"pass", 4, false, 0},
	    {"passwor", 7, false, 0},
	    {"Password", 8, false, 0},
	    {"password ", 9, false, 0},
	    {"qwerty", 6, false, 0},
	    {"", 0, false, 0},
	};

	path_in(f, "list.txt", path);
	write_file(path, list, sizeof list - 1);
	assert_int_equal(breached_db_open(path, &db), COFFER_OK);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		found = !cases[i].found;
		assert_int_equal(
		    breached_db_check(db, cases[i].password, cases[i].len, &found, &count),
		    COFFER_OK);
		if (found != cases[i].found || count != cases[i].count)
			fail_msg("case %zu: found=%d count=%llu", i, found,
				 (unsigned long long)count);
	}
	assert_int_equal(breached_db_check(db, NULL, 0, &found, &count), COFFER_OK);
	assert_false(found);
	breached_db_close(db);
}

/* Every size from 1 to 70 lines: off-by-one slips in a bisection show at the first and last
 * lines, and at sizes around powers of two. */
static void test_first_and_last_lines(void **state)
{
	for (size_t n = 1; n <= 70; n++)
		check_layout(*state, n, &lf);
}

static void test_lf_file(void **state)
{
	check_layout(*state, 1000, &lf);
}

static void test_crlf_file(void **state)
{
	static const struct layout crlf = {"\r\n", false, 0, false, true};
	check_layout(*state, 1000, &crlf);
}

static void test_bom_at_start(void **state)
{
	static const struct layout bom_lf = {"\n", true, 0, false, true};
	static const struct layout bom_crlf = {"\r\n", true, 0, false, true};
	check_layout(*state, 1, &bom_lf);
	check_layout(*state, 500, &bom_lf);
	check_layout(*state, 500, &bom_crlf);
}

/* The official downloader may begin each block with a BOM: one before every 7th line, and one
 * before every line. */
static void test_bom_at_line_starts(void **state)
{
	static const struct layout every7 = {"\r\n", true, 7, false, true};
	static const struct layout every1 = {"\n", false, 1, false, true};
	check_layout(*state, 1000, &every7);
	check_layout(*state, 1000, &every1);
}

static void test_lower_case_file(void **state)
{
	static const struct layout lower_lf = {"\n", false, 0, true, true};
	static const struct layout lower_crlf_bom = {"\r\n", true, 5, true, true};
	check_layout(*state, 1000, &lower_lf);
	check_layout(*state, 1000, &lower_crlf_bom);
}

static void test_no_trailing_newline(void **state)
{
	static const struct layout lf_open = {"\n", false, 0, false, false};
	static const struct layout crlf_open = {"\r\n", false, 0, false, false};
	static const struct layout bom_open = {"\n", true, 1, true, false};
	check_layout(*state, 999, &lf_open);
	check_layout(*state, 999, &crlf_open);
	check_layout(*state, 999, &bom_open);
}

static void test_single_line(void **state)
{
	static const struct layout layouts[] = {
	    {"\n", false, 0, false, true},
	    {"\n", false, 0, false, false},
	    {"\r\n", false, 0, false, true},
	    {"\r\n", true, 0, true, false},
	};
	for (size_t i = 0; i < ARRAY_LEN(layouts); i++)
		check_layout(*state, 1, &layouts[i]);
}

static void test_empty_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	static const char *const empty[] = {"", "\xef\xbb\xbf"};
	uint8_t h[SHA1_LEN];
	path_in(f, "list.txt", path);
	for (size_t i = 0; i < ARRAY_LEN(empty); i++) {
		struct breached_db *db = NULL;
		bool found = true;
		uint64_t count = 1;
		write_file(path, empty[i], strlen(empty[i]));
		assert_int_equal(breached_db_open(path, &db), COFFER_OK);
		assert_int_equal(breached_db_check(db, "password", 8, &found, &count), COFFER_OK);
		assert_false(found);
		assert_int_equal(count, 0);
		memset(h, 0, sizeof h);
		expect(db, h, false, 0);
		memset(h, 0xff, sizeof h);
		expect(db, h, false, 0);
		assert_int_equal(breached_db_reload(db), COFFER_OK);
		expect(db, h, false, 0);
		breached_db_close(db);
	}
}

/* --- malformed lines ----------------------------------------------------------------------- */

/* Junk after well-formed line I; a "%s" stands for a hash that must then not be found. */
// clang-format off
static const char *const junk_lines[] = {
    "",
    "\r",
    "hello",
    "%s",
    "%s:",
    "%s:x1",
    "%s;5",
    "%s:12 ",
    "%s:12\rX",
    "%s:12\r\r",
    "%s0:4",
    "\xef\xbb%s:4",
    " %s:4",
    "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG:1",
    "0123456789abcdef0123456789ABCDEF0123456:1",
    ":::::::::::::::::::::::::::::::::::::::::::::::::::",
    "\xef\xbb\xbf",
    "\xef\xbb\xbf\xef\xbb\xbf",
};
// clang-format on

/* Well-formed lines, each followed by malformed ones (among them a line of 200 000 bytes with
 * no newline in sight): every well-formed line is found, no malformed one. */
static void test_malformed_lines(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	const size_t n = 400, long_at = 123, long_len = 200000;
	struct entry *e = make_entries(n, 77);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);

	for (size_t i = 0; i < n; i++) {
		put_hex(out, e[i].sha1, false);
		fprintf(out, ":%llu\n", (unsigned long long)e[i].count);
		if (i == n - 1)
			break; /* the last well-formed line is last: tested below */
		/* A malformed line naming a hash between this entry and the next one. */
		const char *junk = junk_lines[i % ARRAY_LEN(junk_lines)];
		const char *hole = strstr(junk, "%s");
		uint8_t between[SHA1_LEN];
		sha1_step(e[i].sha1, +1, between);
		fwrite(junk, 1, hole ? (size_t)(hole - junk) : strlen(junk), out);
		if (hole != NULL) {
			put_hex(out, between, i % 2 == 0);
			fputs(hole + 2, out);
		}
		fputs(i % 3 == 0 ? "\r\n" : "\n", out);
		if (i == long_at) {
			for (size_t k = 0; k < long_len; k++)
				fputc("0123456789ABCDEF:"[k % 17], out);
			fputc('\n', out);
		}
	}
	fputs("ABCDEF0123", out); /* a truncated last line */
	assert_int_equal(fclose(out), 0);
	path_in(f, "list.txt", path);
	write_file(path, buf, len);
	free(buf);

	assert_int_equal(breached_db_open(path, &db), COFFER_OK);
	expect_exactly(db, e, n);
	breached_db_close(db);
	free(e);
}

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: deterministic, so a failure reproduces */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random files: a well-formed first line, then random runs of bytes the parser cares about
 * (hex digits, ':', '\r', '\n', BOMs, whole lines). Nothing is promised about what is found in
 * such a file, only that every search ends, and does not read outside the mapping (ASan). */
static void test_random_garbage_terminates(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	static const char *const pieces[] = {
	    "0",
	    "9",
	    "A",
	    "f",
	    "F",
	    "a",
	    "G",
	    ":",
	    ":1",
	    "\r",
	    "\n",
	    "\r\n",
	    "\xef\xbb\xbf",
	    "\xef",
	    "0123456789ABCDEF0123456789ABCDEF01234567:5\n",
	    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:1\r\n",
	    "0000000000000000000000000000000000000000:1\n",
	    "7777777777777777777777777777777777777777",
	    "1234567890",
	    " ",
	};
	uint64_t rng = 20240601;
	path_in(f, "list.txt", path);
	for (int file = 0; file < 300; file++) {
		char *buf = NULL;
		size_t len = 0;
		struct breached_db *db = NULL;
		FILE *out = open_memstream(&buf, &len);
		assert_non_null(out);
		fputs("8888888888888888888888888888888888888888:1\n", out);
		size_t n_pieces = rng_next(&rng) % 400;
		for (size_t i = 0; i < n_pieces; i++)
			fputs(pieces[rng_next(&rng) % ARRAY_LEN(pieces)], out);
		assert_int_equal(fclose(out), 0);
		write_file(path, buf, len);
		free(buf);
		assert_int_equal(breached_db_open(path, &db), COFFER_OK);
		for (int q = 0; q < 64; q++) {
			uint8_t h[SHA1_LEN];
			bool found;
			uint64_t count;
			for (size_t k = 0; k < SHA1_LEN; k++)
				h[k] = (uint8_t)rng_next(&rng);
			if (q % 4 == 0)
				memset(h, (q / 4 % 16) * 0x11,
				       sizeof h); /* hashes the pieces hold */
			assert_int_equal(breached_db_check_sha1(db, h, &found, &count), COFFER_OK);
		}
		breached_db_close(db);
	}
}

/* --- reload -------------------------------------------------------------------------------- */

static void test_reload_picks_up_new_content(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	struct entry *a = make_entries(50, 1), *b = make_entries(60, 2);
	path_in(f, "list.txt", path);
	write_entries(path, a, 50, &lf);
	assert_int_equal(breached_db_open(path, &db), COFFER_OK);
	expect_exactly(db, a, 50);

	write_entries(path, b, 60, &lf); /* renamed over the old file */
	expect_exactly(db, a, 50);	 /* still the old mapping until reloaded */
	assert_int_equal(breached_db_reload(db), COFFER_OK);
	expect_exactly(db, b, 60);
	expect(db, a[0].sha1, false, 0);
	expect(db, a[49].sha1, false, 0);

	write_file(path, "", 0);
	assert_int_equal(breached_db_reload(db), COFFER_OK);
	expect(db, b[0].sha1, false, 0);
	breached_db_close(db);
	free(a);
	free(b);
}

/* A list handed over as a descriptor: an empty DB (no path) takes it, a copy of the descriptor
 * in use can be had for the next hand-over, and each list counts one generation. */
static void test_descriptors_and_generations(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *web = NULL, *keyd = NULL;
	struct entry *a = make_entries(40, 3), *b = make_entries(45, 4);
	int fd = -1;
	uint64_t g = 0;
	path_in(f, "list.txt", path);
	write_entries(path, a, 40, &lf);
	assert_int_equal(breached_db_open(path, &web), COFFER_OK);
	assert_int_equal(breached_db_generation(web), 1);
	assert_int_equal(breached_db_open(NULL, &keyd), COFFER_OK);
	assert_int_equal(breached_db_generation(keyd), 0);
	assert_int_equal(breached_db_dup(keyd, &fd, &g), COFFER_ERR_NOT_FOUND);
	expect(keyd, a[0].sha1, false, 0);
	/* The web process's list, handed over. */
	assert_int_equal(breached_db_dup(web, &fd, &g), COFFER_OK);
	assert_int_equal(g, 1);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(breached_db_replace(keyd, fd), COFFER_OK);
	assert_int_equal(breached_db_generation(keyd), 1);
	expect_exactly(keyd, a, 40);
	/* Reloaded from a new file renamed over the path: the next generation, handed over. */
	write_entries(path, b, 45, &lf);
	assert_int_equal(breached_db_reload(web), COFFER_OK);
	assert_int_equal(breached_db_generation(web), 2);
	expect_exactly(keyd, a, 40); /* keyd keeps its list until it is given another */
	assert_int_equal(breached_db_dup(web, &fd, &g), COFFER_OK);
	assert_int_equal(g, 2);
	assert_int_equal(breached_db_replace(keyd, fd), COFFER_OK);
	assert_int_equal(breached_db_generation(keyd), 2);
	expect_exactly(keyd, b, 45);
	expect(keyd, a[0].sha1, false, 0);
	/* What does not map is refused, its descriptor closed, the list in use kept. */
	char bad[PATH_MAX];
	path_in(f, "bad.txt", bad);
	write_file(bad, "not a list\n", 11);
	fd = open(bad, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(breached_db_replace(keyd, fd), COFFER_ERR_CONFIG);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(breached_db_replace(keyd, fd), COFFER_ERR_IO);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(breached_db_generation(keyd), 2);
	expect_exactly(keyd, b, 45);
	/* A failed reload counts no generation either. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(breached_db_reload(web), COFFER_ERR_NOT_FOUND);
	assert_int_equal(breached_db_generation(web), 2);
	breached_db_close(web);
	breached_db_close(keyd);
	free(a);
	free(b);
}

static void test_failed_reload_keeps_old(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	struct entry *a = make_entries(40, 3), *b = make_entries(40, 4);
	path_in(f, "list.txt", path);
	write_entries(path, a, 40, &lf);
	assert_int_equal(breached_db_open(path, &db), COFFER_OK);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(breached_db_reload(db), COFFER_ERR_NOT_FOUND);
	expect_exactly(db, a, 40);

	write_file(path, "not a hash list\n", 16);
	assert_int_equal(breached_db_reload(db), COFFER_ERR_CONFIG);
	expect_exactly(db, a, 40);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(breached_db_reload(db), COFFER_ERR_IO);
	expect_exactly(db, a, 40);
	assert_int_equal(rmdir(path), 0);

	write_entries(path, b, 40, &lf); /* and a good file is taken again */
	assert_int_equal(breached_db_reload(db), COFFER_OK);
	expect_exactly(db, b, 40);
	expect(db, a[0].sha1, false, 0);
	breached_db_close(db);
	free(a);
	free(b);
}

/* Two lists that share SHARED entries (count 1 in the first, 2 in the second) and each hold
 * ONLY_IN_ONE of their own. Readers look up while the main thread swaps the files and reloads:
 * a shared entry is always found, with one of the two counts; nothing ever crashes. */
enum { SHARED = 64, ONLY_IN_ONE = 64, READERS = 3, RELOADS = 300 };

struct race {
	struct breached_db *db;
	const struct entry *shared;
	const struct entry *only_first;
	atomic_bool stop;
	atomic_ulong lookups;
	atomic_ulong wrong;
};

static void *reader(void *arg)
{
	struct race *r = arg;
	size_t i = 0;
	while (!atomic_load(&r->stop)) {
		bool found = false;
		uint64_t count = 0;
		const struct entry *s = &r->shared[i % SHARED];
		if (breached_db_check_sha1(r->db, s->sha1, &found, &count) != COFFER_OK || !found ||
		    (count != 1 && count != 2))
			atomic_fetch_add(&r->wrong, 1);
		const struct entry *o = &r->only_first[i % ONLY_IN_ONE];
		if (breached_db_check_sha1(r->db, o->sha1, &found, &count) != COFFER_OK ||
		    (found && count != o->count))
			atomic_fetch_add(&r->wrong, 1);
		atomic_fetch_add(&r->lookups, 2);
		i++;
	}
	return NULL;
}

static void write_race_list(const char *path, const struct entry *shared, uint64_t shared_count,
			    const struct entry *own)
{
	struct entry all[SHARED + ONLY_IN_ONE];
	for (size_t i = 0; i < SHARED; i++) {
		all[i] = shared[i];
		all[i].count = shared_count;
	}
	memcpy(all + SHARED, own, ONLY_IN_ONE * sizeof *own);
	qsort(all, ARRAY_LEN(all), sizeof all[0], entry_cmp);
	write_entries(path, all, ARRAY_LEN(all), &lf);
}

static void test_concurrent_lookups_during_reloads(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], first[PATH_MAX], second[PATH_MAX], tmp[PATH_MAX];
	struct entry *shared = make_entries(SHARED, 5);
	struct entry *own1 = make_entries(ONLY_IN_ONE, 6), *own2 = make_entries(ONLY_IN_ONE, 7);
	struct race r = {.shared = shared, .only_first = own1};
	pthread_t threads[READERS];
	path_in(f, "list.txt", path);
	path_in(f, "first.txt", first);
	path_in(f, "second.txt", second);
	path_in(f, "next.txt", tmp);
	write_race_list(first, shared, 1, own1);
	write_race_list(second, shared, 2, own2);
	assert_int_equal(link(first, path), 0);
	assert_int_equal(breached_db_open(path, &r.db), COFFER_OK);
	atomic_init(&r.stop, false);
	atomic_init(&r.lookups, 0);
	atomic_init(&r.wrong, 0);

	for (size_t t = 0; t < READERS; t++)
		assert_int_equal(pthread_create(&threads[t], NULL, reader, &r), 0);
	unsigned long reloads_ok = 0;
	for (int i = 0; i < RELOADS; i++) {
		/* Swap the file as an operator would: a new file renamed over the old one. */
		assert_int_equal(link(i % 2 == 0 ? second : first, tmp), 0);
		assert_int_equal(rename(tmp, path), 0);
		reloads_ok += breached_db_reload(r.db) == COFFER_OK;
		if (i % 50 == 0)
			usleep(1000); /* let the readers run between some reloads */
	}
	atomic_store(&r.stop, true);
	for (size_t t = 0; t < READERS; t++)
		assert_int_equal(pthread_join(threads[t], NULL), 0);

	assert_int_equal(reloads_ok, RELOADS);
	assert_int_equal(atomic_load(&r.wrong), 0);
	assert_true(atomic_load(&r.lookups) > 1000);
	/* RELOADS is even: the last reload took the first file again. */
	expect(r.db, shared[0].sha1, true, 1);
	expect(r.db, own1[0].sha1, true, own1[0].count);
	expect(r.db, own2[0].sha1, false, 0);
	breached_db_close(r.db);
	free(shared);
	free(own1);
	free(own2);
}

/* --- ten million lines --------------------------------------------------------------------- */

/* 160-bit unsigned numbers, most significant 32-bit word first. */
struct u160 {
	uint32_t w[5];
};

static struct u160 u160_div(struct u160 a, uint32_t d)
{
	uint64_t rem = 0;
	for (size_t i = 0; i < 5; i++) {
		uint64_t cur = (rem << 32) | a.w[i];
		a.w[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	return a;
}

static struct u160 u160_mul(struct u160 a, uint32_t m)
{
	uint64_t carry = 0;
	for (size_t i = 5; i-- > 0;) {
		uint64_t cur = (uint64_t)a.w[i] * m + carry;
		a.w[i] = (uint32_t)cur;
		carry = cur >> 32;
	}
	return a;
}

static struct u160 u160_add(struct u160 a, struct u160 b)
{
	uint64_t carry = 0;
	for (size_t i = 5; i-- > 0;) {
		uint64_t cur = (uint64_t)a.w[i] + b.w[i] + carry;
		a.w[i] = (uint32_t)cur;
		carry = cur >> 32;
	}
	return a;
}

static void u160_bytes(struct u160 a, uint8_t out[SHA1_LEN])
{
	for (size_t i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(a.w[i] >> 24);
		out[4 * i + 1] = (uint8_t)(a.w[i] >> 16);
		out[4 * i + 2] = (uint8_t)(a.w[i] >> 8);
		out[4 * i + 3] = (uint8_t)a.w[i];
	}
}

enum { BIG_LINES = 10000000, BIG_LINE_LEN = 47, BIG_SAMPLES = 10000 };

/* Line I holds (I + 1/2) * STEP, STEP = (2^160 - 1) / BIG_LINES: evenly spread over the whole
 * hash space, so neighbours ±1 are never listed. Counts have four digits: 47 bytes a line. */
static struct u160 big_step(void)
{
	struct u160 all_ones = {{UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}};
	return u160_div(all_ones, BIG_LINES);
}

static struct u160 big_value(uint32_t i)
{
	struct u160 step = big_step();
	return u160_add(u160_mul(step, i), u160_div(step, 2));
}

static uint64_t big_count(uint32_t i)
{
	return 1000 + i % 9000;
}

/* Writes the file with one big buffered write after another: about 470 MB. */
static void write_big_list(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const size_t lines_per_chunk = 1 << 16;
	char *chunk = malloc(lines_per_chunk * BIG_LINE_LEN);
	assert_non_null(chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	struct u160 step = big_step(), v = u160_div(step, 2);
	for (uint32_t i = 0; i < BIG_LINES;) {
		char *p = chunk;
		for (size_t k = 0; k < lines_per_chunk && i < BIG_LINES; k++, i++) {
			for (size_t w = 0; w < 5; w++) {
				for (int shift = 28; shift >= 0; shift -= 4)
					*p++ = hex[(v.w[w] >> shift) & 0xf];
			}
			uint32_t c = (uint32_t)big_count(i);
			p[0] = ':';
			p[1] = (char)('0' + c / 1000);
			p[2] = (char)('0' + c / 100 % 10);
			p[3] = (char)('0' + c / 10 % 10);
			p[4] = (char)('0' + c % 10);
			p[5] = '\r';
			p[6] = '\n';
			p += 7;
			v = u160_add(v, step);
		}
		if (fd_write_all(fd, chunk, (size_t)(p - chunk)) != COFFER_OK) {
			close(fd);
			free(chunk);
			fail_msg("writing %s failed", path);
		}
	}
	free(chunk);
	assert_int_equal(close(fd), 0);
}

static void test_ten_million_lines(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct breached_db *db = NULL;
	struct stat st;
	uint8_t h[SHA1_LEN], near[SHA1_LEN];

	path_in(f, "pwned-10m.txt", path);
	write_big_list(path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, (off_t)BIG_LINES * BIG_LINE_LEN);
	assert_int_equal(breached_db_open(path, &db), COFFER_OK);
	/* The mapping keeps the data; unlinking now frees the disk space even if this process
	 * dies before teardown, which removes the directory in every other case. */
	assert_int_equal(unlink(path), 0);

	for (uint32_t k = 0; k <= BIG_SAMPLES; k++) {
		/* Samples spread over the file, not on a fixed stride; then the first and last. */
		uint32_t i = k < BIG_SAMPLES ? k * (BIG_LINES / BIG_SAMPLES) + (k * 7919) % 1000
					     : BIG_LINES - 1;
		u160_bytes(big_value(i), h);
		expect(db, h, true, big_count(i));
		sha1_step(h, +1, near);
		expect(db, near, false, 0);
		sha1_step(h, -1, near);
		expect(db, near, false, 0);
	}
	u160_bytes(big_value(0), h);
	expect(db, h, true, big_count(0));
	memset(h, 0x00, sizeof h);
	expect(db, h, false, 0);
	memset(h, 0xff, sizeof h);
	expect(db, h, false, 0);
	breached_db_close(db);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	/* Watchdog: a search that never ends kills the binary (SIGALRM) rather than hanging the
	 * suite. The whole run takes a few seconds. */
	alarm(120);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_list),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_known_passwords, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_and_last_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lf_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crlf_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bom_at_start, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bom_at_line_starts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lower_case_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_trailing_newline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_garbage_terminates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_picks_up_new_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_reload_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_descriptors_and_generations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_lookups_during_reloads, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ten_million_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
