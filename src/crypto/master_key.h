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
 *   in a PKCS#11 token (kind 2):
 *     "COFFERMK" (8) | format = 2 (1) | kind = 2 (1) | u8 len | module path |
 *     u8 len | token label | count (1) | count × (key version (4) | u8 len | CKA_ID of the
 *     version's token key | nonce (12) | AES-256-GCM(root) (32) | tag (16))
 *   KEYRING = count (1, 1..MASTER_KEYRING_MAX) | count × (key version (4) | key (32)),
 *             versions strictly increasing, the first ≥ 1.
 *   The sealing key is Argon2id(passphrase, salt, opslimit, memlimit); the AAD is every byte
 *   before the nonce, so the parameters cannot be altered without detection.
 *
 * Every kind gives each version a 32-byte `key`: the root keyd derives its MAC and seal keys
 * from (kdf_derive). In kinds 0 and 1 it also wraps organisation keys itself; in kind 2 the
 * root is sealed by that version's token key (AAD "coffer/master-root/v1" | u32 version) and
 * organisation keys are wrapped by the token key inside the token (master_wrap.h), which never
 * leaves it. Always go through master_wrap.h to wrap or unwrap an organisation key.
 *
 * WARNING: only the key service (and `coffer keys rotate`, run by the operator) may load the
 * keyring; the web process must never hold it.
 */
#ifndef COFFER_MASTER_KEY_H
#define COFFER_MASTER_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MASTER_KEY_BYTES    32
#define MASTER_KEYRING_MAX  32
#define MASTER_KEY_FILE	    "master.key"
#define PASSPHRASE_MAX	    1024
#define MASTER_MODULE_MAX   255 /* bytes of a PKCS#11 module path */
#define MASTER_TOKEN_MAX    32	/* bytes of a token label */
#define MASTER_TOKEN_ID_MAX 32	/* bytes of a token key's CKA_ID */

enum master_kind {
	MASTER_KIND_PLAIN = 0,
	MASTER_KIND_SEALED = 1, /* by a passphrase */
	MASTER_KIND_PKCS11 = 2,
};

/* Argon2id cost for sealing: libsodium's "moderate" (3 passes, 256 MiB), about 0.7 s on one
 * core here. Paid once per start of coffer serve, so it can be high. */
#define MASTER_KEY_OPSLIMIT	3u
#define MASTER_KEY_MEMLIMIT_KIB (256u * 1024u)

struct p11_token; /* hsm/p11.h */

struct master_key {
	uint32_t version;
	uint8_t key[MASTER_KEY_BYTES]; /* the derivation root (see above) */
	/* Kind 2: the token key object of this version, and p11's reference to its session copy. */
	uint8_t token_key_id[MASTER_TOKEN_ID_MAX];
	uint8_t token_key_id_len;
	uint32_t token_key;
};

/* Lives in guarded memory (sodium_malloc), read-only once loaded. */
struct master_keyring {
	uint32_t count;
	enum master_kind kind;
	/* Kind 2: the token, open and logged in (owned: master_keyring_free closes it), and where
	 * it is. */
	struct p11_token *token;
	char module[MASTER_MODULE_MAX + 1];
	char token_label[MASTER_TOKEN_MAX + 1];
	struct master_key keys[MASTER_KEYRING_MAX];
};

/* What opens a keyring: the passphrase for kind 1, the token's user PIN for kind 2 (each NULL
 * when not given). Borrowed. */
struct master_unlock {
	const char *passphrase;
	size_t pass_len;
	const char *pin;
	size_t pin_len;
};

/* The unsecret part of a master key file: its kind and, for kind 2, where the token is. */
struct master_key_info {
	enum master_kind kind;
	char module[MASTER_MODULE_MAX + 1];
	char token_label[MASTER_TOKEN_MAX + 1];
};

/* Writes a new keyring holding one fresh key, version 1, to PATH (mode 0600, refusing to
 * overwrite), sealed under PASSPHRASE when it is not NULL. Wipes the key before returning. */
COFFER_MUST_CHECK enum coffer_err master_key_create(const char *path, const char *passphrase,
						    size_t pass_len);

/* Writes a new kind-2 keyring to PATH (mode 0600, refusing to overwrite): opens the token
 * TOKEN_LABEL through MODULE with U's PIN, makes a new AES-256 key object in it (sensitive,
 * non-extractable) and seals a fresh root for version 1 with it. Errors as master_key_open. */
COFFER_MUST_CHECK enum coffer_err master_key_create_pkcs11(const char *path, const char *module,
							   const char *token_label,
							   const struct master_unlock *u);

/* Reads PATH into guarded memory; free *OUT with master_keyring_free. Errors:
 * COFFER_ERR_NOT_FOUND when there is no file; COFFER_ERR_FORBIDDEN when it is open to group or
 * others; COFFER_ERR_UNAUTHENTICATED when it is sealed and no passphrase was given;
 * COFFER_ERR_INVALID_CREDENTIALS when the passphrase is wrong; COFFER_ERR_INVALID_INPUT when a
 * passphrase is given for an unsealed key; COFFER_ERR_CRYPTO when the file is malformed. */
COFFER_MUST_CHECK enum coffer_err master_key_load(const char *path, const char *passphrase,
						  size_t pass_len, struct master_keyring **out);
/* master_key_load for every kind. A kind-2 keyring opens its token with U's PIN and keeps it
 * open; further errors: COFFER_ERR_UNAUTHENTICATED when no PIN is given;
 * COFFER_ERR_INVALID_CREDENTIALS for a wrong PIN; COFFER_ERR_INVALID_INPUT for a passphrase
 * given to a token keyring or a PIN to a file one; and p11_open's (hsm/p11.h) for the module
 * and token: COFFER_ERR_FORBIDDEN, COFFER_ERR_UNAVAILABLE, COFFER_ERR_NOT_FOUND. */
COFFER_MUST_CHECK enum coffer_err master_key_open(const char *path, const struct master_unlock *u,
						  struct master_keyring **out);
/* Reads the kind and token location of PATH. COFFER_ERR_NOT_FOUND, COFFER_ERR_CRYPTO. */
COFFER_MUST_CHECK enum coffer_err master_key_info(const char *path, struct master_key_info *out);

/* Adds a fresh key, one version above the newest, and replaces PATH atomically (re-sealed
 * under the same passphrase with a new salt). Sets *NEW_VERSION. COFFER_ERR_TOO_LARGE when the
 * keyring is full. */
COFFER_MUST_CHECK enum coffer_err master_key_rotate(const char *path, const char *passphrase,
						    size_t pass_len, uint32_t *new_version);
/* master_key_rotate for every kind: for kind 2 the new version gets a new key object in the
 * token, and a fresh root sealed by it. */
COFFER_MUST_CHECK enum coffer_err
master_key_rotate_with(const char *path, const struct master_unlock *u, uint32_t *new_version);

/* The key of VERSION, or NULL when the keyring has none. */
const struct master_key *master_keyring_find(const struct master_keyring *kr, uint32_t version);
/* The newest key: the one that wraps. */
const struct master_key *master_keyring_newest(const struct master_keyring *kr);
/* Wipes and frees (NULL is fine). */
void master_keyring_free(struct master_keyring *kr);

/* Reads a passphrase file into guarded memory (free with sodium_free), without one trailing
 * newline; PATH "-" reads standard input. Refuses an empty passphrase and one longer than
 * PASSPHRASE_MAX. */
COFFER_MUST_CHECK enum coffer_err passphrase_read(const char *path, char **out, size_t *len);

#endif
