/* pg_query.c — parameterised statements and transactions on a borrowed connection. */
#include "store/postgres/pg_query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/postgres/pg_err.h"
#include "store/postgres/pg_prepared.h"

#define BYTEA_OID 17 /* pg_type.oid of bytea: a binary parameter's type is given, not guessed */

/* Notes a failed statement: the code and, for a constraint, its name; never the server's
 * message, which may quote the values (an e-mail address, a title). */
static void note_failure(struct pg_conn *c, const PGresult *res, enum coffer_err err)
{
	if (PQstatus(c->pq) != CONNECTION_OK)
		c->broken = true;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	/* Refusals the store expects (a duplicate, a bad value) are its to report. */
	enum log_level level = err == COFFER_ERR_EXISTS || err == COFFER_ERR_NOT_FOUND ||
				       err == COFFER_ERR_INVALID_INPUT
				   ? LOG_DEBUG
				   : LOG_WARN;
	if (state != NULL) {
		log_msg(level, "pg", "statement failed on %s: SQLSTATE %s%s%s", c->db, state,
			constraint ? ", constraint " : "", constraint ? constraint : "");
	} else {
		const char *why = PQerrorMessage(c->pq);
		log_msg(level, "pg", "statement failed on %s: %.*s", c->db, (int)strcspn(why, "\n"),
			why);
	}
}

/* A statement's parameters as libpq takes them. */
struct encoded {
	const char *values[PG_ARGS_MAX];
	int lengths[PG_ARGS_MAX], formats[PG_ARGS_MAX];
	Oid types[PG_ARGS_MAX];
	char nums[PG_ARGS_MAX][24];
	char *copies[PG_ARGS_MAX];
	size_t n;
};

static void release(struct encoded *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->copies[i]);
		e->copies[i] = NULL;
	}
}

/* ARGS into E (whose copies release() frees, also after an error). E need not be zeroed:
 * only its first E->n entries are ever read, and they are written here. */
static enum coffer_err encode(struct pg_args args, struct encoded *e)
{
	e->n = 0;
	if (args.n > PG_ARGS_MAX)
		return COFFER_ERR_INTERNAL;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; i < args.n && err == COFFER_OK; i++) {
		const struct pg_arg *a = &args.v[i];
		e->values[i] = NULL;
		e->lengths[i] = 0;
		e->formats[i] = 0;
		e->types[i] = 0; /* the server infers the type from the statement */
		e->copies[i] = NULL;
		e->n = i + 1;
		switch (a->kind) {
		case PG_ARG_NULL: break;
		case PG_ARG_INT:
			snprintf(e->nums[i], sizeof e->nums[i], "%" PRId64, a->i);
			e->values[i] = e->nums[i];
			break;
		case PG_ARG_TEXT:
			if (a->p == NULL) { /* pg_null() is the way to send NULL */
				err = COFFER_ERR_INTERNAL;
				break;
			}
			if (a->len == SIZE_MAX) {
				e->values[i] = a->p;
				break;
			}
			/* libpq sends text parameters up to their NUL: a NUL inside would cut
			 * the value short silently, so it is refused; the rest is copied to be
			 * NUL-terminated. */
			if (memchr(a->p, '\0', a->len) != NULL) {
				err = COFFER_ERR_INVALID_INPUT;
				break;
			}
			e->copies[i] = malloc(a->len + 1);
			if (e->copies[i] == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			memcpy(e->copies[i], a->p, a->len);
			e->copies[i][a->len] = '\0';
			e->values[i] = e->copies[i];
			break;
		case PG_ARG_BYTEA:
			if (a->len > INT32_MAX) {
				err = COFFER_ERR_TOO_LARGE;
				break;
			}
			if (a->p == NULL && a->len > 0) {
				err = COFFER_ERR_INTERNAL;
				break;
			}
			/* A zero-length bytea still needs a non-NULL pointer (NULL is SQL NULL). */
			e->values[i] = a->p != NULL ? a->p : "";
			e->lengths[i] = (int)a->len;
			e->formats[i] = 1;
			e->types[i] = BYTEA_OID;
			break;
		default: err = COFFER_ERR_INTERNAL;
		}
	}
	return err;
}

/* Runs SQL with ARGS; *OUT the result on success (else cleared). */
static enum coffer_err run(struct pg_conn *c, const char *sql, struct pg_args args,
			   enum pg_results format, PGresult **out)
{
	struct encoded e;
	*out = NULL;
	enum coffer_err err = COFFER_OK;
	if (c->begin_pending && (err = pg_exec_simple(c, "BEGIN")) != COFFER_OK)
		return err;
	err = encode(args, &e);
	PGresult *res = NULL;
	if (err == COFFER_OK) {
		char name[16];
		bool prepared = false;
		int n = (int)e.n;
		err = pg_prepared_name(c, sql, n, e.types, name, &prepared);
		if (err == COFFER_OK && prepared)
			res = PQexecPrepared(c->pq, name, n, e.values, e.lengths, e.formats,
					     (int)format);
		else if (err == COFFER_OK)
			res = PQexecParams(c->pq, sql, n, e.types, e.values, e.lengths, e.formats,
					   (int)format);
		if (err == COFFER_OK)
			err = pg_err_result(c->pq, res);
		if (err != COFFER_OK)
			note_failure(c, res, err);
	}
	release(&e);
	if (err != COFFER_OK) {
		PQclear(res);
		return err;
	}
	*out = res;
	return COFFER_OK;
}

/* One statement of a pipeline, encoded and named. */
struct queued {
	struct encoded e;
	char name[16];
	bool prepared;
};

/* Reads a pipeline's results: EXPECT of them, each followed by libpq's NULL, then the sync.
 * The first error is the pipeline's (those after it read PIPELINE_ABORTED); on success the
 * last result goes to *LAST when asked for. */
static enum coffer_err collect(struct pg_conn *c, size_t expect, PGresult **last)
{
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; i < expect && !c->broken; i++) {
		PGresult *res = PQgetResult(c->pq);
		if (res == NULL) {
			c->broken = true; /* results missing: the connection cannot be trusted */
			break;
		}
		if (err == COFFER_OK && PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
			err = pg_err_result(c->pq, res);
			if (err != COFFER_OK)
				note_failure(c, res, err);
		}
		if (err == COFFER_OK && last != NULL && i == expect - 1)
			*last = res;
		else
			PQclear(res);
		PGresult *end = PQgetResult(c->pq);
		if (end != NULL) { /* more than one result for a statement: not ours */
			PQclear(end);
			c->broken = true;
		}
	}
	PGresult *sync = c->broken ? NULL : PQgetResult(c->pq);
	if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
		c->broken = true;
	PQclear(sync);
	if (!c->broken && PQexitPipelineMode(c->pq) == 0)
		c->broken = true;
	if (c->broken && err == COFFER_OK) {
		/* A lost connection may have run all of it or none: unknown, as pg_err_result. */
		err =
		    PQstatus(c->pq) != CONNECTION_OK ? COFFER_ERR_UNAVAILABLE : COFFER_ERR_STORAGE;
		if (last != NULL) {
			PQclear(*last);
			*last = NULL;
		}
	}
	return err;
}

enum coffer_err pg_pipeline(struct pg_conn *c, const struct pg_stmt *stmts, size_t n,
			    PGresult **last)
{
	if (last != NULL)
		*last = NULL;
	if (n == 0 || n > PG_PIPELINE_MAX)
		return COFFER_ERR_INTERNAL;
	struct queued *q = malloc(n * sizeof *q);
	if (q == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		q[i].e.n = 0;
	enum coffer_err err = COFFER_OK;
	/* Encoded and prepared first: a PQprepare is a round trip of its own, which pipeline
	 * mode does not allow. */
	for (size_t i = 0; i < n && err == COFFER_OK; i++) {
		err = encode(stmts[i].args, &q[i].e);
		if (err == COFFER_OK)
			err = pg_prepared_name(c, stmts[i].sql, (int)q[i].e.n, q[i].e.types,
					       q[i].name, &q[i].prepared);
	}
	bool begin = c->begin_pending;
	if (err == COFFER_OK && PQenterPipelineMode(c->pq) == 0)
		err = COFFER_ERR_INTERNAL; /* the connection was not idle: a bug of ours */
	if (err == COFFER_OK) {
		c->begin_pending = false;
		bool sent =
		    !begin || PQsendQueryParams(c->pq, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 0;
		for (size_t i = 0; i < n && sent; i++) {
			const struct encoded *e = &q[i].e;
			int format = (int)stmts[i].format;
			sent =
			    q[i].prepared
				? PQsendQueryPrepared(c->pq, q[i].name, (int)e->n, e->values,
						      e->lengths, e->formats, format) != 0
				: PQsendQueryParams(c->pq, stmts[i].sql, (int)e->n, e->types,
						    e->values, e->lengths, e->formats, format) != 0;
		}
		if (sent && PQpipelineSync(c->pq) != 0) {
			err = collect(c, n + (begin ? 1 : 0), last);
		} else {
			c->broken = true; /* part of it may have left: the pool closes it */
			err = COFFER_ERR_UNAVAILABLE;
		}
	}
	for (size_t i = 0; i < n; i++)
		release(&q[i].e);
	free(q);
	return err;
}

enum coffer_err pg_exec(struct pg_conn *c, const char *sql, struct pg_args args)
{
	PGresult *res = NULL;
	enum coffer_err err = run(c, sql, args, PG_TEXT_RESULTS, &res);
	PQclear(res);
	return err;
}

enum coffer_err pg_change(struct pg_conn *c, const char *sql, struct pg_args args)
{
	PGresult *res = NULL;
	enum coffer_err err = run(c, sql, args, PG_TEXT_RESULTS, &res);
	if (err == COFFER_OK && strcmp(PQcmdTuples(res), "0") == 0)
		err = COFFER_ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

enum coffer_err pg_query(struct pg_conn *c, const char *sql, struct pg_args args,
			 enum pg_results format, PGresult **out)
{
	enum coffer_err err = run(c, sql, args, format, out);
	if (err == COFFER_OK && PQresultStatus(*out) != PGRES_TUPLES_OK) {
		/* A statement that returns no rows given as a query: a bug of ours. */
		PQclear(*out);
		*out = NULL;
		err = COFFER_ERR_INTERNAL;
	}
	return err;
}

enum coffer_err pg_exec_simple(struct pg_conn *c, const char *sql)
{
	c->begin_pending = false;
	PGresult *res = PQexec(c->pq, sql);
	enum coffer_err err = pg_err_result(c->pq, res);
	if (err != COFFER_OK)
		note_failure(c, res, err);
	PQclear(res);
	return err;
}

enum coffer_err pg_begin(struct pg_conn *c)
{
	if (c->begin_pending || PQtransactionStatus(c->pq) != PQTRANS_IDLE)
		return COFFER_ERR_INTERNAL; /* one transaction at a time */
	c->begin_pending = true;
	return COFFER_OK;
}

enum coffer_err pg_end(struct pg_conn *c, enum coffer_err err)
{
	if (c->begin_pending) { /* nothing was sent: nothing to commit or roll back */
		c->begin_pending = false;
		return err;
	}
	if (err != COFFER_OK) {
		/* A rollback that fails leaves the connection in doubt: pg_pool_put closes a
		 * connection still inside a transaction, and the server ends the transaction
		 * with the connection. */
		if (pg_exec(c, "ROLLBACK", PG_NO_ARGS) != COFFER_OK)
			c->broken = true;
		return err;
	}
	err = pg_commit(c);
	/* A COMMIT abandoned unanswered may still be running: the connection is dropped (broken)
	 * and nothing more is sent on it. One the server refused leaves a failed transaction. */
	if (!c->broken && PQtransactionStatus(c->pq) != PQTRANS_IDLE &&
	    pg_exec(c, "ROLLBACK", PG_NO_ARGS) != COFFER_OK)
		c->broken = true;
	return err;
}

enum coffer_err pg_pool_tx(struct pg_pool *pool, const char *db, pg_tx_fn tx, void *ctx)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(pool, db, &c);
	if (err != COFFER_OK)
		return err;
	err = pg_begin(c);
	if (err == COFFER_OK)
		err = pg_end(c, tx(c, ctx));
	pg_pool_put(pool, c);
	return err;
}
