/* pg_content_list.c — paging through an organisation's records and files (as the SQLite
 * store's org_list.c): newest created first, a page starting after the row its cursor names
 * (that row's creation sequence, so rows created or deleted between two pages never shift
 * one), rows above the reader's level never seen, not even as a cursor. The cursor's look-up
 * and the page are one statement (PG_LIST_SQL), so they see one snapshot; pg_org_write holds
 * the chain's lock for every write, so sequences are committed in their order and a page never
 * skips a row committed late. */
#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/postgres/pg_content.h"

enum coffer_err pg_content_query(struct pg_org_db *odb, const char *sql, struct pg_args args,
				 PGresult **out)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(odb->st->pool, odb->db, &c);
	if (err != COFFER_OK)
		return err;
	err = pg_query(c, sql, args, PG_BINARY_RESULTS, out);
	pg_pool_put(odb->st->pool, c);
	return err;
}

/* Reads the page R holds (PG_LIST_SQL's columns) into OUT: at most LIMIT rows, *MORE when
 * it holds one more. */
static enum coffer_err read_page(const PGresult *r, const struct pg_list_query *q, size_t limit,
				 void *out, size_t *n, bool *more)
{
	int rows = PQntuples(r);
	if (rows < 1)
		return COFFER_ERR_STORAGE; /* the cursor's row is always there */
	if (pg_get_null(r, 0, 0))
		return COFFER_ERR_NOT_FOUND; /* the cursor names no row the reader may see */
	if (pg_get_null(r, 0, 1)) {
		*n = 0; /* an empty page */
		*more = false;
		return COFFER_OK;
	}
	size_t got = (size_t)rows < limit ? (size_t)rows : limit;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; i < got && err == COFFER_OK; i++)
		err = q->read(r, (int)i, (uint8_t *)out + i * q->item_size);
	if (err == COFFER_OK) {
		*n = got;
		*more = (size_t)rows > limit;
	}
	return err;
}

enum coffer_err pg_list_page(struct pg_org_db *odb, const struct pg_list_query *q,
			     enum level max_level, const char *after, size_t limit, void *out,
			     size_t *n, bool *more)
{
	enum coffer_err err = content_list_check(max_level, limit, q->max);
	if (err != COFFER_OK)
		return err;
	bool first = after[0] == '\0';
	if (!first && !uuid_valid(after))
		return COFFER_ERR_NOT_FOUND;
	PGresult *r = NULL;
	/* One row more than the page: is there a next? */
	err = pg_content_query(odb, q->sql,
			       PG_ARGS(pg_int(max_level), first ? pg_null() : pg_text(after),
				       pg_int((int64_t)limit + 1)),
			       &r);
	if (err == COFFER_OK)
		err = read_page(r, q, limit, out, n, more);
	PQclear(r);
	return err;
}
