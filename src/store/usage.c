/* usage.c — how many bytes an organisation's data takes on disk (store_org_storage_bytes): its
 * directory DATA/orgs/<org id>/ (org.db, its -wal and -shm) and blobs/ inside it.
 *
 * Only regular files count, read with fstatat(AT_SYMLINK_NOFOLLOW) relative to a directory
 * opened with O_NOFOLLOW, so a link planted in the tree is never followed out of it. The id
 * passes uuid_valid before it becomes part of a path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/uuid.h"
#include "store/store.h"

#define BLOBS_DIR "blobs"

/* Adds the sizes of the regular files in the directory FD (closed here) to *BYTES; with
 * BLOBS_FD not NULL, the directory's blobs/ is opened into it (-1 when there is none). */
static enum coffer_err sum_dir(int fd, uint64_t *bytes, int *blobs_fd)
{
	enum coffer_err err = COFFER_OK;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return COFFER_ERR_IO;
	}
	if (blobs_fd != NULL) {
		*blobs_fd =
		    openat(dirfd(d), BLOBS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (*blobs_fd < 0 && errno != ENOENT)
			err = COFFER_ERR_IO;
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (e == NULL) {
			if (errno != 0)
				err = COFFER_ERR_IO;
			break;
		}
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT) /* removed meanwhile: a sweep, a checkpoint */
				err = COFFER_ERR_IO;
			continue;
		}
		if (S_ISREG(st.st_mode) && st.st_size > 0)
			*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return err;
}

enum coffer_err store_org_storage_bytes(const char *data_dir, const char *org_id, uint64_t *bytes)
{
	char path[PATH_MAX];
	uint64_t total = 0;
	int blobs_fd = -1;
	if (data_dir == NULL || !uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT;
	if (snprintf(path, sizeof path, "%s/orgs/%s", data_dir, org_id) >= (int)sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	enum coffer_err err = sum_dir(fd, &total, &blobs_fd);
	if (blobs_fd >= 0) {
		enum coffer_err blobs_err = sum_dir(blobs_fd, &total, NULL);
		if (err == COFFER_OK)
			err = blobs_err;
	}
	if (err == COFFER_OK)
		*bytes = total;
	return err;
}
