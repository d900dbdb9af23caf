/* blob_backend.h — what a place for blobs implements behind blobs.h: a table of operations,
 * one per call of blobs.h, and the handles that lead to it.
 *
 * A backend's store, writer and reader structs begin with struct blob_store, blob_writer and
 * blob_reader, so that blobs.c finds the table from any handle; blobs.c checks the ids and
 * arguments common to every backend before it calls one, and the table's functions may take
 * them as valid. */
#ifndef COFFER_BLOB_BACKEND_H
#define COFFER_BLOB_BACKEND_H

#include "store/blobs.h"

struct blob_ops {
	enum coffer_err (*create)(struct blob_store *bs, const char *org_id, const char *file_id,
				  struct blob_writer **out);
	enum coffer_err (*write)(struct blob_writer *w, const void *data, size_t len);
	enum coffer_err (*commit)(struct blob_writer *w); /* frees W */
	void (*abort)(struct blob_writer *w);		  /* frees W */
	enum coffer_err (*open)(struct blob_store *bs, const char *org_id, const char *file_id,
				struct blob_reader **out, uint64_t *size);
	enum coffer_err (*read_at)(struct blob_reader *r, uint64_t offset, void *buf, size_t len);
	void (*close)(struct blob_reader *r); /* frees R */
	enum coffer_err (*remove)(struct blob_store *bs, const char *org_id, const char *file_id);
	enum coffer_err (*sweep)(struct blob_store *bs, const char *org_id, int64_t before_ns,
				 bool (*keep)(void *ctx, const char *file_id), void *ctx,
				 size_t *removed);
	enum coffer_err (*remove_org)(struct blob_store *bs, const char *org_id, size_t *removed);
	void (*free)(struct blob_store *bs);
};

/* A sweep's KEEP that keeps nothing: what blob_remove_org sweeps with, whatever its age. */
bool blob_keep_none(void *ctx, const char *file_id);

struct blob_store {
	const struct blob_ops *ops;
};

struct blob_writer {
	const struct blob_ops *ops;
};

struct blob_reader {
	const struct blob_ops *ops;
};

#endif
