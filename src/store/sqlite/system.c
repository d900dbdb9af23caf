/* system.c — the embedded system database (DATA/system.db): schema and queries. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

#define SYSTEM_DB_NAME "system.db"
#define POOL_SIZE 8


/* Append-only: a deployed database has had every step up to its user_version. */
static const struct db_migration system_schema[] = {
	{"CREATE TABLE invites ("
	 " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	 " email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),"
	 " role TEXT NOT NULL CHECK (role IN ('sysadmin', 'member', 'org_admin')),"
	 " org_id TEXT,"
	 " clearance TEXT CHECK (clearance IS NULL OR"
	 "   clearance IN ('public', 'internal', 'confidential', 'restricted')),"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " used_at INTEGER"
	 ") STRICT;"},
	/* 2: organisations and the versions of their keys, each wrapped by a master key version. */
	{"CREATE TABLE orgs ("
	 " id TEXT PRIMARY KEY CHECK (length(id) = 36),"
	 " name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 800),"
	 " created_at INTEGER NOT NULL"
	 ") STRICT;"
	 "CREATE TABLE org_keys ("
	 " org_id TEXT NOT NULL REFERENCES orgs (id),"
	 " version INTEGER NOT NULL CHECK (version >= 1),"
	 " master_version INTEGER NOT NULL CHECK (master_version >= 1),"
	 " wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
	 " created_at INTEGER NOT NULL,"
	 " PRIMARY KEY (org_id, version)"
	 ") STRICT;"
	 "CREATE INDEX org_keys_by_master ON org_keys (master_version);"},
};

#define N_STEPS (sizeof system_schema / sizeof system_schema[0])

static enum coffer_err db_path(const char *data_dir, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", data_dir, SYSTEM_DB_NAME) >= PATH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err store_system_create(const char *data_dir)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	enum coffer_err err = db_path(data_dir, path);
	if (err != COFFER_OK)
		return err;
	if (access(path, F_OK) == 0)
		return COFFER_ERR_EXISTS;
	err = db_open(path, true, &db);
	if (err == COFFER_OK)
		err = db_migrate(db, system_schema, N_STEPS);
	if (db != NULL && sqlite3_close(db) != SQLITE_OK && err == COFFER_OK)
		err = COFFER_ERR_STORAGE;
	if (err == COFFER_OK)
		err = dir_fsync(data_dir);
	return err;
}

enum coffer_err store_system_open(const char *data_dir, struct store **out)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	enum coffer_err err = db_path(data_dir, path);
	if (err != COFFER_OK)
		return err;
	err = db_open(path, false, &db);
	if (err != COFFER_OK)
		return err;
	err = db_migrate(db, system_schema, N_STEPS);
	sqlite3_close(db);
	if (err != COFFER_OK)
		return err;
	struct store *st = calloc(1, sizeof *st);
	if (st == NULL)
		return COFFER_ERR_NOMEM;
	err = db_pool_open(&st->pool, path, POOL_SIZE);
	if (err != COFFER_OK) {
		free(st);
		return err;
	}
	*out = st;
	return COFFER_OK;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_pool_close(&st->pool);
	free(st);
}

static int bind_text_or_null(sqlite3_stmt *s, int idx, const char *text)
{
	if (text[0] == '\0')
		return sqlite3_bind_null(s, idx);
	return sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
}

enum coffer_err store_invite_add(struct store *st, const struct token_hash *h,
				 const struct invite_record *inv)
{
	static const char sql[] = "INSERT INTO invites (token_hash, email, role, org_id, "
				  "clearance, created_at, expires_at) VALUES (?,?,?,?,?,?,?)";
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(s, 1, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, inv->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, inv->role, -1, SQLITE_STATIC);
		bind_text_or_null(s, 4, inv->org_id);
		bind_text_or_null(s, 5, inv->clearance);
		sqlite3_bind_int64(s, 6, inv->created_at);
		sqlite3_bind_int64(s, 7, inv->expires_at);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	db_pool_put(&st->pool, db);
	return rc == SQLITE_DONE ? COFFER_OK : db_err(rc);
}

enum coffer_err store_invite_get(struct store *st, const struct token_hash *h, int64_t now,
				 struct invite_record *out)
{
	static const char sql[] = "SELECT email, role, org_id, clearance, created_at, expires_at "
				  "FROM invites WHERE token_hash = ? AND used_at IS NULL "
				  "AND expires_at > ?";
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_blob(s, 1, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
	}
	if (rc == SQLITE_ROW) {
		db_column_text(s, 0, out->email, sizeof out->email);
		db_column_text(s, 1, out->role, sizeof out->role);
		db_column_text(s, 2, out->org_id, sizeof out->org_id);
		db_column_text(s, 3, out->clearance, sizeof out->clearance);
		out->created_at = sqlite3_column_int64(s, 4);
		out->expires_at = sqlite3_column_int64(s, 5);
		err = COFFER_OK;
	} else {
		err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	sqlite3_finalize(s);
	db_pool_put(&st->pool, db);
	return err;
}
