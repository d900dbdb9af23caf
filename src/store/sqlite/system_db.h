/* system_db.h — the embedded system store's insides, shared by the files that query it
 * (system.c: schema and invites; org_keys.c; users.c; members.c; resets.c; notices.c;
 * sessions.c; throttle.c; policies.c; audit.c). Nothing outside src/store/sqlite/ includes
 * this. */
#ifndef COFFER_SQLITE_SYSTEM_DB_H
#define COFFER_SQLITE_SYSTEM_DB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/handle.h"
#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/account_rules.h" /* user_account_ok, shared with the PostgreSQL store */

/* True when the char array FIELD of a record holds its NUL: bound as text, it is never read
 * past its end. */
#define FIELD_TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

struct sqlite_store {
	struct store pub; /* the caller's handle (handle.h) */
	struct db_pool pool;
	char data_dir[PATH_MAX]; /* where the system chain's checkpoint file is */
};

/* sessions.c: sqlite_store_session_get on DB, inside the caller's read transaction (users.c's
 * sqlite_store_caller_get). */
COFFER_MUST_CHECK enum coffer_err sqlite_session_read(sqlite3 *db, const struct token_hash *h,
						      int64_t now, int64_t idle_ttl,
						      struct session_record *out);

/* policies.c: the policy of ORG->org_id and USER_ID's member policy there into ORG, inside
 * the caller's read transaction (users.c's sqlite_store_caller_get). */
COFFER_MUST_CHECK enum coffer_err sqlite_caller_policies_read(sqlite3 *db, const char *user_id,
							      struct caller_org_read *org);

/* org_keys.c: the newest key of ORG_ID (as sqlite_store_org_key_newest) on DB, inside the
 * caller's transaction. */
COFFER_MUST_CHECK enum coffer_err sqlite_org_key_newest_read(sqlite3 *db, const char *org_id,
							     struct org_key_record *out);

/* users.c, for the other writes to a user inside their transactions. */

/* Replaces USER_ID's sealed account and moves its account_version on (and its
 * password_changed_at to NOW when NEW_PASSWORD); COFFER_ERR_NOT_FOUND for no such user. */
COFFER_MUST_CHECK enum coffer_err user_account_replace(sqlite3 *db, const char *user_id,
						       const uint8_t *account, size_t account_len,
						       bool new_password, int64_t now);

/* Founds, at NOW, every not yet founded organisation where USER_ID is an org_admin, if the
 * user is active. */
COFFER_MUST_CHECK enum coffer_err user_found_orgs(sqlite3 *db, const char *user_id, int64_t now);

/* audit_checkpoints.c: stores an organisation's checkpoint CP inside the caller's write
 * transaction, unless the one stored is further along. */
struct audit_checkpoint;
COFFER_MUST_CHECK enum coffer_err audit_checkpoint_put_row(sqlite3 *db,
							   const struct audit_checkpoint *cp);

#endif
