/* store.h — the storage interface. Narrow and free of SQLite types, so that the PostgreSQL
 * implementation (a later issue) can sit behind the same calls.
 *
 * Every call that changes data is one transaction, committed durably before it returns.
 */
#ifndef COFFER_STORE_H
#define COFFER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/email.h"
#include "common/err.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"

struct store;
struct org_db;

#define STORE_ROLE_MAX 15
#define STORE_ID_MAX 36

struct invite_record {
	char email[EMAIL_MAX + 1];
	char role[STORE_ROLE_MAX + 1];        /* "sysadmin", "member", "org_admin" */
	char org_id[STORE_ID_MAX + 1];        /* "" when the role has no organisation */
	char clearance[STORE_ROLE_MAX + 1];   /* "" when the role has no organisation */
	int64_t created_at, expires_at;       /* seconds since the epoch */
};

/* Creates the system database of a new deployment in DATA_DIR. COFFER_ERR_EXISTS if present. */
COFFER_MUST_CHECK enum coffer_err store_system_create(const char *data_dir);

/* Opens the system database of DATA_DIR, upgrading its schema if it is older. */
COFFER_MUST_CHECK enum coffer_err store_system_open(const char *data_dir, struct store **out);

void store_close(struct store *st);

/* Records an invite under the hash of its token. */
COFFER_MUST_CHECK enum coffer_err store_invite_add(struct store *st, const struct token_hash *h,
						   const struct invite_record *inv);

/* Finds an invite that is unused and unexpired at NOW; COFFER_ERR_NOT_FOUND otherwise. */
COFFER_MUST_CHECK enum coffer_err store_invite_get(struct store *st, const struct token_hash *h,
						   int64_t now, struct invite_record *out);

/* --- organisations and their keys (system database) ------------------------------------ */

#define STORE_ORG_NAME_MAX 200

/* One version of an organisation's key, wrapped by a master key version. */
struct org_key_record {
	uint32_t version;
	uint32_t master_version;
	uint8_t wrapped[KEYWRAP_BYTES];
};

/* Creates organisation ORG_ID named NAME with its first key version, in one transaction.
 * COFFER_ERR_EXISTS when the id or the name is taken. */
COFFER_MUST_CHECK enum coffer_err store_org_create(struct store *st, const char *org_id,
						   const char *name, const struct org_key_record *key,
						   int64_t now);

/* The newest version of ORG_ID's key; COFFER_ERR_NOT_FOUND when it has none (no such
 * organisation, or its keys were destroyed). */
COFFER_MUST_CHECK enum coffer_err store_org_key_newest(struct store *st, const char *org_id,
						       struct org_key_record *out);
/* Version VERSION of ORG_ID's key. */
COFFER_MUST_CHECK enum coffer_err store_org_key_get(struct store *st, const char *org_id,
						    uint32_t version, struct org_key_record *out);

/* Adds KEY as a new version of ORG_ID's key. COFFER_ERR_VERSION_CONFLICT unless KEY->version
 * is one above the newest (so two rotations at once cannot both win);
 * COFFER_ERR_NOT_FOUND when the organisation has no key to rotate. */
COFFER_MUST_CHECK enum coffer_err store_org_key_add(struct store *st, const char *org_id,
						    const struct org_key_record *key, int64_t now);

/* An organisation key version named for re-wrapping under a new master key. */
struct org_key_ref {
	char org_id[STORE_ID_MAX + 1];
	struct org_key_record key;
};

/* Up to MAX key versions (of any organisation) wrapped by a master key older than
 * MASTER_VERSION; sets *N. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_wrapped_before(struct store *st,
								uint32_t master_version,
								struct org_key_ref *out, size_t max,
								size_t *n);

/* Replaces the wrapped form of N key versions in one transaction. Each row changes only if it
 * still has the master version it was read with (REFS[i].key holds the new wrapping and
 * OLD_MASTER[i] the old version), so a concurrent writer is never overwritten. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_rewrapped(struct store *st,
							   const struct org_key_ref *refs,
							   const uint32_t *old_master, size_t n);

/* Crypto-shredding: destroys every version of ORG_ID's key, then checkpoints and truncates the
 * write-ahead log, so that no copy of the wrapped keys is left in the database's files (freed
 * pages are zeroed: secure_delete). Everything encrypted under them is unreadable from then on.
 * COFFER_ERR_NOT_FOUND when there was nothing to destroy. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_destroy(struct store *st, const char *org_id);

/* --- an organisation's own database: DATA/orgs/<org id>/org.db ---------------------------- */

/* Opens ORG_ID's database, creating its directory (mode 0700) and file when CREATE. */
COFFER_MUST_CHECK enum coffer_err store_org_db_open(const char *data_dir, const char *org_id,
						    bool create, struct org_db **out);
void store_org_db_close(struct org_db *odb);

/* A data key as stored: the object it belongs to (kind, id, version, level), the version of
 * the organisation key that wraps it, and the wrapped key. */
struct data_key_record {
	char kind[16 + 1];
	char object_id[STORE_ID_MAX + 1];
	uint32_t object_version;
	enum level level;
	uint32_t org_key_version;
	uint8_t wrapped[KEYWRAP_BYTES];
};

COFFER_MUST_CHECK enum coffer_err store_data_key_put(struct org_db *odb,
						     const struct data_key_record *k);
COFFER_MUST_CHECK enum coffer_err store_data_key_get(struct org_db *odb, const char *kind,
						     const char *object_id, uint32_t object_version,
						     struct data_key_record *out);

/* Up to MAX data keys wrapped by an organisation key older than ORG_KEY_VERSION; sets *N. */
COFFER_MUST_CHECK enum coffer_err store_data_keys_wrapped_before(struct org_db *odb,
								 uint32_t org_key_version,
								 struct data_key_record *out,
								 size_t max, size_t *n);

/* Replaces the wrapping of N data keys in one transaction, each only if it is still wrapped by
 * OLD_VERSION[i] (compare and set, as for organisation keys). */
COFFER_MUST_CHECK enum coffer_err store_data_keys_rewrapped(struct org_db *odb,
							    const struct data_key_record *keys,
							    const uint32_t *old_version, size_t n);

#endif
