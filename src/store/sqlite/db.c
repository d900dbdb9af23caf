/* db.c — SQLite connections: pragmas, migrations, the (lazily filled) connection pool, and the
 * one way coffer checkpoints a write-ahead log.
 *
 * SQLite 3.7.0 to 3.51.2 (Debian 12 ships 3.40.1) have a data race, the WAL-reset bug: a
 * checkpoint that starts while another connection's write transaction restarts the log can
 * leave a stale mark in the log's index, and a later checkpoint then skips committed frames
 * (a corrupt database, lost writes). It needs a checkpoint running at the same time as a
 * write that restarts the log. A write can only restart the log holding the database's WAL
 * write lock, so coffer never checkpoints without holding that lock itself:
 * - no connection checkpoints on its own: automatic checkpoints after a commit are off and so
 *   is the checkpoint when the last connection closes (db_open);
 * - db_pool_checkpoint is the only checkpoint. It first opens a guard connection and begins a
 *   write transaction on it (BEGIN IMMEDIATE: the WAL write lock, waiting as any writer would),
 *   runs a PASSIVE checkpoint on the caller's connection while the guard holds the lock, and
 *   only then lets the lock go. No writer of any connection in any process can start, let
 *   alone restart the log, while the checkpoint runs. (SQLite's own FULL, RESTART and
 *   TRUNCATE modes take the same lock, but quietly fall back to PASSIVE without it when a
 *   writer holds it past the busy timeout: the guard has no such fallback.)
 * - It runs under the pool's write lock, which every write of this process takes
 *   (db_pool_get_writer): the process's writers queue on it rather than in SQLite's busy
 *   wait, and a commit made without it is counted (the commit hook) as a bug. docs/STORAGE.md
 *   has the whole argument, the other processes included. */
#include "store/sqlite/db.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "metrics/metrics.h"

/* The log file is cut back to this size when a write restarts it, so a log a long reader let
 * grow does not keep its size for good. */
#define DB_WAL_SIZE_LIMIT "8388608"

/* The pool whose write lock this thread holds, if any. */
static _Thread_local const struct db_pool *writing;

/* The test observer of checkpoints (db_checkpoint_observe). */
static void (*observe_fn)(struct db_pool *pool, void *arg);
static void *observe_arg;

enum coffer_err db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return COFFER_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return COFFER_ERR_UNAVAILABLE;
	case SQLITE_NOMEM: return COFFER_ERR_NOMEM;
	case SQLITE_CONSTRAINT:
		/* Connections are opened with extended result codes, so the kind is known. */
		switch (rc) {
		case SQLITE_CONSTRAINT_PRIMARYKEY:
		case SQLITE_CONSTRAINT_UNIQUE: return COFFER_ERR_EXISTS;
		case SQLITE_CONSTRAINT_FOREIGNKEY: return COFFER_ERR_NOT_FOUND;
		default: return COFFER_ERR_INVALID_INPUT;
		}
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL: return COFFER_ERR_IO;
	default: return COFFER_ERR_STORAGE;
	}
}

/* SQLite counts its memory use under one global mutex by default: every allocation of every
 * connection in every thread then meets there (the server's hottest lock). Nothing reads the
 * counts, so they are turned off, once, before SQLite initialises. */
static void configure_sqlite_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void configure_sqlite(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_sqlite_once);
}

enum coffer_err db_open(const char *path, bool create, sqlite3 **out)
{
	configure_sqlite();
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
		    (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, "db", "cannot open %s: %s", path, sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc == SQLITE_CANTOPEN ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	/* synchronous=FULL: with WAL, NORMAL can lose the last commits on power loss, and every
	 * acknowledged write must survive. secure_delete overwrites freed pages. */
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=FULL;"
				      "PRAGMA foreign_keys=ON;"
				      "PRAGMA secure_delete=ON;"
				      "PRAGMA trusted_schema=OFF;"
				      "PRAGMA journal_size_limit=" DB_WAL_SIZE_LIMIT ";";
	sqlite3_busy_timeout(db, 5000);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* Checkpoints run only through db_pool_checkpoint (the WAL-reset race, above). */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(db, 0);
	rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, "db", "cannot configure %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return db_err(rc);
	}
	*out = db;
	return COFFER_OK;
}

enum coffer_err db_open_reader(const char *path, sqlite3 **out)
{
	configure_sqlite();
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0;PRAGMA trusted_schema=OFF;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, "db", "cannot open %s to read: %s", path, sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc == SQLITE_CANTOPEN ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	sqlite3_busy_timeout(db, 5000);
	*out = db;
	return COFFER_OK;
}

enum coffer_err db_migrate(sqlite3 *db, const struct db_migration *steps, unsigned int n_steps)
{
	sqlite3_stmt *st = NULL;
	int version = -1, rc;
	enum coffer_err err = COFFER_ERR_STORAGE;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_err(rc);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0)
		goto out;
	if ((unsigned int)version > n_steps) {
		log_msg(LOG_ERROR, "db", "database schema %d is newer than this coffer (%u)",
			version, n_steps);
		goto out;
	}
	for (unsigned int i = (unsigned int)version; i < n_steps; i++) {
		rc = sqlite3_exec(db, steps[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			log_msg(LOG_ERROR, "db", "schema step %u failed: %s", i + 1,
				sqlite3_errmsg(db));
			goto out;
		}
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%u", n_steps);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return db_err(rc);
out:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* SQLite's commit hook in WAL mode: FRAMES is the log's length after the commit. Replaces the
 * automatic checkpoint, which is the same hook. */
static int committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	struct db_pool *pool = arg;
	atomic_store(&pool->wal_frames, frames > 0 ? (unsigned int)frames : 0);
	if (writing != pool) {
		atomic_fetch_add(&pool->unguarded_commits, 1);
		log_msg(LOG_ERROR, "db", "a commit to %s ran without the pool's write lock",
			pool->path);
	}
	return SQLITE_OK;
}

static void watch_commits(struct db_pool *pool, sqlite3 *db)
{
	sqlite3_wal_hook(db, committed, pool);
}

/* A checkpoint whose failure only leaves the frames in the log for a later one (it is logged:
 * db_pool_checkpoint). */
static void checkpoint_or_later(struct db_pool *pool, sqlite3 *db)
{
	if (db_pool_checkpoint(pool, db, false) != COFFER_OK)
		return;
}

enum coffer_err db_pool_open(struct db_pool *pool, const char *path, bool create,
			     const struct db_migration *steps, unsigned int n_steps,
			     unsigned int size)
{
	sqlite3 *first = NULL;
	memset(pool, 0, sizeof *pool);
	enum coffer_err err = db_open(path, create, &first);
	if (err == COFFER_OK)
		err = db_migrate(first, steps, n_steps);
	if (err == COFFER_OK) {
		pool->path = strdup(path);
		if (pool->path == NULL)
			err = COFFER_ERR_NOMEM;
	}
	if (err != COFFER_OK) {
		db_close(first); /* NULL is a no-op */
		return err;
	}
	pool->size = size == 0 || size > DB_POOL_MAX ? DB_POOL_MAX : size;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
	pthread_mutex_init(&pool->write_mu, NULL);
	pool->checkpoint_at = DB_CHECKPOINT_FRAMES;
	watch_commits(pool, first);
	pool->conns[0] = first;
	pool->n = 1;
	return COFFER_OK;
}

void db_pool_close(struct db_pool *pool)
{
	if (pool->path == NULL)
		return; /* never opened, or closed already */
	/* What the log holds goes into the database file before the connections close (which
	 * no longer checkpoint by themselves). Nobody borrows a connection of a closing pool. */
	sqlite3 *db = db_pool_get_writer(pool);
	checkpoint_or_later(pool, db);
	db_pool_put(pool, db);
	writing = pool->outer_writer;
	pthread_mutex_unlock(&pool->write_mu);
	for (unsigned int i = 0; i < pool->n; i++)
		db_close(pool->conns[i]);
	pool->n = 0;
	free(pool->path);
	pool->path = NULL;
	pthread_cond_destroy(&pool->cv);
	pthread_mutex_destroy(&pool->mu);
	pthread_mutex_destroy(&pool->write_mu);
}

sqlite3 *db_pool_get(struct db_pool *pool)
{
	bool tried = false;
	pthread_mutex_lock(&pool->mu);
	for (;;) {
		for (unsigned int i = 0; i < pool->n; i++) {
			if (!pool->busy[i]) {
				pool->busy[i] = true;
				pthread_mutex_unlock(&pool->mu);
				return pool->conns[i];
			}
		}
		/* Opening runs outside the lock (it reads the file and may wait on its locks);
		 * OPENING reserves the slot meanwhile. A thread whose open failed waits for a
		 * connection to come back rather than trying again at once. */
		if (!tried && pool->n + pool->opening < pool->size) {
			sqlite3 *db = NULL;
			pool->opening++;
			pthread_mutex_unlock(&pool->mu);
			enum coffer_err err = db_open(pool->path, false, &db);
			pthread_mutex_lock(&pool->mu);
			pool->opening--;
			if (err == COFFER_OK) {
				watch_commits(pool, db);
				pool->conns[pool->n] = db;
				pool->busy[pool->n] = true;
				pool->n++;
				pthread_mutex_unlock(&pool->mu);
				return db;
			}
			tried = true;
			continue;
		}
		pthread_cond_wait(&pool->cv, &pool->mu);
	}
}

static void finish_left_over(sqlite3 *db);

void db_pool_put(struct db_pool *pool, sqlite3 *db)
{
	finish_left_over(db);
	pthread_mutex_lock(&pool->mu);
	for (unsigned int i = 0; i < pool->n; i++) {
		if (pool->conns[i] == db)
			pool->busy[i] = false;
	}
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

sqlite3 *db_pool_get_writer(struct db_pool *pool)
{
	pthread_mutex_lock(&pool->write_mu);
	pool->outer_writer = writing;
	writing = pool;
	return db_pool_get(pool);
}

void db_pool_put_writer(struct db_pool *pool, sqlite3 *db)
{
	finish_left_over(db);
	unsigned int frames = atomic_load(&pool->wal_frames);
	if (frames < pool->seen_frames)
		pool->checkpoint_at = DB_CHECKPOINT_FRAMES; /* a writer restarted the log */
	pool->seen_frames = frames;
	/* A connection left inside a transaction cannot checkpoint; the next writer will. */
	if (frames >= pool->checkpoint_at && sqlite3_get_autocommit(db))
		checkpoint_or_later(pool, db);
	db_pool_put(pool, db);
	writing = pool->outer_writer;
	pthread_mutex_unlock(&pool->write_mu);
}

bool db_pool_writing(const struct db_pool *pool)
{
	return writing == pool;
}

unsigned int db_pool_unguarded_commits(struct db_pool *pool)
{
	return atomic_load(&pool->unguarded_commits);
}

void db_checkpoint_observe(void (*fn)(struct db_pool *pool, void *arg), void *arg)
{
	observe_fn = fn;
	observe_arg = arg;
}

/* A PASSIVE checkpoint of POOL on DB while a guard connection holds the database's WAL write
 * lock (see the top of this file); *LOG and *DONE: frames in the log, and copied. */
static enum coffer_err guarded_checkpoint(struct db_pool *pool, sqlite3 *db, int *log, int *done)
{
	sqlite3 *guard = NULL;
	enum coffer_err err = db_open(pool->path, false, &guard);
	if (err != COFFER_OK)
		return err;
	err = db_err(sqlite3_exec(guard, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	if (err == COFFER_OK) {
		if (observe_fn != NULL)
			observe_fn(pool, observe_arg);
		err = db_err(
		    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, log, done));
		sqlite3_exec(guard, "ROLLBACK", NULL, NULL, NULL);
	}
	db_close(guard);
	return err;
}

/* Restarts POOL's log, whose every frame is in the database file: a write transaction that
 * changes nothing (page 1 rewritten as it is) begins the log again from its start, and the
 * connection's journal_size_limit of 0 cuts the file after that one frame. A reader still
 * using the old frames keeps SQLite from restarting: COFFER_ERR_UNAVAILABLE. */
static enum coffer_err restart_log(struct db_pool *pool)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_open(pool->path, false, &db);
	if (err != COFFER_OK)
		return err;
	err = db_err(
	    sqlite3_exec(db, "PRAGMA journal_size_limit=0; BEGIN IMMEDIATE", NULL, NULL, NULL));
	int version = -1;
	if (err == COFFER_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (err == COFFER_OK && version < 0)
		err = COFFER_ERR_STORAGE;
	if (err == COFFER_OK) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d; COMMIT", version);
		err = db_err(sqlite3_exec(db, sql, NULL, NULL, NULL));
	}
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	db_close(db);
	return err;
}

/* One try at copying every frame of POOL's log and cutting it back to one frame. */
static enum coffer_err wipe_once(struct db_pool *pool, sqlite3 *db, int *log, int *done)
{
	enum coffer_err err = guarded_checkpoint(pool, db, log, done);
	if (err == COFFER_OK && *log != *done)
		err = COFFER_ERR_UNAVAILABLE;
	if (err == COFFER_OK)
		err = restart_log(pool);
	if (err == COFFER_OK)
		err = guarded_checkpoint(pool, db, log, done);
	/* Restarted, the log holds the one frame of restart_log's write. */
	if (err == COFFER_OK && (*log != *done || *log > 1))
		err = COFFER_ERR_UNAVAILABLE;
	return err;
}

/* A wipe waits out readers as long as a busy writer would (db_open's busy timeout): a live
 * server's read transactions are short, but one is nearly always open somewhere while it
 * works, and a single PASSIVE attempt would fail beside it far more often than it needs to. */
#define WIPE_PATIENCE_MS 5000

enum coffer_err db_pool_checkpoint(struct db_pool *pool, sqlite3 *db, bool wipe)
{
	int log = -1, done = -1;
	enum coffer_err err;
	if (!wipe) {
		err = guarded_checkpoint(pool, db, &log, &done);
	} else {
		uint64_t give_up = time_mono_ns() + (uint64_t)WIPE_PATIENCE_MS * 1000000u;
		int pause_ms = 2;
		while ((err = wipe_once(pool, db, &log, &done)) == COFFER_ERR_UNAVAILABLE &&
		       time_mono_ns() < give_up) {
			sqlite3_sleep(pause_ms);
			pause_ms = pause_ms < 100 ? pause_ms * 2 : 100;
		}
	}
	/* Due again once the log has grown a little more: at once when readers held frames
	 * back would repeat the same partial copy at every commit. */
	unsigned int next = (log > 0 ? (unsigned int)log : 0) + DB_CHECKPOINT_FRAMES / 4;
	pool->checkpoint_at = next > DB_CHECKPOINT_FRAMES ? next : DB_CHECKPOINT_FRAMES;
	if (err != COFFER_OK)
		log_msg(LOG_WARN, "db", "checkpoint of %s: %s", pool->path,
			coffer_err_info(err)->code);
	return err;
}

/* Runs SQL, a statement without rows or parameters, through the connection's kept statements
 * (transaction control runs on every request: compiling it each time showed in profiles). */
static int exec_kept(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (db_prepare(db, sql, &s) != COFFER_OK)
		return SQLITE_ERROR; /* never an earlier call's code, which could read as success */
	int rc = sqlite3_step(s);
	db_finish(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum coffer_err db_begin(sqlite3 *db)
{
	return db_err(exec_kept(db, "BEGIN IMMEDIATE"));
}

enum coffer_err db_begin_read(sqlite3 *db)
{
	return db_err(exec_kept(db, "BEGIN DEFERRED"));
}

static void rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		exec_kept(db, "ROLLBACK");
}

enum coffer_err db_savepoint(sqlite3 *db)
{
	return db_err(exec_kept(db, "SAVEPOINT part"));
}

bool db_savepoint_end(sqlite3 *db, bool keep)
{
	if (sqlite3_get_autocommit(db))
		return false; /* SQLite has rolled the whole transaction back */
	if (keep)
		return exec_kept(db, "RELEASE part") == SQLITE_OK;
	return exec_kept(db, "ROLLBACK TO part") == SQLITE_OK &&
	       exec_kept(db, "RELEASE part") == SQLITE_OK;
}

enum coffer_err db_end(sqlite3 *db, enum coffer_err err)
{
	if (err != COFFER_OK) {
		rollback(db);
		return err;
	}
	uint64_t started = time_mono_ns();
	int rc = exec_kept(db, "COMMIT");
	metrics_commit(time_mono_ns() - started);
	if (rc != SQLITE_OK)
		rollback(db);
	return db_err(rc);
}

static enum coffer_err run_tx(struct db_pool *pool, bool write, db_tx_fn tx, void *ctx)
{
	sqlite3 *db = write ? db_pool_get_writer(pool) : db_pool_get(pool);
	enum coffer_err err = write ? db_begin(db) : db_begin_read(db);
	if (err == COFFER_OK)
		err = tx(db, ctx);
	err = db_end(db, err);
	if (write)
		db_pool_put_writer(pool, db);
	else
		db_pool_put(pool, db);
	return err;
}

enum coffer_err db_pool_write(struct db_pool *pool, db_tx_fn tx, void *ctx)
{
	return run_tx(pool, true, tx, ctx);
}

enum coffer_err db_pool_read(struct db_pool *pool, db_tx_fn tx, void *ctx)
{
	return run_tx(pool, false, tx, ctx);
}

/* A batch for db_pool_write_each. */
struct batch {
	db_item_fn one;
	const void *ctx;
	size_t n;
};

static enum coffer_err write_batch(sqlite3 *db, void *ctx)
{
	const struct batch *b = ctx;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < b->n; i++)
		err = b->one(db, b->ctx, i);
	return err;
}

enum coffer_err db_pool_write_each(struct db_pool *pool, db_item_fn one, const void *ctx, size_t n)
{
	struct batch b = {one, ctx, n};
	return db_pool_write(pool, write_batch, &b);
}

/* Compiling a statement costs more than running it (the parser and planner were a quarter of
 * the server's time on a record read), so each connection keeps what it compiled: a statement
 * stays in the connection's own list (sqlite3_next_stmt) between uses, reset by db_finish, and
 * is found again by its text. A connection is used by one thread at a time, so the statements
 * this thread has handed out and not yet finished (OUT_NOW) are the only ones in use: they are
 * skipped, and a second live use of the same text gets a statement of its own. */
#define DB_LIVE_STMTS_MAX 16
static _Thread_local sqlite3_stmt *out_now[DB_LIVE_STMTS_MAX];

static bool handed_out(const sqlite3_stmt *s)
{
	for (size_t i = 0; i < DB_LIVE_STMTS_MAX; i++) {
		if (out_now[i] == s)
			return true;
	}
	return false;
}

static bool hand_out(sqlite3_stmt *s)
{
	for (size_t i = 0; i < DB_LIVE_STMTS_MAX; i++) {
		if (out_now[i] == NULL) {
			out_now[i] = s;
			return true;
		}
	}
	return false;
}

/* Walking a connection's statements comparing texts costs a string compare per statement
 * kept, on every query. So each thread also remembers, by connection and by the address of
 * the SQL text (a literal, nearly always), the statement it found last: one compare of the text
 * confirms it (an address that held another text, or a statement handed out already, falls
 * back to the walk). Statements are finalized only by db_close, which counts closes: a thread
 * that sees the count move forgets everything it remembered, so a remembered statement never
 * outlives its connection (a new connection at the same address is opened after the close). */
#define STMT_CACHE_SLOTS 256
struct stmt_slot {
	const sqlite3 *db;
	const char *sql;
	sqlite3_stmt *stmt;
};
static atomic_uint_fast64_t connections_closed;
static _Thread_local struct stmt_slot stmt_cache[STMT_CACHE_SLOTS];
static _Thread_local uint_fast64_t stmt_cache_closed;

static struct stmt_slot *stmt_slot_of(const sqlite3 *db, const char *sql)
{
	uint_fast64_t seen = atomic_load(&connections_closed);
	if (seen != stmt_cache_closed) {
		memset(stmt_cache, 0, sizeof stmt_cache);
		stmt_cache_closed = seen;
	}
	uint64_t h = (uint64_t)(uintptr_t)db * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)sql;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	return &stmt_cache[(h >> 32) % STMT_CACHE_SLOTS];
}

enum coffer_err db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	*out = NULL;
	struct stmt_slot *slot = stmt_slot_of(db, sql);
	sqlite3_stmt *s = NULL;
	if (slot->db == db && slot->sql == sql && !handed_out(slot->stmt)) {
		const char *text = sqlite3_sql(slot->stmt);
		if (text != NULL && strcmp(text, sql) == 0)
			s = slot->stmt;
	}
	if (s == NULL) {
		while ((s = sqlite3_next_stmt(db, s)) != NULL) {
			const char *text = sqlite3_sql(s);
			if (text != NULL && strcmp(text, sql) == 0 && !handed_out(s))
				break;
		}
	}
	if (s == NULL) {
		int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
		if (rc != SQLITE_OK) {
			log_msg(LOG_ERROR, "db", "cannot prepare a statement: %s",
				sqlite3_errmsg(db));
			return db_err(rc);
		}
	}
	*slot = (struct stmt_slot){db, sql, s};
	if (!hand_out(s)) {
		/* A programming error: more statements live at once than any query needs. */
		log_msg(LOG_ERROR, "db", "more than %d statements in use in one thread",
			DB_LIVE_STMTS_MAX);
		return COFFER_ERR_INTERNAL;
	}
	*out = s;
	return COFFER_OK;
}

void db_finish(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	/* Reset ends any read the statement holds open; cleared bindings drop the pointers to
	 * the caller's buffers (bound SQLITE_STATIC), which do not outlive this call. */
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	for (size_t i = 0; i < DB_LIVE_STMTS_MAX; i++) {
		if (out_now[i] == s)
			out_now[i] = NULL;
	}
}

/* A statement still handed out when its connection goes back is a bug of ours: it would hold
 * one of this thread's slots for good (and a read open). It is logged and finished here. */
static void finish_left_over(sqlite3 *db)
{
	for (size_t i = 0; i < DB_LIVE_STMTS_MAX; i++) {
		if (out_now[i] != NULL && sqlite3_db_handle(out_now[i]) == db) {
			log_msg(LOG_ERROR, "db", "a statement was not finished: %s",
				sqlite3_sql(out_now[i]));
			db_finish(out_now[i]);
		}
	}
}

int db_close(sqlite3 *db)
{
	if (db == NULL)
		return SQLITE_OK;
	finish_left_over(db);
	/* Before any statement goes: every thread forgets what it remembered (db_prepare). */
	atomic_fetch_add(&connections_closed, 1);
	sqlite3_stmt *s;
	while ((s = sqlite3_next_stmt(db, NULL)) != NULL)
		sqlite3_finalize(s);
	return sqlite3_close(db);
}
