/* policies.c — the login and password policies in the embedded system database: one JSON text
 * per scope (an organisation's id, or "system"). Checking what the JSON says is the web's job;
 * the store keeps it whole and bounded. */
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static bool scope_ok(const char *scope)
{
	return strcmp(scope, STORE_POLICY_SYSTEM) == 0 || uuid_valid(scope);
}

enum coffer_err store_policy_get(struct store *st, const char *scope, char *out, size_t outlen)
{
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, "SELECT json FROM policies WHERE scope = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			err = COFFER_ERR_NOT_FOUND;
		else if (rc != SQLITE_ROW)
			err = db_err(rc);
	}
	if (err == COFFER_OK) {
		const unsigned char *json = sqlite3_column_text(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		if (json == NULL)
			err = COFFER_ERR_NOMEM; /* NOT NULL column: only a failed conversion */
		else if (len >= outlen)
			err = COFFER_ERR_TOO_LARGE;
		else
			memcpy(out, json, len + 1); /* sqlite3_column_text ends it with a NUL */
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_policy_put(struct store *st, const char *scope, const char *json, int64_t now)
{
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	size_t len = strnlen(json, STORE_POLICY_MAX + 1);
	if (len > STORE_POLICY_MAX)
		return COFFER_ERR_TOO_LARGE;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "INSERT INTO policies (scope, json, updated_at) VALUES "
					 "(?1, ?2, ?3) ON CONFLICT (scope) DO UPDATE SET "
					 "json = excluded.json, updated_at = excluded.updated_at",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, json, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, now);
		err = db_step_done(s);
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}
