/* test_db_query.c — statements in one call (store/sqlite/query.h): parameters bound in order,
 * a missing row is COFFER_ERR_NOT_FOUND, a change of no row too, a reader's error stops the
 * walk and is returned, a page says whether more rows follow, SQLite's errors map as db_err
 * says, and a parameter the statement lacks is refused rather than ignored. */
#include "test_util.h"
#include "test_tmpdir.h"

#include "store/sqlite/db.h"
#include "store/sqlite/query.h"

struct row {
	int64_t k;
	char v[16];
};

static enum coffer_err read_row(sqlite3_stmt *s, void *out)
{
	struct row *r = out;
	r->k = sqlite3_column_int64(s, 0);
	db_column_text(s, 1, r->v, sizeof r->v);
	return COFFER_OK;
}

/* Refuses the row whose k is 3. */
static enum coffer_err refuse_three(sqlite3_stmt *s, void *ctx)
{
	int *seen = ctx;
	if (sqlite3_column_int64(s, 0) == 3)
		return COFFER_ERR_STORAGE;
	(*seen)++;
	return COFFER_OK;
}

/* A database with t (k 1..5, v "v1".."v5"). */
static sqlite3 *open_db(const struct fixture *f)
{
	static const struct db_migration schema[] = {
	    {"CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE, b BLOB);"
	     "INSERT INTO t (k, v) VALUES (1,'v1'),(2,'v2'),(3,'v3'),(4,'v4'),(5,'v5');"},
	};
	char path[PATH_MAX];
	path_in(f, "q.db", path);
	sqlite3 *db = NULL;
	assert_int_equal(db_open(path, true, &db), COFFER_OK);
	assert_int_equal(db_migrate(db, schema, 1), COFFER_OK);
	return db;
}

static void row_found_and_not_found(void **state)
{
	sqlite3 *db = open_db(*state);
	struct row r = {0};
	static const char sql[] = "SELECT k, v FROM t WHERE k = ? AND v = ?";
	assert_int_equal(db_row(db, sql, DB_ARGS(db_int(2), db_text("v2")), read_row, &r),
			 COFFER_OK);
	assert_int_equal(r.k, 2);
	assert_string_equal(r.v, "v2");
	r.k = 99;
	assert_int_equal(db_row(db, sql, DB_ARGS(db_int(2), db_text("v3")), read_row, &r),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(r.k, 99); /* untouched */
	/* Only whether there is a row. */
	assert_int_equal(
	    db_row(db, "SELECT 1 FROM t WHERE v = ?", DB_ARGS(db_text_n("v4x", 2)), NULL, NULL),
	    COFFER_OK);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void exec_change_and_errors(void **state)
{
	sqlite3 *db = open_db(*state);
	static const uint8_t blob[3] = {1, 2, 3};
	assert_int_equal(db_exec(db, "INSERT INTO t (k, v, b) VALUES (?, ?, ?)",
				 DB_ARGS(db_int(6), db_text_or_null("v6"), db_blob(blob, 3))),
			 COFFER_OK);
	/* A clash of a unique column, a NULL where NOT NULL: as db_err maps them. */
	assert_int_equal(
	    db_exec(db, "INSERT INTO t (k, v) VALUES (?, ?)", DB_ARGS(db_int(7), db_text("v6"))),
	    COFFER_ERR_EXISTS);
	assert_int_equal(db_exec(db, "INSERT INTO t (k, v) VALUES (?, ?)",
				 DB_ARGS(db_int(7), db_text_or_null(""))),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    db_change(db, "UPDATE t SET b = ? WHERE k = ?", DB_ARGS(db_null(), db_int(6))),
	    COFFER_OK);
	assert_int_equal(
	    db_change(db, "UPDATE t SET b = ? WHERE k = ?", DB_ARGS(db_null(), db_int(60))),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(db_exec(db, "DELETE FROM t WHERE k = ?", DB_ARGS(db_int(60))), COFFER_OK);
	/* A parameter the statement does not have is a bug, never silently dropped. */
	assert_int_equal(db_exec(db, "DELETE FROM t WHERE k = ?", DB_ARGS(db_int(1), db_int(2))),
			 COFFER_ERR_STORAGE);
	assert_int_equal(db_exec(db, "DELETE FROM nowhere", DB_NO_ARGS), COFFER_ERR_STORAGE);
	int64_t n = 0;
	assert_int_equal(db_row(db, "SELECT count(*) FROM t", DB_NO_ARGS, db_read_int64, &n),
			 COFFER_OK);
	assert_int_equal(n, 6);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void rows_page_and_more(void **state)
{
	sqlite3 *db = open_db(*state);
	struct row page[2];
	size_t n = 0;
	bool more = false;
	static const char sql[] = "SELECT k, v FROM t WHERE k > ? ORDER BY k";
	assert_int_equal(
	    db_rows(db, sql, DB_ARGS(db_int(0)), read_row, DB_ITEMS(page, 2), &n, &more),
	    COFFER_OK);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(page[1].k, 2);
	assert_int_equal(
	    db_rows(db, sql, DB_ARGS(db_int(3)), read_row, DB_ITEMS(page, 2), &n, &more),
	    COFFER_OK);
	assert_int_equal(n, 2);
	assert_false(more);
	assert_string_equal(page[0].v, "v4");
	assert_int_equal(
	    db_rows(db, sql, DB_ARGS(db_int(5)), read_row, DB_ITEMS(page, 2), &n, NULL), COFFER_OK);
	assert_int_equal(n, 0);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void rows_alloc_and_each(void **state)
{
	sqlite3 *db = open_db(*state);
	void *all = NULL;
	size_t n = 0;
	static const char sql[] = "SELECT k, v FROM t WHERE k >= ? ORDER BY k";
	assert_int_equal(
	    db_rows_alloc(db, sql, DB_ARGS(db_int(1)), read_row, sizeof(struct row), &all, &n),
	    COFFER_OK);
	assert_int_equal(n, 5);
	assert_string_equal(((struct row *)all)[4].v, "v5");
	free(all);
	assert_int_equal(
	    db_rows_alloc(db, sql, DB_ARGS(db_int(9)), read_row, sizeof(struct row), &all, &n),
	    COFFER_OK);
	assert_int_equal(n, 0);
	assert_null(all);
	int seen = 0;
	assert_int_equal(db_each(db, sql, DB_ARGS(db_int(1)), refuse_three, &seen),
			 COFFER_ERR_STORAGE);
	assert_int_equal(seen, 2); /* stopped at the refused row */
	assert_int_equal(db_close(db), SQLITE_OK);
}

static enum coffer_err insert_then(sqlite3 *db, void *ctx)
{
	enum coffer_err err = db_exec(db, "INSERT INTO t (k, v) VALUES (10, 'v10')", DB_NO_ARGS);
	return err == COFFER_OK ? *(enum coffer_err *)ctx : err;
}

static void pool_transactions(void **state)
{
	static const struct db_migration schema[] = {
	    {"CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)"}};
	char path[PATH_MAX];
	path_in(*state, "p.db", path);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, path, true, schema, 1, 2), COFFER_OK);
	enum coffer_err fail = COFFER_ERR_VERSION_CONFLICT, ok = COFFER_OK;
	assert_int_equal(db_pool_write(&pool, insert_then, &fail), COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(db_pool_row(&pool, "SELECT 1 FROM t", DB_NO_ARGS, NULL, NULL),
			 COFFER_ERR_NOT_FOUND); /* rolled back */
	assert_int_equal(db_pool_write(&pool, insert_then, &ok), COFFER_OK);
	assert_int_equal(
	    db_pool_change(&pool, "UPDATE t SET v = ? WHERE k = 10", DB_ARGS(db_text("ten"))),
	    COFFER_OK);
	struct row r;
	assert_int_equal(db_pool_row(&pool, "SELECT k, v FROM t", DB_NO_ARGS, read_row, &r),
			 COFFER_OK);
	assert_string_equal(r.v, "ten");
	assert_int_equal(db_pool_exec(&pool, "DELETE FROM t", DB_NO_ARGS), COFFER_OK);
	db_pool_close(&pool);
	/* A database newer than the schema is refused, and the pool is left closed. */
	assert_int_equal(db_pool_open(&pool, path, false, schema, 0, 2), COFFER_ERR_STORAGE);
	db_pool_close(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(row_found_and_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(exec_change_and_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(rows_page_and_more, setup, teardown),
	    cmocka_unit_test_setup_teardown(rows_alloc_and_each, setup, teardown),
	    cmocka_unit_test_setup_teardown(pool_transactions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
