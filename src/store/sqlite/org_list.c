/* org_list.c — paging through an organisation's records and files: newest created first, a
 * page starting after the row its cursor names (that row's creation sequence, so rows created
 * or deleted between two pages never shift one), rows above the reader's level never seen,
 * not even as a cursor. */
#include "common/uuid.h"
#include "store/sqlite/org_db.h"

#define FIRST_PAGE INT64_MAX /* the sequence bound of a first page: every row is below */

static enum coffer_err list_check(enum level max_level, size_t limit, size_t max)
{
	if ((unsigned int)max_level > LEVEL_RESTRICTED || limit == 0 || limit > max)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

static enum coffer_err list_cursor(sqlite3 *db, const char *sql, enum level max_level,
				   const char *after, int64_t *seq)
{
	sqlite3_stmt *s = NULL;
	if (after[0] == '\0') {
		*seq = FIRST_PAGE;
		return COFFER_OK;
	}
	if (!uuid_valid(after))
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, after, UUID_TEXT_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, (int)max_level);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			*seq = sqlite3_column_int64(s, 0);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(s);
	return err;
}

enum coffer_err org_list_page(struct org_db *odb, const struct org_list_query *q,
			      enum level max_level, const char *after, size_t limit, void *out,
			      size_t *n, bool *more)
{
	int64_t below = 0;
	size_t got = 0;
	bool extra = false;
	sqlite3_stmt *s = NULL;
	enum coffer_err err = list_check(max_level, limit, q->max);
	if (err != COFFER_OK)
		return err;
	sqlite3 *db = db_pool_get(&odb->pool);
	/* One snapshot for the cursor's look-up and the page. */
	err = db_begin_read(db);
	if (err == COFFER_OK)
		err = list_cursor(db, q->cursor_sql, max_level, after, &below);
	if (err == COFFER_OK)
		err = db_prepare(db, q->page_sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int(s, 1, (int)max_level);
		sqlite3_bind_int64(s, 2, below);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)limit + 1); /* one more: is there a next? */
		int rc;
		while (err == COFFER_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (got == limit) {
				extra = true;
				break;
			}
			err = q->read(s, (char *)out + got++ * q->item_size);
		}
		if (err == COFFER_OK && !extra && rc != SQLITE_DONE)
			err = db_err(rc);
	}
	db_finish(s);
	err = db_end(db, err);
	db_pool_put(&odb->pool, db);
	if (err == COFFER_OK) {
		*n = got;
		*more = extra;
	}
	return err;
}
