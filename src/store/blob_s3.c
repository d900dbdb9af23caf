/* blob_s3.c — blobs as objects in an S3-compatible bucket (blobs.h's `blob_store = s3`):
 * orgs/<org id>/blobs/<file id>, each holding exactly the sealed stream of docs/FORMAT.md.
 *
 * Design points:
 * - An upload is spooled to an unnamed file on this node's disk (O_TMPFILE under
 *   DATA/spool, gone with the process whatever happens) and goes to the store from there:
 *   memory stays constant whatever the size, each request body has its SHA-256 before it is
 *   signed, and a retry re-reads it. Up to SINGLE_PUT_MAX the blob is one PUT at commit.
 *   Beyond it, it becomes a multipart upload as it is written: parts of PART_SEGMENTS sealed
 *   segments each (the first also carrying the stream's header), sent as soon as one is
 *   complete, their bytes then freed from the spool (a hole punched); the last part and the
 *   completion go at commit. Disk use stays under SINGLE_PUT_MAX plus one part.
 * - blob_commit returns only once the store has answered the PUT or the completion: the
 *   object is durable before the file's row commits, as with the file backend. A commit that
 *   fails aborts the multipart upload, and so does blob_abort; the sweep aborts what a crash
 *   left behind.
 * - A PUT replaces an object of the same name where a file would be refused (EXISTS): file
 *   ids are fresh random UUIDs, made for the upload, so no two uploads share a name.
 * - A reader fetches READ_WINDOW bytes at a time with a ranged GET and serves the stream's
 *   segment reads from them: a download costs one request per window, memory one window.
 *   Every byte still goes through the segment check above it (file_open.h): a flipped byte in
 *   the store is refused, never served.
 * - The sweep lists the organisation's objects and multipart uploads and removes, among those
 *   older than its cut-off, the objects no row refers to and every upload.
 */
#include "store/blob_s3.h"

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
#include "crypto/stream.h"
#include "s3/s3_list.h"
#include "s3/s3_multipart.h"
#include "s3/s3_objects.h"
#include "store/blob_backend.h"

#define SINGLE_PUT_MAX (64ull * 1024 * 1024)
#define PART_SEGMENTS  256u /* about 16 MiB a part: S3's 5 MiB floor, 10000 parts ≈ 160 GiB */
#define PART_BYTES     ((uint64_t)PART_SEGMENTS * STREAM_SEALED_SEGMENT_BYTES)
#define WRITE_BUF      (256u * 1024u)
#define READ_WINDOW    (2u * 1024u * 1024u)
#define KEY_PREFIX_FMT "orgs/%s/blobs/"
#define SPOOL_DIR      "spool"

struct s3_blobs {
	struct blob_store base;
	struct s3_client *client;
	char spool[PATH_MAX]; /* DATA/spool */
};

struct s3_writer {
	struct blob_writer base;
	struct s3_blobs *bs;
	char key[S3_KEY_MAX + 1];
	int fd;		     /* the spool; its offsets are the stream's */
	enum coffer_err err; /* sticky: a failed write fails the commit */
	uint8_t *buf;	     /* WRITE_BUF bytes not yet in the spool */
	size_t used;
	uint64_t spooled;		      /* bytes in the spool */
	uint64_t shipped;		      /* of them, sent as parts */
	char upload_id[S3_UPLOAD_ID_MAX + 1]; /* "" while it is still one PUT */
	struct s3_part *parts;
	size_t n_parts, cap_parts;
};

struct s3_reader {
	struct blob_reader base;
	struct s3_blobs *bs;
	char key[S3_KEY_MAX + 1];
	uint64_t size;
	uint8_t *window;
	uint64_t window_at; /* the stream offset of window[0] */
	size_t window_len;
};

static struct s3_blobs *store_of(struct blob_store *bs)
{
	return (struct s3_blobs *)bs;
}

static void object_key(const char *org_id, const char *file_id, char key[S3_KEY_MAX + 1])
{
	snprintf(key, S3_KEY_MAX + 1, KEY_PREFIX_FMT "%s", org_id, file_id);
}

/* --- writing -------------------------------------------------------------------------------- */

/* An unnamed file in DATA/spool (made on first use, 0700, by the user the server runs as). */
static enum coffer_err spool_open(struct s3_blobs *bs, int *fd)
{
	if (mkdir(bs->spool, 0700) != 0 && errno != EEXIST)
		return COFFER_ERR_IO;
	*fd = open(bs->spool, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return *fd >= 0 ? COFFER_OK : COFFER_ERR_IO;
}

static enum coffer_err s3w_create(struct blob_store *base, const char *org_id, const char *file_id,
				  struct blob_writer **out)
{
	struct s3_blobs *bs = store_of(base);
	struct s3_writer *w = calloc(1, sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	w->base.ops = base->ops;
	w->bs = bs;
	w->fd = -1;
	object_key(org_id, file_id, w->key);
	w->buf = malloc(WRITE_BUF);
	enum coffer_err err = w->buf != NULL ? spool_open(bs, &w->fd) : COFFER_ERR_NOMEM;
	if (err != COFFER_OK) {
		free(w->buf);
		free(w);
		return err;
	}
	*out = &w->base;
	return COFFER_OK;
}

/* The bytes part N (from 0) ends at, counted from where the previous one ended. */
static uint64_t part_bytes(const struct s3_writer *w)
{
	return w->n_parts == 0 ? STREAM_HEADER_BYTES + PART_BYTES : PART_BYTES;
}

static enum coffer_err send_part(struct s3_writer *w, uint64_t len)
{
	if (w->n_parts == S3_PARTS_MAX)
		return COFFER_ERR_TOO_LARGE;
	if (w->n_parts == w->cap_parts) {
		size_t cap = w->cap_parts ? w->cap_parts * 2 : 16;
		struct s3_part *p = realloc(w->parts, cap * sizeof *p);
		if (p == NULL)
			return COFFER_ERR_NOMEM;
		w->parts = p;
		w->cap_parts = cap;
	}
	struct s3_body body = {.fd = w->fd, .offset = w->shipped, .length = len};
	enum coffer_err err =
	    s3_multipart_upload_part(w->bs->client, w->key, w->upload_id,
				     (unsigned int)w->n_parts + 1, &body, &w->parts[w->n_parts]);
	if (err != COFFER_OK)
		return err;
	w->n_parts++;
	/* Sent: its bytes need no disk any more. The offsets stay the stream's. */
	(void)fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)w->shipped,
			(off_t)len);
	w->shipped += len;
	return COFFER_OK;
}

/* Sends every complete part the spool holds, first turning the blob into a multipart upload
 * once it has outgrown one PUT. */
static enum coffer_err ship_parts(struct s3_writer *w)
{
	if (w->upload_id[0] == '\0') {
		if (w->spooled <= SINGLE_PUT_MAX)
			return COFFER_OK;
		enum coffer_err err = s3_multipart_create(w->bs->client, w->key, w->upload_id);
		if (err != COFFER_OK) {
			w->upload_id[0] = '\0';
			return err;
		}
	}
	while (w->spooled - w->shipped >= part_bytes(w)) {
		enum coffer_err err = send_part(w, part_bytes(w));
		if (err != COFFER_OK)
			return err;
	}
	return COFFER_OK;
}

static enum coffer_err spool_append(struct s3_writer *w, const void *data, size_t len)
{
	enum coffer_err err = fd_write_all(w->fd, data, len);
	if (err == COFFER_OK) {
		w->spooled += len;
		err = ship_parts(w);
	}
	return err;
}

static enum coffer_err flush(struct s3_writer *w)
{
	enum coffer_err err = w->used > 0 ? spool_append(w, w->buf, w->used) : COFFER_OK;
	w->used = 0;
	return err;
}

static enum coffer_err s3w_write(struct blob_writer *base, const void *data, size_t len)
{
	struct s3_writer *w = (struct s3_writer *)base;
	if (w->err != COFFER_OK || len == 0)
		return w->err;
	if (len <= WRITE_BUF - w->used) {
		memcpy(w->buf + w->used, data, len);
		w->used += len;
		return COFFER_OK;
	}
	enum coffer_err err = flush(w);
	if (err == COFFER_OK && len >= WRITE_BUF) {
		err = spool_append(w, data, len);
	} else if (err == COFFER_OK) {
		memcpy(w->buf, data, len);
		w->used = len;
	}
	w->err = err;
	return err;
}

/* Ends the multipart upload on the store, if there is one; logged when the store refuses
 * (the sweep aborts it later). */
static void abort_upload(struct s3_writer *w)
{
	if (w->upload_id[0] == '\0')
		return;
	if (s3_multipart_abort(w->bs->client, w->key, w->upload_id) != COFFER_OK)
		log_msg(LOG_WARN, "blobs", "an upload of %s was not aborted; the sweep will",
			w->key);
	w->upload_id[0] = '\0';
}

static void writer_free(struct s3_writer *w)
{
	if (w->fd >= 0)
		close(w->fd); /* an unnamed file: its blocks go with it */
	free(w->parts);
	free(w->buf);
	free(w);
}

static enum coffer_err finish(struct s3_writer *w)
{
	enum coffer_err err = w->err;
	if (err == COFFER_OK)
		err = flush(w);
	if (err != COFFER_OK)
		return err;
	if (w->upload_id[0] == '\0') {
		struct s3_body body = {.fd = w->fd, .offset = 0, .length = w->spooled};
		return s3_put_object(w->bs->client, w->key, &body);
	}
	if (w->spooled > w->shipped && (err = send_part(w, w->spooled - w->shipped)) != COFFER_OK)
		return err;
	err = s3_multipart_complete(w->bs->client, w->key, w->upload_id, w->parts, w->n_parts);
	if (err == COFFER_OK)
		w->upload_id[0] = '\0'; /* completed: nothing to abort */
	return err;
}

static enum coffer_err s3w_commit(struct blob_writer *base)
{
	struct s3_writer *w = (struct s3_writer *)base;
	enum coffer_err err = finish(w);
	if (err != COFFER_OK)
		abort_upload(w);
	writer_free(w);
	return err;
}

static void s3w_abort(struct blob_writer *base)
{
	struct s3_writer *w = (struct s3_writer *)base;
	abort_upload(w);
	writer_free(w);
}

/* --- reading -------------------------------------------------------------------------------- */

static enum coffer_err s3r_open(struct blob_store *base, const char *org_id, const char *file_id,
				struct blob_reader **out, uint64_t *size)
{
	struct s3_blobs *bs = store_of(base);
	struct s3_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return COFFER_ERR_NOMEM;
	r->base.ops = base->ops;
	r->bs = bs;
	object_key(org_id, file_id, r->key);
	enum coffer_err err = s3_head_object(bs->client, r->key, &r->size);
	if (err != COFFER_OK) {
		free(r);
		return err;
	}
	*out = &r->base;
	*size = r->size;
	return COFFER_OK;
}

static enum coffer_err s3r_read_at(struct blob_reader *base, uint64_t offset, void *buf, size_t len)
{
	struct s3_reader *r = (struct s3_reader *)base;
	if (offset > r->size || len > r->size - offset)
		return COFFER_ERR_IO; /* the blob ends first */
	if (len > READ_WINDOW)
		return s3_get_range(r->bs->client, r->key, offset, buf, len);
	if (offset < r->window_at || offset + len > r->window_at + r->window_len) {
		if (r->window == NULL && (r->window = malloc(READ_WINDOW)) == NULL)
			return COFFER_ERR_NOMEM;
		uint64_t left = r->size - offset;
		size_t n = left < READ_WINDOW ? (size_t)left : READ_WINDOW;
		r->window_len = 0;
		enum coffer_err err = s3_get_range(r->bs->client, r->key, offset, r->window, n);
		if (err != COFFER_OK)
			return err;
		r->window_at = offset;
		r->window_len = n;
	}
	memcpy(buf, r->window + (offset - r->window_at), len);
	return COFFER_OK;
}

static void s3r_close(struct blob_reader *base)
{
	struct s3_reader *r = (struct s3_reader *)base;
	free(r->window);
	free(r);
}

/* --- removing and sweeping ------------------------------------------------------------------ */

static enum coffer_err s3_remove(struct blob_store *base, const char *org_id, const char *file_id)
{
	char key[S3_KEY_MAX + 1];
	object_key(org_id, file_id, key);
	return s3_delete_object(store_of(base)->client, key);
}

struct sweep_walk {
	struct s3_blobs *bs;
	const char *org_id;
	size_t prefix_len;
	/* Whole seconds: the store's times have no finer grain (Swift rounds them up, AWS gives
	 * milliseconds, read down to the second), so an object younger than the cut-off always
	 * reads as no older than it. */
	int64_t before_s;
	bool (*keep)(void *ctx, const char *file_id);
	void *ctx;
	size_t removed, aborted;
};

static void log_foreign(const char *org_id, const char *name)
{
	char shown[65];
	size_t i = 0;
	for (; name[i] != '\0' && i < 64; i++)
		shown[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	shown[i] = '\0';
	log_msg(LOG_WARN, "blobs", "organisation %s: left %s alone in the bucket (not a blob name)",
		org_id, shown);
}

static enum coffer_err sweep_object(void *ctx, const struct s3_object *o)
{
	struct sweep_walk *s = ctx;
	const char *name = o->key + s->prefix_len;
	if (!uuid_valid(name)) {
		log_foreign(s->org_id, name);
		return COFFER_OK;
	}
	/* Newer objects may belong to an upload whose row is being committed right now. */
	if (o->last_modified >= s->before_s || s->keep(s->ctx, name))
		return COFFER_OK;
	enum coffer_err err = s3_delete_object(s->bs->client, o->key);
	if (err == COFFER_OK)
		s->removed++;
	return err;
}

static enum coffer_err sweep_upload(void *ctx, const struct s3_upload *u)
{
	struct sweep_walk *s = ctx;
	if (u->initiated >= s->before_s)
		return COFFER_OK; /* an upload under way */
	enum coffer_err err = s3_multipart_abort(s->bs->client, u->key, u->upload_id);
	if (err == COFFER_OK)
		s->aborted++;
	return err;
}

static enum coffer_err s3_sweep(struct blob_store *base, const char *org_id, int64_t before_ns,
				bool (*keep)(void *ctx, const char *file_id), void *ctx,
				size_t *removed)
{
	char prefix[S3_KEY_MAX + 1];
	int n = snprintf(prefix, sizeof prefix, KEY_PREFIX_FMT, org_id);
	struct sweep_walk s = {.bs = store_of(base),
			       .org_id = org_id,
			       .prefix_len = (size_t)n,
			       .before_s = before_ns / 1000000000,
			       .keep = keep,
			       .ctx = ctx};
	enum coffer_err err = s3_list_objects(s.bs->client, prefix, sweep_object, &s);
	if (err == COFFER_OK)
		err = s3_multipart_list(s.bs->client, prefix, sweep_upload, &s);
	if (s.aborted > 0)
		log_msg(LOG_INFO, "blobs", "organisation %s: aborted %zu stale uploads", org_id,
			s.aborted);
	if (err == COFFER_OK)
		*removed = s.removed;
	return err;
}

static enum coffer_err s3_remove_org(struct blob_store *base, const char *org_id, size_t *removed)
{
	/* Every object and upload under the prefix, whatever its age. */
	return s3_sweep(base, org_id, INT64_MAX, blob_keep_none, NULL, removed);
}

static void s3_free(struct blob_store *base)
{
	struct s3_blobs *bs = store_of(base);
	s3_client_free(bs->client);
	free(bs);
}

static const struct blob_ops s3_ops = {
    .create = s3w_create,
    .write = s3w_write,
    .commit = s3w_commit,
    .abort = s3w_abort,
    .open = s3r_open,
    .read_at = s3r_read_at,
    .close = s3r_close,
    .remove = s3_remove,
    .sweep = s3_sweep,
    .remove_org = s3_remove_org,
    .free = s3_free,
};

enum coffer_err blob_store_s3(const struct s3_config *cfg, const char *data_dir,
			      struct blob_store **out)
{
	struct s3_blobs *bs = calloc(1, sizeof *bs);
	if (bs == NULL)
		return COFFER_ERR_NOMEM;
	if (snprintf(bs->spool, sizeof bs->spool, "%s/" SPOOL_DIR, data_dir) >=
	    (int)sizeof bs->spool) {
		free(bs);
		return COFFER_ERR_INVALID_INPUT;
	}
	enum coffer_err err = s3_client_new(cfg, &bs->client);
	if (err != COFFER_OK) {
		free(bs);
		return err;
	}
	bs->base.ops = &s3_ops;
	*out = &bs->base;
	return COFFER_OK;
}

struct s3_client *blob_store_s3_client(struct blob_store *bs)
{
	return bs != NULL && bs->ops == &s3_ops ? store_of(bs)->client : NULL;
}
