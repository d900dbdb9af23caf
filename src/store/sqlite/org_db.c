/* org_db.c — an organisation's own embedded database, DATA/orgs/<org id>/org.db: its data keys
 * now; its records, files and audit chain as later steps of the same schema. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/uuid.h"
#include "store/sqlite/db.h"
#include "store/store.h"

#define ORG_POOL_SIZE 4

struct org_db {
	struct db_pool pool;
};

/* Append-only: a deployed database has had every step up to its user_version. */
static const struct db_migration org_schema[] = {
	/* 1: one data key per object version, wrapped by a version of the organisation's key. */
	{"CREATE TABLE data_keys ("
	 " kind TEXT NOT NULL CHECK (kind IN ('record', 'file')),"
	 " object_id TEXT NOT NULL CHECK (length(object_id) = 36),"
	 " object_version INTEGER NOT NULL CHECK (object_version >= 1),"
	 " level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),"
	 " org_key_version INTEGER NOT NULL CHECK (org_key_version >= 1),"
	 " wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
	 " PRIMARY KEY (kind, object_id, object_version)"
	 ") STRICT;"
	 "CREATE INDEX data_keys_by_org_key ON data_keys (org_key_version);"},
};

#define N_STEPS (sizeof org_schema / sizeof org_schema[0])

/* mkdir that accepts an existing directory. */
static enum coffer_err ensure_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return COFFER_OK;
	return COFFER_ERR_IO;
}

enum coffer_err store_org_db_open(const char *data_dir, const char *org_id, bool create,
				  struct org_db **out)
{
	char orgs[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	sqlite3 *db = NULL;
	if (!uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT; /* never a path of the caller's choosing */
	if (snprintf(orgs, sizeof orgs, "%s/orgs", data_dir) >= (int)sizeof orgs ||
	    snprintf(dir, sizeof dir, "%s/%s", orgs, org_id) >= (int)sizeof dir ||
	    snprintf(path, sizeof path, "%s/org.db", dir) >= (int)sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = COFFER_OK;
	if (create) {
		err = ensure_dir(orgs);
		if (err == COFFER_OK)
			err = ensure_dir(dir);
		if (err == COFFER_OK)
			err = dir_fsync(orgs);
		if (err == COFFER_OK)
			err = dir_fsync(data_dir);
	}
	if (err == COFFER_OK)
		err = db_open(path, create, &db);
	if (err == COFFER_OK)
		err = db_migrate(db, org_schema, N_STEPS);
	if (db != NULL)
		sqlite3_close(db);
	if (err == COFFER_OK && create)
		err = dir_fsync(dir);
	if (err != COFFER_OK)
		return err;
	struct org_db *odb = calloc(1, sizeof *odb);
	if (odb == NULL)
		return COFFER_ERR_NOMEM;
	err = db_pool_open(&odb->pool, path, ORG_POOL_SIZE);
	if (err != COFFER_OK) {
		free(odb);
		return err;
	}
	*out = odb;
	return COFFER_OK;
}

void store_org_db_close(struct org_db *odb)
{
	if (odb == NULL)
		return;
	db_pool_close(&odb->pool);
	free(odb);
}

enum coffer_err store_data_key_put(struct org_db *odb, const struct data_key_record *k)
{
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "INSERT INTO data_keys (kind, object_id, object_version, "
					 "level, org_key_version, wrapped) VALUES (?,?,?,?,?,?)",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, k->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, k->object_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, k->object_version);
		sqlite3_bind_int(s, 4, (int)k->level);
		sqlite3_bind_int64(s, 5, k->org_key_version);
		sqlite3_bind_blob(s, 6, k->wrapped, KEYWRAP_BYTES, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		err = rc == SQLITE_DONE ? COFFER_OK : db_err(rc);
	}
	sqlite3_finalize(s);
	db_pool_put(&odb->pool, db);
	return err;
}

#define DATA_KEY_COLUMNS "kind, object_id, object_version, level, org_key_version, wrapped"

/* Reads the row S is on (columns as DATA_KEY_COLUMNS). */
static enum coffer_err read_row(sqlite3_stmt *s, struct data_key_record *out)
{
	db_column_text(s, 0, out->kind, sizeof out->kind);
	db_column_text(s, 1, out->object_id, sizeof out->object_id);
	out->object_version = (uint32_t)sqlite3_column_int64(s, 2);
	out->level = (enum level)sqlite3_column_int(s, 3);
	out->org_key_version = (uint32_t)sqlite3_column_int64(s, 4);
	return db_column_blob(s, 5, out->wrapped, KEYWRAP_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err store_data_key_get(struct org_db *odb, const char *kind, const char *object_id,
				   uint32_t object_version, struct data_key_record *out)
{
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "SELECT " DATA_KEY_COLUMNS " FROM data_keys WHERE "
					 "kind = ? AND object_id = ? AND object_version = ?",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, object_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, object_version);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			err = read_row(s, out);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	sqlite3_finalize(s);
	db_pool_put(&odb->pool, db);
	return err;
}

enum coffer_err store_data_keys_wrapped_before(struct org_db *odb, uint32_t org_key_version,
					       struct data_key_record *out, size_t max, size_t *n)
{
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	*n = 0;
	enum coffer_err err = db_prepare(db,
					 "SELECT " DATA_KEY_COLUMNS " FROM data_keys WHERE "
					 "org_key_version < ? ORDER BY kind, object_id, "
					 "object_version LIMIT ?",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, org_key_version);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
		int rc;
		while (err == COFFER_OK && *n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			err = read_row(s, &out[*n]);
			(*n)++;
		}
		if (err == COFFER_OK && *n < max && rc != SQLITE_DONE)
			err = db_err(rc);
	}
	sqlite3_finalize(s);
	db_pool_put(&odb->pool, db);
	return err;
}

enum coffer_err store_data_keys_rewrapped(struct org_db *odb, const struct data_key_record *keys,
					  const uint32_t *old_version, size_t n)
{
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE data_keys SET wrapped = ?, org_key_version = ? WHERE "
				 "kind = ? AND object_id = ? AND object_version = ? AND "
				 "org_key_version = ?",
				 &s);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, keys[i].wrapped, KEYWRAP_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, keys[i].org_key_version);
		sqlite3_bind_text(s, 3, keys[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, keys[i].object_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, keys[i].object_version);
		sqlite3_bind_int64(s, 6, old_version[i]);
		int rc = sqlite3_step(s);
		err = rc == SQLITE_DONE ? COFFER_OK : db_err(rc);
	}
	sqlite3_finalize(s);
	err = db_end(db, err);
	db_pool_put(&odb->pool, db);
	return err;
}
