/* master_key.h — the deployment's 256-bit master key and its file, DATA/master.key.
 *
 * File format (version 1), all of it 42 bytes:
 *   "COFFERMK" (8 bytes) | format version = 1 (1 byte) | kind = 0, unsealed (1 byte) | key (32)
 * The kind byte leaves room for a passphrase-sealed form.
 *
 * WARNING: only the key service may call master_key_load (a later issue enforces this by
 * process separation); the web process must never hold the key.
 */
#ifndef COFFER_MASTER_KEY_H
#define COFFER_MASTER_KEY_H

#include "common/err.h"

#define MASTER_KEY_BYTES 32
#define MASTER_KEY_FILE "master.key"

/* Generates a fresh key and writes it to PATH (mode 0600, refusing to overwrite). The key is
 * wiped from memory before returning. */
COFFER_MUST_CHECK enum coffer_err master_key_create(const char *path);

/* Reads PATH into guarded memory: *KEY is MASTER_KEY_BYTES from sodium_malloc, read-only; free
 * it with sodium_free. Refuses a file readable by group or others. */
COFFER_MUST_CHECK enum coffer_err master_key_load(const char *path, unsigned char **key);

#endif
