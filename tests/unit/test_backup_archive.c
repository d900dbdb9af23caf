/* test_backup_archive.c — a snapshot file's bytes: the header and manifest round trip and refuse
 * what they must (bad magic, duplicate or unsafe names, trailing bytes); member names; file
 * names; the encrypted stream written and read back across segment boundaries (empty, one
 * byte, exactly one segment, several), and every way of damaging it refused: a flipped byte in
 * the header, the stream header or a segment, truncation, appending, the wrong key. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/archive.h"
#include "backup/catalog.h"
#include "backup/format.h"

#define ORG   "11111111-2222-4333-8444-555555555555"
#define FILE1 "66666666-7777-4888-9999-aaaaaaaaaaaa"

static void test_member_names(void **state)
{
	(void)state;
	assert_true(backup_member_name_ok("system.db"));
	assert_true(backup_member_name_ok("coffer.conf"));
	assert_true(backup_member_name_ok("audit.checkpoint"));
	assert_true(backup_member_name_ok("secrets"));
	assert_true(backup_member_name_ok("tls/cert.pem"));
	assert_true(backup_member_name_ok("orgs/" ORG "/org.db"));
	assert_true(backup_member_name_ok("orgs/" ORG "/blobs/" FILE1));
	assert_false(backup_member_name_ok(""));
	assert_false(backup_member_name_ok("master.key"));
	assert_false(backup_member_name_ok("secrets/x"));
	assert_false(backup_member_name_ok("secrets.tmp"));
	assert_false(backup_member_name_ok("tls/.hidden"));
	assert_false(backup_member_name_ok("tls/../master.key"));
	assert_false(backup_member_name_ok("tls/a/b"));
	assert_false(backup_member_name_ok("/etc/passwd"));
	assert_false(backup_member_name_ok("orgs/" ORG "/org.db/x"));
	assert_false(backup_member_name_ok("orgs/../system.db"));
	assert_false(backup_member_name_ok("orgs/" ORG "/blobs/.tmp-" FILE1));
	assert_false(backup_member_name_ok("orgs/" ORG "/blobs/../../system.db"));
	assert_false(backup_member_name_ok("orgs/" ORG));
}

static void test_file_names(void **state)
{
	(void)state;
	char name[BACKUP_FILE_NAME_LEN + 1];
	int64_t t = 0;
	backup_file_name(1796437800, name); /* 2026-12-05T02:30:00Z */
	assert_string_equal(name, "coffer-backup-20261205T023000Z.cfb");
	assert_true(backup_file_name_parse(name, &t));
	assert_int_equal(t, 1796437800);
	assert_false(backup_file_name_parse("coffer-backup-20261205T023000Z.cfb.tmp", &t));
	assert_false(backup_file_name_parse(".coffer-backup-20261205T023000Z.cfb.tmp", &t));
	assert_false(backup_file_name_parse("coffer-backup-20261305T023000Z.cfb", &t));
	assert_false(backup_file_name_parse("coffer-backup-2026120 T023000Z.cfb", &t));
	assert_false(backup_file_name_parse("coffer-backup-+0261205T023000Z.cfb", &t));
}

static void test_header_round_trip(void **state)
{
	(void)state;
	struct backup_header h = {.master_version = 7, .time = 1796437800}, back;
	uint8_t bytes[BACKUP_HEADER_BYTES];
	randombytes_buf(h.salt, sizeof h.salt);
	backup_header_encode(&h, bytes);
	assert_true(backup_header_decode(bytes, &back));
	assert_int_equal(back.master_version, 7);
	assert_int_equal(back.time, 1796437800);
	assert_memory_equal(back.salt, h.salt, sizeof h.salt);
	bytes[8] = 2; /* a format we do not read */
	assert_false(backup_header_decode(bytes, &back));
	bytes[8] = 1;
	bytes[0] ^= 1;
	assert_false(backup_header_decode(bytes, &back));
}

static void add(struct backup_manifest *m, const char *name, uint64_t size)
{
	struct backup_member mb = {.size = size};
	snprintf(mb.name, sizeof mb.name, "%s", name);
	memset(mb.sha256, (int)size, sizeof mb.sha256);
	assert_int_equal(backup_manifest_add(m, &mb), COFFER_OK);
}

static void test_manifest(void **state)
{
	(void)state;
	struct backup_manifest m = {0}, back = {0};
	struct backup_member bad = {.size = 1};
	snprintf(bad.name, sizeof bad.name, "../x");
	assert_int_equal(backup_manifest_add(&m, &bad), COFFER_ERR_INVALID_INPUT);
	add(&m, "orgs/" ORG "/org.db", 4096);
	add(&m, "orgs/" ORG "/blobs/" FILE1, 70000);
	add(&m, "system.db", 8192);
	size_t len = backup_manifest_encoded_len(&m);
	uint8_t *buf = malloc(len + 1);
	backup_manifest_encode(&m, buf, len);
	assert_int_equal(backup_manifest_decode(buf, len, &back), COFFER_OK);
	assert_int_equal(back.n, 3);
	assert_string_equal(back.members[1].name, "orgs/" ORG "/blobs/" FILE1);
	assert_int_equal(back.members[1].size, 70000);
	assert_int_equal(backup_manifest_bytes(&back), 4096 + 70000 + 8192);
	backup_manifest_free(&back);
	/* trailing byte, truncation, bad magic */
	buf[len] = 0;
	assert_int_equal(backup_manifest_decode(buf, len + 1, &back), COFFER_ERR_CRYPTO);
	assert_int_equal(backup_manifest_decode(buf, len - 1, &back), COFFER_ERR_CRYPTO);
	buf[0] ^= 1;
	assert_int_equal(backup_manifest_decode(buf, len, &back), COFFER_ERR_CRYPTO);
	free(buf);
	/* a name listed twice */
	add(&m, "system.db", 1);
	len = backup_manifest_encoded_len(&m);
	buf = malloc(len);
	backup_manifest_encode(&m, buf, len);
	assert_int_equal(backup_manifest_decode(buf, len, &back), COFFER_ERR_CRYPTO);
	free(buf);
	backup_manifest_free(&m);
}

/* Writes a snapshot of PLAIN (LEN bytes) under KEY into F's directory; its path into PATH. */
static void write_one(const struct fixture *f, const uint8_t *key, const uint8_t *plain, size_t len,
		      int64_t t, char path[PATH_MAX])
{
	struct backup_header h = {.master_version = 1, .time = t};
	struct backup_writer *w = NULL;
	randombytes_buf(h.salt, sizeof h.salt);
	assert_int_equal(backup_writer_open(f->dir, &h, key, path, &w), COFFER_OK);
	/* in uneven pieces, across segment boundaries */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 1000 ? len - off : 1000 + off % 7919;
		if (n > len - off)
			n = len - off;
		assert_int_equal(backup_writer_put(w, plain + off, n), COFFER_OK);
		off += n;
	}
	assert_int_equal(backup_writer_commit(w), COFFER_OK);
}

/* Reads PATH back under KEY, expecting LEN bytes equal to PLAIN: the error of the first step
 * that fails. */
static enum coffer_err read_back(const char *path, const uint8_t *key, const uint8_t *plain,
				 size_t len)
{
	struct backup_header h;
	struct backup_reader *r = NULL;
	uint8_t *got = malloc(len + 1);
	enum coffer_err err = backup_reader_open(path, &h, &r);
	if (err == COFFER_OK)
		err = backup_reader_start(r, key);
	if (err == COFFER_OK)
		err = backup_reader_read(r, got, len);
	if (err == COFFER_OK)
		err = backup_reader_end(r);
	if (err == COFFER_OK && len > 0 && memcmp(got, plain, len) != 0)
		err = COFFER_ERR_INTERNAL;
	backup_reader_close(r);
	free(got);
	return err;
}

static void flip(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static void test_stream_sizes(void **state)
{
	struct fixture *f = *state;
	uint8_t key[AEAD_KEY_BYTES], other[AEAD_KEY_BYTES];
	char path[PATH_MAX];
	const size_t sizes[] = {0, 1, 65536, 65537, 3 * 65536, 200000};
	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	uint8_t *plain = malloc(200000);
	randombytes_buf(plain, 200000);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		write_one(f, key, plain, sizes[i], 1796437800 + (int64_t)i, path);
		assert_int_equal(read_back(path, key, plain, sizes[i]), COFFER_OK);
		assert_int_equal(read_back(path, other, plain, sizes[i]), COFFER_ERR_CRYPTO);
		if (sizes[i] > 0) /* asking for more than there is: the stream was cut */
			assert_int_equal(read_back(path, key, plain, sizes[i] - 1),
					 COFFER_ERR_CRYPTO);
	}
	free(plain);
}

static void test_stream_damage(void **state)
{
	struct fixture *f = *state;
	uint8_t key[AEAD_KEY_BYTES];
	char path[PATH_MAX];
	struct stat st;
	const size_t len = 150000;
	uint8_t *plain = malloc(len);
	randombytes_buf(key, sizeof key);
	randombytes_buf(plain, len);
	write_one(f, key, plain, len, 1796437800, path);
	assert_int_equal(stat(path, &st), 0);
	/* every region: the snapshot header (time, salt), the stream header, each segment */
	const off_t at[] = {12, 20, 40, 60, 80, 200, 65600, st.st_size - 1};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		flip(path, at[i]);
		assert_int_not_equal(read_back(path, key, plain, len), COFFER_OK);
		flip(path, at[i]);
		assert_int_equal(read_back(path, key, plain, len), COFFER_OK);
	}
	/* truncated at a segment boundary, inside one, and appended to */
	assert_int_equal(truncate(path, 54 + 16 + 65552), 0);
	assert_int_equal(read_back(path, key, plain, len), COFFER_ERR_CRYPTO);
	write_one(f, key, plain, len, 1796437801, path);
	assert_int_equal(truncate(path, st.st_size - 3), 0);
	assert_int_equal(read_back(path, key, plain, len), COFFER_ERR_CRYPTO);
	write_one(f, key, plain, len, 1796437802, path);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(read_back(path, key, plain, len), COFFER_ERR_CRYPTO);
	free(plain);
}

static void test_no_replace_and_no_temp_left(void **state)
{
	struct fixture *f = *state;
	uint8_t key[AEAD_KEY_BYTES] = {1};
	char path[PATH_MAX], again[PATH_MAX];
	struct backup_header h = {.master_version = 1, .time = 1796437800};
	struct backup_writer *w = NULL;
	write_one(f, key, (const uint8_t *)"x", 1, 1796437800, path);
	assert_int_equal(backup_writer_open(f->dir, &h, key, again, &w), COFFER_ERR_EXISTS);
	h.time++;
	assert_int_equal(backup_writer_open(f->dir, &h, key, again, &w), COFFER_OK);
	assert_int_equal(backup_writer_put(w, "abc", 3), COFFER_OK);
	backup_writer_abort(w);
	DIR *d = opendir(f->dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 1); /* the first snapshot only, no temporary file */
}

static void test_catalog_prune(void **state)
{
	struct fixture *f = *state;
	uint8_t key[AEAD_KEY_BYTES] = {2};
	char path[PATH_MAX];
	const int64_t day = 86400, now = 1796437800;
	struct backup_entry *e = NULL;
	size_t n = 0, removed = 0;
	for (int i = 0; i < 40; i += 3)
		write_one(f, key, (const uint8_t *)"x", 1, now - i * day, path);
	char stale[PATH_MAX], fresh[PATH_MAX];
	path_in(f, ".coffer-backup-20261101T023000Z.cfb.tmp", stale);
	path_in(f, ".coffer-backup-20261205T023000Z.cfb.tmp", fresh);
	int fd = open(stale, O_WRONLY | O_CREAT, 0600);
	close(fd);
	fd = open(fresh, O_WRONLY | O_CREAT, 0600);
	close(fd);
	struct timespec old[2] = {{.tv_sec = now - 2 * day}, {.tv_sec = now - 2 * day}};
	assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
	struct timespec recent[2] = {{.tv_sec = now - 3600}, {.tv_sec = now - 3600}};
	assert_int_equal(utimensat(AT_FDCWD, fresh, recent, 0), 0);
	path_in(f, "notes.txt", path);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(backup_catalog_list(f->dir, &e, &n), COFFER_OK);
	assert_int_equal(n, 14);
	assert_int_equal(e[0].time, now);
	assert_int_equal(e[0].master_version, 1);
	free(e);
	/* older than 28 days: 30, 33, 36, 39 days */
	assert_int_equal(backup_catalog_prune(f->dir, now, 28, &removed), COFFER_OK);
	assert_int_equal(removed, 4);
	assert_int_equal(backup_catalog_list(f->dir, &e, &n), COFFER_OK);
	assert_int_equal(n, 10);
	assert_int_equal(e[n - 1].time, now - 27 * day);
	free(e);
	assert_int_equal(access(path, F_OK), 0); /* not a snapshot: left alone */
	/* an interrupted run's temporary file goes once a day old, not before */
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(fresh, F_OK), 0);
	/* a year later, the newest is kept however old */
	assert_int_equal(backup_catalog_prune(f->dir, now + 365 * day, 28, &removed), COFFER_OK);
	assert_int_equal(removed, 9);
	assert_int_equal(backup_catalog_list(f->dir, &e, &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].time, now);
	free(e);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_member_names),
	    cmocka_unit_test(test_file_names),
	    cmocka_unit_test(test_header_round_trip),
	    cmocka_unit_test(test_manifest),
	    cmocka_unit_test_setup_teardown(test_stream_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_damage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_replace_and_no_temp_left, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_catalog_prune, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
