/* export_reads.c — the export's own reads of an organisation's database (store/export_reads.h). */
#include "store/export_reads.h"

#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"

struct above {
	int64_t records, files;
};

static enum coffer_err read_above(sqlite3_stmt *s, void *out)
{
	struct above *a = out;
	a->records = sqlite3_column_int64(s, 0);
	a->files = sqlite3_column_int64(s, 1);
	return COFFER_OK;
}

enum coffer_err sqlite_store_org_count_above(struct sqlite_org_db *odb, enum level level,
					     uint64_t *records, uint64_t *files)
{
	struct above a = {0};
	/* One statement: one read snapshot of both counts. */
	enum coffer_err err =
	    db_pool_row(&odb->pool,
			"SELECT (SELECT count(*) FROM records WHERE deleted = 0 AND level > ?1), "
			"(SELECT count(*) FROM files WHERE level > ?1)",
			DB_ARGS(db_int(level)), read_above, &a);
	if (err == COFFER_OK) {
		*records = (uint64_t)a.records;
		*files = (uint64_t)a.files;
	}
	return err;
}

/* Columns as records.c's ROW_COLUMNS, with the version's own level and update, then the body. */
static enum coffer_err read_version_row(sqlite3_stmt *s, void *out)
{
	struct record_row *row = out;
	struct record_meta *m = &row->meta;
	db_column_text(s, 0, m->id, sizeof m->id);
	m->level = (enum level)sqlite3_column_int(s, 1);
	m->version = (uint32_t)sqlite3_column_int64(s, 2);
	m->created_at = sqlite3_column_int64(s, 3);
	db_column_text(s, 4, m->created_by, sizeof m->created_by);
	m->updated_at = sqlite3_column_int64(s, 5);
	db_column_text(s, 6, m->updated_by, sizeof m->updated_by);
	m->deleted = false;
	return record_sealed_read(s, 7, true, row);
}

enum coffer_err sqlite_store_record_version_get(struct sqlite_org_db *odb, const char *id,
						uint32_t version, struct record_row *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	static const char sql[] =
	    "SELECT r.id, v.level, v.version, r.created_at, r.created_by, v.updated_at, "
	    "v.updated_by, k.kind, k.object_id, k.object_version, k.level, k.org_key_version, "
	    "k.wrapped, v.title, v.body FROM records r JOIN record_versions v ON v.record_id = "
	    "r.id AND v.version = ?2 LEFT JOIN data_keys k ON k.kind = 'record' AND "
	    "k.object_id = r.id AND k.object_version = v.version WHERE r.id = ?1 AND r.deleted = 0 "
	    "AND v.title IS NOT NULL";
	struct record_row *row = malloc(sizeof *row); /* OUT changes only on success */
	if (row == NULL)
		return COFFER_ERR_NOMEM;
	row->body = NULL;
	enum coffer_err err =
	    db_pool_row(&odb->pool, sql, DB_ARGS(db_text_n(id, UUID_TEXT_LEN), db_int(version)),
			read_version_row, row);
	if (err == COFFER_OK)
		*out = *row;
	else
		free(row->body);
	free(row);
	return err;
}
