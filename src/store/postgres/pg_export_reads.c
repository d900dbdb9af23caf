/* pg_export_reads.c — the export's own reads of an organisation's PostgreSQL database
 * (store/export_reads.h; as the SQLite store's export_reads.c). Each is one statement, so one
 * snapshot. */
#include <stdlib.h>

#include "common/uuid.h"
#include "store/export_reads.h"
#include "store/postgres/pg_content.h"

struct above {
	int64_t records, files;
};

static enum coffer_err read_above(const PGresult *r, int row, void *out)
{
	struct above *a = out;
	if (!pg_get_int(r, row, 0, &a->records) || a->records < 0 ||
	    !pg_get_int(r, row, 1, &a->files) || a->files < 0)
		return COFFER_ERR_STORAGE;
	return COFFER_OK;
}

enum coffer_err pg_store_org_count_above(struct pg_org_db *odb, enum level level, uint64_t *records,
					 uint64_t *files)
{
	struct above a = {0};
	/* One statement: one snapshot of both counts. */
	enum coffer_err err =
	    pg_org_row(odb,
		       "SELECT (SELECT count(*) FROM records WHERE NOT deleted AND level > $1), "
		       "(SELECT count(*) FROM files WHERE level > $1)",
		       PG_ARGS(pg_int(level)), read_above, &a);
	if (err == COFFER_OK) {
		*records = (uint64_t)a.records;
		*files = (uint64_t)a.files;
	}
	return err;
}

/* Columns as pg_records.c's, with the version's own level and update, then the body. */
static enum coffer_err read_version_row(const PGresult *r, int row, void *out)
{
	struct record_row *rec = out;
	struct record_meta *m = &rec->meta;
	int64_t level = -1, version = 0;
	rec->body = NULL;
	if (!pg_get_text(r, row, 0, m->id, sizeof m->id) || !pg_get_int(r, row, 1, &level) ||
	    level < LEVEL_PUBLIC || level > LEVEL_RESTRICTED || !pg_get_int(r, row, 2, &version) ||
	    version < 1 || version > UINT32_MAX || !pg_get_int(r, row, 3, &m->created_at) ||
	    !pg_get_text(r, row, 4, m->created_by, sizeof m->created_by) ||
	    !pg_get_int(r, row, 5, &m->updated_at) ||
	    !pg_get_text(r, row, 6, m->updated_by, sizeof m->updated_by))
		return COFFER_ERR_STORAGE;
	m->level = (enum level)level;
	m->version = (uint32_t)version;
	m->deleted = false;
	return pg_record_sealed_read(r, row, 7, true, rec);
}

enum coffer_err pg_store_record_version_get(struct pg_org_db *odb, const char *id, uint32_t version,
					    struct record_row *out)
{
	if (!uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	static const char sql[] =
	    "SELECT r.id, v.level, v.version, r.created_at, r.created_by, v.updated_at, "
	    "v.updated_by, " PG_DATA_KEY_COLUMNS ", v.title, v.body FROM records r "
	    "JOIN record_versions v ON v.record_id = r.id AND v.version = $2 "
	    "LEFT JOIN data_keys k ON k.kind = 'record' AND k.object_id = r.id AND "
	    "k.object_version = v.version WHERE r.id = $1 AND NOT r.deleted "
	    "AND v.title IS NOT NULL";
	struct record_row *row = malloc(sizeof *row); /* OUT changes only on success */
	if (row == NULL)
		return COFFER_ERR_NOMEM;
	row->body = NULL;
	enum coffer_err err =
	    pg_org_row(odb, sql, PG_ARGS(pg_text(id), pg_int(version)), read_version_row, row);
	if (err == COFFER_OK)
		*out = *row;
	else
		free(row->body);
	free(row);
	return err;
}
