/* test_store.h — a fresh system store per test (in a test_tmpdir.h directory), and raw SQL on
 * its file for the tests that look past the interface or tamper with what it stored. */
#ifndef COFFER_TEST_STORE_H
#define COFFER_TEST_STORE_H

#include "test_util.h"

#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

#include "common/uuid.h"
#include "store/store.h"
#include "test_tmpdir.h"

struct env {
	struct fixture *tmp;
	struct store *st;
};

static int env_setup(void **state)
{
	void *tmp = NULL;
	struct env *e = calloc(1, sizeof *e);
	if (e == NULL || setup(&tmp) != 0)
		return -1;
	e->tmp = tmp;
	if (store_system_create(e->tmp->dir) != COFFER_OK ||
	    store_system_open(e->tmp->dir, &e->st) != COFFER_OK)
		return -1;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	void *tmp = e->tmp;
	store_close(e->st);
	free(e);
	return teardown(&tmp);
}

/* A connection of the test's own on the system database, past the store's interface. */
static sqlite3 *raw_open(const struct env *e)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	path_in(e->tmp, "system.db", path);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(const struct env *e, const char *sql)
{
	sqlite3 *db = raw_open(e);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	assert_int_equal(rc, SQLITE_OK);
}

/* The one integer SQL returns. */
static int64_t raw_int(const struct env *e, const char *sql)
{
	sqlite3 *db = raw_open(e);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Creates an organisation named NAME (key version 1 under master version 1); its id in ID. */
static void make_org(const struct env *e, const char *name, char id[STORE_ID_MAX + 1])
{
	struct org_key_record k = {.version = 1, .master_version = 1};
	randombytes_buf(k.wrapped, sizeof k.wrapped);
	uuid_generate(id);
	assert_int_equal(store_org_create(e->st, id, name, NULL, 0, &k, 1000), COFFER_OK);
}

#endif
