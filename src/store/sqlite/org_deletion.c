/* org_deletion.c — an organisation's deletion in the embedded system database: asked for,
 * taken back, begun, and its last rows removed (store.h, "deleting an organisation"). */
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

struct deletion {
	const char *org_id, *requested_by;
	int64_t now, delete_after;
};

static enum coffer_err request_tx(sqlite3 *db, void *ctx)
{
	const struct deletion *d = ctx;
	enum coffer_err err =
	    db_row(db, "SELECT 1 FROM orgs WHERE id = ?", DB_ARGS(db_text(d->org_id)), NULL, NULL);
	if (err == COFFER_OK && db_row(db, "SELECT 1 FROM org_deletions WHERE org_id = ?",
				       DB_ARGS(db_text(d->org_id)), NULL, NULL) == COFFER_OK)
		err = COFFER_ERR_EXISTS;
	if (err == COFFER_OK)
		err =
		    db_exec(db,
			    "INSERT INTO org_deletions (org_id, state, requested_at, requested_by, "
			    "delete_after) VALUES (?, 'deleting', ?, ?, ?)",
			    DB_ARGS(db_text(d->org_id), db_int(d->now), db_text(d->requested_by),
				    db_int(d->delete_after)));
	return err;
}

enum coffer_err sqlite_store_org_deletion_request(struct sqlite_store *st, const char *org_id,
						  const char *requested_by, int64_t now,
						  int64_t delete_after)
{
	struct deletion d = {org_id, requested_by, now, delete_after};
	return db_pool_write(&st->pool, request_tx, &d);
}

static enum coffer_err cancel_tx(sqlite3 *db, void *ctx)
{
	const char *org_id = ((const struct deletion *)ctx)->org_id;
	enum coffer_err err =
	    db_change(db, "DELETE FROM org_deletions WHERE org_id = ? AND state = 'deleting'",
		      DB_ARGS(db_text(org_id)));
	if (err == COFFER_ERR_NOT_FOUND &&
	    db_row(db, "SELECT 1 FROM org_deletions WHERE org_id = ?", DB_ARGS(db_text(org_id)),
		   NULL, NULL) == COFFER_OK)
		err = COFFER_ERR_ORG_DELETING; /* shredding: it only goes forward */
	return err;
}

enum coffer_err sqlite_store_org_deletion_cancel(struct sqlite_store *st, const char *org_id)
{
	struct deletion d = {.org_id = org_id};
	return db_pool_write(&st->pool, cancel_tx, &d);
}

static enum coffer_err begin_tx(sqlite3 *db, void *ctx)
{
	const struct deletion *d = ctx;
	enum coffer_err err =
	    db_row(db, "SELECT 1 FROM orgs WHERE id = ?", DB_ARGS(db_text(d->org_id)), NULL, NULL);
	if (err == COFFER_OK)
		err =
		    db_exec(db,
			    "INSERT INTO org_deletions (org_id, state, requested_at, requested_by, "
			    "delete_after) VALUES (?1, 'shredding', ?2, ?3, ?2) "
			    "ON CONFLICT (org_id) DO UPDATE SET state = 'shredding'",
			    DB_ARGS(db_text(d->org_id), db_int(d->now), db_text(d->requested_by)));
	return err;
}

enum coffer_err sqlite_store_org_shred_begin(struct sqlite_store *st, const char *org_id,
					     const char *requested_by, int64_t now)
{
	struct deletion d = {org_id, requested_by, now, now};
	return db_pool_write(&st->pool, begin_tx, &d);
}

static enum coffer_err read_id(sqlite3_stmt *s, void *out)
{
	db_column_text(s, 0, out, STORE_ID_MAX + 1);
	return COFFER_OK;
}

enum coffer_err sqlite_store_orgs_deletion_due(struct sqlite_store *st, int64_t now,
					       char (*ids)[STORE_ID_MAX + 1], size_t max, size_t *n)
{
	return db_pool_rows(&st->pool,
			    "SELECT org_id FROM org_deletions WHERE state = 'shredding' OR "
			    "delete_after <= ? ORDER BY delete_after, org_id",
			    DB_ARGS(db_int(now)), read_id, (struct db_items){ids, sizeof *ids, max},
			    n, NULL);
}

/* Every table that names an organisation, the organisation's own row last (the others refer to
 * it). Users stay: their other memberships, and their sign-in, are theirs. */
static const char *const remove_sql[] = {
    "DELETE FROM memberships WHERE org_id = ?1",
    "DELETE FROM member_policies WHERE org_id = ?1",
    "DELETE FROM resets WHERE org_id = ?1",
    "DELETE FROM notices WHERE org_id = ?1",
    "DELETE FROM invites WHERE org_id = ?1",
    "DELETE FROM policies WHERE scope = ?1",
    "DELETE FROM audit_checkpoints WHERE chain = ?1",
    "DELETE FROM org_keys WHERE org_id = ?1",
    "DELETE FROM org_deletions WHERE org_id = ?1",
};

static enum coffer_err remove_tx(sqlite3 *db, void *ctx)
{
	const char *org_id = ((const struct deletion *)ctx)->org_id;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < sizeof remove_sql / sizeof remove_sql[0]; i++)
		err = db_exec(db, remove_sql[i], DB_ARGS(db_text(org_id)));
	if (err == COFFER_OK)
		err = db_change(db, "DELETE FROM orgs WHERE id = ?", DB_ARGS(db_text(org_id)));
	return err;
}

enum coffer_err sqlite_store_org_remove(struct sqlite_store *st, const char *org_id)
{
	struct deletion d = {.org_id = org_id};
	return db_pool_write(&st->pool, remove_tx, &d);
}
