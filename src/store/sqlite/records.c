/* records.c — an organisation's records and their versions in its own database (schema:
 * org_db.c). Each version is a row of record_versions with its own data key (data_keys, kind
 * "record") and its sealed title and body; records holds the current version's metadata and the
 * creation sequence that listings page by.
 *
 * Design points:
 * - Every change is one write transaction together with its audit entry (org_write), and
 *   checks the current version inside it, under the write lock: of two updates from the same
 *   version, exactly one wins and the other gets COFFER_ERR_VERSION_CONFLICT.
 * - Deleting destroys what could reveal the content — every version's data key and sealed
 *   title and body (secure_delete overwrites the freed pages) — and keeps who changed what
 *   and when: the history is an audit record too.
 * - Ids that are not UUIDs never reach a query: they name no record (reads) or are refused
 *   (writes).
 */
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/org_db.h"
#include "store/store.h"

#define KIND "record"

/* A record's metadata: columns 0..7 of the queries below. */
#define META_COLUMNS                                                                               \
	"r.id, r.level, r.version, r.created_at, r.created_by, r.updated_at, r.updated_by, "       \
	"r.deleted"
/* Its current version's data key (8..13) and sealed title (14); the body (15) when asked. */
#define ROW_COLUMNS                                                                                \
	META_COLUMNS ", k.kind, k.object_id, k.object_version, k.level, k.org_key_version, "       \
		     "k.wrapped, v.title"
/* A missing data key reads as NULLs (and fails loudly in read_row) rather than hiding the
 * record. */
#define ROW_FROM                                                                                   \
	" FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version"   \
	" LEFT JOIN data_keys k ON k.kind = 'record' AND k.object_id = r.id AND"                   \
	" k.object_version = r.version "

static void read_meta(sqlite3_stmt *s, struct record_meta *m)
{
	db_column_text(s, 0, m->id, sizeof m->id);
	m->level = (enum level)sqlite3_column_int(s, 1);
	m->version = (uint32_t)sqlite3_column_int64(s, 2);
	m->created_at = sqlite3_column_int64(s, 3);
	db_column_text(s, 4, m->created_by, sizeof m->created_by);
	m->updated_at = sqlite3_column_int64(s, 5);
	db_column_text(s, 6, m->updated_by, sizeof m->updated_by);
	m->deleted = sqlite3_column_int(s, 7) != 0;
}

/* Reads the row S is on (ROW_COLUMNS, and the body in column 15 when WITH_BODY: malloc'd into
 * OUT->body, NULL otherwise). A live version without its key or content is damage: STORAGE. */
static enum coffer_err read_row(sqlite3_stmt *s, bool with_body, struct record_row *out)
{
	read_meta(s, &out->meta);
	out->body = NULL;
	out->body_len = 0;
	enum coffer_err err = org_data_key_read(s, 8, &out->key);
	if (err != COFFER_OK)
		return err;
	if (!db_column_blob_max(s, 14, out->title, sizeof out->title, &out->title_len) ||
	    out->title_len == 0)
		return COFFER_ERR_STORAGE;
	if (!with_body)
		return COFFER_OK;
	const void *body = sqlite3_column_blob(s, 15);
	size_t len = (size_t)sqlite3_column_bytes(s, 15);
	if (body == NULL || len == 0 || len > RECORD_BODY_SEALED_MAX)
		return COFFER_ERR_STORAGE;
	out->body = malloc(len);
	if (out->body == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(out->body, body, len);
	out->body_len = len;
	return COFFER_OK;
}

/* A version to be written: its id, level and version, its key bound to exactly that, and sealed
 * content within bounds. Fields bound as text are checked to end within their arrays. */
static enum coffer_err check_version(const struct record_row *row, const char *by, int64_t at)
{
	const struct record_meta *m = &row->meta;
	if (!uuid_valid(m->id) || !uuid_valid(by) || at < 0 ||
	    (unsigned int)m->level > LEVEL_RESTRICTED || m->version == 0 ||
	    !org_data_key_matches(&row->key, KIND, m->id, m->version, m->level) ||
	    row->title_len == 0 || row->title_len > sizeof row->title || row->body == NULL ||
	    row->body_len == 0 || row->body_len > RECORD_BODY_SEALED_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

/* Inserts a version row; TITLE and BODY NULL for a deletion. */
static enum coffer_err insert_version(sqlite3 *db, const char *id, uint32_t version,
				      enum level level, const char *action, int64_t at,
				      const char *by, const uint8_t *title, size_t title_len,
				      const uint8_t *body, size_t body_len)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "INSERT INTO record_versions (record_id, version, level, "
					 "action, updated_at, updated_by, title, body) VALUES "
					 "(?,?,?,?,?,?,?,?)",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, version);
		sqlite3_bind_int(s, 3, (int)level);
		sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, at);
		sqlite3_bind_text(s, 6, by, UUID_TEXT_LEN, SQLITE_STATIC);
		if (title != NULL)
			sqlite3_bind_blob(s, 7, title, (int)title_len, SQLITE_STATIC);
		if (body != NULL)
			sqlite3_bind_blob(s, 8, body, (int)body_len, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	return err;
}

/* The current version and level of live record ID; COFFER_ERR_NOT_FOUND when there is none or
 * it is deleted. */
static enum coffer_err current(sqlite3 *db, const char *id, uint32_t *version, enum level *level)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err =
	    db_prepare(db, "SELECT version, level, deleted FROM records WHERE id = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_int(s, 2) == 0) {
			*version = (uint32_t)sqlite3_column_int64(s, 0);
			*level = (enum level)sqlite3_column_int(s, 1);
		} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			err = COFFER_ERR_NOT_FOUND;
		} else {
			err = db_err(rc);
		}
	}
	db_finish(s);
	return err;
}

/* Runs SQL with record ID bound as ?1. */
static enum coffer_err exec_with_id(sqlite3 *db, const char *sql, const char *id)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	return err;
}

/* --- create -------------------------------------------------------------------------------- */

static enum coffer_err create_tx(sqlite3 *db, const void *ctx)
{
	const struct record_row *row = ctx;
	const struct record_meta *m = &row->meta;
	sqlite3_stmt *s = NULL;
	/* A new record was last updated when it was created: updated_* are created_*. */
	enum coffer_err err = db_prepare(db,
					 "INSERT INTO records (id, level, version, created_at, "
					 "created_by, updated_at, updated_by) VALUES "
					 "(?1, ?2, 1, ?3, ?4, ?3, ?4)",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, m->id, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)m->level);
		sqlite3_bind_int64(s, 3, m->created_at);
		sqlite3_bind_text(s, 4, m->created_by, UUID_TEXT_LEN, SQLITE_STATIC);
		err = db_step_done(s); /* COFFER_ERR_EXISTS when the id is taken */
	}
	db_finish(s);
	if (err == COFFER_OK)
		err = insert_version(db, m->id, 1, m->level, "create", m->created_at, m->created_by,
				     row->title, row->title_len, row->body, row->body_len);
	if (err == COFFER_OK)
		err = org_data_key_insert(db, &row->key);
	return err;
}

enum coffer_err store_record_create(struct org_db *odb, const char *org_id,
				    const struct record_row *row, struct audit_entry *audit)
{
	enum coffer_err err = check_version(row, row->meta.created_by, row->meta.created_at);
	if (err == COFFER_OK && row->meta.version != 1)
		err = COFFER_ERR_INVALID_INPUT;
	if (err != COFFER_OK)
		return err;
	return org_write(odb, org_id, create_tx, row, audit);
}

/* --- update -------------------------------------------------------------------------------- */

static enum coffer_err update_tx(sqlite3 *db, const void *ctx)
{
	const struct record_row *row = ctx;
	const struct record_meta *m = &row->meta;
	uint32_t version = 0;
	enum level level;
	sqlite3_stmt *s = NULL;
	enum coffer_err err = current(db, m->id, &version, &level);
	if (err == COFFER_OK && (uint64_t)version + 1 != m->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE records SET level = ?, version = ?, updated_at = ?, "
				 "updated_by = ? WHERE id = ?",
				 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int(s, 1, (int)m->level);
		sqlite3_bind_int64(s, 2, m->version);
		sqlite3_bind_int64(s, 3, m->updated_at);
		sqlite3_bind_text(s, 4, m->updated_by, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, m->id, UUID_TEXT_LEN, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	if (err == COFFER_OK)
		err = insert_version(db, m->id, m->version, m->level, "update", m->updated_at,
				     m->updated_by, row->title, row->title_len, row->body,
				     row->body_len);
	if (err == COFFER_OK)
		err = org_data_key_insert(db, &row->key);
	return err;
}

enum coffer_err store_record_update(struct org_db *odb, const char *org_id,
				    const struct record_row *row, struct audit_entry *audit)
{
	enum coffer_err err = check_version(row, row->meta.updated_by, row->meta.updated_at);
	if (err != COFFER_OK)
		return err;
	return org_write(odb, org_id, update_tx, row, audit);
}

/* --- delete -------------------------------------------------------------------------------- */

struct deletion {
	const char *id;
	uint32_t version;
	const char *actor;
	int64_t now;
};

static enum coffer_err delete_tx(sqlite3 *db, const void *ctx)
{
	const struct deletion *d = ctx;
	uint32_t version = 0;
	enum level level;
	sqlite3_stmt *s = NULL;
	enum coffer_err err = current(db, d->id, &version, &level);
	if (err == COFFER_OK && version != d->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK && version == UINT32_MAX)
		err = COFFER_ERR_STORAGE; /* no version number left */
	if (err == COFFER_OK)
		err = insert_version(db, d->id, version + 1, level, "delete", d->now, d->actor,
				     NULL, 0, NULL, 0);
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE records SET version = ?, updated_at = ?, updated_by = ?, "
				 "deleted = 1 WHERE id = ?",
				 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)version + 1);
		sqlite3_bind_int64(s, 2, d->now);
		sqlite3_bind_text(s, 3, d->actor, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, d->id, UUID_TEXT_LEN, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	/* Crypto-erasure of every version: no key, no ciphertext. */
	if (err == COFFER_OK)
		err = exec_with_id(
		    db, "DELETE FROM data_keys WHERE kind = 'record' AND object_id = ?1", d->id);
	if (err == COFFER_OK)
		err = exec_with_id(db,
				   "UPDATE record_versions SET title = NULL, body = NULL "
				   "WHERE record_id = ?1",
				   d->id);
	return err;
}

enum coffer_err store_record_delete(struct org_db *odb, const char *org_id, const char *id,
				    uint32_t version, const char *actor, int64_t now,
				    struct audit_entry *audit)
{
	struct deletion d = {.id = id, .version = version, .actor = actor, .now = now};
	if (!uuid_valid(actor) || now < 0)
		return COFFER_ERR_INVALID_INPUT;
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return org_write(odb, org_id, delete_tx, &d, audit);
}

/* --- reads --------------------------------------------------------------------------------- */

enum coffer_err store_record_meta(struct org_db *odb, const char *id, struct record_meta *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err =
	    db_prepare(db, "SELECT " META_COLUMNS " FROM records r WHERE r.id = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			read_meta(s, out);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(s);
	db_pool_put(&odb->pool, db);
	return err;
}

enum coffer_err store_record_get(struct org_db *odb, const char *id, bool with_body,
				 struct record_row *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	/* One statement: one read snapshot of the metadata, the key and the content. */
	static const char with[] =
	    "SELECT " ROW_COLUMNS ", v.body" ROW_FROM "WHERE r.id = ? AND r.deleted = 0";
	static const char without[] =
	    "SELECT " ROW_COLUMNS ROW_FROM "WHERE r.id = ? AND r.deleted = 0";
	struct record_row *row = malloc(sizeof *row); /* OUT changes only on success */
	if (row == NULL)
		return COFFER_ERR_NOMEM;
	row->body = NULL;
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, with_body ? with : without, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			err = read_row(s, with_body, row);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(s);
	db_pool_put(&odb->pool, db);
	if (err == COFFER_OK)
		*out = *row;
	else
		free(row->body);
	free(row);
	return err;
}

/* A listed record: metadata, key and sealed title, no body. */
static enum coffer_err read_listed_record(sqlite3_stmt *s, void *item)
{
	return read_row(s, false, item);
}

enum coffer_err store_records_list(struct org_db *odb, enum level max_level, const char *after,
				   size_t limit, struct record_row *out, size_t *n, bool *more)
{
	static const struct org_list_query q = {
	    .cursor_sql = "SELECT seq FROM records WHERE id = ?1 AND level <= ?2",
	    .page_sql = "SELECT " ROW_COLUMNS ROW_FROM
			"WHERE r.deleted = 0 AND r.level <= ?1 AND r.seq < ?2 "
			"ORDER BY r.seq DESC LIMIT ?3",
	    .max = RECORD_LIST_MAX,
	    .item_size = sizeof *out,
	    .read = read_listed_record,
	};
	return org_list_page(odb, &q, max_level, after, limit, out, n, more);
}

enum coffer_err store_record_history(struct org_db *odb, const char *id,
				     struct record_version **out, size_t *n)
{
	struct record_version *list = NULL;
	size_t len = 0, cap = 0;
	int rc = SQLITE_DONE;
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	sqlite3 *db = db_pool_get(&odb->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err =
	    db_prepare(db,
		       "SELECT version, level, updated_at, updated_by, action FROM "
		       "record_versions WHERE record_id = ? ORDER BY version",
		       &s);
	if (err == COFFER_OK)
		sqlite3_bind_text(s, 1, id, UUID_TEXT_LEN, SQLITE_STATIC);
	while (err == COFFER_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct record_version *grown = reallocarray(list, ncap, sizeof *list);
			if (grown == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			list = grown;
			cap = ncap;
		}
		struct record_version *v = &list[len++];
		v->version = (uint32_t)sqlite3_column_int64(s, 0);
		v->level = (enum level)sqlite3_column_int(s, 1);
		v->updated_at = sqlite3_column_int64(s, 2);
		db_column_text(s, 3, v->updated_by, sizeof v->updated_by);
		db_column_text(s, 4, v->action, sizeof v->action);
	}
	if (err == COFFER_OK && rc != SQLITE_DONE)
		err = db_err(rc);
	if (err == COFFER_OK && len == 0)
		err = COFFER_ERR_NOT_FOUND;
	db_finish(s);
	db_pool_put(&odb->pool, db);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = len;
	return COFFER_OK;
}
