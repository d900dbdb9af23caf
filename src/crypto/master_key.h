/* master_key.h — the deployment's master keys and their file, DATA/master.key.
 *
 * The file holds a keyring: every version of the master key there has been, the newest being
 * the one that wraps new organisation keys. `coffer keys rotate --master` adds a version;
 * older ones stay so that whatever they wrapped (organisation keys not yet re-wrapped, old
 * backups) can still be opened.
 *
 * File format, version 2 (big-endian integers):
 *   unsealed (kind 0):
 *     "COFFERMK" (8) | format = 2 (1) | kind = 0 (1) | KEYRING
 *   sealed with a passphrase (kind 1):
 *     "COFFERMK" (8) | format = 2 (1) | kind = 1 (1) | Argon2id opslimit (4) |
 *     Argon2id memlimit in KiB (4) | salt (16) | nonce (12) | AES-256-GCM(KEYRING) | tag (16)
 *   KEYRING = count (1, 1..MASTER_KEYRING_MAX) | count × (key version (4) | key (32)),
 *             versions strictly increasing, the first ≥ 1.
 *   The sealing key is Argon2id(passphrase, salt, opslimit, memlimit); the AAD is every byte
 *   before the nonce, so the parameters cannot be altered without detection.
 *
 * WARNING: only the key service (and `coffer keys rotate`, run by the operator) may load the
 * keyring; the web process must never hold it.
 */
#ifndef COFFER_MASTER_KEY_H
#define COFFER_MASTER_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MASTER_KEY_BYTES   32
#define MASTER_KEYRING_MAX 32
#define MASTER_KEY_FILE	   "master.key"
#define PASSPHRASE_MAX	   1024

/* Argon2id cost for sealing: libsodium's "moderate" (3 passes, 256 MiB), about 0.7 s on one
 * core here. Paid once per start of coffer serve, so it can be high. */
#define MASTER_KEY_OPSLIMIT	3u
#define MASTER_KEY_MEMLIMIT_KIB (256u * 1024u)

struct master_key {
	uint32_t version;
	uint8_t key[MASTER_KEY_BYTES];
};

/* Lives in guarded memory (sodium_malloc), read-only once loaded. */
struct master_keyring {
	uint32_t count;
	struct master_key keys[MASTER_KEYRING_MAX];
};

/* Writes a new keyring holding one fresh key, version 1, to PATH (mode 0600, refusing to
 * overwrite), sealed under PASSPHRASE when it is not NULL. Wipes the key before returning. */
COFFER_MUST_CHECK enum coffer_err master_key_create(const char *path, const char *passphrase,
						    size_t pass_len);

/* Reads PATH into guarded memory; free *OUT with master_keyring_free. Errors:
 * COFFER_ERR_NOT_FOUND when there is no file; COFFER_ERR_FORBIDDEN when it is open to group or
 * others; COFFER_ERR_UNAUTHENTICATED when it is sealed and no passphrase was given;
 * COFFER_ERR_INVALID_CREDENTIALS when the passphrase is wrong; COFFER_ERR_INVALID_INPUT when a
 * passphrase is given for an unsealed key; COFFER_ERR_CRYPTO when the file is malformed. */
COFFER_MUST_CHECK enum coffer_err master_key_load(const char *path, const char *passphrase,
						  size_t pass_len, struct master_keyring **out);

/* Adds a fresh key, one version above the newest, and replaces PATH atomically (re-sealed
 * under the same passphrase with a new salt). Sets *NEW_VERSION. COFFER_ERR_TOO_LARGE when the
 * keyring is full. */
COFFER_MUST_CHECK enum coffer_err master_key_rotate(const char *path, const char *passphrase,
						    size_t pass_len, uint32_t *new_version);

/* The key of VERSION, or NULL when the keyring has none. */
const struct master_key *master_keyring_find(const struct master_keyring *kr, uint32_t version);
/* The newest key: the one that wraps. */
const struct master_key *master_keyring_newest(const struct master_keyring *kr);
/* Wipes and frees (NULL is fine). */
void master_keyring_free(struct master_keyring *kr);

/* Reads a passphrase file into guarded memory (free with sodium_free), without one trailing
 * newline. Refuses an empty passphrase and one longer than PASSPHRASE_MAX. */
COFFER_MUST_CHECK enum coffer_err passphrase_read(const char *path, char **out, size_t *len);

#endif
