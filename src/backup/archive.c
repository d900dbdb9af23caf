/* archive.c — a snapshot's encrypted stream, written and read one segment at a time (see
 * archive.h). */
#include "backup/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "crypto/stream.h"

/* Where the first segment starts: the snapshot header, then the stream's own. */
#define DATA_START (BACKUP_HEADER_BYTES + STREAM_HEADER_BYTES)

/* Both live in guarded memory: the stream state holds the key, the buffers plaintext. */
struct backup_writer {
	struct stream_state stream;
	uint8_t plain[STREAM_SEGMENT_BYTES];
	uint8_t sealed[STREAM_SEALED_SEGMENT_BYTES];
	size_t have; /* plaintext bytes in PLAIN, not sealed yet */
	uint64_t written;
	int fd;
	char dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
};

struct backup_reader {
	struct stream_state stream;
	uint8_t sealed[STREAM_SEALED_SEGMENT_BYTES];
	uint8_t plain[STREAM_SEGMENT_BYTES];
	size_t have, pos;  /* plaintext of the current segment: PLAIN[POS .. HAVE) unread */
	uint64_t next_off; /* file offset of the next sealed segment */
	uint64_t file_size;
	uint64_t released; /* plaintext bytes handed out */
	bool started;
	struct backup_header header;
	int fd;
};

static void writer_free(struct backup_writer *w)
{
	stream_wipe(&w->stream);
	sodium_free(w);
}

enum coffer_err backup_writer_open(const char *dir, const struct backup_header *h,
				   const uint8_t key[AEAD_KEY_BYTES], char path[PATH_MAX],
				   struct backup_writer **out)
{
	char name[BACKUP_FILE_NAME_LEN + 1];
	uint8_t head[BACKUP_HEADER_BYTES], ctx[BACKUP_CONTEXT_BYTES];
	uint8_t stream_head[STREAM_HEADER_BYTES];
	struct backup_writer *w = sodium_malloc(sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	memset(w, 0, sizeof *w);
	w->fd = -1;
	backup_file_name(h->time, name);
	if ((size_t)snprintf(w->path, sizeof w->path, "%s/%s", dir, name) >= sizeof w->path ||
	    (size_t)snprintf(w->tmp, sizeof w->tmp, "%s/.%s.tmp", dir, name) >= sizeof w->tmp) {
		writer_free(w);
		return COFFER_ERR_INVALID_INPUT;
	}
	snprintf(w->dir, sizeof w->dir, "%s", dir);
	if (access(w->path, F_OK) == 0) {
		writer_free(w);
		return COFFER_ERR_EXISTS;
	}
	backup_header_encode(h, head);
	backup_context(h, ctx);
	enum coffer_err err = stream_seal_init(&w->stream, key, ctx, sizeof ctx, stream_head);
	if (err != COFFER_OK) {
		writer_free(w);
		return err;
	}
	/* A temporary file left by a crash is replaced: it was never a snapshot. */
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0) {
		err = errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
		writer_free(w);
		return err;
	}
	err = fd_write_all(w->fd, head, sizeof head);
	if (err == COFFER_OK)
		err = fd_write_all(w->fd, stream_head, sizeof stream_head);
	if (err != COFFER_OK) {
		backup_writer_abort(w);
		return err;
	}
	w->written = DATA_START;
	memcpy(path, w->path, PATH_MAX);
	*out = w;
	return COFFER_OK;
}

/* Seals PLAIN[0 .. HAVE) as the next segment and writes it. */
static enum coffer_err seal_segment(struct backup_writer *w, bool last)
{
	enum coffer_err err = stream_seal_segment(&w->stream, w->plain, w->have, last, w->sealed);
	if (err == COFFER_OK)
		err = fd_write_all(w->fd, w->sealed, w->have + AEAD_TAG_BYTES);
	if (err == COFFER_OK)
		w->written += w->have + AEAD_TAG_BYTES;
	w->have = 0;
	return err;
}

enum coffer_err backup_writer_put(struct backup_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		/* A full segment is sealed only once more follows: the last one carries the
		 * last-segment flag, and only commit knows which that is. */
		if (w->have == STREAM_SEGMENT_BYTES) {
			enum coffer_err err = seal_segment(w, false);
			if (err != COFFER_OK)
				return err;
		}
		size_t n = STREAM_SEGMENT_BYTES - w->have;
		if (n > len)
			n = len;
		memcpy(w->plain + w->have, p, n);
		w->have += n;
		p += n;
		len -= n;
	}
	return COFFER_OK;
}

uint64_t backup_writer_size(const struct backup_writer *w)
{
	return w->written;
}

enum coffer_err backup_writer_commit(struct backup_writer *w)
{
	enum coffer_err err = seal_segment(w, true);
	if (err == COFFER_OK && fsync(w->fd) != 0)
		err = COFFER_ERR_IO;
	if (close(w->fd) != 0 && err == COFFER_OK)
		err = COFFER_ERR_IO;
	w->fd = -1;
	/* renameat2's RENAME_NOREPLACE: a snapshot is never replaced, not even by one of the same
	 * second. */
	if (err == COFFER_OK &&
	    renameat2(AT_FDCWD, w->tmp, AT_FDCWD, w->path, RENAME_NOREPLACE) != 0)
		err = errno == EEXIST ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
	if (err == COFFER_OK)
		err = dir_fsync(w->dir);
	if (err != COFFER_OK)
		unlink(w->tmp);
	writer_free(w);
	return err;
}

void backup_writer_abort(struct backup_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp);
	writer_free(w);
}

enum coffer_err backup_reader_open(const char *path, struct backup_header *h,
				   struct backup_reader **out)
{
	uint8_t head[BACKUP_HEADER_BYTES];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	ssize_t n =
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? pread(fd, head, sizeof head, 0) : -1;
	if (n < 0) {
		close(fd);
		return COFFER_ERR_IO;
	}
	if ((size_t)n != sizeof head || !backup_header_decode(head, h)) {
		close(fd);
		return COFFER_ERR_CRYPTO;
	}
	struct backup_reader *r = sodium_malloc(sizeof *r);
	if (r == NULL) {
		close(fd);
		return COFFER_ERR_NOMEM;
	}
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->header = *h;
	r->file_size = (uint64_t)st.st_size;
	*out = r;
	return COFFER_OK;
}

uint64_t backup_reader_file_size(const struct backup_reader *r)
{
	return r->file_size;
}

static enum coffer_err read_exact_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return COFFER_ERR_IO;
		if (n == 0)
			return COFFER_ERR_CRYPTO; /* the file shrank under us: not what was written
						   */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return COFFER_OK;
}

enum coffer_err backup_reader_start(struct backup_reader *r, const uint8_t key[AEAD_KEY_BYTES])
{
	uint8_t stream_head[STREAM_HEADER_BYTES], ctx[BACKUP_CONTEXT_BYTES];
	if (r->file_size < DATA_START + AEAD_TAG_BYTES)
		return COFFER_ERR_CRYPTO;
	enum coffer_err err =
	    read_exact_at(r->fd, stream_head, sizeof stream_head, BACKUP_HEADER_BYTES);
	if (err != COFFER_OK)
		return err;
	backup_context(&r->header, ctx);
	err = stream_open_init(&r->stream, key, ctx, sizeof ctx, stream_head);
	if (err != COFFER_OK)
		return err;
	r->next_off = DATA_START;
	r->started = true;
	return COFFER_OK;
}

/* Opens the next segment into PLAIN. */
static enum coffer_err next_segment(struct backup_reader *r)
{
	if (!r->started || r->stream.finished || r->next_off >= r->file_size)
		return COFFER_ERR_CRYPTO; /* nothing more was sealed: the stream was cut */
	uint64_t left = r->file_size - r->next_off;
	size_t len =
	    left > STREAM_SEALED_SEGMENT_BYTES ? STREAM_SEALED_SEGMENT_BYTES : (size_t)left;
	bool last = left <= STREAM_SEALED_SEGMENT_BYTES;
	if (len < AEAD_TAG_BYTES)
		return COFFER_ERR_CRYPTO;
	enum coffer_err err = read_exact_at(r->fd, r->sealed, len, r->next_off);
	if (err == COFFER_OK)
		err = stream_open_segment(&r->stream, r->sealed, len, last, r->plain);
	if (err != COFFER_OK)
		return err == COFFER_ERR_IO ? err : COFFER_ERR_CRYPTO;
	r->next_off += len;
	r->have = len - AEAD_TAG_BYTES;
	r->pos = 0;
	return COFFER_OK;
}

enum coffer_err backup_reader_read(struct backup_reader *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		if (r->pos == r->have) {
			enum coffer_err err = next_segment(r);
			if (err != COFFER_OK)
				return err;
			continue;
		}
		size_t n = r->have - r->pos;
		if (n > len)
			n = len;
		memcpy(p, r->plain + r->pos, n);
		r->pos += n;
		r->released += n;
		p += n;
		len -= n;
	}
	return COFFER_OK;
}

enum coffer_err backup_reader_end(struct backup_reader *r)
{
	/* A stream whose plaintext ends exactly at a segment boundary has the last segment still
	 * to open (it may be empty). */
	if (r->pos == r->have && !r->stream.finished) {
		enum coffer_err err = next_segment(r);
		if (err != COFFER_OK)
			return err;
	}
	return r->stream.finished && r->pos == r->have && r->next_off == r->file_size
		   ? COFFER_OK
		   : COFFER_ERR_CRYPTO;
}

uint64_t backup_reader_offset(const struct backup_reader *r)
{
	return r->released;
}

void backup_reader_close(struct backup_reader *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	stream_wipe(&r->stream);
	sodium_free(r);
}
