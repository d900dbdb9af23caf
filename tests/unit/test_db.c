/* test_db.c — the connection's kept statements (db_prepare / db_finish): a statement is
 * compiled once and found again by its text (whatever the text's address); two live uses of one
 * text get two statements; a finished statement forgets its bindings; transactions run through kept
 * statements; a connection with statements kept closes cleanly. */
#include "test_util.h"
#include "test_tmpdir.h"

#include "store/sqlite/db.h"
#include "store/sqlite/query.h"

static sqlite3 *open_db(const struct fixture *f)
{
	char path[PATH_MAX];
	path_in(f, "t.db", path);
	sqlite3 *db = NULL;
	assert_int_equal(db_open(path, true, &db), COFFER_OK);
	assert_int_equal(
	    sqlite3_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL),
	    SQLITE_OK);
	return db;
}

static int count_stmts(sqlite3 *db)
{
	int n = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s))
		n++;
	return n;
}

static void kept_and_found_again(void **state)
{
	sqlite3 *db = open_db(*state);
	sqlite3_stmt *a = NULL, *b = NULL;
	assert_int_equal(db_prepare(db, "SELECT v FROM t WHERE k = ?", &a), COFFER_OK);
	db_finish(a);
	assert_int_equal(db_prepare(db, "SELECT v FROM t WHERE k = ?", &b), COFFER_OK);
	assert_ptr_equal(a, b);
	db_finish(b);
	assert_int_equal(count_stmts(db), 1);
	assert_int_equal(db_close(db), SQLITE_OK);
}

/* A statement is remembered by the address of its text too: one buffer that holds another
 * text the next time gets the statement of that text; the same text at another address, the
 * same statement; and after a close, a connection opened anew (perhaps at the same address)
 * compiles its own. */
static void found_by_text_whatever_its_address(void **state)
{
	sqlite3 *db = open_db(*state);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO t VALUES (1, 'one'), (2, 'two')", NULL, NULL, NULL),
	    SQLITE_OK);
	char sql[64];
	sqlite3_stmt *a = NULL, *b = NULL, *c = NULL;
	snprintf(sql, sizeof sql, "SELECT v FROM t WHERE k = 1");
	assert_int_equal(db_prepare(db, sql, &a), COFFER_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(a, 0), "one");
	db_finish(a);
	snprintf(sql, sizeof sql, "SELECT v FROM t WHERE k = 2");
	assert_int_equal(db_prepare(db, sql, &b), COFFER_OK);
	assert_ptr_not_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(b, 0), "two");
	db_finish(b);
	char copy[64];
	memcpy(copy, sql, sizeof copy);
	assert_int_equal(db_prepare(db, copy, &c), COFFER_OK);
	assert_ptr_equal(b, c);
	db_finish(c);
	assert_int_equal(count_stmts(db), 2);
	assert_int_equal(db_close(db), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		char path[PATH_MAX];
		path_in(*state, "t.db", path);
		assert_int_equal(db_open(path, true, &db), COFFER_OK);
		assert_int_equal(db_prepare(db, copy, &c), COFFER_OK);
		assert_int_equal(count_stmts(db), 1);
		assert_int_equal(sqlite3_step(c), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(c, 0), "two");
		db_finish(c);
		assert_int_equal(db_close(db), SQLITE_OK);
	}
}

static void two_live_uses_get_two_statements(void **state)
{
	sqlite3 *db = open_db(*state);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO t VALUES (1,'one'),(2,'two')", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_stmt *outer = NULL, *inner = NULL;
	const char *sql = "SELECT v FROM t WHERE k = ?";
	assert_int_equal(db_prepare(db, sql, &outer), COFFER_OK);
	sqlite3_bind_int(outer, 1, 1);
	/* Bound but not yet stepped: not "busy" to SQLite, but still in use here. */
	assert_int_equal(db_prepare(db, sql, &inner), COFFER_OK);
	assert_ptr_not_equal(outer, inner);
	sqlite3_bind_int(inner, 1, 2);
	assert_int_equal(sqlite3_step(outer), SQLITE_ROW);
	assert_int_equal(sqlite3_step(inner), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(outer, 0), "one");
	assert_string_equal((const char *)sqlite3_column_text(inner, 0), "two");
	db_finish(inner);
	db_finish(outer);
	assert_int_equal(count_stmts(db), 2);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void finished_statement_forgets_bindings(void **state)
{
	sqlite3 *db = open_db(*state);
	sqlite3_stmt *ins = NULL;
	assert_int_equal(db_prepare(db, "INSERT INTO t (k, v) VALUES (?, ?)", &ins), COFFER_OK);
	char text[] = "bound";
	sqlite3_bind_int(ins, 1, 7);
	sqlite3_bind_text(ins, 2, text, -1, SQLITE_STATIC);
	assert_int_equal(db_step_done(ins), COFFER_OK);
	db_finish(ins);
	memset(text, 'X', sizeof text - 1);
	/* Reused without binding the text: a NULL, never the old buffer. */
	assert_int_equal(db_prepare(db, "INSERT INTO t (k, v) VALUES (?, ?)", &ins), COFFER_OK);
	sqlite3_bind_int(ins, 1, 8);
	assert_int_equal(db_step_done(ins), COFFER_OK);
	db_finish(ins);
	sqlite3_stmt *q = NULL;
	assert_int_equal(db_prepare(db, "SELECT count(*) FROM t WHERE k = 8 AND v IS NULL", &q),
			 COFFER_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 1);
	db_finish(q);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void transactions_commit_and_roll_back(void **state)
{
	sqlite3 *db = open_db(*state);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(db_begin(db), COFFER_OK);
		assert_int_equal(
		    sqlite3_exec(db, "INSERT INTO t (v) VALUES ('kept')", NULL, NULL, NULL),
		    SQLITE_OK);
		assert_int_equal(db_end(db, COFFER_OK), COFFER_OK);
		assert_int_equal(db_begin(db), COFFER_OK);
		assert_int_equal(
		    sqlite3_exec(db, "INSERT INTO t (v) VALUES ('undone')", NULL, NULL, NULL),
		    SQLITE_OK);
		assert_int_equal(db_end(db, COFFER_ERR_INVALID_INPUT), COFFER_ERR_INVALID_INPUT);
	}
	assert_true(sqlite3_get_autocommit(db));
	sqlite3_stmt *q = NULL;
	assert_int_equal(db_prepare(db, "SELECT count(*), sum(v = 'kept') FROM t", &q), COFFER_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3);
	assert_int_equal(sqlite3_column_int(q, 1), 3);
	db_finish(q);
	assert_int_equal(db_close(db), SQLITE_OK);
}

static void too_many_live_statements_refused(void **state)
{
	sqlite3 *db = open_db(*state);
	sqlite3_stmt *s[17] = {0};
	for (int i = 0; i < 16; i++)
		assert_int_equal(db_prepare(db, "SELECT 1", &s[i]), COFFER_OK);
	assert_int_equal(db_prepare(db, "SELECT 1", &s[16]), COFFER_ERR_INTERNAL);
	assert_null(s[16]);
	for (int i = 0; i < 16; i++)
		db_finish(s[i]);
	assert_int_equal(db_prepare(db, "SELECT 1", &s[0]), COFFER_OK);
	db_finish(s[0]);
	assert_int_equal(db_close(db), SQLITE_OK);
}

/* A statement left unfinished when its connection goes back to the pool is finished there
 * (and logged): the thread's slots never fill up with statements of connections it gave back. */
static void unfinished_statement_finished_on_return(void **state)
{
	static const struct db_migration schema[] = {{"CREATE TABLE t (k INTEGER PRIMARY KEY)"}};
	char path[PATH_MAX];
	path_in(*state, "t.db", path);
	struct db_pool pool;
	assert_int_equal(db_pool_open(&pool, path, true, schema, 1, 1), COFFER_OK);
	for (int i = 0; i < 3 * 16; i++) {
		sqlite3 *db = db_pool_get(&pool);
		sqlite3_stmt *s = NULL;
		assert_int_equal(db_prepare(db, "SELECT count(*) FROM t", &s), COFFER_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		db_pool_put(&pool, db); /* without db_finish */
		assert_int_equal(count_stmts(db), 1);
	}
	db_pool_close(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(kept_and_found_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(found_by_text_whatever_its_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(two_live_uses_get_two_statements, setup, teardown),
	    cmocka_unit_test_setup_teardown(finished_statement_forgets_bindings, setup, teardown),
	    cmocka_unit_test_setup_teardown(transactions_commit_and_roll_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(too_many_live_statements_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(unfinished_statement_finished_on_return, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
