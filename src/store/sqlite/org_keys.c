/* org_keys.c — organisations and the versions of their keys in the embedded system database. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static void bind_key(sqlite3_stmt *s, int first, const char *org_id, const struct org_key_record *k,
		     int64_t now)
{
	sqlite3_bind_text(s, first, org_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 1, k->version);
	sqlite3_bind_int64(s, first + 2, k->master_version);
	sqlite3_bind_blob(s, first + 3, k->wrapped, KEYWRAP_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 4, now);
}

static const char insert_key_sql[] = "INSERT INTO org_keys (org_id, version, master_version, "
				     "wrapped, created_at) VALUES (?,?,?,?,?)";

enum coffer_err store_org_create(struct store *st, const char *org_id, const char *name,
				 const struct org_key_record *key, int64_t now)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *org = NULL, *k = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err =
		    db_prepare(db, "INSERT INTO orgs (id, name, created_at) VALUES (?,?,?)", &org);
	if (err == COFFER_OK) {
		sqlite3_bind_text(org, 1, org_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(org, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(org, 3, now);
		err = db_step_done(org);
	}
	if (err == COFFER_OK)
		err = db_prepare(db, insert_key_sql, &k);
	if (err == COFFER_OK) {
		bind_key(k, 1, org_id, key, now);
		err = db_step_done(k);
	}
	db_finish(org);
	db_finish(k);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err; /* COFFER_ERR_EXISTS for a clash of id or name */
}

/* Reads one key row: version, master_version, wrapped. */
static enum coffer_err read_key(sqlite3_stmt *s, struct org_key_record *out)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return COFFER_ERR_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return db_err(rc);
	out->version = (uint32_t)sqlite3_column_int64(s, 0);
	out->master_version = (uint32_t)sqlite3_column_int64(s, 1);
	return db_column_blob(s, 2, out->wrapped, KEYWRAP_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

static enum coffer_err key_query(struct store *st, const char *sql, const char *org_id,
				 uint32_t version, struct org_key_record *out)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, org_id, -1, SQLITE_STATIC);
		if (version > 0)
			sqlite3_bind_int64(s, 2, version);
		err = read_key(s, out);
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_org_key_newest(struct store *st, const char *org_id,
				     struct org_key_record *out)
{
	return key_query(st,
			 "SELECT version, master_version, wrapped FROM org_keys WHERE org_id = ? "
			 "ORDER BY version DESC LIMIT 1",
			 org_id, 0, out);
}

enum coffer_err store_org_key_get(struct store *st, const char *org_id, uint32_t version,
				  struct org_key_record *out)
{
	if (version == 0)
		return COFFER_ERR_NOT_FOUND;
	return key_query(st,
			 "SELECT version, master_version, wrapped FROM org_keys WHERE org_id = ? "
			 "AND version = ?",
			 org_id, version, out);
}

enum coffer_err store_org_key_add(struct store *st, const char *org_id,
				  const struct org_key_record *key, int64_t now)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *q = NULL, *ins = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db, "SELECT max(version) FROM org_keys WHERE org_id = ?", &q);
	if (err == COFFER_OK) {
		sqlite3_bind_text(q, 1, org_id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc != SQLITE_ROW)
			err = db_err(rc);
		else if (sqlite3_column_type(q, 0) == SQLITE_NULL)
			err = COFFER_ERR_NOT_FOUND;
		else if ((uint64_t)sqlite3_column_int64(q, 0) + 1 != key->version)
			err = COFFER_ERR_VERSION_CONFLICT;
	}
	if (err == COFFER_OK)
		err = db_prepare(db, insert_key_sql, &ins);
	if (err == COFFER_OK) {
		bind_key(ins, 1, org_id, key, now);
		err = db_step_done(ins);
	}
	db_finish(q);
	db_finish(ins);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_org_keys_wrapped_before(struct store *st, uint32_t master_version,
					      struct org_key_ref *out, size_t max, size_t *n)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	*n = 0;
	enum coffer_err err = db_prepare(db,
					 "SELECT version, master_version, wrapped, org_id FROM "
					 "org_keys WHERE master_version < ? "
					 "ORDER BY org_id, version LIMIT ?",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, master_version);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
		while (*n < max && (err = read_key(s, &out[*n].key)) == COFFER_OK) {
			db_column_text(s, 3, out[*n].org_id, sizeof out[*n].org_id);
			(*n)++;
		}
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK;
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_org_keys_rewrapped(struct store *st, const struct org_key_ref *refs,
					 const uint32_t *old_master, size_t n)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE org_keys SET wrapped = ?, master_version = ? "
				 "WHERE org_id = ? AND version = ? AND master_version = ?",
				 &s);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, refs[i].key.wrapped, KEYWRAP_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, refs[i].key.master_version);
		sqlite3_bind_text(s, 3, refs[i].org_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, refs[i].key.version);
		sqlite3_bind_int64(s, 5, old_master[i]);
		err = db_step_done(s);
	}
	db_finish(s);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_org_keys_destroy(struct store *st, const char *org_id)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, "DELETE FROM org_keys WHERE org_id = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, org_id, -1, SQLITE_STATIC);
		err = db_step_done(s);
		if (err == COFFER_OK && sqlite3_changes(db) == 0)
			err = COFFER_ERR_NOT_FOUND;
	}
	db_finish(s);
	/* The deleted rows' pages are zeroed in the new versions (secure_delete), but the old
	 * versions still sit in the write-ahead log until it is checkpointed and cut back. Done
	 * even when nothing was deleted, so that a retry after a failed checkpoint finishes it. */
	if (err == COFFER_OK || err == COFFER_ERR_NOT_FOUND) {
		enum coffer_err cp = db_err(
		    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL));
		if (cp != COFFER_OK)
			err = cp;
	}
	db_pool_put(&st->pool, db);
	return err;
}

/* Reads one organisation row: id, name, created_at. */
static void read_org(sqlite3_stmt *s, struct org_record *out)
{
	db_column_text(s, 0, out->id, sizeof out->id);
	db_column_text(s, 1, out->name, sizeof out->name);
	out->created_at = sqlite3_column_int64(s, 2);
}

enum coffer_err store_org_get(struct store *st, const char *org_id, struct org_record *out)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err =
	    db_prepare(db, "SELECT id, name, created_at FROM orgs WHERE id = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, org_id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			read_org(s, out);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_orgs_list(struct store *st, struct org_record **out, size_t *n)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	struct org_record *list = NULL;
	size_t len = 0, cap = 0;
	int rc = SQLITE_DONE;
	enum coffer_err err =
	    db_prepare(db, "SELECT id, name, created_at FROM orgs ORDER BY name, id", &s);
	while (err == COFFER_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct org_record *grown = reallocarray(list, ncap, sizeof *list);
			if (grown == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			list = grown;
			cap = ncap;
		}
		read_org(s, &list[len++]);
	}
	if (err == COFFER_OK && rc != SQLITE_DONE)
		err = db_err(rc);
	db_finish(s);
	db_pool_put(&st->pool, db);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = len;
	return COFFER_OK;
}
