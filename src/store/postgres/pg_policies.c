/* pg_policies.c — the login and password policies in the PostgreSQL system database (as the
 * SQLite store's policies.c): one JSON text per scope (an organisation's id, or "system"), and
 * one per member of an organisation, kept while the membership is. Checking what the JSON says
 * is the web's job; the store keeps it whole and bounded. */
#include "common/uuid.h"
#include "store/postgres/pg_store_db.h"

static bool scope_ok(const char *scope)
{
	return strcmp(scope, STORE_POLICY_SYSTEM) == 0 || uuid_valid(scope);
}

/* Where a policy's JSON goes: OUTLEN bytes at OUT. */
struct policy_out {
	char *out;
	size_t outlen;
};

static enum coffer_err read_policy(const PGresult *r, int row, void *out)
{
	const struct policy_out *p = out;
	if (pg_get_null(r, row, 0) || PQgetlength(r, row, 0) < 0)
		return COFFER_ERR_STORAGE; /* a NOT NULL column */
	size_t len = (size_t)PQgetlength(r, row, 0);
	if (len >= p->outlen)
		return COFFER_ERR_TOO_LARGE;
	return pg_get_text(r, row, 0, p->out, p->outlen) ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_policy_get(struct pg_store *st, const char *scope, char *out,
				    size_t outlen)
{
	struct policy_out p = {out, outlen};
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_row(st, "SELECT json FROM policies WHERE scope = $1", PG_ARGS(pg_text(scope)),
			  read_policy, &p);
}

enum coffer_err pg_store_policy_put(struct pg_store *st, const char *scope, const char *json,
				    int64_t now)
{
	if (!scope_ok(scope))
		return COFFER_ERR_INVALID_INPUT;
	size_t len = strnlen(json, STORE_POLICY_MAX + 1);
	if (len > STORE_POLICY_MAX)
		return COFFER_ERR_TOO_LARGE;
	/* One statement: two nodes setting it at once, the later commit is kept. */
	return pg_sys_exec(st,
			   "INSERT INTO policies (scope, json, updated_at) VALUES ($1, $2, $3) "
			   "ON CONFLICT (scope) DO UPDATE SET json = excluded.json, "
			   "updated_at = excluded.updated_at",
			   PG_ARGS(pg_text(scope), pg_text_n(json, len), pg_int(now)));
}

enum coffer_err pg_store_member_policy_get(struct pg_store *st, const char *org_id,
					   const char *user_id, char *out, size_t outlen)
{
	struct policy_out p = {out, outlen};
	return pg_sys_row(st, "SELECT json FROM member_policies WHERE org_id = $1 AND user_id = $2",
			  PG_ARGS(pg_text(org_id), pg_text(user_id)), read_policy, &p);
}

/* A member's policy: the membership (ORG_ID, USER_ID), its JSON (LEN bytes) and the time. */
struct member_policy {
	const char *org_id, *user_id, *json;
	size_t len;
	int64_t now;
};

/* Inserted from the membership row, so NOT_FOUND (no row changed) when there is none. Removing
 * a membership removes its policy in the same transaction, under PG_LOCK_PEOPLE: taking it
 * here too, and locking the membership row as it is read, keeps a policy from being written
 * for a membership that a concurrent removal takes away (which would leave it behind). */
static enum coffer_err member_put_tx(struct pg_conn *c, void *ctx)
{
	const struct member_policy *m = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = pg_change(c,
				"INSERT INTO member_policies (org_id, user_id, json, updated_at) "
				"SELECT org_id, user_id, $3::text, $4::bigint FROM memberships "
				"WHERE org_id = $1 AND user_id = $2 FOR KEY SHARE "
				"ON CONFLICT (org_id, user_id) DO UPDATE SET json = excluded.json, "
				"updated_at = excluded.updated_at",
				PG_ARGS(pg_text(m->org_id), pg_text(m->user_id),
					pg_text_n(m->json, m->len), pg_int(m->now)));
	return err;
}

enum coffer_err pg_store_member_policy_put(struct pg_store *st, const char *org_id,
					   const char *user_id, const char *json, int64_t now)
{
	struct member_policy m = {org_id, user_id, json, 0, now};
	m.len = strnlen(json, STORE_POLICY_MAX + 1);
	if (m.len > STORE_POLICY_MAX)
		return COFFER_ERR_TOO_LARGE;
	return pg_sys_tx(st, member_put_tx, &m);
}
