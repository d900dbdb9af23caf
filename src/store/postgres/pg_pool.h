/* pg_pool.h — connections to PostgreSQL for the store: one pool per node, holding connections
 * to several databases (the system database and each organisation's coffer_org_<id>), since a
 * PostgreSQL connection reaches only the database it was opened on.
 *
 * The pool holds at most SIZE connections in all (coffer.conf's pg_pool_size): a borrower for
 * a database with an idle connection gets it; otherwise a new one is opened while fewer than
 * SIZE are open; otherwise the least recently used idle connection of another database is
 * closed to make room, if that database holds more connections than this one (so that two
 * busy databases share the pool rather than close each other's connections in turn);
 * otherwise the borrower waits for one to come back, at most BORROW_TIMEOUT_MS, then gets
 * COFFER_ERR_UNAVAILABLE. docs/STORAGE.md gives the limit's consequences (and pgbouncer).
 *
 * A connection that failed — lost, or left inside a transaction — is closed when it comes
 * back, never handed out again; an idle one the server has dropped meanwhile (a restart) is
 * noticed when borrowed, without a round trip, and replaced. */
#ifndef COFFER_PG_POOL_H
#define COFFER_PG_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* A database name: PostgreSQL's identifiers are at most 63 bytes. */
#define PG_DB_NAME_MAX 63

/* Where and how to connect. Every string is copied by pg_pool_open. */
struct pg_target {
	const char *host; /* a host name, an address, or an absolute unix-socket directory */
	unsigned int port;
	const char *user;
	const char *system_db;	 /* coffer.conf's pg_database */
	const char *sslmode;	 /* libpq's name: "verify-full", …; ignored on a unix socket */
	const char *sslrootcert; /* an absolute path, or NULL */
	unsigned int size;	 /* connections at most, all databases together (1..1024) */
	/* Limits that keep a request from hanging on a sick server; 0 takes the default. */
	unsigned int connect_timeout_s; /* to open a connection (default 5) */
	unsigned int
	    statement_timeout_ms;	/* for one statement, set on the server (default 30000) */
	unsigned int borrow_timeout_ms; /* to wait for a connection (default 5000) */
	/* Run every statement unnamed (PQexecParams) rather than prepared once per connection:
	 * for pgbouncer's transaction pooling before 1.21 (pg_prepared.h). */
	bool no_prepare;
};

/* A borrowed connection: PQ is libpq's, for reading results (PQgetvalue, …); run statements
 * with pg_exec/pg_query (pg_query.h), never PQexec. The rest is the pool's. */
struct pg_conn {
	PGconn *pq;
	char db[PG_DB_NAME_MAX + 1];
	bool broken; /* set by a failure that may have left the connection unusable */
	/* pg_begin was called and BEGIN not yet sent: it goes with the transaction's first
	 * statement (pg_query.c), and a transaction that sends none has nothing to end. */
	bool begin_pending;
	/* pg_commit's: how long a COMMIT may take, whether one runs, and whether the server
	 * warned meanwhile (pg_commit_notice). */
	unsigned int commit_timeout_ms;
	bool committing, commit_in_doubt;
	/* The pool's bookkeeping, under its lock. */
	int state;
	bool retire;	 /* close it when it comes back (its database is being dropped) */
	bool prepare;	 /* prepare the store's statements (pg_prepared.h) */
	uint64_t serial; /* which connection of the pool's this is: a new one, a new serial */
	struct pg_prepared *prepared; /* what this slot's connection has prepared */
	uint64_t used;		      /* when it was last given back: the pool's clock */
};

struct pg_pool;

/* What the pool holds now (tests, metrics). */
struct pg_pool_stats {
	unsigned int open; /* connections open, borrowed or idle */
	unsigned int busy; /* borrowed */
	uint64_t opened;   /* connections opened since pg_pool_open */
	uint64_t closed;   /* … and closed (to make room, broken, retired) */
};

/* Makes a pool for TARGET. PASSWORD (NUL-terminated; NULL for a server that asks none, e.g.
 * peer authentication on a socket) is copied into guarded memory (read-only, wiped when the
 * pool closes): the caller wipes its own copy. Opens no connection yet. */
COFFER_MUST_CHECK enum coffer_err pg_pool_open(const struct pg_target *target, const char *password,
					       struct pg_pool **out);
/* Closes every connection and frees POOL (NULL is a no-op). No connection may be out. */
void pg_pool_close(struct pg_pool *pool);

/* Borrows a connection to database DB (NULL: the system database). COFFER_ERR_UNAVAILABLE
 * when the server cannot be reached or the pool stays full past the borrow timeout. Give it
 * back with pg_pool_put. A thread holds at most two at once (the system database's and one
 * organisation's), else threads can wait on each other until the timeout. */
COFFER_MUST_CHECK enum coffer_err pg_pool_get(struct pg_pool *pool, const char *db,
					      struct pg_conn **out);
/* Gives C back: kept for the next borrower when it is healthy and outside any transaction,
 * closed otherwise. NULL is a no-op. */
void pg_pool_put(struct pg_pool *pool, struct pg_conn *c);

/* Closes the idle connections to DB now and the borrowed ones when they come back (before
 * DROP DATABASE, which waits for no connection of ours). */
void pg_pool_retire_db(struct pg_pool *pool, const char *db);

void pg_pool_stats(struct pg_pool *pool, struct pg_pool_stats *out);

#endif
