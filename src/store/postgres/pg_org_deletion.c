/* pg_org_deletion.c — an organisation's deletion in the PostgreSQL system database: asked for,
 * taken back, begun, and its last rows removed (store.h, "deleting an organisation"; the
 * SQLite store's org_deletion.c). Every write takes PG_LOCK_ORG_KEYS, the lock of the
 * organisations' rows, so two nodes never race one deletion. */
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_store_db.h"
#include "store/sqlite/sqlite_store.h" /* the node's own directory of the organisation */

struct deletion {
	const char *org_id, *requested_by;
	int64_t now, delete_after;
};

static enum coffer_err read_nothing(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	(void)out;
	return COFFER_OK;
}

static enum coffer_err org_exists(struct pg_conn *c, const char *org_id)
{
	return pg_row(c, "SELECT 1 FROM orgs WHERE id = $1", PG_ARGS(pg_text(org_id)), read_nothing,
		      NULL);
}

static enum coffer_err request_tx(struct pg_conn *c, void *ctx)
{
	const struct deletion *d = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_ORG_KEYS);
	if (err == COFFER_OK)
		err = org_exists(c, d->org_id);
	if (err == COFFER_OK &&
	    pg_row(c, "SELECT 1 FROM org_deletions WHERE org_id = $1", PG_ARGS(pg_text(d->org_id)),
		   read_nothing, NULL) == COFFER_OK)
		err = COFFER_ERR_EXISTS;
	if (err == COFFER_OK)
		err =
		    pg_exec(c,
			    "INSERT INTO org_deletions (org_id, state, requested_at, requested_by, "
			    "delete_after) VALUES ($1, 'deleting', $2, $3, $4)",
			    PG_ARGS(pg_text(d->org_id), pg_int(d->now), pg_text(d->requested_by),
				    pg_int(d->delete_after)));
	return err;
}

enum coffer_err pg_store_org_deletion_request(struct pg_store *st, const char *org_id,
					      const char *requested_by, int64_t now,
					      int64_t delete_after)
{
	struct deletion d = {org_id, requested_by, now, delete_after};
	return pg_sys_tx(st, request_tx, &d);
}

static enum coffer_err cancel_tx(struct pg_conn *c, void *ctx)
{
	const char *org_id = ((const struct deletion *)ctx)->org_id;
	enum coffer_err err = pg_lock(c, PG_LOCK_ORG_KEYS);
	if (err == COFFER_OK)
		err = pg_change(
		    c, "DELETE FROM org_deletions WHERE org_id = $1 AND state = 'deleting'",
		    PG_ARGS(pg_text(org_id)));
	if (err == COFFER_ERR_NOT_FOUND &&
	    pg_row(c, "SELECT 1 FROM org_deletions WHERE org_id = $1", PG_ARGS(pg_text(org_id)),
		   read_nothing, NULL) == COFFER_OK)
		err = COFFER_ERR_ORG_DELETING; /* shredding: it only goes forward */
	return err;
}

enum coffer_err pg_store_org_deletion_cancel(struct pg_store *st, const char *org_id)
{
	struct deletion d = {.org_id = org_id};
	return pg_sys_tx(st, cancel_tx, &d);
}

static enum coffer_err begin_tx(struct pg_conn *c, void *ctx)
{
	const struct deletion *d = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_ORG_KEYS);
	if (err == COFFER_OK)
		err = org_exists(c, d->org_id);
	if (err == COFFER_OK)
		err =
		    pg_exec(c,
			    "INSERT INTO org_deletions (org_id, state, requested_at, requested_by, "
			    "delete_after) VALUES ($1, 'shredding', $2, $3, $2) "
			    "ON CONFLICT (org_id) DO UPDATE SET state = 'shredding'",
			    PG_ARGS(pg_text(d->org_id), pg_int(d->now), pg_text(d->requested_by)));
	return err;
}

enum coffer_err pg_store_org_shred_begin(struct pg_store *st, const char *org_id,
					 const char *requested_by, int64_t now)
{
	struct deletion d = {org_id, requested_by, now, now};
	return pg_sys_tx(st, begin_tx, &d);
}

static enum coffer_err read_id(const PGresult *r, int row, void *out)
{
	return pg_get_text(r, row, 0, out, STORE_ID_MAX + 1) ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_orgs_deletion_due(struct pg_store *st, int64_t now,
					   char (*ids)[STORE_ID_MAX + 1], size_t max, size_t *n)
{
	return pg_sys_rows(
	    st,
	    "SELECT org_id FROM org_deletions WHERE state = 'shredding' OR "
	    "delete_after <= $1 ORDER BY delete_after, org_id COLLATE \"C\" LIMIT $2",
	    PG_ARGS(pg_int(now), pg_int((int64_t)max)), read_id, ids, sizeof *ids, max, n);
}

/* Every table that names an organisation, the organisation's own row last (the others refer to
 * it). Users stay: their other memberships, and their sign-in, are theirs. */
static const char *const remove_sql[] = {
    "DELETE FROM memberships WHERE org_id = $1",
    "DELETE FROM member_policies WHERE org_id = $1",
    "DELETE FROM resets WHERE org_id = $1",
    "DELETE FROM notices WHERE org_id = $1",
    "DELETE FROM invites WHERE org_id = $1",
    "DELETE FROM policies WHERE scope = $1",
    "DELETE FROM audit_checkpoints WHERE chain = $1",
    "DELETE FROM org_keys WHERE org_id = $1",
    "DELETE FROM org_deletions WHERE org_id = $1",
};

static enum coffer_err remove_tx(struct pg_conn *c, void *ctx)
{
	const char *org_id = ((const struct deletion *)ctx)->org_id;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = pg_lock(c, PG_LOCK_ORG_KEYS);
	for (size_t i = 0; err == COFFER_OK && i < sizeof remove_sql / sizeof remove_sql[0]; i++)
		err = pg_exec(c, remove_sql[i], PG_ARGS(pg_text(org_id)));
	if (err == COFFER_OK)
		err = pg_change(c, "DELETE FROM orgs WHERE id = $1", PG_ARGS(pg_text(org_id)));
	return err;
}

enum coffer_err pg_store_org_remove(struct pg_store *st, const char *org_id)
{
	struct deletion d = {.org_id = org_id};
	return pg_sys_tx(st, remove_tx, &d);
}

enum coffer_err pg_store_org_db_drop(struct pg_store *st, const char *org_id)
{
	enum coffer_err err = pg_org_db_drop(st->pool, org_id);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK;
	/* This node's DATA/orgs/<org id>/ (the emptied blobs/ of the file blob store) goes too. */
	if (err == COFFER_OK)
		err = sqlite_store_org_db_remove(st->data_dir, org_id);
	return err;
}
