/* test_db_wal.c — the conditions of SQLite's WAL-reset race never meet (db.c, docs/STORAGE.md):
 * a connection never checkpoints by itself (no automatic checkpoint, none at close); a pool
 * checkpoints only holding its write lock while a guard holds the database's WAL write lock,
 * so no writer of any connection can run beside it; the log stays bounded under writers from
 * many threads and a writer outside the pool; every committed row is there afterwards, in a
 * database that passes integrity_check, also when other processes write and checkpoint the
 * same file at the same time; a wiping checkpoint cuts the log to one frame, waiting out
 * readers' snapshots rather than failing beside them. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"
#include "test_tmpdir.h"

#include "store/sqlite/db.h"
#include "store/sqlite/query.h"

static const struct db_migration schema[] = {
    {"CREATE TABLE t (w INTEGER NOT NULL, i INTEGER NOT NULL, pad BLOB NOT NULL,"
     " PRIMARY KEY (w, i))"}};

/* What the checkpoint observer saw: calls, and calls that broke an invariant. */
struct seen {
	char path[PATH_MAX];
	atomic_int checkpoints;
	atomic_int without_pool_lock;
	atomic_int writer_could_begin;
};

/* At the start of every checkpoint: this thread holds the pool's write lock, and no other
 * connection can begin a write (the guard holds the WAL write lock). Assertions from another
 * thread cannot fail a cmocka test, so breaks are counted and checked by the test. */
static void observe(struct db_pool *pool, void *arg)
{
	struct seen *s = arg;
	atomic_fetch_add(&s->checkpoints, 1);
	if (!db_pool_writing(pool))
		atomic_fetch_add(&s->without_pool_lock, 1);
	sqlite3 *probe = NULL;
	if (db_open(s->path, false, &probe) != COFFER_OK) {
		atomic_fetch_add(&s->writer_could_begin, 1);
		return;
	}
	sqlite3_busy_timeout(probe, 0);
	int rc = sqlite3_exec(probe, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_BUSY) {
		atomic_fetch_add(&s->writer_could_begin, 1);
		sqlite3_exec(probe, "ROLLBACK", NULL, NULL, NULL);
	}
	db_close(probe);
}

static void integrity_ok(sqlite3 *db);

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void connection_never_checkpoints_by_itself(void **state)
{
	char path[PATH_MAX], wal[PATH_MAX];
	path_in(*state, "t.db", path);
	path_in(*state, "t.db-wal", wal);
	sqlite3 *db = NULL;
	assert_int_equal(db_open(path, true, &db), COFFER_OK);
	assert_int_equal(scalar(db, "PRAGMA wal_autocheckpoint"), 0);
	int no_ckpt_on_close = -1;
	assert_int_equal(
	    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, -1, &no_ckpt_on_close),
	    SQLITE_OK);
	assert_int_equal(no_ckpt_on_close, 1);
	/* Well past SQLite's default threshold of 1000 frames, then closed as the last
	 * connection: neither the commits nor the close copy the log into the database. */
	assert_int_equal(
	    sqlite3_exec(db,
			 "CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB);"
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
			 "n WHERE i < 1500) INSERT INTO t SELECT i, randomblob(3000) "
			 "FROM n;",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	off_t db_bytes = file_size(path);
	assert_int_equal(db_close(db), SQLITE_OK);
	assert_true(file_size(wal) > 1500 * 3000);
	assert_int_equal(file_size(path), db_bytes);
}

/* A writer's transaction: PER rows of thread W from I, each most of a page (the log grows a
 * frame or more a row). */
struct rows {
	int64_t w, i, per;
};

static enum coffer_err insert_rows(sqlite3 *db, void *ctx)
{
	const struct rows *r = ctx;
	enum coffer_err err = COFFER_OK;
	for (int64_t k = 0; err == COFFER_OK && k < r->per; k++)
		err = db_exec(db, "INSERT INTO t (w, i, pad) VALUES (?, ?, randomblob(3000))",
			      DB_ARGS(db_int(r->w), db_int(r->i + k)));
	return err;
}

#define WRITERS	      6
#define TXS	      60
#define PER_TX	      4
#define OUTSIDER_ROWS 150

struct writer_arg {
	struct db_pool *pool;
	int w;
	atomic_int *failures;
	atomic_uint *max_frames;
};

static void note_frames(struct writer_arg *a)
{
	unsigned int f = atomic_load(&a->pool->wal_frames), seen = atomic_load(a->max_frames);
	while (f > seen && !atomic_compare_exchange_weak(a->max_frames, &seen, f))
		;
}

/* Writes through the pool: transactions (db_pool_write) and, for odd threads, one row at a
 * time in autocommit (db_pool_exec). */
static void *pool_writer(void *p)
{
	struct writer_arg *a = p;
	for (int t = 0; t < TXS; t++) {
		enum coffer_err err;
		if (a->w % 2 == 1 && t % 3 == 0) {
			err = COFFER_OK;
			for (int k = 0; err == COFFER_OK && k < PER_TX; k++)
				err = db_pool_exec(
				    a->pool,
				    "INSERT INTO t (w, i, pad) VALUES (?, ?, randomblob(3000))",
				    DB_ARGS(db_int(a->w), db_int((int64_t)t * PER_TX + k)));
		} else {
			struct rows r = {a->w, (int64_t)t * PER_TX, PER_TX};
			err = db_pool_write(a->pool, insert_rows, &r);
		}
		if (err != COFFER_OK)
			atomic_fetch_add(a->failures, 1);
		note_frames(a);
	}
	return NULL;
}

/* Reads through the pool while the others write. */
static void *pool_reader(void *p)
{
	struct writer_arg *a = p;
	for (int t = 0; t < TXS * 2; t++) {
		int64_t n = 0;
		if (db_pool_row(a->pool, "SELECT count(*) FROM t", DB_NO_ARGS, db_read_int64, &n) !=
		    COFFER_OK)
			atomic_fetch_add(a->failures, 1);
	}
	return NULL;
}

/* A writer with a connection of its own, outside the pool and its lock: as another process
 * (`coffer org recover` beside the server) would be. Only SQLite's locks order it. */
static void *outsider(void *p)
{
	struct writer_arg *a = p;
	sqlite3 *db = NULL;
	if (db_open(a->pool->path, false, &db) != COFFER_OK) {
		atomic_fetch_add(a->failures, 1);
		return NULL;
	}
	for (int k = 0; k < OUTSIDER_ROWS; k++) {
		struct rows r = {a->w, k, 1};
		enum coffer_err err = db_begin(db);
		if (err == COFFER_OK)
			err = insert_rows(db, &r);
		if (db_end(db, err) != COFFER_OK)
			atomic_fetch_add(a->failures, 1);
	}
	db_close(db);
	return NULL;
}

static void writers_and_checkpoints_together(void **state)
{
	static struct seen seen;
	memset(&seen, 0, sizeof seen);
	path_in(*state, "t.db", seen.path);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, seen.path, true, schema, 1, 4), COFFER_OK);
	db_checkpoint_observe(observe, &seen);

	atomic_int failures = 0;
	atomic_uint max_frames = 0;
	pthread_t th[WRITERS + 3];
	struct writer_arg args[WRITERS + 3];
	for (int i = 0; i < WRITERS + 3; i++) {
		args[i] = (struct writer_arg){&pool, i, &failures, &max_frames};
		void *(*fn)(void *) = i < WRITERS	? pool_writer
				      : i < WRITERS + 2 ? pool_reader
							: outsider;
		assert_int_equal(pthread_create(&th[i], NULL, fn, &args[i]), 0);
	}
	for (int i = 0; i < WRITERS + 3; i++)
		pthread_join(th[i], NULL);

	assert_int_equal(atomic_load(&failures), 0);
	/* About 1500 rows of most of a page each: several checkpoints, each while nothing else
	 * could write, none without the pool's lock; no commit of the pool without it. */
	assert_true(atomic_load(&seen.checkpoints) >= 3);
	assert_int_equal(atomic_load(&seen.without_pool_lock), 0);
	assert_int_equal(atomic_load(&seen.writer_could_begin), 0);
	assert_int_equal(db_pool_unguarded_commits(&pool), 0);
	/* Bounded: a checkpoint is due at DB_CHECKPOINT_FRAMES (a quarter more after a partial
	 * one), and the outsider adds its rows between two of the pool's commits. */
	assert_true(atomic_load(&max_frames) < 2 * DB_CHECKPOINT_FRAMES);
	int before = atomic_load(&seen.checkpoints);
	db_pool_close(&pool);
	assert_int_equal(atomic_load(&seen.checkpoints), before + 1); /* the one at close */
	db_checkpoint_observe(NULL, NULL);

	/* The database file alone (the log left out) holds every committed row: the close
	 * copied all of it. */
	char copy[PATH_MAX], cmd[2 * PATH_MAX + 16];
	path_in(*state, "copy.db", copy);
	snprintf(cmd, sizeof cmd, "cp %s %s", seen.path, copy);
	assert_int_equal(system(cmd), 0);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	integrity_ok(db);
	for (int w = 0; w < WRITERS; w++) {
		char sql[128];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM t WHERE w = %d AND i BETWEEN 0 AND %d", w,
			 TXS * PER_TX - 1);
		assert_int_equal(scalar(db, sql), TXS * PER_TX);
	}
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE w = %d", WRITERS + 2);
	assert_int_equal(scalar(db, sql), OUTSIDER_ROWS);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t"),
			 WRITERS * TXS * PER_TX + OUTSIDER_ROWS);
	sqlite3_close(db);
}

#define CHILDREN  3
#define CHILD_TXS 80

/* Whether DB (read only) passes integrity_check. */
static void integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
}

/* Processes with pools of their own (the server and, beside it, `coffer org recover` or
 * `keys rotate --org --rewrap`) write and checkpoint one file at once: each checkpoint
 * still runs while no writer of any process can, and nothing committed is lost. */
static void processes_write_and_checkpoint_together(void **state)
{
	static struct seen seen;
	memset(&seen, 0, sizeof seen);
	path_in(*state, "t.db", seen.path);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, seen.path, true, schema, 1, 4), COFFER_OK);
	db_pool_close(&pool); /* no connection crosses a fork */
	db_checkpoint_observe(observe, &seen);
	pid_t pids[CHILDREN];
	for (int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			/* The observer's counts are this child's copy: it exits with them. */
			struct db_pool own;
			if (db_pool_open(&own, seen.path, false, schema, 1, 2) != COFFER_OK)
				_exit(2);
			for (int t = 0; t < CHILD_TXS; t++) {
				struct rows r = {100 + c, (int64_t)t * PER_TX, PER_TX};
				if (db_pool_write(&own, insert_rows, &r) != COFFER_OK)
					_exit(3);
			}
			bool clean = db_pool_unguarded_commits(&own) == 0;
			db_pool_close(&own);
			if (!clean || atomic_load(&seen.writer_could_begin) != 0 ||
			    atomic_load(&seen.without_pool_lock) != 0)
				_exit(4);
			_exit(atomic_load(&seen.checkpoints) >= 1 ? 0 : 5); /* at least at close */
		}
	}
	assert_int_equal(db_pool_open(&pool, seen.path, false, schema, 1, 4), COFFER_OK);
	atomic_int failures = 0;
	atomic_uint max_frames = 0;
	pthread_t th[WRITERS];
	struct writer_arg args[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		args[i] = (struct writer_arg){&pool, i, &failures, &max_frames};
		assert_int_equal(pthread_create(&th[i], NULL, pool_writer, &args[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	for (int c = 0; c < CHILDREN; c++) {
		int status = 0;
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(atomic_load(&failures), 0);
	assert_true(atomic_load(&seen.checkpoints) >= 2);
	assert_int_equal(atomic_load(&seen.without_pool_lock), 0);
	assert_int_equal(atomic_load(&seen.writer_could_begin), 0);
	assert_int_equal(db_pool_unguarded_commits(&pool), 0);
	db_pool_close(&pool);
	db_checkpoint_observe(NULL, NULL);

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(seen.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	integrity_ok(db);
	for (int w = 0; w < WRITERS; w++) {
		char sql[96];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE w = %d", w);
		assert_int_equal(scalar(db, sql), TXS * PER_TX);
	}
	for (int c = 0; c < CHILDREN; c++) {
		char sql[96];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE w = %d", 100 + c);
		assert_int_equal(scalar(db, sql), CHILD_TXS * PER_TX);
	}
	sqlite3_close(db);
}

/* A wiping checkpoint leaves the log one frame long: the pages a deletion freed are gone
 * from it (store_org_keys_destroy relies on this). */
static void wiping_checkpoint_cuts_the_log(void **state)
{
	char path[PATH_MAX], wal[PATH_MAX];
	path_in(*state, "t.db", path);
	path_in(*state, "t.db-wal", wal);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, path, true, schema, 1, 2), COFFER_OK);
	struct rows r = {0, 0, 200};
	assert_int_equal(db_pool_write(&pool, insert_rows, &r), COFFER_OK);
	assert_true(file_size(wal) > 200 * 3000);
	sqlite3 *db = db_pool_get_writer(&pool);
	assert_int_equal(db_exec(db, "DELETE FROM t", DB_NO_ARGS), COFFER_OK);
	assert_int_equal(db_pool_checkpoint(&pool, db, true), COFFER_OK);
	db_pool_put_writer(&pool, db);
	int page = 0;
	db = db_pool_get(&pool);
	page = (int)scalar(db, "PRAGMA page_size");
	db_pool_put(&pool, db);
	assert_int_equal(file_size(wal), 32 + 24 + page); /* the header and one frame */
	/* A reader in the middle of a snapshot keeps the old frames: refused, nothing lost. */
	sqlite3 *reader = db_pool_get(&pool);
	assert_int_equal(db_begin_read(reader), COFFER_OK);
	assert_int_equal(scalar(reader, "SELECT count(*) FROM t"), 0);
	struct rows more = {1, 0, 50};
	assert_int_equal(db_pool_write(&pool, insert_rows, &more), COFFER_OK);
	db = db_pool_get_writer(&pool);
	assert_int_equal(db_pool_checkpoint(&pool, db, true), COFFER_ERR_UNAVAILABLE);
	db_pool_put_writer(&pool, db);
	assert_int_equal(db_end(reader, COFFER_OK), COFFER_OK);
	db_pool_put(&pool, reader);
	db = db_pool_get_writer(&pool);
	assert_int_equal(db_pool_checkpoint(&pool, db, true), COFFER_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 50);
	db_pool_put_writer(&pool, db);
	assert_int_equal(db_pool_unguarded_commits(&pool), 0);
	db_pool_close(&pool);
}

/* A reader that holds its snapshot for HOLD_MS once, or (with HOLD_MS 0) opens short read
 * transactions one after another until told to stop: what a live server's requests do. */
struct reader_arg {
	struct db_pool *pool;
	int hold_ms;
	atomic_int begun, stop, failures;
};

static void *snapshot_reader(void *p)
{
	struct reader_arg *a = p;
	do {
		sqlite3 *db = db_pool_get(a->pool);
		int64_t n = -1;
		if (db_begin_read(db) != COFFER_OK ||
		    db_row(db, "SELECT count(*) FROM t", DB_NO_ARGS, db_read_int64, &n) !=
			COFFER_OK)
			atomic_fetch_add(&a->failures, 1);
		atomic_store(&a->begun, 1);
		if (a->hold_ms > 0)
			usleep((useconds_t)a->hold_ms * 1000);
		if (db_end(db, COFFER_OK) != COFFER_OK)
			atomic_fetch_add(&a->failures, 1);
		db_pool_put(a->pool, db);
	} while (a->hold_ms == 0 && !atomic_load(&a->stop));
	return NULL;
}

/* Fills the pool's table and deletes it, leaving the deleted rows' old pages in the log. */
static void rows_deleted_into_the_log(struct db_pool *pool)
{
	struct rows r = {0, 0, 100};
	assert_int_equal(db_pool_write(pool, insert_rows, &r), COFFER_OK);
	assert_int_equal(db_pool_exec(pool, "DELETE FROM t", DB_NO_ARGS), COFFER_OK);
}

static void wipe_and_check(struct db_pool *pool, const char *wal)
{
	sqlite3 *db = db_pool_get_writer(pool);
	assert_int_equal(db_pool_checkpoint(pool, db, true), COFFER_OK);
	int page = (int)scalar(db, "PRAGMA page_size");
	db_pool_put_writer(pool, db);
	assert_int_equal(file_size(wal), 32 + 24 + page);
}

/* A wipe waits for a reader's snapshot to end rather than failing beside it. */
static void wipe_waits_out_a_short_snapshot(void **state)
{
	char path[PATH_MAX], wal[PATH_MAX];
	path_in(*state, "t.db", path);
	path_in(*state, "t.db-wal", wal);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, path, true, schema, 1, 3), COFFER_OK);
	rows_deleted_into_the_log(&pool);
	struct reader_arg a = {.pool = &pool, .hold_ms = 300};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, snapshot_reader, &a), 0);
	while (!atomic_load(&a.begun))
		usleep(1000);
	wipe_and_check(&pool, wal);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&a.failures), 0);
	db_pool_close(&pool);
}

/* Nor does a stream of short readers, one nearly always open, keep a wipe from finishing. */
static void wipe_finishes_beside_busy_readers(void **state)
{
	char path[PATH_MAX], wal[PATH_MAX];
	path_in(*state, "t.db", path);
	path_in(*state, "t.db-wal", wal);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, path, true, schema, 1, 4), COFFER_OK);
	rows_deleted_into_the_log(&pool);
	struct reader_arg a[2] = {{.pool = &pool}, {.pool = &pool}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, snapshot_reader, &a[i]), 0);
	while (!atomic_load(&a[0].begun) || !atomic_load(&a[1].begun))
		usleep(1000);
	wipe_and_check(&pool, wal);
	for (int i = 0; i < 2; i++) {
		atomic_store(&a[i].stop, 1);
		pthread_join(t[i], NULL);
		assert_int_equal(atomic_load(&a[i].failures), 0);
	}
	db_pool_close(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(connection_never_checkpoints_by_itself, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(writers_and_checkpoints_together, setup, teardown),
	    cmocka_unit_test_setup_teardown(processes_write_and_checkpoint_together, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(wiping_checkpoint_cuts_the_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(wipe_waits_out_a_short_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(wipe_finishes_beside_busy_readers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
