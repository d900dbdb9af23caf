/* org_list.c — paging through an organisation's records and files: newest created first, a
 * page starting after the row its cursor names (that row's creation sequence, so rows created
 * or deleted between two pages never shift one), rows above the reader's level never seen,
 * not even as a cursor. */
#include "common/uuid.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"

#define FIRST_PAGE INT64_MAX /* the sequence bound of a first page: every row is below */

static enum coffer_err list_check(enum level max_level, size_t limit, size_t max)
{
	if ((unsigned int)max_level > LEVEL_RESTRICTED || limit == 0 || limit > max)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

/* The creation sequence of row AFTER ("" for the first page) at or below MAX_LEVEL. */
static enum coffer_err list_cursor(sqlite3 *db, const char *sql, enum level max_level,
				   const char *after, int64_t *seq)
{
	if (after[0] == '\0') {
		*seq = FIRST_PAGE;
		return COFFER_OK;
	}
	if (!uuid_valid(after))
		return COFFER_ERR_NOT_FOUND;
	return db_row(db, sql, DB_ARGS(db_text_n(after, UUID_TEXT_LEN), db_int(max_level)),
		      db_read_int64, seq);
}

enum coffer_err org_list_page(struct org_db *odb, const struct org_list_query *q,
			      enum level max_level, const char *after, size_t limit, void *out,
			      size_t *n, bool *more)
{
	int64_t below = 0;
	size_t got = 0;
	bool extra = false;
	enum coffer_err err = list_check(max_level, limit, q->max);
	if (err != COFFER_OK)
		return err;
	sqlite3 *db = db_pool_get(&odb->pool);
	/* One snapshot for the cursor's look-up and the page. */
	err = db_begin_read(db);
	if (err == COFFER_OK)
		err = list_cursor(db, q->cursor_sql, max_level, after, &below);
	/* One row more than the page: is there a next? */
	if (err == COFFER_OK)
		err = db_rows(db, q->page_sql,
			      DB_ARGS(db_int(max_level), db_int(below), db_int((int64_t)limit + 1)),
			      q->read, (struct db_items){out, q->item_size, limit}, &got, &extra);
	err = db_end(db, err);
	db_pool_put(&odb->pool, db);
	if (err == COFFER_OK) {
		*n = got;
		*more = extra;
	}
	return err;
}
