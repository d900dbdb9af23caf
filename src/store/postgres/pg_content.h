/* pg_content.h — what the PostgreSQL store's content files share (pg_data_keys.c,
 * pg_records.c, pg_files.c, pg_content_list.c, pg_export_reads.c): reading a data key and a
 * record version's sealed parts from a row, inserting a data key inside a write, and paging.
 * Nothing outside src/store/postgres/ includes this. */
#ifndef COFFER_PG_CONTENT_H
#define COFFER_PG_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/postgres/pg_store_db.h"

/* A data key's six columns, in the order pg_data_key_read reads them, for a table aliased k.
 * Its level is named key_level: a page selects it beside its object's own level. */
#define PG_DATA_KEY_COLUMNS                                                                        \
	"k.kind, k.object_id, k.object_version, k.level AS key_level, k.org_key_version, "         \
	"k.wrapped"

/* Inserts K (checked: data_key_check) on C, inside the caller's transaction. COFFER_ERR_EXISTS
 * when the object version has a key already. */
COFFER_MUST_CHECK enum coffer_err pg_data_key_insert(struct pg_conn *c,
						     const struct data_key_record *k);

/* Reads a data key from the six columns of ROW of R starting at FIRST (PG_DATA_KEY_COLUMNS);
 * COFFER_ERR_STORAGE when one is missing or out of range (a LEFT JOIN that found no key: a
 * row that should have one has none). */
COFFER_MUST_CHECK enum coffer_err pg_data_key_read(const PGresult *r, int row, int first,
						   struct data_key_record *out);

/* Reads a record version's sealed parts from ROW of R, starting at column FIRST: its data key
 * (pg_data_key_read), its title (FIRST + 6) and, when WITH_BODY, its body (FIRST + 7, malloc'd
 * into OUT->body; NULL otherwise). A live version without its key or content is damage:
 * COFFER_ERR_STORAGE. */
COFFER_MUST_CHECK enum coffer_err pg_record_sealed_read(const PGresult *r, int row, int first,
							bool with_body, struct record_row *out);

/* Listing pages (records and files): newest first by creation sequence, after a cursor. */

/* A page statement: the cursor's look-up and the page in one statement, so one snapshot.
 * CURSOR_SQL selects the sequence of the row named $2 at or below level $1; PAGE_SQL selects
 * the page's rows, each its sequence (named seq) first, with $1 the reader's level, c.below
 * the cursor's sequence and $3 the row limit, newest first. The statement's column 0 is the
 * cursor's sequence (NULL when $2 names no row), column 1 the row's (NULL in the one row of an
 * empty page), the item's columns from 2. $2 NULL is the first page: every row is below. */
#define PG_LIST_SQL(cursor_sql, page_sql)                                                          \
	"SELECT c.below, p.* FROM (SELECT CASE WHEN $2::text IS NULL THEN 9223372036854775807 "    \
	"ELSE (" cursor_sql ") END AS below) c LEFT JOIN LATERAL (" page_sql ") p ON true "        \
	"ORDER BY p.seq DESC"

struct pg_list_query {
	const char *sql;  /* PG_LIST_SQL */
	size_t max;	  /* LIMIT at most */
	size_t item_size; /* bytes of one item of OUT */
	/* Reads ROW of R, from column 2, into ITEM. */
	enum coffer_err (*read)(const PGresult *r, int row, void *item);
};

/* Reads up to LIMIT (1..Q->max) rows at or below MAX_LEVEL after the row AFTER ("" for the
 * first page) into OUT, in one snapshot; *N and *MORE set. COFFER_ERR_NOT_FOUND when AFTER
 * names no row at or below MAX_LEVEL (or is not an id at all: a hostile cursor names nothing),
 * COFFER_ERR_INVALID_INPUT for a LIMIT or level out of range. */
COFFER_MUST_CHECK enum coffer_err pg_list_page(struct pg_org_db *odb, const struct pg_list_query *q,
					       enum level max_level, const char *after,
					       size_t limit, void *out, size_t *n, bool *more);

/* Runs SQL, one statement, on a connection to ODB's database; *OUT its rows in binary (the
 * caller PQclear()s it). */
COFFER_MUST_CHECK enum coffer_err pg_content_query(struct pg_org_db *odb, const char *sql,
						   struct pg_args args, PGresult **out);

#endif
