/* org_db.c — an organisation's own embedded database, DATA/orgs/<org id>/org.db: its schema
 * (data keys, records and their versions, files, the audit chain), opening it, and its data
 * keys. Records, files and the chain are queried by records.c, files.c and org_audit.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/sqlite/audit_rows.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#define ORG_POOL_SIZE 4

/* The CHECKs below spell these out as numbers. */
_Static_assert(RECORD_TITLE_SEALED_MAX == 828, "records schema: title");
_Static_assert(RECORD_BODY_SEALED_MAX == 1048604, "records schema: body");
_Static_assert(FILE_META_SEALED_MAX == 512, "files schema: meta");
_Static_assert(FILE_CONTENT_TYPE_MAX == 127, "files schema: content_type");

/* Append-only: a deployed database has had every step up to its user_version. */
// clang-format off
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
	/* 2: records, and every version of each. seq is the creation order that listings page
	 * by (a record's row is never removed: a deleted one keeps its place, so a cursor naming
	 * it stays valid). A version's sealed title and body are NULL once the record is deleted
	 * (its data keys go too); the history's metadata stays. */
	{"CREATE TABLE records ("
	 " seq INTEGER PRIMARY KEY,"
	 " id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),"
	 " level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),"
	 " version INTEGER NOT NULL CHECK (version >= 1),"
	 " created_at INTEGER NOT NULL CHECK (created_at >= 0),"
	 " created_by TEXT NOT NULL CHECK (length(created_by) = 36),"
	 " updated_at INTEGER NOT NULL CHECK (updated_at >= 0),"
	 " updated_by TEXT NOT NULL CHECK (length(updated_by) = 36),"
	 " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))"
	 ") STRICT;"
	 "CREATE INDEX records_live_by_level ON records (level, seq) WHERE deleted = 0;"
	 "CREATE TABLE record_versions ("
	 " record_id TEXT NOT NULL REFERENCES records (id),"
	 " version INTEGER NOT NULL CHECK (version >= 1),"
	 " level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),"
	 " action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),"
	 " updated_at INTEGER NOT NULL CHECK (updated_at >= 0),"
	 " updated_by TEXT NOT NULL CHECK (length(updated_by) = 36),"
	 " title BLOB CHECK (title IS NULL OR length(title) BETWEEN 1 AND 828),"
	 " body BLOB CHECK (body IS NULL OR length(body) BETWEEN 1 AND 1048604),"
	 " CHECK (action <> 'delete' OR (title IS NULL AND body IS NULL)),"
	 " PRIMARY KEY (record_id, version)"
	 ") STRICT;"},
	/* 3: files (their bytes are blobs). AUTOINCREMENT: a file's row is removed when it is
	 * deleted, and a plain rowid would hand the newest file's seq to the next one. */
	{"CREATE TABLE files ("
	 " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	 " id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),"
	 " level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 3),"
	 " size INTEGER NOT NULL CHECK (size >= 0),"
	 " content_type TEXT NOT NULL CHECK (length(CAST(content_type AS BLOB)) <= 127),"
	 " created_at INTEGER NOT NULL CHECK (created_at >= 0),"
	 " created_by TEXT NOT NULL CHECK (length(created_by) = 36),"
	 " meta BLOB NOT NULL CHECK (length(meta) BETWEEN 1 AND 512)"
	 ") STRICT;"
	 "CREATE INDEX files_by_level ON files (level, seq);"},
	/* 4: the organisation's audit chain, as the system's (audit/chain.h). */
	{AUDIT_ROWS_TABLE_SQL},
	/* 5: each entry's master key version: links are MACs now (0 for the plain hashes
	 * written before, until store_audit_links_upgrade re-links them). */
	{"ALTER TABLE audit ADD COLUMN key_version INTEGER NOT NULL DEFAULT 0"
	 " CHECK (key_version >= 0);"},
	/* 6: clients' keys for creations (store_record_create_once), kept a day. */
	{"CREATE TABLE idempotency_keys ("
	 " user_id TEXT NOT NULL CHECK (length(user_id) = 36),"
	 " key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128),"
	 " record_id TEXT NOT NULL CHECK (length(record_id) = 36),"
	 " created_at INTEGER NOT NULL,"
	 " PRIMARY KEY (user_id, key)"
	 ") STRICT;"
	 "CREATE INDEX idempotency_keys_by_time ON idempotency_keys (created_at);"},
};
// clang-format on

#define N_STEPS (sizeof org_schema / sizeof org_schema[0])

/* mkdir that accepts an existing directory. */
static enum coffer_err ensure_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return COFFER_OK;
	return COFFER_ERR_IO;
}

enum coffer_err sqlite_store_org_db_open(const char *data_dir, const char *org_id, bool create,
					 struct sqlite_org_db **out)
{
	char orgs[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	if (!uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT; /* never a path of the caller's choosing */
	if (snprintf(orgs, sizeof orgs, "%s/orgs", data_dir) >= (int)sizeof orgs ||
	    snprintf(dir, sizeof dir, "%s/%s", orgs, org_id) >= (int)sizeof dir ||
	    snprintf(path, sizeof path, "%s/org.db", dir) >= (int)sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	/* An organisation without a database yet is no error worth logging (db_open logs). */
	if (!create && access(path, F_OK) != 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
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
	struct sqlite_org_db *odb = NULL;
	if (err == COFFER_OK) {
		odb = calloc(1, sizeof *odb);
		if (odb == NULL)
			err = COFFER_ERR_NOMEM;
		else
			odb->pub.sqlite = odb;
	}
	if (err == COFFER_OK)
		err = db_pool_open(&odb->pool, path, create, org_schema, N_STEPS, ORG_POOL_SIZE);
	if (err == COFFER_OK && create)
		err = dir_fsync(dir);
	if (err != COFFER_OK) {
		if (odb != NULL)
			db_pool_close(&odb->pool); /* a no-op when it did not open */
		free(odb);
		return err;
	}
	memcpy(odb->org_id, org_id, STORE_ID_MAX + 1);
	pthread_mutex_init(&odb->queue_mu, NULL);
	*out = odb;
	return COFFER_OK;
}

/* unlink that accepts a file already gone. */
static enum coffer_err remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	return unlink(path) == 0 || errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
}

enum coffer_err sqlite_store_org_db_remove(const char *data_dir, const char *org_id)
{
	static const char *const files[] = {"org.db", "org.db-wal", "org.db-shm"};
	char orgs[PATH_MAX], dir[PATH_MAX], blobs[PATH_MAX];
	if (!uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT;
	if (snprintf(orgs, sizeof orgs, "%s/orgs", data_dir) >= (int)sizeof orgs ||
	    snprintf(dir, sizeof dir, "%s/%s", orgs, org_id) >= (int)sizeof dir ||
	    snprintf(blobs, sizeof blobs, "%s/blobs", dir) >= (int)sizeof blobs)
		return COFFER_ERR_INVALID_INPUT;
	if (access(dir, F_OK) != 0)
		return errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < sizeof files / sizeof files[0]; i++)
		err = remove_file(dir, files[i]);
	/* The blobs went first (blob_remove_org): an emptied directory, or none, is left. */
	if (err == COFFER_OK && rmdir(blobs) != 0 && errno != ENOENT)
		err = COFFER_ERR_IO;
	if (err == COFFER_OK && rmdir(dir) != 0 && errno != ENOENT)
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		err = dir_fsync(orgs);
	return err;
}

bool org_db_is(const struct sqlite_org_db *odb, const char *org_id)
{
	return org_id != NULL && strnlen(org_id, STORE_ID_MAX + 1) == STORE_ID_MAX &&
	       memcmp(odb->org_id, org_id, STORE_ID_MAX) == 0;
}

void sqlite_store_org_db_close(struct sqlite_org_db *odb)
{
	if (odb == NULL)
		return;
	db_pool_close(&odb->pool);
	pthread_mutex_destroy(&odb->queue_mu);
	free(odb);
}

enum coffer_err org_data_key_insert(sqlite3 *db, const struct data_key_record *k)
{
	/* Bounded: these are bound as text, never read past their arrays. */
	enum coffer_err err = data_key_check(k);
	if (err != COFFER_OK)
		return err;
	return db_exec(db,
		       "INSERT INTO data_keys (kind, object_id, object_version, level, "
		       "org_key_version, wrapped) VALUES (?,?,?,?,?,?)",
		       DB_ARGS(db_text(k->kind), db_text(k->object_id), db_int(k->object_version),
			       db_int(k->level), db_int(k->org_key_version),
			       db_blob(k->wrapped, KEYWRAP_BYTES)));
}

enum coffer_err sqlite_store_data_key_put(struct sqlite_org_db *odb,
					  const struct data_key_record *k)
{
	sqlite3 *db = db_pool_get_writer(&odb->pool);
	enum coffer_err err = org_data_key_insert(db, k);
	db_pool_put_writer(&odb->pool, db);
	return err;
}

#define DATA_KEY_COLUMNS "kind, object_id, object_version, level, org_key_version, wrapped"

enum coffer_err org_data_key_read(sqlite3_stmt *s, int first, struct data_key_record *out)
{
	db_column_text(s, first, out->kind, sizeof out->kind);
	db_column_text(s, first + 1, out->object_id, sizeof out->object_id);
	out->object_version = (uint32_t)sqlite3_column_int64(s, first + 2);
	out->level = (enum level)sqlite3_column_int(s, first + 3);
	out->org_key_version = (uint32_t)sqlite3_column_int64(s, first + 4);
	return db_column_blob(s, first + 5, out->wrapped, KEYWRAP_BYTES) ? COFFER_OK
									 : COFFER_ERR_STORAGE;
}

/* A row of DATA_KEY_COLUMNS. */
static enum coffer_err read_data_key(sqlite3_stmt *s, void *out)
{
	return org_data_key_read(s, 0, out);
}

enum coffer_err sqlite_store_data_key_get(struct sqlite_org_db *odb, const char *kind,
					  const char *object_id, uint32_t object_version,
					  struct data_key_record *out)
{
	/* Bounded before they are bound: an id that is not one names no key. */
	if (!uuid_valid(object_id) || strnlen(kind, sizeof out->kind) >= sizeof out->kind)
		return COFFER_ERR_NOT_FOUND;
	return db_pool_row(&odb->pool,
			   "SELECT " DATA_KEY_COLUMNS " FROM data_keys WHERE "
			   "kind = ? AND object_id = ? AND object_version = ?",
			   DB_ARGS(db_text(kind), db_text(object_id), db_int(object_version)),
			   read_data_key, out);
}

enum coffer_err sqlite_store_data_keys_wrapped_before(struct sqlite_org_db *odb,
						      uint32_t org_key_version,
						      struct data_key_record *out, size_t max,
						      size_t *n)
{
	return db_pool_rows(&odb->pool,
			    "SELECT " DATA_KEY_COLUMNS " FROM data_keys WHERE org_key_version < ? "
			    "ORDER BY kind, object_id, object_version LIMIT ?",
			    DB_ARGS(db_int(org_key_version), db_int((int64_t)max)), read_data_key,
			    DB_ITEMS(out, max), n, NULL);
}

/* Data keys re-wrapped: KEYS[i] replaces the one wrapped by version OLD_VERSION[i]. */
struct rewrapped {
	const struct data_key_record *keys;
	const uint32_t *old_version;
};

static enum coffer_err rewrite_key(sqlite3 *db, const void *ctx, size_t i)
{
	const struct rewrapped *r = ctx;
	const struct data_key_record *k = &r->keys[i];
	return db_exec(db,
		       "UPDATE data_keys SET wrapped = ?, org_key_version = ? WHERE kind = ? AND "
		       "object_id = ? AND object_version = ? AND org_key_version = ?",
		       DB_ARGS(db_blob(k->wrapped, KEYWRAP_BYTES), db_int(k->org_key_version),
			       db_text(k->kind), db_text(k->object_id), db_int(k->object_version),
			       db_int(r->old_version[i])));
}

enum coffer_err sqlite_store_data_keys_rewrapped(struct sqlite_org_db *odb,
						 const struct data_key_record *keys,
						 const uint32_t *old_version, size_t n)
{
	const struct rewrapped r = {keys, old_version};
	return db_pool_write_each(&odb->pool, rewrite_key, &r, n);
}

struct org_db *sqlite_org_db_public(struct sqlite_org_db *odb)
{
	return &odb->pub;
}
