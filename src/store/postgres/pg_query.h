/* pg_query.h — statements and transactions on a borrowed PostgreSQL connection.
 *
 * Every statement goes through PQexecParams: the SQL text is a constant of ours, and every
 * value travels apart from it as a parameter ($1, $2, …), so no value is ever parsed as SQL.
 * PQexecParams uses the unnamed prepared statement, which also keeps coffer usable behind
 * pgbouncer's transaction pooling (docs/STORAGE.md). Parameters are given as a list:
 *
 *	err = pg_query(c, "SELECT name FROM orgs WHERE id = $1", PG_ARGS(pg_text(id)),
 *		       PG_TEXT_RESULTS, &res);
 *
 * A failure is mapped to coffer's errors (pg_err.h); one that may have left the connection
 * unusable marks it broken, so that pg_pool_put closes it rather than lend it again. */
#ifndef COFFER_PG_QUERY_H
#define COFFER_PG_QUERY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/postgres/pg_pool.h"

/* At most this many parameters in one statement: the widest is an audit round's INSERT of 32
 * entries of 10 columns (pg_audit_rows.c). */
#define PG_ARGS_MAX 320

enum pg_arg_kind { PG_ARG_NULL, PG_ARG_TEXT, PG_ARG_BYTEA, PG_ARG_INT };

/* One parameter's value. */
struct pg_arg {
	enum pg_arg_kind kind;
	const void *p;
	size_t len; /* bytes; for TEXT, SIZE_MAX means up to the NUL */
	int64_t i;
};

struct pg_args {
	const struct pg_arg *v;
	size_t n;
};

#define PG_ARGS(...)                                                                               \
	((struct pg_args){(const struct pg_arg[]){__VA_ARGS__},                                    \
			  sizeof((const struct pg_arg[]){__VA_ARGS__}) / sizeof(struct pg_arg)})
#define PG_NO_ARGS ((struct pg_args){NULL, 0})

static inline struct pg_arg pg_null(void)
{
	return (struct pg_arg){.kind = PG_ARG_NULL};
}

/* Text up to its NUL (sent in text format). */
static inline struct pg_arg pg_text(const char *s)
{
	return (struct pg_arg){.kind = PG_ARG_TEXT, .p = s, .len = SIZE_MAX};
}

/* The first LEN bytes of S as text. PostgreSQL's text cannot hold a NUL byte: one among them
 * is refused (COFFER_ERR_INVALID_INPUT) before anything is sent. */
static inline struct pg_arg pg_text_n(const char *s, size_t len)
{
	return (struct pg_arg){.kind = PG_ARG_TEXT, .p = s, .len = len};
}

/* LEN bytes at DATA as a bytea, in binary format (any byte, NULs included). */
static inline struct pg_arg pg_bytea(const void *data, size_t len)
{
	return (struct pg_arg){.kind = PG_ARG_BYTEA, .p = data, .len = len};
}

/* An integer (sent as its decimal text; the statement's context gives its type). */
static inline struct pg_arg pg_int(int64_t v)
{
	return (struct pg_arg){.kind = PG_ARG_INT, .i = v};
}

/* How a query's columns come back: as text, or in binary (bytea as its raw bytes; other types
 * in PostgreSQL's binary forms, e.g. int8 as 8 big-endian bytes). */
enum pg_results { PG_TEXT_RESULTS = 0, PG_BINARY_RESULTS = 1 };

/* Runs SQL, a statement whose rows (if any) are not wanted. */
COFFER_MUST_CHECK enum coffer_err pg_exec(struct pg_conn *c, const char *sql, struct pg_args args);

/* The same for a statement that must change rows: COFFER_ERR_NOT_FOUND when it changed none. */
COFFER_MUST_CHECK enum coffer_err pg_change(struct pg_conn *c, const char *sql,
					    struct pg_args args);

/* Runs SQL, one or more statements of ours without parameters, through the simple protocol
 * (one round trip; a pending BEGIN must lead it). */
COFFER_MUST_CHECK enum coffer_err pg_exec_simple(struct pg_conn *c, const char *sql);

/* Runs SQL, a query; on success *OUT holds its rows (the caller PQclear()s it). */
COFFER_MUST_CHECK enum coffer_err pg_query(struct pg_conn *c, const char *sql, struct pg_args args,
					   enum pg_results format, PGresult **out);

/* One statement of a pipeline: SQL with ARGS, its rows (if any) in FORMAT. */
struct pg_stmt {
	const char *sql;
	struct pg_args args;
	enum pg_results format;
};

#define PG_PIPELINE_MAX 64

/* Runs the N statements at STMTS in order in one round trip (libpq's pipeline mode), a
 * pending BEGIN first: for statements that do not need each other's results, e.g. a lock and
 * the read it guards, or a batch of INSERTs. The first failure is the result (the statements
 * after it do not run; inside a transaction, the transaction has failed). On success *LAST,
 * when not NULL, holds the last statement's result (the caller PQclear()s it). */
COFFER_MUST_CHECK enum coffer_err pg_pipeline(struct pg_conn *c, const struct pg_stmt *stmts,
					      size_t n, PGresult **last);

/* Transactions. pg_begin starts one (READ COMMITTED, PostgreSQL's default; the store takes
 * row locks where it needs them). Its BEGIN is sent with the first statement inside, and
 * with pg_lock's in one round trip. pg_end ends it: with ERR = COFFER_OK it commits and returns
 * the commit's result; otherwise it rolls back and returns ERR.
 *
 * A COMMIT whose answer never arrives (the connection lost while it ran, or no answer within
 * the statement timeout) has an UNKNOWN outcome: the server may have made it durable just before
 * the connection went, or not. pg_end then returns COFFER_ERR_UNAVAILABLE and the connection is
 * dropped. A caller must answer that 503, never 2xx (the write may be lost) and never 4xx (it may
 * have happened): the client retries, which is why writes are idempotent or versioned (409 on a
 * replay of an update that did land). A COMMIT the server refused (a deferred constraint, a
 * serialisation failure) did not happen, and is mapped like any other error. A transaction already
 * failed inside (PostgreSQL then answers COMMIT with ROLLBACK) is COFFER_ERR_STORAGE. */
COFFER_MUST_CHECK enum coffer_err pg_begin(struct pg_conn *c);
COFFER_MUST_CHECK enum coffer_err pg_end(struct pg_conn *c, enum coffer_err err);

/* pg_end's COMMIT (pg_commit.c). Under synchronous replication, a COMMIT whose wait for the
 * standby was cancelled still answers COMMIT, with a WARNING, though it may exist on the
 * leader only: that too is an unknown outcome (COFFER_ERR_UNAVAILABLE). The wait is never
 * cancelled by the server's statement_timeout; coffer's own deadline, C->commit_timeout_ms,
 * abandons the connection instead. */
COFFER_MUST_CHECK enum coffer_err pg_commit(struct pg_conn *c);
/* libpq's notice receiver for every connection (ARG: its struct pg_conn): notes a WARNING
 * during a COMMIT, drops every notice otherwise. */
void pg_commit_notice(void *arg, const PGresult *notice);

/* What runs inside a transaction: statements on C, with CTX the caller's arguments and
 * results. */
typedef enum coffer_err (*pg_tx_fn)(struct pg_conn *c, void *ctx);

/* Borrows a connection to DB (NULL: the system database) from POOL, runs TX inside a
 * transaction, commits when TX returns COFFER_OK (else rolls back), gives the connection
 * back; returns TX's error or the commit's. */
COFFER_MUST_CHECK enum coffer_err pg_pool_tx(struct pg_pool *pool, const char *db, pg_tx_fn tx,
					     void *ctx);

#endif
