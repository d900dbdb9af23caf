/* blobs.h — where an organisation's encrypted file content lives: a struct blob_store, opened
 * once at start, of one of two kinds (coffer.conf's blob_store):
 *   file  DATA/orgs/<org id>/blobs/<file id> on this node's disk (blob_files.c; the default);
 *   s3    objects orgs/<org id>/blobs/<file id> in an S3-compatible bucket (blob_s3.c).
 * Every call below behaves the same on both; what follows describes the file kind, and
 * blob_s3.c how the object store keeps the same promises.
 *
 * Durability: a blob is written under a temporary name (blobs/.tmp-<file id>), fsynced, renamed
 * into place and its directory fsynced before blob_commit returns; only then may its metadata
 * be committed. A crash before the rename leaves a temporary file; one after the rename but
 * before the metadata commit leaves a blob nobody refers to. blob_sweep removes both, and only
 * files older than a given time, so that it can run while new uploads are under way.
 *
 * Ids are checked with uuid_valid before they become part of a path: never a name of the
 * caller's choosing.
 */
#ifndef COFFER_BLOBS_H
#define COFFER_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct blob_store;
struct blob_writer;
struct blob_reader;

/* The blobs kept as files under DATA_DIR. */
COFFER_MUST_CHECK enum coffer_err blob_store_files(const char *data_dir, struct blob_store **out);
/* Frees BS (NULL is allowed); every writer and reader of it must be closed first. */
void blob_store_free(struct blob_store *bs);

/* Starts writing the blob of FILE_ID in ORG_ID's directory (creating blobs/ when needed). */
COFFER_MUST_CHECK enum coffer_err blob_create(struct blob_store *bs, const char *org_id,
					      const char *file_id, struct blob_writer **out);
/* Appends LEN bytes. */
COFFER_MUST_CHECK enum coffer_err blob_write(struct blob_writer *w, const void *data, size_t len);
/* Makes the blob durable under its final name (fsync, rename, fsync the directory) and frees
 * W, whatever the outcome (on failure the temporary file is removed). */
COFFER_MUST_CHECK enum coffer_err blob_commit(struct blob_writer *w);
/* Gives up: removes the temporary file and frees W. NULL is allowed. */
void blob_abort(struct blob_writer *w);

/* Opens the blob of FILE_ID for reading; *SIZE is its length in bytes. COFFER_ERR_NOT_FOUND
 * when there is none. */
COFFER_MUST_CHECK enum coffer_err blob_open(struct blob_store *bs, const char *org_id,
					    const char *file_id, struct blob_reader **out,
					    uint64_t *size);
/* Reads exactly LEN bytes at OFFSET (COFFER_ERR_IO if the blob ends first). */
COFFER_MUST_CHECK enum coffer_err blob_read_at(struct blob_reader *r, uint64_t offset, void *buf,
					       size_t len);
/* NULL is allowed. */
void blob_close(struct blob_reader *r);

/* Removes the blob of FILE_ID durably (unlink, fsync the directory). Not an error if absent. */
COFFER_MUST_CHECK enum coffer_err blob_remove(struct blob_store *bs, const char *org_id,
					      const char *file_id);

/* Removes every blob of ORG_ID, and whatever a crash left with them (temporary files,
 * multipart uploads), durably: for an organisation being deleted. Sets *REMOVED to the number
 * of blobs and temporary files removed (uploads aborted are logged). None at all is not an
 * error; a name that is not ours is left, and logged. */
COFFER_MUST_CHECK enum coffer_err blob_remove_org(struct blob_store *bs, const char *org_id,
						  size_t *removed);

/* Removes from ORG_ID's blobs every temporary file, and every blob for which KEEP(CTX, id)
 * answers false, among the files last modified before BEFORE_NS (CLOCK_REALTIME nanoseconds).
 * Names that are neither are left alone (and logged). Sets *REMOVED. A missing blobs directory
 * is not an error. */
COFFER_MUST_CHECK enum coffer_err blob_sweep(struct blob_store *bs, const char *org_id,
					     int64_t before_ns,
					     bool (*keep)(void *ctx, const char *file_id),
					     void *ctx, size_t *removed);

#endif
