/* fileio.c — the atomic-rename write and the bounded whole-file read. */
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum coffer_err fd_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return COFFER_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return COFFER_OK;
}

enum coffer_err dir_fsync(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return COFFER_ERR_IO;
	enum coffer_err err = fsync(fd) == 0 ? COFFER_OK : COFFER_ERR_IO;
	close(fd);
	return err;
}

enum coffer_err file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				  int exclusive)
{
	enum coffer_err err = COFFER_ERR_IO;
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd = -1;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp ||
	    snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return COFFER_ERR_INVALID_INPUT;
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	if (exclusive && access(path, F_OK) == 0)
		return COFFER_ERR_EXISTS;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return COFFER_ERR_IO;
	if (fchmod(fd, mode) != 0 || fd_write_all(fd, data, len) != COFFER_OK || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (exclusive) {
		/* link(2) fails if PATH appeared meanwhile, where rename(2) would replace it. */
		if (link(tmp, path) != 0) {
			err = errno == EEXIST ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto out;
	}
	tmp[0] = '\0';
	err = dir_fsync(dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return err;
}

enum coffer_err file_read_all(const char *path, size_t max, int secure, char **out, size_t *len)
{
	enum coffer_err err = COFFER_ERR_IO;
	char *buf = NULL;
	struct stat st;
	/* O_NONBLOCK: a FIFO must not block us before fstat can refuse it. It has no effect on
	 * the regular files we go on to read. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((unsigned long long)st.st_size > max) {
		err = COFFER_ERR_TOO_LARGE;
		goto out;
	}
	size_t size = (size_t)st.st_size;
	buf = secure ? sodium_malloc(size + 1) : malloc(size + 1);
	if (buf == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size)
		goto out; /* the file changed under us: refuse rather than guess */
	buf[size] = '\0';
	*out = buf;
	*len = size;
	buf = NULL;
	err = COFFER_OK;
out:
	if (buf != NULL) {
		if (secure)
			sodium_free(buf);
		else
			free(buf);
	}
	close(fd);
	return err;
}

enum coffer_err file_lock_in(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX];
	struct stat owner;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	if (geteuid() == 0 && stat(dir, &owner) == 0 &&
	    fchown(f, owner.st_uid, owner.st_gid) != 0) {
		close(f);
		return COFFER_ERR_IO;
	}
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(f);
		return e == EWOULDBLOCK ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
	}
	*fd = f;
	return COFFER_OK;
}

enum coffer_err stdin_read_all(size_t max, char **out, size_t *len)
{
	char *buf = sodium_malloc(max + 1);
	size_t got = 0;
	enum coffer_err err = buf != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	while (err == COFFER_OK) {
		ssize_t n = read(STDIN_FILENO, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = COFFER_ERR_IO;
		else if (n == 0)
			break;
		else if ((got += (size_t)n) > max)
			err = COFFER_ERR_TOO_LARGE;
	}
	if (err != COFFER_OK) {
		sodium_free(buf);
		return err;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return COFFER_OK;
}
