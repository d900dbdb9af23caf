/* fuzz_scratch.h — a private directory for fuzz targets whose parser takes a path: made once per
 * process, removed with what it holds when the process exits, and each input written over the
 * same file in it (a few system calls, far cheaper than the parsers they feed). It is made in
 * /dev/shm when there is one, where fsync (which atomic file replacement does) costs nothing,
 * and in /tmp otherwise. */
#ifndef COFFER_FUZZ_SCRATCH_H
#define COFFER_FUZZ_SCRATCH_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch_dir[64];

static int scratch_remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void scratch_remove(void)
{
	if (scratch_dir[0] != '\0')
		(void)nftw(scratch_dir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the directory (once) and returns its path. */
static const char *scratch_init(void)
{
	static const char *const bases[] = {"/dev/shm", "/tmp"};
	if (scratch_dir[0] != '\0')
		return scratch_dir;
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		snprintf(scratch_dir, sizeof scratch_dir, "%s/coffer-fuzz-XXXXXX", bases[i]);
		if (mkdtemp(scratch_dir) != NULL) {
			/* A normal exit; a target's own failed check calls scratch_remove before
			 * it aborts. Not a sanitizer's report: the sanitizer's one death callback
			 * is libFuzzer's, which saves the crashing input, so that case leaves the
			 * directory behind. */
			atexit(scratch_remove);
			return scratch_dir;
		}
	}
	perror("fuzz: mkdtemp");
	abort();
}

/* The path of NAME in the directory. */
static void scratch_path(const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", scratch_init(), name);
}

/* Writes the SIZE bytes at DATA to PATH, replacing what it held; a new file gets MODE. */
static void scratch_write(const char *path, const uint8_t *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		perror("fuzz: open");
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("fuzz: write");
			abort();
		}
		data += n;
		size -= (size_t)n;
	}
	if (close(fd) != 0) {
		perror("fuzz: close");
		abort();
	}
}

#endif
