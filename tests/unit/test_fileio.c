/* test_fileio.c — atomic writes (mode, exclusivity, no leftovers) and bounded reads. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fileio.h"

/* The names in DIR, sorted and joined with ','. */
static void list_dir(const char *dir, char *out, size_t outlen)
{
	char names[32][NAME_MAX + 1];
	size_t n = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 32) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			snprintf(names[n++], sizeof names[0], "%s", e->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) { /* insertion sort: a handful of names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[NAME_MAX + 1];
			memcpy(t, names[j], sizeof t);
			memcpy(names[j], names[j - 1], sizeof t);
			memcpy(names[j - 1], t, sizeof t);
		}
	}
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "", names[i]);
}

static void assert_dir_holds(const struct fixture *f, const char *want)
{
	char got[1024];
	list_dir(f->dir, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("directory holds '%s', want '%s'", got, want);
}

static void read_back(const char *path, const void *want, size_t want_len)
{
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 1 << 20, 0, &buf, &len), COFFER_OK);
	assert_int_equal(len, want_len);
	if (want_len > 0)
		assert_memory_equal(buf, want, want_len);
	assert_int_equal(buf[len], '\0');
	free(buf);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* The file gets exactly MODE, whatever the umask (the temp file is fchmod'ed). */
static void test_write_mode(void **state)
{
	struct fixture *f = *state;
	static const struct {
		mode_t mode, umask;
	} cases[] = {
	    {0600, 022}, {0640, 022}, {0644, 022}, {0400, 022}, {0644, 077}, {0666, 0}, {0700, 077},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char p[PATH_MAX], name[32];
		snprintf(name, sizeof name, "m%zu", i);
		path_in(f, name, p);
		mode_t old = umask(cases[i].umask);
		enum coffer_err err = file_write_atomic(p, "x", 1, cases[i].mode, (int)(i % 2));
		umask(old);
		assert_int_equal(err, COFFER_OK);
		if (mode_of(p) != cases[i].mode)
			fail_msg("mode %o under umask %o: got %o", (unsigned)cases[i].mode,
				 (unsigned)cases[i].umask, (unsigned)mode_of(p));
	}
	assert_dir_holds(f, "m0,m1,m2,m3,m4,m5,m6");
}

static void test_write_contents(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	static const unsigned char bin[] = {0, 1, 2, 0xff, 0, '\n', '\r', 0x80};
	path_in(f, "data", p);

	assert_int_equal(file_write_atomic(p, bin, sizeof bin, 0600, 0), COFFER_OK);
	read_back(p, bin, sizeof bin);

	/* Not exclusive: replaces the file, contents and mode. */
	assert_int_equal(file_write_atomic(p, "second", 6, 0644, 0), COFFER_OK);
	read_back(p, "second", 6);
	assert_int_equal(mode_of(p), 0644);

	/* Empty data makes an empty file. */
	assert_int_equal(file_write_atomic(p, "", 0, 0600, 0), COFFER_OK);
	read_back(p, "", 0);

	/* A megabyte, several write(2) calls' worth on some systems. */
	size_t big = 1 << 20;
	unsigned char *buf = malloc(big);
	assert_non_null(buf);
	for (size_t i = 0; i < big; i++)
		buf[i] = (unsigned char)(i * 31 + 7);
	assert_int_equal(file_write_atomic(p, buf, big, 0600, 0), COFFER_OK);
	read_back(p, buf, big);
	free(buf);
	assert_dir_holds(f, "data");
}

/* EXCLUSIVE refuses an existing file with COFFER_ERR_EXISTS and leaves it as it was. */
static void test_exclusive(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	struct stat before, after;
	path_in(f, "key", p);

	assert_int_equal(file_write_atomic(p, "original", 8, 0600, 1), COFFER_OK);
	assert_int_equal(stat(p, &before), 0);
	assert_int_equal(before.st_nlink, 1); /* the temp name's link is gone */

	assert_int_equal(file_write_atomic(p, "replacement", 11, 0644, 1), COFFER_ERR_EXISTS);
	assert_int_equal(stat(p, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_nlink, 1);
	read_back(p, "original", 8);
	assert_dir_holds(f, "key");

	/* Whatever is at PATH counts: a directory, a dangling symlink. */
	char d[PATH_MAX], l[PATH_MAX];
	path_in(f, "subdir", d);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(file_write_atomic(d, "x", 1, 0600, 1), COFFER_ERR_EXISTS);
	assert_int_equal(rmdir(d), 0);
	path_in(f, "dangling", l);
	assert_int_equal(symlink("/nonexistent/coffer-target", l), 0);
	assert_int_equal(file_write_atomic(l, "x", 1, 0600, 1), COFFER_ERR_EXISTS);
	assert_int_equal(access("/nonexistent/coffer-target", F_OK), -1);
	assert_int_equal(unlink(l), 0);
	assert_dir_holds(f, "key");
}

/* Failures leave no temporary file behind. */
static void test_failures_leave_nothing(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];

	/* The directory does not exist. */
	path_in(f, "missing/file", p);
	assert_int_equal(file_write_atomic(p, "x", 1, 0600, 0), COFFER_ERR_IO);
	assert_int_equal(file_write_atomic(p, "x", 1, 0600, 1), COFFER_ERR_IO);
	assert_dir_holds(f, "");

	/* Not exclusive onto a non-empty directory: rename(2) fails after the temp is written. */
	char d[PATH_MAX], inner[PATH_MAX];
	path_in(f, "adir", d);
	path_in(f, "adir/inner", inner);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(file_write_atomic(inner, "x", 1, 0600, 0), COFFER_OK);
	assert_int_equal(file_write_atomic(d, "x", 1, 0600, 0), COFFER_ERR_IO);
	assert_dir_holds(f, "adir");
	assert_int_equal(unlink(inner), 0);
	assert_int_equal(rmdir(d), 0);

	/* A path too long for the temporary name is refused up front. */
	char *longp = malloc(PATH_MAX + 16);
	assert_non_null(longp);
	int n = snprintf(longp, PATH_MAX + 16, "%s/", f->dir);
	memset(longp + n, 'x', (size_t)(PATH_MAX - n - 4));
	longp[PATH_MAX - 4] = '\0';
	assert_int_equal(file_write_atomic(longp, "x", 1, 0600, 0), COFFER_ERR_INVALID_INPUT);
	free(longp);
	assert_dir_holds(f, "");

	/* A read-only directory (meaningless as root, who may write anyway). */
	if (geteuid() != 0) {
		char ro[PATH_MAX], rofile[PATH_MAX];
		path_in(f, "ro", ro);
		path_in(f, "ro/file", rofile);
		assert_int_equal(mkdir(ro, 0500), 0);
		assert_int_equal(file_write_atomic(rofile, "x", 1, 0600, 0), COFFER_ERR_IO);
		assert_int_equal(chmod(ro, 0700), 0);
		assert_int_equal(rmdir(ro), 0); /* empty: nothing was left in it */
	}
}

/* A bare file name is written in the current directory (the directory fsynced is "."). */
static void test_relative_path(void **state)
{
	struct fixture *f = *state;
	char cwd[PATH_MAX], p[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(f->dir), 0);
	enum coffer_err err = file_write_atomic("rel.txt", "rel", 3, 0600, 1);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(err, COFFER_OK);
	path_in(f, "rel.txt", p);
	read_back(p, "rel", 3);
	assert_dir_holds(f, "rel.txt");
}

static void test_read_all(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX], missing[PATH_MAX];
	char *buf = (char *)"sentinel";
	size_t len = 4242;
	path_in(f, "ten", p);
	path_in(f, "missing", missing);
	assert_int_equal(file_write_atomic(p, "0123456789", 10, 0600, 0), COFFER_OK);

	static const struct {
		size_t max;
		enum coffer_err want;
	} cases[] = {
	    {10, COFFER_OK},	       {11, COFFER_OK},		  {SIZE_MAX, COFFER_OK},
	    {9, COFFER_ERR_TOO_LARGE}, {1, COFFER_ERR_TOO_LARGE}, {0, COFFER_ERR_TOO_LARGE},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		for (int secure = 0; secure <= 1; secure++) {
			char *out = (char *)"sentinel";
			size_t olen = 4242;
			enum coffer_err err = file_read_all(p, cases[i].max, secure, &out, &olen);
			if (err != cases[i].want)
				fail_msg("max %zu secure %d: %d, want %d", cases[i].max, secure,
					 (int)err, (int)cases[i].want);
			if (err != COFFER_OK) {
				assert_string_equal(out, "sentinel"); /* untouched on failure */
				assert_int_equal(olen, 4242);
				continue;
			}
			assert_int_equal(olen, 10);
			assert_memory_equal(out, "0123456789", 11); /* NUL-terminated */
			if (secure)
				sodium_free(out);
			else
				free(out);
		}
	}

	assert_int_equal(file_read_all(missing, 100, 0, &buf, &len), COFFER_ERR_NOT_FOUND);
	assert_int_equal(file_read_all(missing, 100, 1, &buf, &len), COFFER_ERR_NOT_FOUND);
	assert_string_equal(buf, "sentinel");
	assert_int_equal(len, 4242);

	/* Not a regular file. */
	assert_int_equal(file_read_all(f->dir, 1 << 20, 0, &buf, &len), COFFER_ERR_IO);
	assert_int_equal(file_read_all("/dev/null", 1 << 20, 0, &buf, &len), COFFER_ERR_IO);
	assert_string_equal(buf, "sentinel");

	/* An empty file reads as "" with length 0. */
	char empty[PATH_MAX];
	path_in(f, "empty", empty);
	assert_int_equal(file_write_atomic(empty, "", 0, 0600, 0), COFFER_OK);
	assert_int_equal(file_read_all(empty, 0, 0, &buf, &len), COFFER_OK);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	assert_dir_holds(f, "empty,ten");
}

/* A FIFO is not a regular file and must be refused like one, not waited on: open(2) without
 * O_NONBLOCK blocks until a writer appears. Run in a child with an alarm. */
static void test_read_fifo_does_not_block(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	path_in(f, "fifo", p);
	assert_int_equal(mkfifo(p, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *buf = NULL;
		size_t len = 0;
		alarm(2);
		enum coffer_err err = file_read_all(p, 100, 0, &buf, &len);
		_exit(err == COFFER_ERR_IO ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("file_read_all on a FIFO blocked (killed by signal %d)", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_dir_fsync(void **state)
{
	struct fixture *f = *state;
	char p[PATH_MAX];
	assert_int_equal(dir_fsync(f->dir), COFFER_OK);
	assert_int_equal(dir_fsync("."), COFFER_OK);
	path_in(f, "missing", p);
	assert_int_equal(dir_fsync(p), COFFER_ERR_IO);
	assert_int_equal(file_write_atomic(p, "x", 1, 0600, 0), COFFER_OK);
	assert_int_equal(dir_fsync(p), COFFER_ERR_IO); /* a file, not a directory */
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_contents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exclusive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failures_leave_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_fifo_does_not_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_fsync, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
