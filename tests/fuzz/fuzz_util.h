/* fuzz_util.h — helpers shared by the libFuzzer targets: check() for an invariant, big-endian
 * 32-bit reads and writes, and a scratch directory for targets whose parser takes a path. All
 * static inline, so a target that uses only some of them compiles without warnings. */
#ifndef COFFER_FUZZ_UTIL_H
#define COFFER_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- the scratch directory ------------------------------------------------------------------
 * Made once per process, removed with what it holds when the process exits, and each input
 * written over the same file in it (a few system calls, far cheaper than the parsers they feed).
 * It is made in /dev/shm when there is one, where fsync (which atomic file replacement does)
 * costs nothing, and in /tmp otherwise. */

static char scratch_dir[64];

static inline int scratch_remove_entry(const char *path, const struct stat *st, int type,
				       struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void scratch_remove(void)
{
	if (scratch_dir[0] != '\0')
		(void)nftw(scratch_dir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes the directory (once) and returns its path. */
static inline const char *scratch_init(void)
{
	static const char *const bases[] = {"/dev/shm", "/tmp"};
	if (scratch_dir[0] != '\0')
		return scratch_dir;
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		snprintf(scratch_dir, sizeof scratch_dir, "%s/coffer-fuzz-XXXXXX", bases[i]);
		if (mkdtemp(scratch_dir) != NULL) {
			/* A normal exit; a failed check() calls scratch_remove before it
			 * aborts. Not a sanitizer's report: the sanitizer's one death callback is
			 * libFuzzer's, which saves the crashing input, so that case leaves the
			 * directory behind. */
			atexit(scratch_remove);
			return scratch_dir;
		}
	}
	perror("fuzz: mkdtemp");
	abort();
}

/* The path of NAME in the directory. */
static inline void scratch_path(const char *name, char out[PATH_MAX])
{
	snprintf(out, PATH_MAX, "%s/%s", scratch_init(), name);
}

/* Writes the SIZE bytes at DATA to PATH, replacing what it held; a new file gets MODE. */
static inline void scratch_write(const char *path, const uint8_t *data, size_t size, mode_t mode)
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

/* --- invariants and bytes ------------------------------------------------------------------ */

/* Unless OK: reports WHAT under the target's name, removes the scratch directory (if it was
 * made) and aborts, which libFuzzer reports as a crash and saves the input. */
static inline void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "%s: invariant broken: %s\n", program_invocation_short_name, what);
		scratch_remove();
		abort();
	}
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
