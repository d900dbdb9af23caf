/* org_list.c — paging through an organisation's records and files: newest created first, a
 * page starting after the row its cursor names (that row's creation sequence, so rows created
 * or deleted between two pages never shift one), rows above the reader's level never seen,
 * not even as a cursor. */
#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"

#define FIRST_PAGE INT64_MAX /* the sequence bound of a first page: every row is below */

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

/* A page being read: the query, the reader's level and cursor, and where the rows go. */
struct page {
	const struct org_list_query *q;
	enum level max_level;
	const char *after;
	size_t limit;
	void *out;
	size_t n;
	bool more;
};

/* The cursor's look-up and the page, in one snapshot. */
static enum coffer_err page_tx(sqlite3 *db, void *ctx)
{
	struct page *p = ctx;
	int64_t below = 0;
	enum coffer_err err = list_cursor(db, p->q->cursor_sql, p->max_level, p->after, &below);
	/* One row more than the page: is there a next? */
	if (err == COFFER_OK)
		err = db_rows(
		    db, p->q->page_sql,
		    DB_ARGS(db_int(p->max_level), db_int(below), db_int((int64_t)p->limit + 1)),
		    p->q->read, (struct db_items){p->out, p->q->item_size, p->limit}, &p->n,
		    &p->more);
	return err;
}

enum coffer_err org_list_page(struct sqlite_org_db *odb, const struct org_list_query *q,
			      enum level max_level, const char *after, size_t limit, void *out,
			      size_t *n, bool *more)
{
	struct page p = {q, max_level, after, limit, out, 0, false};
	enum coffer_err err = content_list_check(max_level, limit, q->max);
	if (err == COFFER_OK)
		err = db_pool_read(&odb->pool, page_tx, &p);
	if (err == COFFER_OK) {
		*n = p.n;
		*more = p.more;
	}
	return err;
}
