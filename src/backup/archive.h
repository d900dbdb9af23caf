/* archive.h — writing and reading a snapshot file's encrypted stream (format.h) in constant
 * memory: one 64 KiB segment in hand at a time, whatever the snapshot's size.
 *
 * A writer writes under a temporary name beside the final one (".coffer-backup-….cfb.tmp"),
 * and backup_writer_commit seals the last segment, fsyncs, renames into place without ever
 * replacing a file, and fsyncs the directory: a crash leaves a temporary file or a whole
 * snapshot, never a part under the final name.
 *
 * A reader releases plaintext only after its segment's tag has held, and reports where the
 * first failure is (the plaintext offset), so that callers can name the member it falls in.
 */
#ifndef COFFER_BACKUP_ARCHIVE_H
#define COFFER_BACKUP_ARCHIVE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"
#include "common/err.h"
#include "crypto/aead.h"

struct backup_writer;
struct backup_reader;

/* Starts the snapshot file of header H in directory DIR, under KEY (copied into guarded
 * memory). *PATH (PATH_MAX) gets the final path. COFFER_ERR_EXISTS when a snapshot of that
 * name (the same second) is there already. */
COFFER_MUST_CHECK enum coffer_err backup_writer_open(const char *dir, const struct backup_header *h,
						     const uint8_t key[AEAD_KEY_BYTES],
						     char path[PATH_MAX],
						     struct backup_writer **out);
/* Appends LEN plaintext bytes. */
COFFER_MUST_CHECK enum coffer_err backup_writer_put(struct backup_writer *w, const void *data,
						    size_t len);
/* Bytes written to the file so far. */
uint64_t backup_writer_size(const struct backup_writer *w);
/* Seals the last segment, makes the file durable under its final name, frees W. On failure the
 * temporary file is removed. */
COFFER_MUST_CHECK enum coffer_err backup_writer_commit(struct backup_writer *w);
/* Gives up: removes the temporary file, frees W. NULL is fine. */
void backup_writer_abort(struct backup_writer *w);

/* Opens PATH and reads its header into *H. COFFER_ERR_NOT_FOUND, COFFER_ERR_IO, or
 * COFFER_ERR_CRYPTO when it is not a snapshot this program reads. */
COFFER_MUST_CHECK enum coffer_err backup_reader_open(const char *path, struct backup_header *h,
						     struct backup_reader **out);
/* The file's size in bytes. */
uint64_t backup_reader_file_size(const struct backup_reader *r);
/* Starts decrypting under KEY (the header's snapshot key, copied into guarded memory). */
COFFER_MUST_CHECK enum coffer_err backup_reader_start(struct backup_reader *r,
						      const uint8_t key[AEAD_KEY_BYTES]);
/* Reads exactly LEN plaintext bytes into BUF: COFFER_ERR_CRYPTO when a segment does not
 * authenticate or the stream ends first (truncation), COFFER_ERR_IO for a read error. */
COFFER_MUST_CHECK enum coffer_err backup_reader_read(struct backup_reader *r, void *buf,
						     size_t len);
/* After the last read: COFFER_ERR_CRYPTO unless the stream's last segment has been opened and
 * every plaintext byte read (nothing left over, nothing appended). */
COFFER_MUST_CHECK enum coffer_err backup_reader_end(struct backup_reader *r);
/* The plaintext offset of the first byte not yet released (where a failure happened). */
uint64_t backup_reader_offset(const struct backup_reader *r);
void backup_reader_close(struct backup_reader *r);

#endif
