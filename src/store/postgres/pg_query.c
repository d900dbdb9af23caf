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

/* Runs SQL with ARGS; *OUT the result on success (else cleared). */
static enum coffer_err run(struct pg_conn *c, const char *sql, struct pg_args args,
			   enum pg_results format, PGresult **out)
{
	const char *values[PG_ARGS_MAX] = {0};
	int lengths[PG_ARGS_MAX] = {0}, formats[PG_ARGS_MAX] = {0};
	Oid types[PG_ARGS_MAX] = {0};
	char nums[PG_ARGS_MAX][24];
	char *copies[PG_ARGS_MAX] = {0};
	enum coffer_err err = COFFER_OK;
	*out = NULL;
	if (args.n > PG_ARGS_MAX)
		return COFFER_ERR_INTERNAL;
	if (c->begin_pending && (err = pg_exec_simple(c, "BEGIN")) != COFFER_OK)
		return err;
	for (size_t i = 0; i < args.n && err == COFFER_OK; i++) {
		const struct pg_arg *a = &args.v[i];
		values[i] = NULL;
		lengths[i] = 0;
		formats[i] = 0;
		types[i] = 0; /* the server infers the type from the statement */
		switch (a->kind) {
		case PG_ARG_NULL: break;
		case PG_ARG_INT:
			snprintf(nums[i], sizeof nums[i], "%" PRId64, a->i);
			values[i] = nums[i];
			break;
		case PG_ARG_TEXT:
			if (a->p == NULL) { /* pg_null() is the way to send NULL */
				err = COFFER_ERR_INTERNAL;
				break;
			}
			if (a->len == SIZE_MAX) {
				values[i] = a->p;
				break;
			}
			/* libpq sends text parameters up to their NUL: a NUL inside would cut
			 * the value short silently, so it is refused; the rest is copied to be
			 * NUL-terminated. */
			if (memchr(a->p, '\0', a->len) != NULL) {
				err = COFFER_ERR_INVALID_INPUT;
				break;
			}
			copies[i] = malloc(a->len + 1);
			if (copies[i] == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			memcpy(copies[i], a->p, a->len);
			copies[i][a->len] = '\0';
			values[i] = copies[i];
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
			values[i] = a->p != NULL ? a->p : "";
			lengths[i] = (int)a->len;
			formats[i] = 1;
			types[i] = BYTEA_OID;
			break;
		default: err = COFFER_ERR_INTERNAL;
		}
	}
	PGresult *res = NULL;
	if (err == COFFER_OK) {
		char name[16];
		bool prepared = false;
		err = pg_prepared_name(c, sql, (int)args.n, types, name, &prepared);
		if (err == COFFER_OK && prepared)
			res = PQexecPrepared(c->pq, name, (int)args.n, values, lengths, formats,
					     (int)format);
		else if (err == COFFER_OK)
			res = PQexecParams(c->pq, sql, (int)args.n, types, values, lengths, formats,
					   (int)format);
		if (err == COFFER_OK)
			err = pg_err_result(c->pq, res);
		if (err != COFFER_OK)
			note_failure(c, res, err);
	}
	for (size_t i = 0; i < args.n; i++)
		free(copies[i]);
	if (err != COFFER_OK) {
		PQclear(res);
		return err;
	}
	*out = res;
	return COFFER_OK;
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
