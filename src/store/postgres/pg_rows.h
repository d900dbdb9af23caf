/* pg_rows.h — reading the rows of a query, for the PostgreSQL store's files.
 *
 * The store asks for results in binary (PG_BINARY_RESULTS): a bytea arrives as its raw bytes,
 * an integer as its big-endian bytes, with nothing to parse. The readers below check each
 * value's length against its column's type, so a column of an unexpected type is an error
 * (COFFER_ERR_STORAGE) rather than a misread:
 *
 *	static enum coffer_err read_name(const PGresult *r, int row, void *out)
 *	{
 *		return pg_get_text(r, row, 0, out, NAME_MAX + 1) ? COFFER_OK : COFFER_ERR_STORAGE;
 *	}
 *	err = pg_row(c, "SELECT name FROM orgs WHERE id = $1", PG_ARGS(pg_text(id)), read_name,
 *		     name);
 */
#ifndef COFFER_PG_ROWS_H
#define COFFER_PG_ROWS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/postgres/pg_query.h"

/* Reads row ROW of R into OUT. */
typedef enum coffer_err (*pg_row_fn)(const PGresult *r, int row, void *out);

/* Runs SQL (binary results) and reads its first row with READ: COFFER_ERR_NOT_FOUND when it
 * returned none. */
COFFER_MUST_CHECK enum coffer_err pg_row(struct pg_conn *c, const char *sql, struct pg_args args,
					 pg_row_fn read, void *out);

/* Runs SQL (binary results) and reads up to MAX rows with READ into OUT, an array of items of
 * ITEM_SIZE bytes; *N set. More rows than MAX is COFFER_ERR_INTERNAL: give a LIMIT. */
COFFER_MUST_CHECK enum coffer_err pg_rows(struct pg_conn *c, const char *sql, struct pg_args args,
					  pg_row_fn read, void *out, size_t item_size, size_t max,
					  size_t *n);

/* Whether column COL of ROW is NULL. */
bool pg_get_null(const PGresult *r, int row, int col);

/* An integer column (smallint, integer, bigint) or a boolean (0 or 1) into *OUT; false for
 * NULL or another type. */
COFFER_MUST_CHECK bool pg_get_int(const PGresult *r, int row, int col, int64_t *out);

/* A text column into OUT (SIZE bytes with its NUL); false for NULL or a value that does not
 * fit. */
COFFER_MUST_CHECK bool pg_get_text(const PGresult *r, int row, int col, char *out, size_t size);

/* A bytea column into OUT, at most MAX bytes, its length into *LEN; false for NULL or a value
 * longer than MAX. */
COFFER_MUST_CHECK bool pg_get_bytea_max(const PGresult *r, int row, int col, uint8_t *out,
					size_t max, size_t *len);

/* A bytea column of exactly LEN bytes into OUT; false otherwise. */
COFFER_MUST_CHECK bool pg_get_bytea_exact(const PGresult *r, int row, int col, uint8_t *out,
					  size_t len);

/* A bytea column copied into a malloc'd buffer *OUT (freed by the caller; 1 byte allocated
 * for an empty value), its length into *LEN; false for NULL, a value longer than MAX or no
 * memory. */
COFFER_MUST_CHECK bool pg_get_bytea_dup(const PGresult *r, int row, int col, size_t max,
					uint8_t **out, size_t *len);

#endif
