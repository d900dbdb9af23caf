/* blob_files.c — blobs as files: DATA/orgs/<org id>/blobs/<file id> (blobs.h's `blob_store =
 * file`, the default).
 *
 * Design points:
 * - Every id passes uuid_valid before it becomes part of a path, so no name of the caller's
 *   choosing ever reaches the file system ("..", "/", quotes).
 * - A blob is written under blobs/.tmp-<file id> (O_CREAT | O_EXCL, 0600), then fsync, rename
 *   into place, fsync of the directory. The rename is renameat2(RENAME_NOREPLACE): an existing
 *   blob is never replaced silently (COFFER_ERR_EXISTS), and the rename stays atomic. Only on a
 *   file system that does not know the flag (EINVAL) do we fall back to link(2) + unlink(2),
 *   which refuses an existing name just the same; a crash between the two leaves a temporary
 *   file next to a complete blob, and the sweep removes the temporary file.
 * - The writer buffers up to WRITE_BUF bytes so that sealed segments (64 KiB + 16) go to the
 *   kernel a few at a time; its memory does not grow with the file.
 * - The sweep only considers regular files last modified before the caller's cut-off, so that
 *   it can run while uploads are under way; names that are not ours are left alone.
 */
#include "store/blob_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/uuid.h"

#define WRITE_BUF      (256u * 1024u)
#define TMP_PREFIX     ".tmp-"
#define TMP_PREFIX_LEN (sizeof TMP_PREFIX - 1)

struct file_store {
	struct blob_store base;
	char data_dir[PATH_MAX];
};

struct file_writer {
	struct blob_writer base;
	int fd;
	enum coffer_err err; /* sticky: a failed write fails the commit */
	size_t used;	     /* bytes waiting in buf */
	uint8_t *buf;	     /* WRITE_BUF bytes */
	char dir[PATH_MAX];  /* DATA/orgs/<org>/blobs */
	char tmp[PATH_MAX];  /* dir/.tmp-<file> */
	char path[PATH_MAX]; /* dir/<file> */
};

struct file_reader {
	struct blob_reader base;
	int fd;
	uint64_t size;
};

static const char *data_dir_of(struct blob_store *bs)
{
	return ((struct file_store *)bs)->data_dir;
}

/* DATA/orgs/<org> and DATA/orgs/<org>/blobs into ORG_DIR (may be NULL) and DIR. */
static enum coffer_err make_dir_paths(const char *data_dir, const char *org_id, char *org_dir,
				      char dir[PATH_MAX])
{
	char org[PATH_MAX];
	if (data_dir == NULL || !uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT; /* never a path of the caller's choosing */
	if (snprintf(org, sizeof org, "%s/orgs/%s", data_dir, org_id) >= (int)sizeof org ||
	    snprintf(dir, PATH_MAX, "%s/blobs", org) >= PATH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	if (org_dir != NULL)
		memcpy(org_dir, org, strlen(org) + 1);
	return COFFER_OK;
}

/* The same, and the blob's final PATH and temporary TMP (may be NULL) path. */
static enum coffer_err make_paths(const char *data_dir, const char *org_id, const char *file_id,
				  char *org_dir, char dir[PATH_MAX], char path[PATH_MAX], char *tmp)
{
	if (!uuid_valid(file_id))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = make_dir_paths(data_dir, org_id, org_dir, dir);
	if (err != COFFER_OK)
		return err;
	if (snprintf(path, PATH_MAX, "%s/%s", dir, file_id) >= PATH_MAX ||
	    (tmp != NULL &&
	     snprintf(tmp, PATH_MAX, "%s/" TMP_PREFIX "%s", dir, file_id) >= PATH_MAX))
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

/* Creates blobs/ (0700) when it is missing, and makes its entry durable in the organisation's
 * directory. A missing organisation directory is COFFER_ERR_NOT_FOUND: blobs/ is created on
 * demand, the organisation's directory only with its database. */
static enum coffer_err ensure_blobs_dir(const char *org_dir, const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return dir_fsync(org_dir);
	if (errno == EEXIST)
		return COFFER_OK;
	return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
}

static enum coffer_err files_create(struct blob_store *bs, const char *org_id, const char *file_id,
				    struct blob_writer **out)
{
	char org_dir[PATH_MAX];
	enum coffer_err err = COFFER_ERR_NOMEM;
	struct file_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	w->base.ops = bs->ops;
	w->fd = -1;
	err = make_paths(data_dir_of(bs), org_id, file_id, org_dir, w->dir, w->path, w->tmp);
	if (err != COFFER_OK)
		goto out;
	err = COFFER_ERR_NOMEM;
	w->buf = malloc(WRITE_BUF);
	if (w->buf == NULL)
		goto out;
	err = ensure_blobs_dir(org_dir, w->dir);
	if (err != COFFER_OK)
		goto out;
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		/* EEXIST: the same file id is being written, or a crash left it for the sweep. */
		err = errno == EEXIST ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
		goto out;
	}
	*out = &w->base;
	w = NULL;
	err = COFFER_OK;
out:
	if (w != NULL) {
		free(w->buf);
		free(w);
	}
	return err;
}

static enum coffer_err flush(struct file_writer *w)
{
	enum coffer_err err = fd_write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return err;
}

static enum coffer_err files_write(struct blob_writer *base, const void *data, size_t len)
{
	struct file_writer *w = (struct file_writer *)base;
	enum coffer_err err = COFFER_OK;
	if (w->err != COFFER_OK)
		return w->err;
	if (len == 0)
		return COFFER_OK;
	if (data == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (len <= WRITE_BUF - w->used) {
		memcpy(w->buf + w->used, data, len);
		w->used += len;
		return COFFER_OK;
	}
	if (w->used > 0)
		err = flush(w);
	if (err == COFFER_OK && len >= WRITE_BUF) {
		err = fd_write_all(w->fd, data, len); /* large enough on its own: no copy */
	} else if (err == COFFER_OK) {
		memcpy(w->buf, data, len);
		w->used = len;
	}
	w->err = err;
	return err;
}

/* Moves TMP to PATH without ever replacing PATH. */
static enum coffer_err rename_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return COFFER_OK;
	if (errno == EEXIST)
		return COFFER_ERR_EXISTS;
	if (errno != EINVAL)
		return COFFER_ERR_IO;
	/* The file system does not support the flag: link(2) also fails on an existing name. */
	if (link(tmp, path) != 0)
		return errno == EEXIST ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
	if (unlink(tmp) != 0) {
		/* Keep one name for the blob, the temporary one, for the caller to drop. */
		unlink(path);
		return COFFER_ERR_IO;
	}
	return COFFER_OK;
}

static enum coffer_err files_commit(struct blob_writer *base)
{
	struct file_writer *w = (struct file_writer *)base;
	enum coffer_err err = w->err;
	bool renamed = false;
	if (err == COFFER_OK && w->used > 0)
		err = flush(w);
	if (err == COFFER_OK && fsync(w->fd) != 0)
		err = COFFER_ERR_IO;
	/* close(2) reports write-back errors on some file systems: it must succeed too. */
	if (close(w->fd) != 0 && err == COFFER_OK)
		err = COFFER_ERR_IO;
	w->fd = -1;
	if (err == COFFER_OK)
		err = rename_noreplace(w->tmp, w->path);
	renamed = err == COFFER_OK;
	if (err == COFFER_OK)
		err = dir_fsync(w->dir);
	/* A blob not known to be durable is one the caller treats as never written. */
	if (err != COFFER_OK && renamed)
		unlink(w->path);
	else if (err != COFFER_OK)
		unlink(w->tmp);
	free(w->buf);
	free(w);
	return err;
}

static void files_abort(struct blob_writer *base)
{
	struct file_writer *w = (struct file_writer *)base;
	if (w->fd >= 0)
		close(w->fd);
	/* Not fsynced: should the unlink be lost in a crash, the sweep removes the file. */
	unlink(w->tmp);
	free(w->buf);
	free(w);
}

static enum coffer_err files_open(struct blob_store *bs, const char *org_id, const char *file_id,
				  struct blob_reader **out, uint64_t *size)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	enum coffer_err err = make_paths(data_dir_of(bs), org_id, file_id, NULL, dir, path, NULL);
	if (err != COFFER_OK)
		return err;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	err = COFFER_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	struct file_reader *r = calloc(1, sizeof *r);
	if (r == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	r->base.ops = bs->ops;
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	fd = -1;
	*out = &r->base;
	*size = r->size;
	err = COFFER_OK;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static enum coffer_err files_read_at(struct blob_reader *base, uint64_t offset, void *buf,
				     size_t len)
{
	struct file_reader *r = (struct file_reader *)base;
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(r->fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return COFFER_ERR_IO; /* 0: the blob ends before OFFSET + LEN */
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return COFFER_OK;
}

static void files_close(struct blob_reader *base)
{
	struct file_reader *r = (struct file_reader *)base;
	close(r->fd);
	free(r);
}

static enum coffer_err files_remove(struct blob_store *bs, const char *org_id, const char *file_id)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;
	enum coffer_err err = make_paths(data_dir_of(bs), org_id, file_id, NULL, dir, path, NULL);
	if (err != COFFER_OK)
		return err;
	if (unlink(path) != 0 && errno != ENOENT)
		return COFFER_ERR_IO;
	/* Even when the blob was already gone, fsync the directory: an earlier remove may have
	 * unlinked it and failed before its fsync. Without a directory there is nothing to do. */
	if (stat(dir, &st) != 0)
		return errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
	return dir_fsync(dir);
}

/* NAME for a log line: printable ASCII only, at most 64 characters (a name found on disk may
 * hold anything, and a log line must stay plain). */
static void printable_name(const char *name, char out[65])
{
	size_t i = 0;
	for (; name[i] != '\0' && i < 64; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = '\0';
}

static void log_foreign(const char *org_id, const char *name, const char *why)
{
	char shown[65];
	printable_name(name, shown);
	log_msg(LOG_WARN, "blobs", "organisation %s: left %s alone in blobs/ (%s)", org_id, shown,
		why);
}

/* The modification time of ST in nanoseconds, saturated. */
static int64_t mtime_ns(const struct stat *st)
{
	int64_t ns;
	if (__builtin_mul_overflow((int64_t)st->st_mtim.tv_sec, (int64_t)1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)st->st_mtim.tv_nsec, &ns))
		return st->st_mtim.tv_sec < 0 ? INT64_MIN : INT64_MAX;
	return ns;
}

static enum coffer_err files_sweep(struct blob_store *bs, const char *org_id, int64_t before_ns,
				   bool (*keep)(void *ctx, const char *file_id), void *ctx,
				   size_t *removed)
{
	char dir[PATH_MAX];
	size_t count = 0;
	struct dirent *e;
	enum coffer_err err = make_dir_paths(data_dir_of(bs), org_id, NULL, dir);
	if (err != COFFER_OK)
		return err;
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT)
			return COFFER_ERR_IO;
		*removed = 0; /* no blob was ever written */
		return COFFER_OK;
	}
	for (;;) {
		struct stat st;
		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			if (errno != 0)
				err = COFFER_ERR_IO;
			break;
		}
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		bool tmp = strncmp(name, TMP_PREFIX, TMP_PREFIX_LEN) == 0 &&
			   uuid_valid(name + TMP_PREFIX_LEN);
		if (!tmp && !uuid_valid(name)) {
			log_foreign(org_id, name, "not a blob name");
			continue;
		}
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			err = COFFER_ERR_IO;
			break;
		}
		if (!S_ISREG(st.st_mode)) {
			log_foreign(org_id, name, "not a regular file");
			continue;
		}
		/* Newer files may belong to an upload under way, or to one whose metadata is
		 * being committed right now. */
		if (mtime_ns(&st) >= before_ns || (!tmp && keep(ctx, name)))
			continue;
		if (unlinkat(dirfd(d), name, 0) != 0) {
			if (errno == ENOENT)
				continue;
			err = COFFER_ERR_IO;
			break;
		}
		count++;
	}
	closedir(d);
	/* Make what was removed durable, even when a later entry failed. */
	if (count > 0) {
		enum coffer_err sync_err = dir_fsync(dir);
		if (err == COFFER_OK)
			err = sync_err;
	}
	if (err == COFFER_OK)
		*removed = count;
	return err;
}

static enum coffer_err files_remove_org(struct blob_store *bs, const char *org_id, size_t *removed)
{
	char org_dir[PATH_MAX], dir[PATH_MAX];
	enum coffer_err err = make_dir_paths(data_dir_of(bs), org_id, org_dir, dir);
	if (err == COFFER_OK) /* everything, whatever its age */
		err = files_sweep(bs, org_id, INT64_MAX, blob_keep_none, NULL, removed);
	if (err != COFFER_OK)
		return err;
	/* Names that are not ours were left, and logged, by the sweep: the directory stays. */
	if (rmdir(dir) != 0)
		return errno == ENOENT || errno == ENOTEMPTY ? COFFER_OK : COFFER_ERR_IO;
	return dir_fsync(org_dir);
}

static void files_free(struct blob_store *bs)
{
	free(bs);
}

static const struct blob_ops files_ops = {
    .create = files_create,
    .write = files_write,
    .commit = files_commit,
    .abort = files_abort,
    .open = files_open,
    .read_at = files_read_at,
    .close = files_close,
    .remove = files_remove,
    .sweep = files_sweep,
    .remove_org = files_remove_org,
    .free = files_free,
};

enum coffer_err blob_store_files(const char *data_dir, struct blob_store **out)
{
	if (data_dir == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct file_store *fs = calloc(1, sizeof *fs);
	if (fs == NULL)
		return COFFER_ERR_NOMEM;
	if (snprintf(fs->data_dir, sizeof fs->data_dir, "%s", data_dir) >=
	    (int)sizeof fs->data_dir) {
		free(fs);
		return COFFER_ERR_INVALID_INPUT;
	}
	fs->base.ops = &files_ops;
	*out = &fs->base;
	return COFFER_OK;
}
