/* policies.c — the login and password policies in the embedded system database: one JSON text
 * per scope (an organisation's id, or "system"), and one per member of an organisation (kept
 * while the membership is: removing it removes the policy). Checking what the JSON says is the
 * web's job; the store keeps it whole and bounded. */
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static bool scope_ok(const char *scope)
{
	return strcmp(scope, STORE_POLICY_SYSTEM) == 0 || uuid_valid(scope);
}

/* Where a policy's JSON goes: OUTLEN bytes at OUT. */
struct policy_out {
	char *out;
	size_t outlen;
};

static enum coffer_err read_policy(sqlite3_stmt *s, void *out)
{
	const struct policy_out *p = out;
	const unsigned char *json = sqlite3_column_text(s, 0);
	size_t len = (size_t)sqlite3_column_bytes(s, 0);
	if (json == NULL)
		return COFFER_ERR_NOMEM; /* NOT NULL column: only a failed conversion */
	if (len >= p->outlen)
		return COFFER_ERR_TOO_LARGE;
	memcpy(p->out, json, len + 1); /* sqlite3_column_text ends it with a NUL */
	return COFFER_OK;
}

enum coffer_err sqlite_store_policy_get(struct sqlite_store *st, const char *scope, char *out,
					size_t outlen)
{
	struct policy_out p = {out, outlen};
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_row(&st->pool, "SELECT json FROM policies WHERE scope = ?",
			   DB_ARGS(db_text(scope)), read_policy, &p);
}

/* One policy's JSON into OUT (STORE_POLICY_MAX + 1 bytes); *HAS false when none is stored. */
static enum coffer_err read_one(sqlite3 *db, const char *sql, struct db_args args, char *out,
				bool *has)
{
	struct policy_out p = {out, STORE_POLICY_MAX + 1};
	enum coffer_err err = db_row(db, sql, args, read_policy, &p);
	*has = err == COFFER_OK;
	return err == COFFER_ERR_NOT_FOUND ? COFFER_OK : err;
}

enum coffer_err sqlite_caller_policies_read(sqlite3 *db, const char *user_id,
					    struct caller_org_read *org)
{
	enum coffer_err err =
	    read_one(db, "SELECT json FROM policies WHERE scope = ?", DB_ARGS(db_text(org->org_id)),
		     org->policy, &org->has_policy);
	if (err == COFFER_OK)
		err = read_one(db,
			       "SELECT json FROM member_policies WHERE org_id = ? AND user_id = ?",
			       DB_ARGS(db_text(org->org_id), db_text(user_id)), org->member_policy,
			       &org->has_member_policy);
	return err;
}

enum coffer_err sqlite_store_policy_put(struct sqlite_store *st, const char *scope,
					const char *json, int64_t now)
{
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	size_t len = strnlen(json, STORE_POLICY_MAX + 1);
	if (len > STORE_POLICY_MAX)
		return COFFER_ERR_TOO_LARGE;
	return db_pool_exec(&st->pool,
			    "INSERT INTO policies (scope, json, updated_at) VALUES (?1, ?2, ?3) "
			    "ON CONFLICT (scope) DO UPDATE SET json = excluded.json, "
			    "updated_at = excluded.updated_at",
			    DB_ARGS(db_text(scope), db_text_n(json, len), db_int(now)));
}

enum coffer_err sqlite_store_member_policy_get(struct sqlite_store *st, const char *org_id,
					       const char *user_id, char *out, size_t outlen)
{
	struct policy_out p = {out, outlen};
	return db_pool_row(&st->pool,
			   "SELECT json FROM member_policies WHERE org_id = ? AND user_id = ?",
			   DB_ARGS(db_text(org_id), db_text(user_id)), read_policy, &p);
}

enum coffer_err sqlite_store_member_policy_put(struct sqlite_store *st, const char *org_id,
					       const char *user_id, const char *json, int64_t now)
{
	size_t len = strnlen(json, STORE_POLICY_MAX + 1);
	if (len > STORE_POLICY_MAX)
		return COFFER_ERR_TOO_LARGE;
	/* Inserted from the membership row, so NOT_FOUND (no row changed) when there is none;
	 * the WHERE also keeps the upsert's ON CONFLICT from being read as a join's ON. */
	return db_pool_change(
	    &st->pool,
	    "INSERT INTO member_policies (org_id, user_id, json, updated_at) "
	    "SELECT org_id, user_id, ?3, ?4 FROM memberships "
	    "WHERE org_id = ?1 AND user_id = ?2 "
	    "ON CONFLICT (org_id, user_id) DO UPDATE SET json = excluded.json, "
	    "updated_at = excluded.updated_at",
	    DB_ARGS(db_text(org_id), db_text(user_id), db_text_n(json, len), db_int(now)));
}
