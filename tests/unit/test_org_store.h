/* test_org_store.h — a fresh organisation database per test (in a test_tmpdir.h directory),
 * raw SQL on its file for the tests that look past the interface or tamper with it, and
 * builders for the rows and audit entries the tests write. Inline, so that a test file need
 * not use every helper. */
#ifndef COFFER_TEST_ORG_STORE_H
#define COFFER_TEST_ORG_STORE_H

#include "test_util.h"

#include <limits.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>

#include "audit/chain.h"
#include "common/uuid.h"
#include "store/store.h"
#include "test_tmpdir.h"

struct org_env {
	struct fixture *tmp;
	char org[UUID_TEXT_LEN + 1];
	char actor[UUID_TEXT_LEN + 1];
	struct org_db *odb;
};

static inline int org_env_setup(void **state)
{
	void *tmp = NULL;
	struct org_env *e = calloc(1, sizeof *e);
	if (e == NULL || setup(&tmp) != 0)
		return -1;
	e->tmp = tmp;
	uuid_generate(e->org);
	uuid_generate(e->actor);
	if (store_org_db_open(e->tmp->dir, e->org, true, &e->odb) != COFFER_OK)
		return -1;
	*state = e;
	return 0;
}

static inline int org_env_teardown(void **state)
{
	struct org_env *e = *state;
	void *tmp = e->tmp;
	store_org_db_close(e->odb);
	free(e);
	return teardown(&tmp);
}

static inline void org_db_path(const struct org_env *e, const char *org, char out[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "orgs/%s/org.db", org);
	path_in(e->tmp, name, out);
}

/* A connection of the test's own on ORG's database, past the store's interface. */
static inline sqlite3 *raw_org_open(const struct org_env *e, const char *org)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	org_db_path(e, org, path);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static inline void raw_org_exec(const struct org_env *e, const char *org, const char *sql)
{
	sqlite3 *db = raw_org_open(e, org);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("%s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
	assert_int_equal(rc, SQLITE_OK);
}

/* The one integer SQL returns. */
static inline int64_t raw_org_int(const struct org_env *e, const char *org, const char *sql)
{
	sqlite3 *db = raw_org_open(e, org);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* An audit entry of ACTION on TARGET at time T. */
static inline void audit_of(struct audit_entry *a, int64_t t, const char *actor, const char *action,
			    const char *target)
{
	memset(a, 0, sizeof *a);
	a->time = t;
	snprintf(a->actor, sizeof a->actor, "%s", actor);
	snprintf(a->action, sizeof a->action, "%s", action);
	snprintf(a->target, sizeof a->target, "%s", target);
	snprintf(a->ip, sizeof a->ip, "192.0.2.%d", (int)(t % 250));
	snprintf(a->outcome, sizeof a->outcome, "success");
}

/* A data key for (KIND, ID, VERSION, LEVEL), wrapped by org key version 1 (random bytes: the
 * store never opens it). */
static inline void data_key_of(struct data_key_record *k, const char *kind, const char *id,
			       uint32_t version, enum level level)
{
	memset(k, 0, sizeof *k);
	snprintf(k->kind, sizeof k->kind, "%s", kind);
	snprintf(k->object_id, sizeof k->object_id, "%s", id);
	k->object_version = version;
	k->level = level;
	k->org_key_version = 1;
	randombytes_buf(k->wrapped, sizeof k->wrapped);
}

/* The chain of ODB is intact and N long. */
static inline void org_verify_ok(struct org_db *odb, const char *org, uint64_t want_n)
{
	uint64_t n = 0, broken = 99;
	assert_int_equal(store_org_audit_verify(odb, org, &n, &broken), COFFER_OK);
	assert_int_equal(n, want_n);
	assert_int_equal(broken, 0);
}

#endif
