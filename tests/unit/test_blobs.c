/* test_blobs.c — the local blob store: write, commit, read, abort, remove; no silent replacement;
 * the sweep (temporary files, unkept blobs, the cut-off, names that are not ours); ids that are
 * not UUIDs refused before the file system is touched; a failing write, a writer killed
 * mid-write and one killed right after its commit; a sealed file through a blob and back. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/uuid.h"
#include "crypto/file_seal.h"
#include "store/blobs.h"

#define ORG  "11111111-2222-4333-8444-555555555555"
#define ORG2 "66666666-7777-4888-9999-aaaaaaaaaaaa"
#define SEG  STREAM_SEGMENT_BYTES

/* --- helpers -------------------------------------------------------------------------------- */

/* The file blob store under the fixture's directory (one per test, freed with the group). */
static struct blob_store *blobs_kept;
static char blobs_kept_dir[PATH_MAX];

static struct blob_store *blobs_of(const struct fixture *f)
{
	if (blobs_kept != NULL && strcmp(blobs_kept_dir, f->dir) == 0)
		return blobs_kept;
	blob_store_free(blobs_kept);
	blobs_kept = NULL;
	assert_int_equal(blob_store_files(f->dir, &blobs_kept), COFFER_OK);
	snprintf(blobs_kept_dir, sizeof blobs_kept_dir, "%s", f->dir);
	return blobs_kept;
}

static int free_blobs(void **state)
{
	(void)state;
	blob_store_free(blobs_kept);
	blobs_kept = NULL;
	return 0;
}

static void org_dir(const struct fixture *f, const char *org, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/orgs/%s", f->dir, org);
}

static void blobs_dir(const struct fixture *f, const char *org, char out[PATH_MAX])
{
	char rel[128];
	snprintf(rel, sizeof rel, "orgs/%s/blobs", org);
	path_in(f, rel, out);
}

static void blob_path(const struct fixture *f, const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/orgs/" ORG "/blobs/%s", f->dir, name);
}

/* The temporary file of ID in ORG's blobs. */
static void tmp_path(const struct fixture *f, const char *id, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/orgs/" ORG "/blobs/.tmp-%s", f->dir, id);
}

/* DATA/orgs/<org>, as creating the organisation's database leaves it. */
static void make_org(const struct fixture *f, const char *org)
{
	char path[PATH_MAX];
	snprintf(path, PATH_MAX, "%s/orgs", f->dir);
	assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
	org_dir(f, org, path);
	assert_int_equal(mkdir(path, 0700), 0);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* How many entries DIR holds (-1 when it does not exist). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Every entry under the fixture, for "nothing was touched". */
static int tree_count;
static int count_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)type;
	(void)ftw;
	tree_count++;
	return 0;
}

static int count_tree(const struct fixture *f)
{
	tree_count = 0;
	assert_int_equal(nftw(f->dir, count_one, 16, FTW_PHYS), 0);
	return tree_count;
}

static uint8_t pattern_byte(uint64_t i)
{
	return (uint8_t)((i * 31 + 7) % 251);
}

static void fill_pattern(uint8_t *buf, uint64_t offset, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(offset + i);
}

/* Writes LEN pattern bytes in pieces of PIECE bytes. */
static enum coffer_err write_pattern(struct blob_writer *w, size_t len, size_t piece)
{
	uint8_t *buf = malloc(piece);
	enum coffer_err err = buf == NULL ? COFFER_ERR_NOMEM : COFFER_OK;
	for (size_t pos = 0; pos < len && err == COFFER_OK;) {
		size_t n = len - pos < piece ? len - pos : piece;
		fill_pattern(buf, pos, n);
		err = blob_write(w, buf, n);
		pos += n;
	}
	free(buf);
	return err;
}

/* The blob holds exactly LEN pattern bytes. */
static void check_pattern_blob(const struct fixture *f, const char *org, const char *id, size_t len)
{
	struct blob_reader *r = NULL;
	uint64_t size = 0;
	uint8_t *got = malloc(len + 1), *want = malloc(len + 1);
	assert_true(got != NULL && want != NULL);
	assert_int_equal(blob_open(blobs_of(f), org, id, &r, &size), COFFER_OK);
	assert_int_equal(size, len);
	assert_int_equal(blob_read_at(r, 0, got, len), COFFER_OK);
	fill_pattern(want, 0, len);
	assert_memory_equal(got, want, len);
	assert_int_equal(blob_read_at(r, len, got, 1), COFFER_ERR_IO); /* nothing after it */
	blob_close(r);
	free(want);
	free(got);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set_mtime_ns(const char *path, int64_t ns)
{
	struct timespec t[2] = {{.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000},
				{.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000}};
	assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

static void make_file(const char *path, int64_t mtime_ns)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	set_mtime_ns(path, mtime_ns);
}

/* Sends stderr (where log lines go) to PATH; returns the saved descriptor. */
static int start_capture(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	return saved;
}

/* Puts stderr back; returns what was captured (caller frees). */
static char *end_capture(int saved, const char *path)
{
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char *text = calloc(1, 65536);
	assert_non_null(text);
	size_t n = fread(text, 1, 65535, fp);
	(void)n;
	fclose(fp);
	return text;
}

static bool keep_all(void *ctx, const char *file_id)
{
	(void)ctx;
	(void)file_id;
	return true;
}

/* --- write, commit, read ------------------------------------------------------------------- */

static void test_write_commit_read(void **state)
{
	struct fixture *f = *state;
	/* Pieces below, at and above the writer's buffer; sizes around it. */
	static const struct {
		size_t len, piece;
	} cases[] = {{0, 1},
		     {1, 1},
		     {1000, 7},
		     {SEG + 16, SEG + 16},
		     {(1 << 20) + 123, 300000},
		     {(1 << 20) + 5, 1 << 20},
		     {3 << 20, 65552}};
	char dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX], id[UUID_TEXT_LEN + 1];
	struct stat st;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct blob_writer *w = NULL;
		uuid_generate(id);
		tmp_path(f, id, tmp);
		blob_path(f, id, path);
		assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
		assert_int_equal(stat(dir, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
		assert_int_equal(stat(tmp, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(write_pattern(w, cases[i].len, cases[i].piece), COFFER_OK);
		assert_false(exists(path)); /* nothing under the final name before the commit */
		assert_int_equal(blob_commit(w), COFFER_OK);
		assert_false(exists(tmp));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		check_pattern_blob(f, ORG, id, cases[i].len);
	}
	assert_int_equal(count_entries(dir), (int)ARRAY_LEN(cases));
}

static void test_read_at(void **state)
{
	struct fixture *f = *state;
	const size_t len = 200000;
	char id[UUID_TEXT_LEN + 1];
	uint8_t got[5000], want[5000];
	struct blob_writer *w = NULL;
	struct blob_reader *r = NULL;
	uint64_t size;
	make_org(f, ORG);
	uuid_generate(id);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, len, 4096), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_OK);
	assert_int_equal(size, len);
	static const uint64_t offsets[] = {0, 1, 4095, 65536, 123457, 200000 - 5000};
	for (size_t i = 0; i < ARRAY_LEN(offsets); i++) {
		memset(got, 0, sizeof got);
		assert_int_equal(blob_read_at(r, offsets[i], got, sizeof got), COFFER_OK);
		fill_pattern(want, offsets[i], sizeof want);
		assert_memory_equal(got, want, sizeof got);
	}
	/* Reads that run past the end, or start there, fail; an empty one at the end does not. */
	assert_int_equal(blob_read_at(r, len - 4999, got, sizeof got), COFFER_ERR_IO);
	assert_int_equal(blob_read_at(r, len, got, 1), COFFER_ERR_IO);
	assert_int_equal(blob_read_at(r, len, got, 0), COFFER_OK);
	assert_int_equal(blob_read_at(r, UINT64_MAX - 1, got, 10), COFFER_ERR_INVALID_INPUT);
	blob_close(r);
	blob_close(NULL);
}

/* The writer's memory does not grow with the file: most of what was written is in the
 * temporary file before the commit. */
static void test_writer_flushes(void **state)
{
	struct fixture *f = *state;
	char id[UUID_TEXT_LEN + 1], tmp[PATH_MAX];
	struct blob_writer *w = NULL;
	make_org(f, ORG);
	uuid_generate(id);
	tmp_path(f, id, tmp);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 8 << 20, 1000), COFFER_OK);
	assert_true(file_size(tmp) >= (8 << 20) - (256 << 10));
	assert_int_equal(write_pattern(w, 8 << 20, 65552), COFFER_OK);
	assert_true(file_size(tmp) >= (8 << 20) - (256 << 10));
	blob_abort(w);
}

static void test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1];
	struct blob_writer *w = NULL;
	struct blob_reader *r = NULL;
	uint64_t size;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 700000, 65552), COFFER_OK);
	assert_int_equal(blob_write(w, NULL, 0), COFFER_OK);
	assert_int_equal(blob_write(w, NULL, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(count_entries(dir), 1);
	blob_abort(w);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_ERR_NOT_FOUND);
	blob_abort(NULL);
	/* The id is free again. */
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 10, 10), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);
	check_pattern_blob(f, ORG, id, 10);
}

/* A commit never replaces a blob: renameat2(RENAME_NOREPLACE) refuses, the temporary file is
 * removed, and the blob in place keeps its bytes. Two writers of one id cannot coexist. */
static void test_no_silent_replace(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1];
	struct blob_writer *w = NULL, *w2 = NULL;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w2), COFFER_ERR_EXISTS);
	assert_int_equal(write_pattern(w, 5000, 5000), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);

	w = NULL;
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(blob_write(w, "other content", 13), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_ERR_EXISTS);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */
	check_pattern_blob(f, ORG, id, 5000);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	struct blob_writer *w = NULL;
	struct blob_reader *r = NULL;
	uint64_t size;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	uuid_generate(other);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 100, 100), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);
	assert_int_equal(blob_create(blobs_of(f), ORG, other, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 100, 100), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);

	assert_int_equal(blob_remove(blobs_of(f), ORG, id), COFFER_OK);
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_ERR_NOT_FOUND);
	assert_int_equal(count_entries(dir), 1);
	check_pattern_blob(f, ORG, other, 100); /* only that one */
	/* Absent: not an error, whether the blob, its directory or its organisation is missing. */
	assert_int_equal(blob_remove(blobs_of(f), ORG, id), COFFER_OK);
	make_org(f, ORG2);
	assert_int_equal(blob_remove(blobs_of(f), ORG2, id), COFFER_OK);
	assert_int_equal(blob_remove(blobs_of(f), "99999999-7777-4888-9999-aaaaaaaaaaaa", id),
			 COFFER_OK);
}

/* An organisation's blobs all go at once (its deletion), temporary files with them; another
 * organisation's stay; a name that is not ours stays too (and keeps the directory). */
static void test_remove_org(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1], path[PATH_MAX];
	struct blob_writer *w = NULL, *pending = NULL;
	size_t removed = 99;
	make_org(f, ORG);
	make_org(f, ORG2);
	blobs_dir(f, ORG, dir);
	for (int i = 0; i < 3; i++) {
		uuid_generate(id);
		assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
		assert_int_equal(write_pattern(w, 1000, 100), COFFER_OK);
		assert_int_equal(blob_commit(w), COFFER_OK);
	}
	uuid_generate(id);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &pending), COFFER_OK); /* a .tmp- */
	uuid_generate(other);
	assert_int_equal(blob_create(blobs_of(f), ORG2, other, &w), COFFER_OK);
	assert_int_equal(write_pattern(w, 100, 100), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);

	assert_int_equal(blob_remove_org(blobs_of(f), ORG, &removed), COFFER_OK);
	assert_int_equal(removed, 4); /* the three blobs and the upload's temporary file */
	assert_int_equal(access(dir, F_OK), -1); /* the directory went with them */
	blob_abort(pending);
	check_pattern_blob(f, ORG2, other, 100);
	assert_int_equal(blob_remove_org(blobs_of(f), ORG, &removed), COFFER_OK);
	assert_int_equal(removed, 0); /* nothing left: not an error */

	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(blob_commit(w), COFFER_OK);
	assert_true(snprintf(path, sizeof path, "%.4000s/not-ours", dir) < (int)sizeof path);
	FILE *foreign = fopen(path, "w");
	assert_non_null(foreign);
	fclose(foreign);
	assert_int_equal(blob_remove_org(blobs_of(f), ORG, &removed), COFFER_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_entries(dir), 1); /* only the stranger */
	assert_int_equal(blob_remove_org(blobs_of(f), "not-an-id", &removed),
			 COFFER_ERR_INVALID_INPUT);
}

static void test_missing_directories(void **state)
{
	struct fixture *f = *state;
	char id[UUID_TEXT_LEN + 1], dir[PATH_MAX];
	struct blob_reader *r = NULL;
	struct blob_writer *w = NULL;
	uint64_t size;
	size_t removed = 99;
	uuid_generate(id);
	/* No organisation directory at all. */
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_ERR_NOT_FOUND);
	assert_int_equal(blob_sweep(blobs_of(f), ORG, now_ns(), keep_all, NULL, &removed),
			 COFFER_OK);
	assert_int_equal(removed, 0);
	/* blobs/ is created on demand, the organisation's own directory only with its database. */
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_ERR_NOT_FOUND);
	/* The organisation exists, its blobs/ not yet. */
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_ERR_NOT_FOUND);
	removed = 99;
	assert_int_equal(blob_sweep(blobs_of(f), ORG, now_ns(), keep_all, NULL, &removed),
			 COFFER_OK);
	assert_int_equal(removed, 0);
	assert_false(exists(dir)); /* neither created it */
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_true(exists(dir));
	blob_abort(w);
}

/* --- ids ------------------------------------------------------------------------------------- */

static void test_ids_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "../x",
	    "a/b",
	    "' OR 1=1",
	    "",
	    "..",
	    "11111111-2222-4333-8444-55555555555",   /* one digit short */
	    "11111111-2222-4333-8444-5555555555555", /* one too many */
	    "11111111-2222-4333-8444-55555555555/",
	    "11111111-2222-4333-8444-5555555555AA", /* upper case */
	    "11111111-2222-1333-8444-555555555555", /* version 1 */
	    "11111111-2222-4333-c444-555555555555", /* not the RFC 4122 variant */
	    ".tmp-11111111-2222-4333-8444-555555555555",
	    "../../orgs/11111111-2222-4333-8444-555555555555",
	    NULL,
	};
	char good[UUID_TEXT_LEN + 1], dir[PATH_MAX];
	struct blob_writer *w = NULL;
	struct blob_reader *r = NULL;
	uint64_t size;
	size_t removed = 99;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(good);
	int before = count_tree(f);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		print_message("id \"%s\"\n", bad[i] == NULL ? "(null)" : bad[i]);
		assert_int_equal(blob_create(blobs_of(f), ORG, bad[i], &w),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(blob_create(blobs_of(f), bad[i], good, &w),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(blob_open(blobs_of(f), ORG, bad[i], &r, &size),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(blob_open(blobs_of(f), bad[i], good, &r, &size),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(blob_remove(blobs_of(f), ORG, bad[i]), COFFER_ERR_INVALID_INPUT);
		assert_int_equal(blob_remove(blobs_of(f), bad[i], good), COFFER_ERR_INVALID_INPUT);
		assert_int_equal(
		    blob_sweep(blobs_of(f), bad[i], now_ns(), keep_all, NULL, &removed),
		    COFFER_ERR_INVALID_INPUT);
		assert_int_equal(removed, 99);
	}
	/* Nothing was created, not even blobs/ (which the first good create would make). */
	assert_int_equal(count_tree(f), before);
	assert_false(exists(dir));
	assert_null(w);
	assert_null(r);
}

/* --- the sweep ------------------------------------------------------------------------------- */

struct keep_log {
	const char *keep; /* the one id kept */
	char asked[16][NAME_MAX + 1];
	size_t n;
};

static bool keep_one(void *ctx, const char *file_id)
{
	struct keep_log *k = ctx;
	if (k->n < ARRAY_LEN(k->asked))
		snprintf(k->asked[k->n++], sizeof k->asked[0], "%s", file_id);
	return strcmp(file_id, k->keep) == 0;
}

static bool was_asked(const struct keep_log *k, const char *id)
{
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->asked[i], id) == 0)
			return true;
	}
	return false;
}

static void test_sweep(void **state)
{
	struct fixture *f = *state;
	const int64_t cut = 1700000000LL * 1000000000 + 123456789; /* Nov 2023, to the ns */
	const int64_t old = cut - 3600LL * 1000000000;
	char kept[37], unkept[37], tmp_id[37], newer[37], at_cut[37], just_before[37], dir_id[37],
	    link_id[37], new_tmp[37];
	char path[PATH_MAX], dir[PATH_MAX];
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	char *ids[] = {kept, unkept, tmp_id, newer, at_cut, just_before, dir_id, link_id, new_tmp};
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		uuid_generate(ids[i]);

	/* Ours, old: one kept blob, one unkept blob, one temporary file. */
	blob_path(f, kept, path);
	make_file(path, old);
	blob_path(f, unkept, path);
	make_file(path, old);
	tmp_path(f, tmp_id, path);
	make_file(path, old);
	/* Ours, at and around the cut-off (which is exclusive), and newer. */
	blob_path(f, just_before, path);
	make_file(path, cut - 1);
	blob_path(f, at_cut, path);
	make_file(path, cut);
	blob_path(f, newer, path);
	make_file(path, cut + 1000000000);
	tmp_path(f, new_tmp, path);
	make_file(path, cut + 1);
	/* Not ours: other names, and our names on what is not a regular file. */
	static const char *const foreign[] = {"notes.txt", ".tmp-notauuid", ".tmp-",
					      "11111111-2222-4333-8444-5555555555AA",
					      "lost+found-\x01\xff"};
	for (size_t i = 0; i < ARRAY_LEN(foreign); i++) {
		blob_path(f, foreign[i], path);
		make_file(path, old);
	}
	blob_path(f, dir_id, path);
	assert_int_equal(mkdir(path, 0700), 0);
	set_mtime_ns(path, old);
	blob_path(f, link_id, path);
	assert_int_equal(symlink(unkept, path), 0);
	set_mtime_ns(path, old);

	struct keep_log k = {.keep = kept};
	size_t removed = 99;
	int before = count_entries(dir);
	char log_path[PATH_MAX], *log = NULL;
	path_in(f, "sweep.log", log_path);
	int saved = start_capture(log_path);
	enum coffer_err err = blob_sweep(blobs_of(f), ORG, cut, keep_one, &k, &removed);
	log = end_capture(saved, log_path);
	assert_int_equal(err, COFFER_OK);
	assert_int_equal(removed, 3);
	assert_int_equal(count_entries(dir), before - 3);
	/* Removed: the unkept blob, the temporary file, the blob a nanosecond before the cut. */
	blob_path(f, unkept, path);
	assert_false(exists(path));
	tmp_path(f, tmp_id, path);
	assert_false(exists(path));
	blob_path(f, just_before, path);
	assert_false(exists(path));
	/* Left: the kept blob, those at or after the cut, everything not ours. */
	const char *left[] = {kept, at_cut, newer, dir_id, link_id};
	for (size_t i = 0; i < ARRAY_LEN(left); i++) {
		blob_path(f, left[i], path);
		assert_true(exists(path));
	}
	tmp_path(f, new_tmp, path);
	assert_true(exists(path));
	for (size_t i = 0; i < ARRAY_LEN(foreign); i++) {
		blob_path(f, foreign[i], path);
		assert_true(exists(path));
	}
	/* Each name not ours was logged, as printable ASCII. */
	const char *logged[] = {"notes.txt",	 ".tmp-notauuid", "5555555555AA",
				"lost+found-??", dir_id,	  link_id};
	for (size_t i = 0; i < ARRAY_LEN(logged); i++)
		assert_non_null(strstr(log, logged[i]));
	assert_null(strstr(log, unkept)); /* but not ours */
	free(log);
	/* KEEP is asked about old blobs only: not about temporary files, newer files or names
	 * that are not ours. */
	assert_int_equal(k.n, 3);
	assert_true(was_asked(&k, kept));
	assert_true(was_asked(&k, unkept));
	assert_true(was_asked(&k, just_before));

	/* A second sweep after everything: only the newer unkept files go, and the one kept stays.
	 */
	k.n = 0;
	assert_int_equal(blob_sweep(blobs_of(f), ORG, INT64_MAX, keep_one, &k, &removed),
			 COFFER_OK);
	assert_int_equal(removed, 3); /* at_cut, newer, the new temporary file */
	assert_int_equal(count_entries(dir), (int)ARRAY_LEN(foreign) + 3);
	blob_path(f, kept, path);
	assert_true(exists(path));
}

/* --- failures and crashes --------------------------------------------------------------------- */

/* A write that fails (the file size limit, EFBIG) fails the commit, which removes the
 * temporary file; nothing under the final name. In a child, for the limit. */
static void test_write_failure(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1];
	int status;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit lim = {.rlim_cur = 1 << 20, .rlim_max = 1 << 20};
		struct blob_writer *w = NULL;
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim) != 0 ||
		    blob_create(blobs_of(f), ORG, id, &w) != COFFER_OK)
			_exit(2);
		enum coffer_err err = write_pattern(w, 3 << 20, 65552);
		if (err != COFFER_ERR_IO && err != COFFER_OK)
			_exit(3);
		/* Later writes fail as the first did, and so does the commit. */
		if (err == COFFER_ERR_IO && blob_write(w, "x", 1) != COFFER_ERR_IO)
			_exit(4);
		_exit(blob_commit(w) == COFFER_ERR_IO ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_entries(dir), 0);
}

/* A writer killed mid-write leaves its temporary file and no blob; the sweep removes it. */
static void test_killed_mid_write(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1], tmp[PATH_MAX], path[PATH_MAX];
	int status;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	tmp_path(f, id, tmp);
	blob_path(f, id, path);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct blob_writer *w = NULL;
		if (blob_create(blobs_of(f), ORG, id, &w) != COFFER_OK)
			_exit(2);
		for (;;) {
			if (write_pattern(w, 1 << 20, 65552) != COFFER_OK)
				_exit(3);
		}
	}
	/* Let it write a few MiB, then kill it wherever it is. */
	for (int i = 0; i < 2000 && file_size(tmp) < (4 << 20); i++)
		usleep(5000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(file_size(tmp) >= (4 << 20)); /* it did write */
	assert_false(exists(path));

	size_t removed = 0;
	struct blob_reader *r = NULL;
	uint64_t size;
	assert_int_equal(blob_sweep(blobs_of(f), ORG, now_ns(), keep_all, NULL, &removed),
			 COFFER_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &size), COFFER_ERR_NOT_FOUND);
}

/* A writer killed right after blob_commit returned leaves the complete blob. */
static void test_killed_after_commit(void **state)
{
	struct fixture *f = *state;
	const size_t len = (5 << 20) + 11;
	char dir[PATH_MAX], id[UUID_TEXT_LEN + 1];
	int status, fds[2];
	char c;
	make_org(f, ORG);
	blobs_dir(f, ORG, dir);
	uuid_generate(id);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct blob_writer *w = NULL;
		close(fds[0]);
		if (blob_create(blobs_of(f), ORG, id, &w) != COFFER_OK ||
		    write_pattern(w, len, 65552) != COFFER_OK || blob_commit(w) != COFFER_OK)
			_exit(2);
		if (write(fds[1], "c", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1); /* blob_commit has returned */
	close(fds[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	size_t removed = 99;
	assert_int_equal(blob_sweep(blobs_of(f), ORG, now_ns(), keep_all, NULL, &removed),
			 COFFER_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(count_entries(dir), 1); /* the blob, no temporary file */
	check_pattern_blob(f, ORG, id, len);
}

/* --- a sealed file through a blob ------------------------------------------------------------ */

static enum coffer_err to_blob(void *ctx, const uint8_t *data, size_t len)
{
	return blob_write(ctx, data, len);
}

static enum coffer_err from_blob(void *ctx, uint64_t offset, uint8_t *buf, size_t len)
{
	return blob_read_at(ctx, offset, buf, len);
}

static void test_sealed_file_through_blob(void **state)
{
	struct fixture *f = *state;
	static const uint8_t ctx[] = "org|file|id|v=1|internal";
	const size_t len = 5 * SEG + 321;
	char id[UUID_TEXT_LEN + 1];
	uint8_t key[32], sha[FILE_SHA256_BYTES], *plain = malloc(len), *back = malloc(len);
	uint8_t buf[40000];
	uint64_t size, blob_size;
	struct blob_writer *w = NULL;
	struct blob_reader *r = NULL;
	struct file_sealer *s = NULL;
	struct file_opener *o = NULL;
	assert_true(plain != NULL && back != NULL);
	randombytes_buf(key, sizeof key);
	randombytes_buf(plain, len);
	make_org(f, ORG);
	uuid_generate(id);
	assert_int_equal(blob_create(blobs_of(f), ORG, id, &w), COFFER_OK);
	assert_int_equal(file_sealer_new(key, ctx, sizeof ctx, to_blob, w, &s), COFFER_OK);
	for (size_t pos = 0; pos < len; pos += 10000) {
		size_t n = len - pos < 10000 ? len - pos : 10000;
		assert_int_equal(file_sealer_push(s, plain + pos, n), COFFER_OK);
	}
	assert_int_equal(file_sealer_finish(s, sha, &size), COFFER_OK);
	file_sealer_free(s);
	assert_int_equal(blob_commit(w), COFFER_OK);

	assert_int_equal(blob_open(blobs_of(f), ORG, id, &r, &blob_size), COFFER_OK);
	assert_int_equal(blob_size, stream_sealed_size(len));
	assert_int_equal(file_opener_new(key, ctx, sizeof ctx, from_blob, r, blob_size, len, &o),
			 COFFER_OK);
	size_t got = 0, n;
	do {
		assert_int_equal(file_opener_read(o, got, buf, sizeof buf, &n), COFFER_OK);
		assert_true(got + n <= len);
		memcpy(back + got, buf, n);
		got += n;
	} while (n > 0);
	assert_int_equal(got, len);
	assert_memory_equal(back, plain, len);
	file_opener_free(o);
	blob_close(r);
	free(back);
	free(plain);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_commit_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_at, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writer_flushes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_silent_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_org, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_directories, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ids_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_mid_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_after_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_file_through_blob, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, free_blobs);
}
