/* secrets_file.h — the deployment's sealed credentials, DATA/secrets: the database password and
 * the object store's secret key, which must never sit in coffer.conf, argv, the environment or
 * a log.
 *
 * File format (docs/FORMAT.md, "Sealed credentials"; big-endian integers):
 *   "COFFERSC" (8) | format = 1 (1) | u32 master key version | nonce (12) |
 *   AES-256-GCM(ENTRIES) | tag (16);  AAD = every byte before the nonce (13)
 *   ENTRIES = u8 count (0..SECRETS_MAX) |
 *             count × (str name | u64 set at (Unix seconds) | str value)
 *   str = u16 length | bytes; names 1..SECRET_NAME_MAX of [a-z0-9_], strictly increasing;
 *   values 1..SECRET_VALUE_MAX bytes, none of them NUL.
 *   key = HKDF-SHA256(that master key version's key, info SECRETS_KEY_LABEL)
 *
 * The file is sealed under the newest master key version each time it is written and opened
 * with the version it names, so `coffer keys rotate --master` does not strand it. Any name of
 * the right shape decodes (a later coffer may define more); only the names SECRET_NAMES lists
 * can be set, and only those does keyd hand out.
 *
 * Written by the operator's `coffer secret`; read by keyd at start, before its sandbox, into
 * guarded memory. The web process never holds the master key and never opens the file.
 */
#ifndef COFFER_SECRETS_FILE_H
#define COFFER_SECRETS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/master_key.h"

#define SECRETS_FILE	   "secrets"
#define SECRETS_KEY_LABEL  "coffer/secrets/v1"
#define SECRETS_MAX	   16	/* entries in one file */
#define SECRET_NAME_MAX	   32	/* bytes of a name */
#define SECRET_VALUE_MAX   4096 /* bytes of a value */
#define SECRETS_HEADER_LEN 13	/* magic, format, master key version: the AAD */
/* The largest file: header, nonce, count, every entry at its largest, tag. */
#define SECRETS_FILE_MAX                                                                           \
	(SECRETS_HEADER_LEN + 12 + 1 +                                                             \
	 SECRETS_MAX * (2 + SECRET_NAME_MAX + 8 + 2 + SECRET_VALUE_MAX) + 16)

/* The names coffer uses now, in the order `coffer secret list` shows them. */
#define SECRET_PG_PASSWORD	    "pg_password"
#define SECRET_S3_SECRET_ACCESS_KEY "s3_secret_access_key"

struct secret {
	char name[SECRET_NAME_MAX + 1];
	int64_t set_at; /* Unix seconds */
	size_t len;
	uint8_t
	    value[SECRET_VALUE_MAX + 1]; /* NUL-terminated for the convenience of C string users */
};

/* Lives in guarded memory (sodium_malloc); the entries are sorted by name. */
struct secrets {
	uint32_t count;
	struct secret items[SECRETS_MAX];
};

/* Whether NAME is one of the names coffer defines (SECRET_PG_PASSWORD, …). */
bool secret_name_defined(const char *name);
/* The defined names, joined with ", " (for messages). */
const char *secret_names_defined(void);

/* An empty set in guarded memory. */
COFFER_MUST_CHECK enum coffer_err secrets_new(struct secrets **out);
/* Wipes and frees (NULL is fine). */
void secrets_free(struct secrets *s);
/* Zeroes every value without freeing (keyd on its way out). */
void secrets_wipe(struct secrets *s);

/* The entry NAME, or NULL. */
const struct secret *secrets_find(const struct secrets *s, const char *name);
/* Sets NAME (a well-formed name) to VALUE (1..SECRET_VALUE_MAX bytes, no NUL), replacing any
 * value it had. COFFER_ERR_INVALID_INPUT for a bad name or value; COFFER_ERR_TOO_LARGE when the
 * set is full. */
COFFER_MUST_CHECK enum coffer_err secrets_put(struct secrets *s, const char *name,
					      const uint8_t *value, size_t len, int64_t set_at);
/* Removes NAME: whether it was there. */
bool secrets_remove(struct secrets *s, const char *name);

/* Decodes ENTRIES (the plaintext inside the file) into OUT, which it empties first. Refuses
 * anything not exactly as above with COFFER_ERR_CRYPTO (and leaves OUT empty). */
COFFER_MUST_CHECK enum coffer_err secrets_entries_decode(const uint8_t *in, size_t len,
							 struct secrets *out);

/* The sealed file of S under RING's newest version: *OUT (malloc'd, *LEN bytes). */
COFFER_MUST_CHECK enum coffer_err secrets_seal(const struct master_keyring *ring,
					       const struct secrets *s, uint8_t **out, size_t *len);
/* Opens the sealed file IN into a new set *OUT (free with secrets_free), and sets *VERSION
 * (may be NULL) to the master key version it was sealed under. COFFER_ERR_NOT_FOUND when RING
 * lacks that version; COFFER_ERR_CRYPTO for anything malformed or altered. */
COFFER_MUST_CHECK enum coffer_err secrets_open(const struct master_keyring *ring, const uint8_t *in,
					       size_t len, struct secrets **out, uint32_t *version);

/* Reads DATA_DIR/secrets with RING into *OUT: an empty set when there is no file. As
 * secrets_open, and COFFER_ERR_FORBIDDEN when the file is open to group or others or is not a
 * regular file, COFFER_ERR_IO when it cannot be read. */
COFFER_MUST_CHECK enum coffer_err
secrets_load(const char *data_dir, const struct master_keyring *ring, struct secrets **out);
/* Writes S to DATA_DIR/secrets (mode 0600, atomically), sealed under RING's newest version. */
COFFER_MUST_CHECK enum coffer_err
secrets_save(const char *data_dir, const struct master_keyring *ring, const struct secrets *s);

#endif
