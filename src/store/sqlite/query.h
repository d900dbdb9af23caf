/* query.h — one statement in one call: prepare, bind the parameters, step through the rows,
 * read them, finish, and map SQLite's result to coffer's errors (db_err), written once for every
 * query of the embedded store. Nothing outside src/store/sqlite/ includes this.
 *
 * Parameters are given as a list of values bound to ?1, ?2, … in order:
 *
 *	err = db_row(db, "SELECT name FROM orgs WHERE id = ?", DB_ARGS(db_text(id)), read, out);
 *
 * Text and blobs are bound without a copy (SQLITE_STATIC): every call below finishes its
 * statement before it returns, so the caller's buffers outlive the binding. */
#ifndef COFFER_SQLITE_QUERY_H
#define COFFER_SQLITE_QUERY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sqlite/db.h"

enum db_arg_kind { DB_ARG_NULL, DB_ARG_INT, DB_ARG_TEXT, DB_ARG_BLOB, DB_ARG_TOO_BIG };

/* One parameter's value. */
struct db_arg {
	enum db_arg_kind kind;
	int64_t i;
	const void *p;
	int len; /* bytes of text or blob; -1: text up to its NUL */
};

/* A statement's parameters: N values at V. */
struct db_args {
	const struct db_arg *v;
	size_t n;
};

#define DB_ARGS(...)                                                                               \
	((struct db_args){(const struct db_arg[]){__VA_ARGS__},                                    \
			  sizeof((const struct db_arg[]){__VA_ARGS__}) / sizeof(struct db_arg)})
#define DB_NO_ARGS ((struct db_args){NULL, 0})

static inline struct db_arg db_null(void)
{
	return (struct db_arg){.kind = DB_ARG_NULL};
}

static inline struct db_arg db_int(int64_t v)
{
	return (struct db_arg){.kind = DB_ARG_INT, .i = v};
}

/* Text up to its NUL. */
static inline struct db_arg db_text(const char *s)
{
	return (struct db_arg){.kind = DB_ARG_TEXT, .p = s, .len = -1};
}

/* The first LEN bytes of S. */
static inline struct db_arg db_text_n(const char *s, size_t len)
{
	if (len > INT_MAX)
		return (struct db_arg){.kind = DB_ARG_TOO_BIG};
	return (struct db_arg){.kind = DB_ARG_TEXT, .p = s, .len = (int)len};
}

/* S, or NULL when S is "" (an optional column). */
static inline struct db_arg db_text_or_null(const char *s)
{
	return s[0] == '\0' ? db_null() : db_text(s);
}

/* LEN bytes at DATA; NULL when DATA is NULL (a non-NULL DATA of LEN 0 is an empty blob). */
static inline struct db_arg db_blob(const void *data, size_t len)
{
	if (len > INT_MAX)
		return (struct db_arg){.kind = DB_ARG_TOO_BIG};
	return (struct db_arg){.kind = DB_ARG_BLOB, .p = data, .len = (int)len};
}

/* Reads the row S is on into OUT. */
typedef enum coffer_err (*db_read_fn)(sqlite3_stmt *s, void *out);

/* Runs SQL, a statement that returns no rows. */
COFFER_MUST_CHECK enum coffer_err db_exec(sqlite3 *db, const char *sql, struct db_args args);

/* The same for a statement that must change rows: COFFER_ERR_NOT_FOUND when it changed none. */
COFFER_MUST_CHECK enum coffer_err db_change(sqlite3 *db, const char *sql, struct db_args args);

/* Runs SQL, a query, and reads its first row with READ(S, OUT); a NULL READ reads nothing
 * (only whether there is a row counts). COFFER_ERR_NOT_FOUND when there is no row; READ's
 * error when it fails. */
COFFER_MUST_CHECK enum coffer_err db_row(sqlite3 *db, const char *sql, struct db_args args,
					 db_read_fn read, void *out);

/* Runs SQL and hands every row to EACH(S, CTX) in turn, stopping at the first error EACH
 * returns (which is returned). */
COFFER_MUST_CHECK enum coffer_err db_each(sqlite3 *db, const char *sql, struct db_args args,
					  db_read_fn each, void *ctx);

/* Where db_rows puts what it reads: up to MAX items of SIZE bytes at ITEMS. */
struct db_items {
	void *items;
	size_t size;
	size_t max;
};
#define DB_ITEMS(array, max) ((struct db_items){(array), sizeof *(array), (max)})

/* Reads up to INTO.max rows of SQL into INTO, one READ each; *N the rows read and, when MORE
 * is not NULL, *MORE whether another row followed them. *N and *MORE are set on success only. */
COFFER_MUST_CHECK enum coffer_err db_rows(sqlite3 *db, const char *sql, struct db_args args,
					  db_read_fn read, struct db_items into, size_t *n,
					  bool *more);

/* Reads every row of SQL, one READ each, into an array of items of SIZE bytes that grows as
 * needed: *OUT (caller frees with free(); NULL when there is no row) and *N, set on success
 * only. */
COFFER_MUST_CHECK enum coffer_err db_rows_alloc(sqlite3 *db, const char *sql, struct db_args args,
						db_read_fn read, size_t size, void **out,
						size_t *n);

/* db_exec, db_change, db_row and db_rows on a connection borrowed from POOL for the call. */
COFFER_MUST_CHECK enum coffer_err db_pool_exec(struct db_pool *pool, const char *sql,
					       struct db_args args);
COFFER_MUST_CHECK enum coffer_err db_pool_change(struct db_pool *pool, const char *sql,
						 struct db_args args);
COFFER_MUST_CHECK enum coffer_err db_pool_row(struct db_pool *pool, const char *sql,
					      struct db_args args, db_read_fn read, void *out);
COFFER_MUST_CHECK enum coffer_err db_pool_rows(struct db_pool *pool, const char *sql,
					       struct db_args args, db_read_fn read,
					       struct db_items into, size_t *n, bool *more);

/* Runs a statement from db_prepare that returns no rows. */
COFFER_MUST_CHECK enum coffer_err db_step_done(sqlite3_stmt *s);

/* Reads column 0 as an integer into OUT (an int64_t). */
enum coffer_err db_read_int64(sqlite3_stmt *s, void *out);

/* Copies a TEXT column into OUT (NUL-terminated, truncated to OUTLEN - 1); NULL gives "". */
void db_column_text(sqlite3_stmt *s, int col, char *out, size_t outlen);

/* Copies a BLOB column of exactly LEN bytes; false when it has another length. */
bool db_column_blob(sqlite3_stmt *s, int col, void *out, size_t len);

/* Copies a BLOB column of at most MAX bytes, setting *LEN (0 for NULL); false when longer. */
bool db_column_blob_max(sqlite3_stmt *s, int col, void *out, size_t max, size_t *len);

#endif
