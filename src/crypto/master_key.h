/* master_key.h — the deployment's 256-bit master key and its file, DATA/master.key.
 *
 * File format, version 1 (big-endian integers):
 *   unsealed (kind 0), 42 bytes:
 *     "COFFERMK" (8) | version = 1 (1) | kind = 0 (1) | key (32)
 *   sealed with a passphrase (kind 1), 94 bytes:
 *     "COFFERMK" (8) | version = 1 (1) | kind = 1 (1) | Argon2id opslimit (4) |
 *     Argon2id memlimit in KiB (4) | salt (16) | nonce (12) | AES-256-GCM(key) (32) | tag (16)
 *   The sealing key is Argon2id(passphrase, salt, opslimit, memlimit); the AAD is every byte
 *   before the nonce, so the parameters cannot be altered without detection.
 *
 * WARNING: only the key service may load the key; the web process must never hold it.
 */
#ifndef COFFER_MASTER_KEY_H
#define COFFER_MASTER_KEY_H

#include <stddef.h>

#include "common/err.h"

#define MASTER_KEY_BYTES 32
#define MASTER_KEY_FILE "master.key"
#define PASSPHRASE_MAX 1024

/* Argon2id cost for sealing: libsodium's "moderate" (3 passes, 256 MiB), about 0.7 s on one
 * core here. Paid once per start of coffer serve, so it can be high. */
#define MASTER_KEY_OPSLIMIT 3u
#define MASTER_KEY_MEMLIMIT_KIB (256u * 1024u)

/* Generates a fresh key and writes it to PATH (mode 0600, refusing to overwrite), sealed under
 * PASSPHRASE when it is not NULL. The key is wiped from memory before returning. */
COFFER_MUST_CHECK enum coffer_err master_key_create(const char *path, const char *passphrase,
						    size_t pass_len);

/* Reads PATH into guarded memory: *KEY is MASTER_KEY_BYTES from sodium_malloc, read-only; free
 * it with sodium_free. Errors: COFFER_ERR_FORBIDDEN when the file is open to group or others;
 * COFFER_ERR_UNAUTHENTICATED when it is sealed and no passphrase was given;
 * COFFER_ERR_INVALID_CREDENTIALS when the passphrase is wrong; COFFER_ERR_INVALID_INPUT when a
 * passphrase is given for an unsealed key; COFFER_ERR_CRYPTO when the file is malformed. */
COFFER_MUST_CHECK enum coffer_err master_key_load(const char *path, const char *passphrase,
						  size_t pass_len, unsigned char **key);

/* Reads a passphrase file into guarded memory (free with sodium_free), without one trailing
 * newline. Refuses an empty passphrase and one longer than PASSPHRASE_MAX. */
COFFER_MUST_CHECK enum coffer_err passphrase_read(const char *path, char **out, size_t *len);

#endif
