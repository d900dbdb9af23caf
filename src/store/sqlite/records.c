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
#include "store/content_rules.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"
#include "store/store.h"

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

static enum coffer_err read_meta(sqlite3_stmt *s, void *out)
{
	struct record_meta *m = out;
	db_column_text(s, 0, m->id, sizeof m->id);
	m->level = (enum level)sqlite3_column_int(s, 1);
	m->version = (uint32_t)sqlite3_column_int64(s, 2);
	m->created_at = sqlite3_column_int64(s, 3);
	db_column_text(s, 4, m->created_by, sizeof m->created_by);
	m->updated_at = sqlite3_column_int64(s, 5);
	db_column_text(s, 6, m->updated_by, sizeof m->updated_by);
	m->deleted = sqlite3_column_int(s, 7) != 0;
	return COFFER_OK;
}

/* Reads the row S is on (ROW_COLUMNS, and the body in column 15 when WITH_BODY: malloc'd into
 * OUT->body, NULL otherwise). A live version without its key or content is damage: STORAGE. */
static enum coffer_err read_row(sqlite3_stmt *s, bool with_body, struct record_row *out)
{
	(void)read_meta(s, &out->meta);
	return record_sealed_read(s, 8, with_body, out);
}

enum coffer_err record_sealed_read(sqlite3_stmt *s, int first, bool with_body,
				   struct record_row *out)
{
	out->body = NULL;
	out->body_len = 0;
	enum coffer_err err = org_data_key_read(s, first, &out->key);
	if (err != COFFER_OK)
		return err;
	if (!db_column_blob_max(s, first + 6, out->title, sizeof out->title, &out->title_len) ||
	    out->title_len == 0)
		return COFFER_ERR_STORAGE;
	if (!with_body)
		return COFFER_OK;
	const void *body = sqlite3_column_blob(s, first + 7);
	size_t len = (size_t)sqlite3_column_bytes(s, first + 7);
	if (body == NULL || len == 0 || len > RECORD_BODY_SEALED_MAX)
		return COFFER_ERR_STORAGE;
	out->body = malloc(len);
	if (out->body == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(out->body, body, len);
	out->body_len = len;
	return COFFER_OK;
}

/* Inserts a version row; TITLE and BODY NULL for a deletion. */
static enum coffer_err insert_version(sqlite3 *db, const char *id, uint32_t version,
				      enum level level, const char *action, int64_t at,
				      const char *by, const uint8_t *title, size_t title_len,
				      const uint8_t *body, size_t body_len)
{
	return db_exec(db,
		       "INSERT INTO record_versions (record_id, version, level, action, "
		       "updated_at, updated_by, title, body) VALUES (?,?,?,?,?,?,?,?)",
		       DB_ARGS(db_text_n(id, UUID_TEXT_LEN), db_int(version), db_int(level),
			       db_text(action), db_int(at), db_text_n(by, UUID_TEXT_LEN),
			       db_blob(title, title_len), db_blob(body, body_len)));
}

/* Inserts ROW's version (its ACTION, by BY at AT, with its sealed title and body) and its data
 * key. */
static enum coffer_err insert_content(sqlite3 *db, const struct record_row *row, const char *action,
				      int64_t at, const char *by)
{
	const struct record_meta *m = &row->meta;
	enum coffer_err err = insert_version(db, m->id, m->version, m->level, action, at, by,
					     row->title, row->title_len, row->body, row->body_len);
	if (err == COFFER_OK)
		err = org_data_key_insert(db, &row->key);
	return err;
}

/* A live record's current version and level. */
struct current {
	uint32_t version;
	enum level level;
};

static enum coffer_err read_current(sqlite3_stmt *s, void *out)
{
	struct current *c = out;
	c->version = (uint32_t)sqlite3_column_int64(s, 0);
	c->level = (enum level)sqlite3_column_int(s, 1);
	return COFFER_OK;
}

/* The current version and level of live record ID; COFFER_ERR_NOT_FOUND when there is none or
 * it is deleted. */
static enum coffer_err current(sqlite3 *db, const char *id, struct current *out)
{
	return db_row(db, "SELECT version, level FROM records WHERE id = ? AND deleted = 0",
		      DB_ARGS(db_text_n(id, UUID_TEXT_LEN)), read_current, out);
}

/* --- create -------------------------------------------------------------------------------- */

static enum coffer_err create_tx(sqlite3 *db, const void *ctx)
{
	const struct record_row *row = ctx;
	const struct record_meta *m = &row->meta;
	/* A new record was last updated when it was created: updated_* are created_*.
	 * COFFER_ERR_EXISTS when the id is taken. */
	enum coffer_err err =
	    db_exec(db,
		    "INSERT INTO records (id, level, version, created_at, "
		    "created_by, updated_at, updated_by) VALUES "
		    "(?1, ?2, 1, ?3, ?4, ?3, ?4)",
		    DB_ARGS(db_text_n(m->id, UUID_TEXT_LEN), db_int(m->level),
			    db_int(m->created_at), db_text_n(m->created_by, UUID_TEXT_LEN)));
	if (err == COFFER_OK)
		err = insert_content(db, row, "create", m->created_at, m->created_by);
	return err;
}

/* Checks ROW, a new version by BY at AT, and writes it with TX. */
static enum coffer_err write_version(struct sqlite_org_db *odb, const char *org_id,
				     const struct record_row *row, const char *by, int64_t at,
				     enum coffer_err (*tx)(sqlite3 *db, const void *ctx),
				     struct audit_entry *audit)
{
	enum coffer_err err = record_version_check(row, by, at);
	if (err != COFFER_OK)
		return err;
	return org_write(odb, org_id, tx, row, audit);
}

enum coffer_err sqlite_store_record_create(struct sqlite_org_db *odb, const char *org_id,
					   const struct record_row *row, struct audit_entry *audit)
{
	if (row->meta.version != 1)
		return COFFER_ERR_INVALID_INPUT;
	return write_version(odb, org_id, row, row->meta.created_by, row->meta.created_at,
			     create_tx, audit);
}

/* A creation keyed by a client's Idempotency-Key. */
struct keyed_create {
	const struct record_row *row;
	struct idempotency *idem;
};

static enum coffer_err read_claimed(sqlite3_stmt *s, void *out)
{
	db_column_text(s, 0, out, STORE_ID_MAX + 1);
	return COFFER_OK;
}

/* Finds the record IDEM's key made within the TTL (EXISTS, IDEM->found), or claims the key for
 * RECORD_ID, dropping the keys past the TTL first. */
static enum coffer_err claim_key(sqlite3 *db, struct idempotency *idem, const char *record_id)
{
	int64_t cutoff = idem->now - STORE_IDEMPOTENCY_TTL;
	enum coffer_err err =
	    db_row(db,
		   "SELECT record_id FROM idempotency_keys WHERE user_id = ? AND "
		   "key = ? AND created_at > ?",
		   DB_ARGS(db_text(idem->user_id), db_text(idem->key), db_int(cutoff)),
		   read_claimed, idem->record_id);
	if (err == COFFER_OK) {
		idem->found = true;
		return COFFER_ERR_EXISTS;
	}
	if (err != COFFER_ERR_NOT_FOUND)
		return err;
	err = db_exec(db, "DELETE FROM idempotency_keys WHERE created_at <= ?",
		      DB_ARGS(db_int(cutoff)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "INSERT INTO idempotency_keys (user_id, key, record_id, created_at) "
			      "VALUES (?, ?, ?, ?)",
			      DB_ARGS(db_text(idem->user_id), db_text(idem->key),
				      db_text_n(record_id, UUID_TEXT_LEN), db_int(idem->now)));
	return err;
}

static enum coffer_err create_once_tx(sqlite3 *db, const void *ctx)
{
	const struct keyed_create *k = ctx;
	enum coffer_err err = claim_key(db, k->idem, k->row->meta.id);
	if (err == COFFER_OK)
		err = create_tx(db, k->row);
	return err;
}

enum coffer_err sqlite_store_record_create_once(struct sqlite_org_db *odb, const char *org_id,
						const struct record_row *row,
						struct audit_entry *audit, struct idempotency *idem)
{
	if (row->meta.version != 1)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = record_version_check(row, row->meta.created_by, row->meta.created_at);
	if (err != COFFER_OK)
		return err;
	struct keyed_create k = {row, idem};
	return org_write(odb, org_id, create_once_tx, &k, audit);
}

/* --- update -------------------------------------------------------------------------------- */

static enum coffer_err update_tx(sqlite3 *db, const void *ctx)
{
	const struct record_row *row = ctx;
	const struct record_meta *m = &row->meta;
	struct current now;
	enum coffer_err err = current(db, m->id, &now);
	if (err == COFFER_OK && (uint64_t)now.version + 1 != m->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE records SET level = ?, version = ?, updated_at = ?, "
			      "updated_by = ? WHERE id = ?",
			      DB_ARGS(db_int(m->level), db_int(m->version), db_int(m->updated_at),
				      db_text_n(m->updated_by, UUID_TEXT_LEN),
				      db_text_n(m->id, UUID_TEXT_LEN)));
	if (err == COFFER_OK)
		err = insert_content(db, row, "update", m->updated_at, m->updated_by);
	return err;
}

enum coffer_err sqlite_store_record_update(struct sqlite_org_db *odb, const char *org_id,
					   const struct record_row *row, struct audit_entry *audit)
{
	return write_version(odb, org_id, row, row->meta.updated_by, row->meta.updated_at,
			     update_tx, audit);
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
	struct db_arg id = db_text_n(d->id, UUID_TEXT_LEN);
	struct current now;
	enum coffer_err err = current(db, d->id, &now);
	if (err == COFFER_OK && now.version != d->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK && now.version == UINT32_MAX)
		err = COFFER_ERR_STORAGE; /* no version number left */
	if (err == COFFER_OK)
		err = insert_version(db, d->id, now.version + 1, now.level, "delete", d->now,
				     d->actor, NULL, 0, NULL, 0);
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE records SET version = ?, updated_at = ?, updated_by = ?, "
			      "deleted = 1 WHERE id = ?",
			      DB_ARGS(db_int((int64_t)now.version + 1), db_int(d->now),
				      db_text_n(d->actor, UUID_TEXT_LEN), id));
	/* Crypto-erasure of every version: no key, no ciphertext. */
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM data_keys WHERE kind = 'record' AND object_id = ?",
			      DB_ARGS(id));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE record_versions SET title = NULL, body = NULL "
			      "WHERE record_id = ?",
			      DB_ARGS(id));
	return err;
}

enum coffer_err sqlite_store_record_delete(struct sqlite_org_db *odb, const char *org_id,
					   const char *id, uint32_t version, const char *actor,
					   int64_t now, struct audit_entry *audit)
{
	struct deletion d = {.id = id, .version = version, .actor = actor, .now = now};
	if (!uuid_valid(actor) || now < 0)
		return COFFER_ERR_INVALID_INPUT;
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return org_write(odb, org_id, delete_tx, &d, audit);
}

/* --- reads --------------------------------------------------------------------------------- */

enum coffer_err sqlite_store_record_meta(struct sqlite_org_db *odb, const char *id,
					 struct record_meta *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return db_pool_row(&odb->pool, "SELECT " META_COLUMNS " FROM records r WHERE r.id = ?",
			   DB_ARGS(db_text_n(id, UUID_TEXT_LEN)), read_meta, out);
}

static enum coffer_err read_row_with_body(sqlite3_stmt *s, void *out)
{
	return read_row(s, true, out);
}

/* A listed record, or one read without its body: metadata, key and sealed title. */
static enum coffer_err read_row_without_body(sqlite3_stmt *s, void *out)
{
	return read_row(s, false, out);
}

enum coffer_err sqlite_store_record_get(struct sqlite_org_db *odb, const char *id, bool with_body,
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
	enum coffer_err err = db_pool_row(
	    &odb->pool, with_body ? with : without, DB_ARGS(db_text_n(id, UUID_TEXT_LEN)),
	    with_body ? read_row_with_body : read_row_without_body, row);
	if (err == COFFER_OK)
		*out = *row;
	else
		free(row->body);
	free(row);
	return err;
}

enum coffer_err sqlite_store_records_list(struct sqlite_org_db *odb, enum level max_level,
					  const char *after, size_t limit, struct record_row *out,
					  size_t *n, bool *more)
{
	static const struct org_list_query q = {
	    .cursor_sql = "SELECT seq FROM records WHERE id = ?1 AND level <= ?2",
	    .page_sql = "SELECT " ROW_COLUMNS ROW_FROM
			"WHERE r.deleted = 0 AND r.level <= ?1 AND r.seq < ?2 "
			"ORDER BY r.seq DESC LIMIT ?3",
	    .max = RECORD_LIST_MAX,
	    .item_size = sizeof *out,
	    .read = read_row_without_body,
	};
	return org_list_page(odb, &q, max_level, after, limit, out, n, more);
}

static enum coffer_err read_version(sqlite3_stmt *s, void *out)
{
	struct record_version *v = out;
	v->version = (uint32_t)sqlite3_column_int64(s, 0);
	v->level = (enum level)sqlite3_column_int(s, 1);
	v->updated_at = sqlite3_column_int64(s, 2);
	db_column_text(s, 3, v->updated_by, sizeof v->updated_by);
	db_column_text(s, 4, v->action, sizeof v->action);
	return COFFER_OK;
}

enum coffer_err sqlite_store_record_history(struct sqlite_org_db *odb, const char *id,
					    struct record_version **out, size_t *n)
{
	void *list = NULL;
	size_t len = 0;
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	sqlite3 *db = db_pool_get(&odb->pool);
	enum coffer_err err = db_rows_alloc(
	    db,
	    "SELECT version, level, updated_at, updated_by, action "
	    "FROM record_versions WHERE record_id = ? ORDER BY version",
	    DB_ARGS(db_text_n(id, UUID_TEXT_LEN)), read_version, sizeof **out, &list, &len);
	db_pool_put(&odb->pool, db);
	if (err == COFFER_OK && len == 0)
		err = COFFER_ERR_NOT_FOUND;
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = len;
	return COFFER_OK;
}
