/* files.c — an organisation's files in its own database (schema: org_db.c): one row per file
 * with its clear metadata (level, size, content type, creation) and its sealed metadata (name
 * and SHA-256), and its data key (data_keys, kind "file", version 1). The bytes are blobs
 * (store/blobs.h), written and made durable before the row is committed, so a committed row
 * always has its blob; a blob without a row is an orphan that the start-up sweep removes.
 *
 * Every change is one write transaction with its audit entry (org_write). Listing pages as
 * records do (org_list.c). Ids that are not UUIDs name no file.
 */
#include <string.h>

#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"
#include "store/store.h"

/* A file's row (0..5), its data key (6..11) and sealed metadata (12). */
#define FILE_COLUMNS                                                                               \
	"f.id, f.level, f.size, f.content_type, f.created_at, f.created_by, k.kind, "              \
	"k.object_id, k.object_version, k.level, k.org_key_version, k.wrapped, f.meta"
#define FILE_FROM                                                                                  \
	" FROM files f LEFT JOIN data_keys k ON k.kind = 'file' AND k.object_id = f.id AND"        \
	" k.object_version = 1 "

/* Reads the row S is on (FILE_COLUMNS). */
static enum coffer_err read_file(sqlite3_stmt *s, void *item)
{
	struct file_row *out = item;
	db_column_text(s, 0, out->id, sizeof out->id);
	out->level = (enum level)sqlite3_column_int(s, 1);
	out->size = (uint64_t)sqlite3_column_int64(s, 2);
	db_column_text(s, 3, out->content_type, sizeof out->content_type);
	out->created_at = sqlite3_column_int64(s, 4);
	db_column_text(s, 5, out->created_by, sizeof out->created_by);
	enum coffer_err err = org_data_key_read(s, 6, &out->key);
	if (err == COFFER_OK &&
	    (!db_column_blob_max(s, 12, out->meta, sizeof out->meta, &out->meta_len) ||
	     out->meta_len == 0))
		err = COFFER_ERR_STORAGE;
	return err;
}

static enum coffer_err add_tx(sqlite3 *db, const void *ctx)
{
	const struct file_row *row = ctx;
	/* COFFER_ERR_EXISTS when the id is taken. */
	enum coffer_err err = db_exec(
	    db,
	    "INSERT INTO files (id, level, size, content_type, created_at, created_by, "
	    "meta) VALUES (?,?,?,?,?,?,?)",
	    DB_ARGS(db_text_n(row->id, UUID_TEXT_LEN), db_int(row->level),
		    db_int((int64_t)row->size), db_text(row->content_type), db_int(row->created_at),
		    db_text_n(row->created_by, UUID_TEXT_LEN), db_blob(row->meta, row->meta_len)));
	if (err == COFFER_OK)
		err = org_data_key_insert(db, &row->key);
	return err;
}

enum coffer_err sqlite_store_file_add(struct sqlite_org_db *odb, const char *org_id,
				      const struct file_row *row, struct audit_entry *audit)
{
	/* content_type is bound as text: file_row_check checks it ends within its array. */
	enum coffer_err err = file_row_check(row);
	if (err != COFFER_OK)
		return err;
	return org_write(odb, org_id, add_tx, row, audit);
}

enum coffer_err sqlite_store_file_get(struct sqlite_org_db *odb, const char *id,
				      struct file_row *out)
{
	struct file_row row; /* OUT changes only on success */
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err =
	    db_pool_row(&odb->pool, "SELECT " FILE_COLUMNS FILE_FROM "WHERE f.id = ?",
			DB_ARGS(db_text_n(id, UUID_TEXT_LEN)), read_file, &row);
	if (err == COFFER_OK)
		*out = row;
	return err;
}

enum coffer_err sqlite_store_files_list(struct sqlite_org_db *odb, enum level max_level,
					const char *after, size_t limit, struct file_row *out,
					size_t *n, bool *more)
{
	static const struct org_list_query q = {
	    .cursor_sql = "SELECT seq FROM files WHERE id = ?1 AND level <= ?2",
	    .page_sql = "SELECT " FILE_COLUMNS FILE_FROM
			"WHERE f.level <= ?1 AND f.seq < ?2 ORDER BY f.seq DESC LIMIT ?3",
	    .max = FILE_LIST_MAX,
	    .item_size = sizeof *out,
	    .read = read_file,
	};
	return org_list_page(odb, &q, max_level, after, limit, out, n, more);
}

static enum coffer_err delete_tx(sqlite3 *db, const void *ctx)
{
	struct db_arg id = db_text_n(ctx, UUID_TEXT_LEN);
	enum coffer_err err = db_change(db, "DELETE FROM files WHERE id = ?", DB_ARGS(id));
	if (err == COFFER_OK) {
		err = db_change(db, "DELETE FROM data_keys WHERE kind = 'file' AND object_id = ?",
				DB_ARGS(id));
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK; /* a file without its key: damage that deleting it ends */
	}
	return err;
}

enum coffer_err sqlite_store_file_delete(struct sqlite_org_db *odb, const char *org_id,
					 const char *id, struct audit_entry *audit)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return org_write(odb, org_id, delete_tx, id, audit);
}

enum coffer_err sqlite_store_file_exists(struct sqlite_org_db *odb, const char *id, bool *exists)
{
	if (!uuid_valid(id)) {
		*exists = false;
		return COFFER_OK;
	}
	enum coffer_err err = db_pool_row(&odb->pool, "SELECT 1 FROM files WHERE id = ?",
					  DB_ARGS(db_text_n(id, UUID_TEXT_LEN)), NULL, NULL);
	if (err != COFFER_OK && err != COFFER_ERR_NOT_FOUND)
		return err;
	*exists = err == COFFER_OK;
	return COFFER_OK;
}
