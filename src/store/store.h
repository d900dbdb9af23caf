/* store.h — the storage interface. Narrow and free of SQLite types, so that the PostgreSQL
 * implementation (a later issue) can sit behind the same calls.
 *
 * Every call that changes data is one transaction, committed durably before it returns.
 */
#ifndef COFFER_STORE_H
#define COFFER_STORE_H

#include <stdint.h>

#include "common/email.h"
#include "common/err.h"
#include "crypto/token.h"

struct store;

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

#endif
