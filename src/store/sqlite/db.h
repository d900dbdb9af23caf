/* db.h — SQLite plumbing shared by the embedded store: opening with coffer's pragmas, schema
 * migrations, and a small pool of connections for the server's threads. */
#ifndef COFFER_SQLITE_DB_H
#define COFFER_SQLITE_DB_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common/err.h"

#define DB_POOL_MAX 16

/* A pool checkpoints its write-ahead log once a commit leaves it at least this many frames
 * (pages): SQLite's own default threshold, now reached only on our explicit path (db.c). */
#define DB_CHECKPOINT_FRAMES 1000

/* Up to SIZE connections to one file, opened as threads need them: a database that one thread
 * at a time uses holds one connection (and its three descriptors: the file, the WAL and the
 * shared-memory index), which matters when thousands of organisation databases are open. */
struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *path;
	sqlite3 *conns[DB_POOL_MAX];
	bool busy[DB_POOL_MAX];
	unsigned int n;	      /* connections open: conns[0 .. n - 1] */
	unsigned int opening; /* connections being opened by db_pool_get, outside the lock */
	unsigned int size;    /* at most this many */
	/* Every write of this process to the file runs holding WRITE_MU (db_pool_get_writer), and
	 * so does every checkpoint: this process's writers queue here, woken as soon as it is
	 * free, rather than in SQLite's busy wait of growing sleeps; other processes (e.g.
	 * `coffer keys rotate --rewrap`) still meet that wait. */
	pthread_mutex_t write_mu;
	/* Frames in the write-ahead log after the last commit (set by the commit hook), and the
	 * count at which the next checkpoint is due; both read under WRITE_MU. */
	atomic_uint wal_frames;
	unsigned int seen_frames;
	unsigned int checkpoint_at;
	/* The pool whose write lock the writing thread held before this one's (usually none). */
	const struct db_pool *outer_writer;
	/* Commits made without WRITE_MU: a bug of ours (tests require none). */
	atomic_uint unguarded_commits;
};

/* Schema steps, applied in order; PRAGMA user_version counts how many a database has had. */
struct db_migration {
	const char *sql;
};

/* Opens PATH (creating it when CREATE) with WAL, full fsync, foreign keys and a busy timeout.
 * The connection never checkpoints by itself: automatic checkpoints after a commit and the
 * checkpoint when the last connection closes are off (SQLite's WAL-reset race, db.c). */
COFFER_MUST_CHECK enum coffer_err db_open(const char *path, bool create, sqlite3 **out);

/* Opens PATH read-only for a copy of it (VACUUM INTO) while others write it: a connection that
 * never checkpoints, not even when it closes as the last one, so that it never takes part in
 * the WAL's resetting (docs/STORAGE.md). */
COFFER_MUST_CHECK enum coffer_err db_open_reader(const char *path, sqlite3 **out);

/* Brings DB up to the N_STEPS of STEPS in one transaction. Refuses a database newer than us. */
COFFER_MUST_CHECK enum coffer_err db_migrate(sqlite3 *db, const struct db_migration *steps,
					     unsigned int n_steps);

/* Opens PATH (creating it when CREATE), brings it up to the N_STEPS of STEPS (db_migrate), and
 * makes that connection the first of a pool of up to SIZE (DB_POOL_MAX for 0): a database that
 * cannot be opened or upgraded fails here, not in the first query. The others are opened on
 * demand. On a failure POOL is left closed (db_pool_close is a no-op on it). */
COFFER_MUST_CHECK enum coffer_err db_pool_open(struct db_pool *pool, const char *path, bool create,
					       const struct db_migration *steps,
					       unsigned int n_steps, unsigned int size);
void db_pool_close(struct db_pool *pool);

/* Borrows a connection: a free one, else a new one while fewer than the pool's size are open,
 * else waits for one to come back (also when opening another fails: the pool always holds at
 * least one). Give it back with db_pool_put. */
sqlite3 *db_pool_get(struct db_pool *pool);
void db_pool_put(struct db_pool *pool, sqlite3 *db);

/* Borrows a connection for writing: takes the pool's write lock first (so at most one thread
 * of this process writes the file), then a connection as db_pool_get. Give it back with
 * db_pool_put_writer, which checkpoints the log once it has grown to DB_CHECKPOINT_FRAMES and
 * then lets the next writer in. Every write transaction and autocommit write of the store
 * runs between the two; never nest them on one pool (the lock is not recursive). */
sqlite3 *db_pool_get_writer(struct db_pool *pool);
void db_pool_put_writer(struct db_pool *pool, sqlite3 *db);

/* Checkpoints POOL's log on DB, a connection from db_pool_get_writer with no transaction open
 * (see db.c for why this is the only way coffer checkpoints). Copies every frame no reader
 * still needs into the database file. With WIPE it must copy all of them, then cuts the log
 * back to one frame (page 1), so that pages freed by deletions are gone from it too;
 * COFFER_ERR_UNAVAILABLE when readers or another process's writer held it back (try again). */
COFFER_MUST_CHECK enum coffer_err db_pool_checkpoint(struct db_pool *pool, sqlite3 *db, bool wipe);

/* Commits made on POOL's connections without its write lock (a bug; see db.c). */
unsigned int db_pool_unguarded_commits(struct db_pool *pool);
/* Whether this thread holds POOL's write lock. */
bool db_pool_writing(const struct db_pool *pool);

/* For tests: FN(POOL, ARG) is called by every checkpoint at the moment it starts, while the
 * guard transaction (db.c) holds the database's write lock. NULL turns it off. */
void db_checkpoint_observe(void (*fn)(struct db_pool *pool, void *arg), void *arg);

/* Maps an SQLite result code to coffer's errors: busy/locked → unavailable; a clash of a key
 * or a unique column → exists; a reference to a row that is not there → not found; a value a
 * CHECK or NOT NULL refuses → invalid input; the rest → storage or I/O. */
enum coffer_err db_err(int rc);

/* Transactions: BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads
 * before it writes cannot fail half-way for another writer. */
COFFER_MUST_CHECK enum coffer_err db_begin(sqlite3 *db);
/* BEGIN DEFERRED: one consistent snapshot for a read of several statements (no write lock).
 * End it with db_end. */
COFFER_MUST_CHECK enum coffer_err db_begin_read(sqlite3 *db);
/* Ends the transaction: commits when ERR is COFFER_OK (returning the commit's result), else
 * rolls back and returns ERR. */
COFFER_MUST_CHECK enum coffer_err db_end(sqlite3 *db, enum coffer_err err);

/* What runs inside a transaction: statements on DB, with CTX the caller's arguments and
 * results. */
typedef enum coffer_err (*db_tx_fn)(sqlite3 *db, void *ctx);

/* Runs TX on a connection borrowed from POOL inside a write transaction (db_begin), committed
 * when TX returns COFFER_OK and rolled back otherwise; returns TX's error or the commit's. */
COFFER_MUST_CHECK enum coffer_err db_pool_write(struct db_pool *pool, db_tx_fn tx, void *ctx);
/* The same inside a read transaction (db_begin_read): one snapshot for all TX reads. */
COFFER_MUST_CHECK enum coffer_err db_pool_read(struct db_pool *pool, db_tx_fn tx, void *ctx);

/* One of a batch of writes: the Ith of the items at CTX, written on DB. */
typedef enum coffer_err (*db_item_fn)(sqlite3 *db, const void *ctx, size_t i);

/* Writes the N items at CTX with ONE each, in one write transaction on a connection of POOL:
 * all of them or, at the first that fails, none. */
COFFER_MUST_CHECK enum coffer_err db_pool_write_each(struct db_pool *pool, db_item_fn one,
						     const void *ctx, size_t n);

/* A part of the open write transaction that can fail alone: db_savepoint starts it;
 * db_savepoint_end keeps it (KEEP) or undoes just it. False means the whole transaction is
 * lost: SQLite rolled it back (a full disk, an I/O error) or the part could not be undone;
 * the caller must then end the transaction as failed. */
COFFER_MUST_CHECK enum coffer_err db_savepoint(sqlite3 *db);
COFFER_MUST_CHECK bool db_savepoint_end(sqlite3 *db, bool keep);

/* A statement for SQL on DB, compiled on the connection's first use of that text and kept
 * for the next (see db.c); logs and maps a failure. Every statement it gives must be given
 * back with db_finish, never sqlite3_finalize, before the connection goes back to its pool;
 * at most 16 may be out at once in one thread. */
COFFER_MUST_CHECK enum coffer_err db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out);
/* Gives back a statement from db_prepare: reset, bindings cleared, kept for reuse. NULL is a
 * no-op. */
void db_finish(sqlite3_stmt *s);
/* Closes DB with every statement it kept (sqlite3_close refuses while any is left). */
int db_close(sqlite3 *db);

#endif
