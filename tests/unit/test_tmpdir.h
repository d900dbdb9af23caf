/* test_tmpdir.h — a fresh temporary directory per test, removed with everything in it even
 * after a failed assertion: `cmocka_unit_test_setup_teardown(test, setup, teardown)`, and
 * `struct fixture *f = *state; path_in(f, "name", path)` inside the test. */
#ifndef COFFER_TEST_TMPDIR_H
#define COFFER_TEST_TMPDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/coffer-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void path_in(const struct fixture *f, const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", f->dir, name);
}

#endif
