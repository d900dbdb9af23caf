/* query.c — statements run in one call, and the column readers (query.h). */
#include "store/sqlite/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Binds ARGS to ?1, ?2, … of S. A failure is a bug of ours (a parameter the statement does not
 * have, a value too long for SQLite): logged, and mapped like any SQLite error. */
static enum coffer_err bind_args(sqlite3_stmt *s, struct db_args args)
{
	for (size_t i = 0; i < args.n; i++) {
		const struct db_arg *a = &args.v[i];
		int idx = (int)i + 1, rc;
		switch (a->kind) {
		case DB_ARG_NULL: rc = sqlite3_bind_null(s, idx); break;
		case DB_ARG_INT: rc = sqlite3_bind_int64(s, idx, a->i); break;
		case DB_ARG_TEXT:
			rc = sqlite3_bind_text(s, idx, a->p, a->len, SQLITE_STATIC);
			break;
		case DB_ARG_BLOB:
			rc = sqlite3_bind_blob(s, idx, a->p, a->len, SQLITE_STATIC);
			break;
		default: rc = SQLITE_TOOBIG; break;
		}
		if (rc != SQLITE_OK) {
			log_msg(LOG_ERROR, "db", "cannot bind parameter %d: %s", idx,
				sqlite3_errstr(rc));
			return db_err(rc);
		}
	}
	return COFFER_OK;
}

/* A statement for SQL on DB with ARGS bound, to be given back with db_finish. */
static enum coffer_err start(sqlite3 *db, const char *sql, struct db_args args, sqlite3_stmt **out)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK)
		err = bind_args(s, args);
	if (err != COFFER_OK) {
		db_finish(s);
		return err;
	}
	*out = s;
	return COFFER_OK;
}

/* What a walk over a statement's rows does with each: EACH(S, CTX), which may end the walk
 * early without an error by setting *STOP. */
typedef enum coffer_err (*row_fn)(sqlite3_stmt *s, void *ctx, bool *stop);

/* Runs SQL and hands its rows to EACH until there are no more, EACH fails or it stops. */
static enum coffer_err walk(sqlite3 *db, const char *sql, struct db_args args, row_fn each,
			    void *ctx)
{
	sqlite3_stmt *s = NULL;
	bool stop = false;
	int rc = SQLITE_DONE;
	enum coffer_err err = start(db, sql, args, &s);
	while (err == COFFER_OK && !stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = each(s, ctx, &stop);
	if (err == COFFER_OK && !stop && rc != SQLITE_DONE)
		err = db_err(rc);
	db_finish(s);
	return err;
}

enum coffer_err db_exec(sqlite3 *db, const char *sql, struct db_args args)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = start(db, sql, args, &s);
	if (err == COFFER_OK)
		err = db_step_done(s);
	db_finish(s);
	return err;
}

enum coffer_err db_change(sqlite3 *db, const char *sql, struct db_args args)
{
	enum coffer_err err = db_exec(db, sql, args);
	if (err == COFFER_OK && sqlite3_changes(db) == 0)
		err = COFFER_ERR_NOT_FOUND;
	return err;
}

struct first_row {
	db_read_fn read;
	void *out;
	bool found;
};

static enum coffer_err read_first(sqlite3_stmt *s, void *ctx, bool *stop)
{
	struct first_row *f = ctx;
	f->found = true;
	*stop = true;
	return f->read != NULL ? f->read(s, f->out) : COFFER_OK;
}

enum coffer_err db_row(sqlite3 *db, const char *sql, struct db_args args, db_read_fn read,
		       void *out)
{
	struct first_row f = {.read = read, .out = out};
	enum coffer_err err = walk(db, sql, args, read_first, &f);
	if (err == COFFER_OK && !f.found)
		err = COFFER_ERR_NOT_FOUND;
	return err;
}

struct every_row {
	db_read_fn each;
	void *ctx;
};

static enum coffer_err read_every(sqlite3_stmt *s, void *ctx, bool *stop)
{
	struct every_row *e = ctx;
	(void)stop;
	return e->each(s, e->ctx);
}

enum coffer_err db_each(sqlite3 *db, const char *sql, struct db_args args, db_read_fn each,
			void *ctx)
{
	struct every_row e = {.each = each, .ctx = ctx};
	return walk(db, sql, args, read_every, &e);
}

struct some_rows {
	db_read_fn read;
	struct db_items into;
	size_t n;
	bool more;
};

static enum coffer_err read_some(sqlite3_stmt *s, void *ctx, bool *stop)
{
	struct some_rows *r = ctx;
	if (r->n == r->into.max) {
		r->more = true;
		*stop = true;
		return COFFER_OK;
	}
	return r->read(s, (char *)r->into.items + r->n++ * r->into.size);
}

enum coffer_err db_rows(sqlite3 *db, const char *sql, struct db_args args, db_read_fn read,
			struct db_items into, size_t *n, bool *more)
{
	struct some_rows r = {.read = read, .into = into};
	enum coffer_err err = walk(db, sql, args, read_some, &r);
	if (err != COFFER_OK)
		return err;
	*n = r.n;
	if (more != NULL)
		*more = r.more;
	return COFFER_OK;
}

struct all_rows {
	db_read_fn read;
	size_t size;
	char *items;
	size_t n, cap;
};

static enum coffer_err read_all(sqlite3_stmt *s, void *ctx, bool *stop)
{
	struct all_rows *r = ctx;
	(void)stop;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		char *grown = reallocarray(r->items, cap, r->size);
		if (grown == NULL)
			return COFFER_ERR_NOMEM;
		r->items = grown;
		r->cap = cap;
	}
	return r->read(s, r->items + r->n++ * r->size);
}

enum coffer_err db_rows_alloc(sqlite3 *db, const char *sql, struct db_args args, db_read_fn read,
			      size_t size, void **out, size_t *n)
{
	struct all_rows r = {.read = read, .size = size};
	enum coffer_err err = walk(db, sql, args, read_all, &r);
	if (err != COFFER_OK) {
		free(r.items);
		return err;
	}
	*out = r.items;
	*n = r.n;
	return COFFER_OK;
}

enum coffer_err db_pool_exec(struct db_pool *pool, const char *sql, struct db_args args)
{
	sqlite3 *db = db_pool_get_writer(pool);
	enum coffer_err err = db_exec(db, sql, args);
	db_pool_put_writer(pool, db);
	return err;
}

enum coffer_err db_pool_change(struct db_pool *pool, const char *sql, struct db_args args)
{
	sqlite3 *db = db_pool_get_writer(pool);
	enum coffer_err err = db_change(db, sql, args);
	db_pool_put_writer(pool, db);
	return err;
}

enum coffer_err db_pool_row(struct db_pool *pool, const char *sql, struct db_args args,
			    db_read_fn read, void *out)
{
	sqlite3 *db = db_pool_get(pool);
	enum coffer_err err = db_row(db, sql, args, read, out);
	db_pool_put(pool, db);
	return err;
}

enum coffer_err db_pool_rows(struct db_pool *pool, const char *sql, struct db_args args,
			     db_read_fn read, struct db_items into, size_t *n, bool *more)
{
	sqlite3 *db = db_pool_get(pool);
	enum coffer_err err = db_rows(db, sql, args, read, into, n, more);
	db_pool_put(pool, db);
	return err;
}

enum coffer_err db_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? COFFER_OK : db_err(rc);
}

enum coffer_err db_read_int64(sqlite3_stmt *s, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(s, 0);
	return COFFER_OK;
}

void db_column_text(sqlite3_stmt *s, int col, char *out, size_t outlen)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(out, outlen, "%s", v ? (const char *)v : "");
}

bool db_column_blob(sqlite3_stmt *s, int col, void *out, size_t len)
{
	const void *v = sqlite3_column_blob(s, col);
	if (v == NULL || (size_t)sqlite3_column_bytes(s, col) != len)
		return false;
	memcpy(out, v, len);
	return true;
}

bool db_column_blob_max(sqlite3_stmt *s, int col, void *out, size_t max, size_t *len)
{
	const void *v = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	if (v == NULL) {
		*len = 0;
		return true;
	}
	if (n > max)
		return false;
	memcpy(out, v, n);
	*len = n;
	return true;
}
