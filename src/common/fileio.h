/* fileio.h — durable file writes (temp, fsync, rename, fsync dir) and bounded reads. */
#ifndef COFFER_FILEIO_H
#define COFFER_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

/* Writes DATA to PATH atomically and durably with MODE: a crash leaves either the old file or
 * the new one, never a part. Fails with COFFER_ERR_EXISTS when EXCLUSIVE and PATH exists. */
COFFER_MUST_CHECK enum coffer_err file_write_atomic(const char *path, const void *data, size_t len,
						    mode_t mode, int exclusive);

/* Reads the whole of PATH if it is at most MAX bytes. *OUT (caller frees with free(), or with
 * sodium_free() when SECURE) holds LEN bytes plus a NUL terminator. */
COFFER_MUST_CHECK enum coffer_err file_read_all(const char *path, size_t max, int secure,
						char **out, size_t *len);

/* Reads standard input to its end into guarded memory (free with sodium_free): at most MAX
 * bytes (COFFER_ERR_TOO_LARGE beyond), *LEN of them plus a NUL terminator. */
COFFER_MUST_CHECK enum coffer_err stdin_read_all(size_t max, char **out, size_t *len);

/* Writes exactly LEN bytes, retrying after EINTR and short writes. */
COFFER_MUST_CHECK enum coffer_err fd_write_all(int fd, const void *data, size_t len);

/* fsync(2)s the directory PATH so that entries created in it survive a crash. */
COFFER_MUST_CHECK enum coffer_err dir_fsync(const char *path);

/* Takes the lock file NAME in directory DIR (created mode 0600; made by root, it is handed to
 * DIR's owner, so that the lock never shuts out that user): an exclusive flock held until *FD
 * is closed. COFFER_ERR_EXISTS when another process holds it, COFFER_ERR_NOT_FOUND when DIR
 * does not exist. */
COFFER_MUST_CHECK enum coffer_err file_lock_in(const char *dir, const char *name, int *fd);

#endif
