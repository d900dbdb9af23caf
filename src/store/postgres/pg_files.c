/* pg_files.c — an organisation's files in its PostgreSQL database (as the SQLite store's
 * files.c): one row per file with its clear metadata (level, size, content type, creation)
 * and its sealed metadata (name and SHA-256), and its data key (data_keys, kind "file",
 * version 1). The bytes are blobs (store/blobs.h), durable before the row is committed.
 *
 * Every change is one transaction with its audit entry (pg_org_write); every read one
 * statement. Listing pages as records do (pg_content_list.c). Ids that are not UUIDs name no
 * file. */
#include <string.h>

#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/postgres/pg_content.h"

/* A file's row (0..5), its data key (6..11) and sealed metadata (12). */
#define FILE_COLUMNS                                                                               \
	"f.id, f.level, f.size, f.content_type, f.created_at, f.created_by, " PG_DATA_KEY_COLUMNS  \
	", f.meta"
#define FILE_FROM                                                                                  \
	" FROM files f LEFT JOIN data_keys k ON k.kind = 'file' AND k.object_id = f.id AND"        \
	" k.object_version = 1 "

/* Reads ROW of R from column FIRST on (FILE_COLUMNS). */
static enum coffer_err read_file_at(const PGresult *r, int row, int first, struct file_row *out)
{
	int64_t level = -1, size = -1;
	if (!pg_get_text(r, row, first, out->id, sizeof out->id) ||
	    !pg_get_int(r, row, first + 1, &level) || level < LEVEL_PUBLIC ||
	    level > LEVEL_RESTRICTED || !pg_get_int(r, row, first + 2, &size) || size < 0 ||
	    !pg_get_text(r, row, first + 3, out->content_type, sizeof out->content_type) ||
	    !pg_get_int(r, row, first + 4, &out->created_at) ||
	    !pg_get_text(r, row, first + 5, out->created_by, sizeof out->created_by))
		return COFFER_ERR_STORAGE;
	out->level = (enum level)level;
	out->size = (uint64_t)size;
	enum coffer_err err = pg_data_key_read(r, row, first + 6, &out->key);
	if (err == COFFER_OK &&
	    (!pg_get_bytea_max(r, row, first + 12, out->meta, sizeof out->meta, &out->meta_len) ||
	     out->meta_len == 0))
		err = COFFER_ERR_STORAGE;
	return err;
}

static enum coffer_err read_file(const PGresult *r, int row, void *out)
{
	return read_file_at(r, row, 0, out);
}

/* A listed file: after the page's two columns. */
static enum coffer_err read_listed(const PGresult *r, int row, void *out)
{
	return read_file_at(r, row, 2, out);
}

/* A file to add, checked (file_row_check). */
struct addition {
	const struct file_row *row;
};

static enum coffer_err add_tx(struct pg_conn *c, void *ctx)
{
	const struct file_row *row = ((struct addition *)ctx)->row;
	/* COFFER_ERR_EXISTS when the id is taken. */
	enum coffer_err err =
	    pg_exec(c,
		    "INSERT INTO files (id, level, size, content_type, created_at, created_by, "
		    "meta) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		    PG_ARGS(pg_text(row->id), pg_int(row->level), pg_int((int64_t)row->size),
			    pg_text(row->content_type), pg_int(row->created_at),
			    pg_text(row->created_by), pg_bytea(row->meta, row->meta_len)));
	if (err == COFFER_OK)
		err = pg_data_key_insert(c, &row->key);
	return err;
}

enum coffer_err pg_store_file_add(struct pg_org_db *odb, const char *org_id,
				  const struct file_row *row, struct audit_entry *audit)
{
	/* content_type is sent as text: file_row_check checks it ends within its array. */
	enum coffer_err err = file_row_check(row);
	if (err != COFFER_OK)
		return err;
	struct addition a = {row};
	return pg_org_write(odb, org_id, add_tx, &a, audit);
}

enum coffer_err pg_store_file_get(struct pg_org_db *odb, const char *id, struct file_row *out)
{
	struct file_row row; /* OUT changes only on success */
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = pg_org_row(odb, "SELECT " FILE_COLUMNS FILE_FROM "WHERE f.id = $1",
					 PG_ARGS(pg_text(id)), read_file, &row);
	if (err == COFFER_OK)
		*out = row;
	return err;
}

enum coffer_err pg_store_files_list(struct pg_org_db *odb, enum level max_level, const char *after,
				    size_t limit, struct file_row *out, size_t *n, bool *more)
{
	static const struct pg_list_query q = {
	    .sql = PG_LIST_SQL("SELECT seq FROM files WHERE id = $2 AND level <= $1",
			       "SELECT f.seq, " FILE_COLUMNS FILE_FROM
			       "WHERE f.level <= $1 AND f.seq < c.below "
			       "ORDER BY f.seq DESC LIMIT $3"),
	    .max = FILE_LIST_MAX,
	    .item_size = sizeof *out,
	    .read = read_listed,
	};
	return pg_list_page(odb, &q, max_level, after, limit, out, n, more);
}

static enum coffer_err delete_tx(struct pg_conn *c, void *ctx)
{
	const char *id = ctx;
	enum coffer_err err = pg_change(c, "DELETE FROM files WHERE id = $1", PG_ARGS(pg_text(id)));
	/* A file without its key is damage that deleting it ends: no key deleted is no error. */
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM data_keys WHERE kind = 'file' AND object_id = $1",
			      PG_ARGS(pg_text(id)));
	return err;
}

enum coffer_err pg_store_file_delete(struct pg_org_db *odb, const char *org_id, const char *id,
				     struct audit_entry *audit)
{
	char checked[UUID_TEXT_LEN + 1];
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	memcpy(checked, id, sizeof checked);
	return pg_org_write(odb, org_id, delete_tx, checked, audit);
}

static enum coffer_err read_exists(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	*(bool *)out = true;
	return COFFER_OK;
}

enum coffer_err pg_store_file_exists(struct pg_org_db *odb, const char *id, bool *exists)
{
	bool found = false;
	if (!uuid_valid(id)) {
		*exists = false;
		return COFFER_OK;
	}
	enum coffer_err err = pg_org_row(odb, "SELECT 1 FROM files WHERE id = $1",
					 PG_ARGS(pg_text(id)), read_exists, &found);
	if (err != COFFER_OK && err != COFFER_ERR_NOT_FOUND)
		return err;
	*exists = found;
	return COFFER_OK;
}
