/* pg_schema_check.c — the PostgreSQL schema and its migrations (src/store/postgres/pg_schema.c)
 * against a real server. tests/e2e/test_pg_schema.py starts a throwaway PostgreSQL and runs
 *
 *	pg_schema_check SCENARIO [ORG-ID KIND]
 *
 * with the server in the environment as pg_check.h says. Every scenario works on scratch
 * databases (coffer_org_<random id>, made with pg_org_db_create, whichever kind it is
 * migrated as) and drops them. Besides the scenarios:
 *	pg_schema_check createdb ID / dropdb ID
 *	pg_schema_check migrate ID KIND	prints "applied N" (N steps run by this process)
 * let the driver have several processes migrate one database at once. */
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "common/log.h"
#include "common/uuid.h"
#include "store/postgres/pg_err.h"
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_schema.h"
#include "store/store.h"
#include "pg_check.h"

/* A scratch database: its id and its name. */
struct scratch {
	char id[UUID_TEXT_LEN + 1];
	char db[PG_ORG_DB_NAME_LEN + 1];
};

static struct scratch scratch_new(struct pg_pool *pool)
{
	struct scratch s;
	uuid_generate(s.id);
	if (pg_org_db_name(s.id, s.db) != COFFER_OK || pg_org_db_create(pool, s.id) != COFFER_OK) {
		fprintf(stderr, "cannot create a scratch database\n");
		exit(2);
	}
	return s;
}

static void scratch_drop(struct pg_pool *pool, const struct scratch *s)
{
	CHECK_ERR(pg_org_db_drop(pool, s->id), COFFER_OK, "the scratch database is dropped");
}

static struct pg_conn *borrow(struct pg_pool *pool, const char *db)
{
	struct pg_conn *c = NULL;
	if (pg_pool_get(pool, db, &c) != COFFER_OK) {
		fprintf(stderr, "cannot connect to %s\n", db ? db : "the system database");
		exit(2);
	}
	return c;
}

static long long scalar_int(struct pg_conn *c, const char *sql)
{
	char v[64];
	if (scalar(c, sql, PG_NO_ARGS, v, sizeof v) != COFFER_OK)
		return -1;
	return strtoll(v, NULL, 10);
}

/* Everything a migration could change, as one text: columns, constraints, indexes, the
 * recorded steps. Compared before and after. */
static char *catalogue(struct pg_conn *c)
{
	PGresult *res = NULL;
	enum coffer_err err = pg_query(
	    c,
	    "SELECT (SELECT string_agg(table_name || '.' || column_name || ' ' || data_type || ' '"
	    "  || is_nullable || ' ' || coalesce(column_default, '-') || ' ' || is_identity, ';'"
	    "  ORDER BY table_name, ordinal_position) FROM information_schema.columns"
	    "  WHERE table_schema = 'public')"
	    " || '|' || (SELECT string_agg(conrelid::regclass::text || ' ' || conname || ' '"
	    "  || pg_get_constraintdef(oid), ';' ORDER BY conrelid::regclass::text, conname)"
	    "  FROM pg_constraint WHERE connamespace = 'public'::regnamespace)"
	    " || '|' || (SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes"
	    "  WHERE schemaname = 'public')"
	    " || '|' || (SELECT string_agg(version || ' ' || kind || ' ' || applied_at, ';'"
	    "  ORDER BY version) FROM coffer_schema)",
	    PG_NO_ARGS, PG_TEXT_RESULTS, &res);
	char *out = strdup(err == COFFER_OK && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return out;
}

/* --- migrate: fresh databases to the latest version, again changes nothing ----------------- */
static void migrate_fresh(struct pg_pool *pool, enum pg_schema_kind kind, const char *what)
{
	const struct pg_schema *schema = pg_schema_of(kind);
	struct scratch s = scratch_new(pool);
	struct pg_conn *c = borrow(pool, s.db);
	char name[160];
	unsigned int applied = 99, latest = pg_schema_latest(schema);
	check(latest >= 1, what, "the steps are not numbered 1, 2, …");
	snprintf(name, sizeof name, "a fresh %s database migrates", what);
	CHECK_ERR(pg_schema_apply(c, schema, &applied), COFFER_OK, name);
	snprintf(name, sizeof name, "%s: every step applied", what);
	check(applied == latest, name, "applied %u of %u", applied, latest);
	snprintf(name, sizeof name, "%s: coffer_schema records version %u", what, latest);
	check(scalar_int(c, "SELECT max(version) FROM coffer_schema") == latest &&
		  scalar_int(c, "SELECT count(*) FROM coffer_schema") == latest,
	      name, "wrong version or rows");
	char *before = catalogue(c);
	snprintf(name, sizeof name, "%s: migrating again", what);
	CHECK_ERR(pg_schema_migrate(c, kind), COFFER_OK, name);
	CHECK_ERR(pg_schema_apply(c, schema, &applied), COFFER_OK, name);
	snprintf(name, sizeof name, "%s: migrating again runs no step", what);
	check(applied == 0, name, "applied %u", applied);
	char *after = catalogue(c);
	snprintf(name, sizeof name, "%s: migrating again changes nothing", what);
	check(before[0] != '\0' && strcmp(before, after) == 0, name, "the catalogue changed");
	free(before);
	free(after);
	/* The other kind on this database: a mix-up refused, nothing changed. */
	snprintf(name, sizeof name, "%s: migrating it as the other kind → config", what);
	CHECK_ERR(pg_schema_migrate(c, kind == PG_SCHEMA_SYSTEM ? PG_SCHEMA_ORG : PG_SCHEMA_SYSTEM),
		  COFFER_ERR_CONFIG, name);
	snprintf(name, sizeof name, "%s: no trace of the other kind", what);
	check(scalar_int(c, "SELECT count(*) FROM coffer_schema") == latest &&
		  scalar_int(c, "SELECT count(*) FROM pg_tables WHERE tablename = "
				"(CASE WHEN EXISTS (SELECT 1 FROM pg_tables WHERE tablename = "
				"'orgs') THEN 'records' ELSE 'orgs' END)") == 0,
	      name, "the other kind's tables are there");
	pg_pool_put(pool, c);
	scratch_drop(pool, &s);
}

/* A schema of our own in three steps, to upgrade from an older version and fail a step. */
// clang-format off
static const struct pg_schema_stmt test_stmts[] = {
	{1, "CREATE TABLE t1 (a bigint)"},
	{2, "CREATE TABLE t2 (b bigint)"},
	{2, "ALTER TABLE t1 ADD COLUMN c text"},
	{3, "CREATE TABLE t3 (d bigint)"},
};
static const struct pg_schema_stmt failing_stmts[] = {
	{1, "CREATE TABLE t1 (a bigint)"},
	{2, "CREATE TABLE t2 (b bigint)"},
	{2, "ALTER TABLE t1 ADD COLUMN c text"},
	{3, "CREATE TABLE t3 (d bigint)"},
	{3, "INSERT INTO t3 (d) VALUES ('not a number')"},
};
// clang-format on

static void migrate_steps(struct pg_pool *pool)
{
	struct pg_schema two = {"system", 42, test_stmts, 3};
	struct pg_schema three = {"system", 42, test_stmts, 4};
	struct pg_schema failing = {"system", 42, failing_stmts, 5};
	struct scratch s = scratch_new(pool);
	struct pg_conn *c = borrow(pool, s.db);
	unsigned int applied = 0;
	CHECK_ERR(pg_schema_apply(c, &two, &applied), COFFER_OK, "steps 1 and 2");
	check(applied == 2, "two steps run", "applied %u", applied);
	CHECK_ERR(pg_schema_apply(c, &failing, &applied), COFFER_ERR_INVALID_INPUT,
		  "a failing step 3 fails the migration");
	check(scalar_int(c, "SELECT max(version) FROM coffer_schema") == 2 &&
		  scalar_int(c, "SELECT count(*) FROM pg_tables WHERE tablename = 't3'") == 0,
	      "a failed step leaves no trace", "t3 or version 3 is there");
	CHECK_ERR(pg_schema_apply(c, &three, &applied), COFFER_OK, "from version 2 to 3");
	check(applied == 1 && scalar_int(c, "SELECT max(version) FROM coffer_schema") == 3,
	      "only step 3 runs on a database at version 2", "applied %u", applied);
	struct pg_schema_stmt gap[] = {{1, "SELECT 1"}, {3, "SELECT 1"}};
	struct pg_schema skipping = {"system", 42, gap, 2};
	CHECK_ERR(pg_schema_apply(c, &skipping, &applied), COFFER_ERR_INTERNAL,
		  "steps with a gap are a bug, refused");
	CHECK_ERR(pg_begin(c), COFFER_OK, "a transaction of the caller's");
	CHECK_ERR(pg_schema_apply(c, &three, &applied), COFFER_ERR_INTERNAL,
		  "migrating inside a transaction is refused");
	CHECK_ERR(pg_end(c, COFFER_ERR_INTERNAL), COFFER_ERR_INTERNAL, "rolled back");
	pg_pool_put(pool, c);
	scratch_drop(pool, &s);
}

static void scenario_migrate(void)
{
	struct pg_target t = target(4);
	struct pg_pool *pool = open_pool(&t);
	migrate_fresh(pool, PG_SCHEMA_SYSTEM, "system");
	migrate_fresh(pool, PG_SCHEMA_ORG, "org");
	migrate_steps(pool);
	/* The deployment's own system database, as a node starting on it would. */
	struct pg_conn *c = borrow(pool, NULL);
	CHECK_ERR(pg_schema_migrate(c, PG_SCHEMA_SYSTEM), COFFER_OK,
		  "the system database (pg_database) migrates");
	check(scalar_int(c, "SELECT max(version) FROM coffer_schema") ==
		  pg_schema_latest(pg_schema_of(PG_SCHEMA_SYSTEM)),
	      "the system database is at the latest version", "it is not");
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- newer: a database a newer coffer migrated is refused, untouched ------------------------ */
static void scenario_newer(void)
{
	struct pg_target t = target(4);
	struct pg_pool *pool = open_pool(&t);
	for (int k = 0; k < 2; k++) {
		enum pg_schema_kind kind = k == 0 ? PG_SCHEMA_SYSTEM : PG_SCHEMA_ORG;
		const struct pg_schema *schema = pg_schema_of(kind);
		unsigned int latest = pg_schema_latest(schema);
		struct scratch s = scratch_new(pool);
		struct pg_conn *c = borrow(pool, s.db);
		char name[128];
		CHECK_ERR(pg_schema_migrate(c, kind), COFFER_OK, "migrated");
		/* What a later coffer's step would leave: a version past ours, and a table. */
		CHECK_ERR(pg_exec(c,
				  "INSERT INTO coffer_schema (version, kind, applied_at) "
				  "VALUES ($1, $2, 0)",
				  PG_ARGS(pg_int(latest + 1), pg_text(schema->kind))),
			  COFFER_OK, "marked with a newer version");
		char *before = catalogue(c);
		snprintf(name, sizeof name, "a %s database at version %u is refused", schema->kind,
			 latest + 1);
		CHECK_ERR(pg_schema_migrate(c, kind), COFFER_ERR_CONFIG, name);
		char *after = catalogue(c);
		snprintf(name, sizeof name, "the newer %s database is left as it was",
			 schema->kind);
		check(strcmp(before, after) == 0, name, "it changed");
		free(before);
		free(after);
		pg_pool_put(pool, c);
		scratch_drop(pool, &s);
	}
	pg_pool_close(pool);
}

/* --- constraints: each important CHECK, UNIQUE and foreign key, as coffer's errors ---------- */
struct violation {
	const char *name;
	const char *sql;
	enum coffer_err want;
};

static void run_all(struct pg_conn *c, const struct violation *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_ERR(pg_exec(c, v[i].sql, PG_NO_ARGS), v[i].want, v[i].name);
}

#define ID(c)  "'" c "0000000-0000-4000-8000-000000000000'"
#define ORG1   ID("a")
#define USER1  ID("b")
#define H32(x) "'\\x" x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x "'"

// clang-format off
static const struct violation system_rows[] = {
	{"an organisation", "INSERT INTO orgs (id, name, created_at) VALUES (" ORG1 ", 'Acme', 1)", COFFER_OK},
	{"orgs.id of 35 characters → invalid_input", "INSERT INTO orgs (id, name, created_at) VALUES ('short', 'X', 1)", COFFER_ERR_INVALID_INPUT},
	{"orgs.name twice → exists", "INSERT INTO orgs (id, name, created_at) VALUES (" ID("c") ", 'Acme', 1)", COFFER_ERR_EXISTS},
	{"orgs.name empty → invalid_input", "INSERT INTO orgs (id, name, created_at) VALUES (" ID("c") ", '', 1)", COFFER_ERR_INVALID_INPUT},
	{"orgs.created_at NULL → invalid_input", "INSERT INTO orgs (id, name) VALUES (" ID("c") ", 'B')", COFFER_ERR_INVALID_INPUT},
	{"orgs.charter of 513 bytes → invalid_input", "UPDATE orgs SET charter = decode(repeat('00', 513), 'hex')", COFFER_ERR_INVALID_INPUT},
	{"org_keys of an unknown organisation → not_found", "INSERT INTO org_keys VALUES (" ID("c") ", 1, 1, decode(repeat('00', 60), 'hex'), 1)", COFFER_ERR_NOT_FOUND},
	{"org_keys.wrapped of 59 bytes → invalid_input", "INSERT INTO org_keys VALUES (" ORG1 ", 1, 1, decode(repeat('00', 59), 'hex'), 1)", COFFER_ERR_INVALID_INPUT},
	{"org_keys.version 0 → invalid_input", "INSERT INTO org_keys VALUES (" ORG1 ", 0, 1, decode(repeat('00', 60), 'hex'), 1)", COFFER_ERR_INVALID_INPUT},
	{"an org key", "INSERT INTO org_keys VALUES (" ORG1 ", 1, 1, decode(repeat('00', 60), 'hex'), 1)", COFFER_OK},
	{"org_keys (org, version) twice → exists", "INSERT INTO org_keys VALUES (" ORG1 ", 1, 2, decode(repeat('00', 60), 'hex'), 1)", COFFER_ERR_EXISTS},
	{"a user, with the defaults", "INSERT INTO users (id, email, role, status, account, created_at, updated_at) VALUES (" USER1 ", 'a@b.c', 'user', 'active', '\\x01', 1, 1)", COFFER_OK},
	{"users.email twice → exists", "INSERT INTO users (id, email, role, status, account, created_at, updated_at) VALUES (" ID("c") ", 'a@b.c', 'user', 'active', '\\x01', 1, 1)", COFFER_ERR_EXISTS},
	{"users.role 'root' → invalid_input", "INSERT INTO users (id, email, role, status, account, created_at, updated_at) VALUES (" ID("c") ", 'x@b.c', 'root', 'active', '\\x01', 1, 1)", COFFER_ERR_INVALID_INPUT},
	{"users.status 'gone' → invalid_input", "UPDATE users SET status = 'gone'", COFFER_ERR_INVALID_INPUT},
	{"users.account empty → invalid_input", "UPDATE users SET account = ''::bytea", COFFER_ERR_INVALID_INPUT},
	{"users.totp_last_step -2 → invalid_input", "UPDATE users SET totp_last_step = -2", COFFER_ERR_INVALID_INPUT},
	{"users.account_version 0 → invalid_input", "UPDATE users SET account_version = 0", COFFER_ERR_INVALID_INPUT},
	{"users.reset_pending 2 → invalid_input", "UPDATE users SET reset_pending = '2'", COFFER_ERR_INVALID_INPUT},
	{"invites.clearance 'secret' → invalid_input", "INSERT INTO invites (token_hash, email, role, clearance, created_at, expires_at) VALUES (" H32("01") ", 'a@b.c', 'member', 'secret', 1, 2)", COFFER_ERR_INVALID_INPUT},
	{"invites.token_hash of 31 bytes → invalid_input", "INSERT INTO invites (token_hash, email, role, created_at, expires_at) VALUES (decode(repeat('01', 31), 'hex'), 'a@b.c', 'member', 1, 2)", COFFER_ERR_INVALID_INPUT},
	{"invites.user_id unknown → not_found", "INSERT INTO invites (token_hash, email, role, created_at, expires_at, user_id) VALUES (" H32("01") ", 'a@b.c', 'member', 1, 2, " ID("c") ")", COFFER_ERR_NOT_FOUND},
	{"an invite accepted by the user", "INSERT INTO invites (token_hash, email, role, created_at, expires_at, user_id) VALUES (" H32("01") ", 'a@b.c', 'member', 1, 2, " USER1 ")", COFFER_OK},
	{"invites.token_hash twice → exists", "INSERT INTO invites (token_hash, email, role, created_at, expires_at) VALUES (" H32("01") ", 'a@b.c', 'member', 1, 2)", COFFER_ERR_EXISTS},
	{"memberships.role 'owner' → invalid_input", "INSERT INTO memberships VALUES (" USER1 ", " ORG1 ", 'owner', 'public')", COFFER_ERR_INVALID_INPUT},
	{"memberships of an unknown organisation → not_found", "INSERT INTO memberships VALUES (" USER1 ", " ID("c") ", 'member', 'public')", COFFER_ERR_NOT_FOUND},
	{"a membership", "INSERT INTO memberships VALUES (" USER1 ", " ORG1 ", 'org_admin', 'restricted')", COFFER_OK},
	{"a membership twice → exists", "INSERT INTO memberships VALUES (" USER1 ", " ORG1 ", 'member', 'public')", COFFER_ERR_EXISTS},
	{"sessions.csrf_token of 44 characters → invalid_input", "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, created_at, last_seen, expires_at, must_change_password) VALUES (" H32("02") ", " USER1 ", repeat('x', 44), '', 1, 1, 2, false)", COFFER_ERR_INVALID_INPUT},
	{"sessions.must_change_password 2 → invalid_input", "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, created_at, last_seen, expires_at, must_change_password) VALUES (" H32("02") ", " USER1 ", 'x', '', 1, 1, 2, '2')", COFFER_ERR_INVALID_INPUT},
	{"a session (must_change_password as 1)", "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, created_at, last_seen, expires_at, must_change_password) VALUES (" H32("02") ", " USER1 ", 'x', '', 1, 1, 2, '1')", COFFER_OK},
	{"a reset", "INSERT INTO resets (token_hash, user_id, org_id, sealed, created_by, created_at, expires_at) VALUES (" H32("03") ", " USER1 ", " ORG1 ", '\\x01', " USER1 ", 1, 2)", COFFER_OK},
	{"resets.sealed empty → invalid_input", "UPDATE resets SET sealed = ''::bytea", COFFER_ERR_INVALID_INPUT},
	{"policies.scope 'x' → invalid_input", "INSERT INTO policies VALUES ('x', '{}', 1)", COFFER_ERR_INVALID_INPUT},
	{"policies 'system'", "INSERT INTO policies VALUES ('system', '{}', 1)", COFFER_OK},
	{"notices.kind empty → invalid_input", "INSERT INTO notices (org_id, kind, subject, created_at) VALUES (" ORG1 ", '', 's', 1)", COFFER_ERR_INVALID_INPUT},
	{"a notice", "INSERT INTO notices (org_id, kind, subject, created_at) VALUES (" ORG1 ", 'k', 's', 1)", COFFER_OK},
	{"notices_seen of an unknown notice → not_found", "INSERT INTO notices_seen VALUES (" USER1 ", 999)", COFFER_ERR_NOT_FOUND},
	{"a notice seen", "INSERT INTO notices_seen SELECT " USER1 ", id FROM notices", COFFER_OK},
	{"a notice to an organisation and a user → invalid_input", "INSERT INTO notices (org_id, user_id, kind, subject, created_at) VALUES (" ORG1 ", " USER1 ", 'k', '', 1)", COFFER_ERR_INVALID_INPUT},
	{"a notice to nobody → invalid_input", "INSERT INTO notices (kind, subject, created_at) VALUES ('k', '', 1)", COFFER_ERR_INVALID_INPUT},
	{"a personal notice of an unknown user → not_found", "INSERT INTO notices (user_id, kind, subject, created_at) VALUES (" ID("c") ", 'k', '', 1)", COFFER_ERR_NOT_FOUND},
	{"notices.detail of 64 characters → invalid_input", "INSERT INTO notices (user_id, kind, subject, detail, created_at) VALUES (" USER1 ", 'k', '', repeat('d', 64), 1)", COFFER_ERR_INVALID_INPUT},
	{"notices.address empty → invalid_input", "INSERT INTO notices (user_id, kind, subject, address, created_at) VALUES (" USER1 ", 'k', '', '', 1)", COFFER_ERR_INVALID_INPUT},
	{"a personal notice", "INSERT INTO notices (user_id, kind, subject, detail, address, created_at) VALUES (" USER1 ", 'password_changed', '', '', '198.51.100.7', 1)", COFFER_OK},
	{"member_policies of an unknown user → not_found", "INSERT INTO member_policies VALUES (" ORG1 ", " ID("c") ", '{}', 1)", COFFER_ERR_NOT_FOUND},
	{"a member policy", "INSERT INTO member_policies VALUES (" ORG1 ", " USER1 ", '{}', 1)", COFFER_OK},
	{"device_key.id 2 → invalid_input", "INSERT INTO device_key VALUES (2, " H32("04") ", 1)", COFFER_ERR_INVALID_INPUT},
	{"the device key", "INSERT INTO device_key VALUES (1, " H32("04") ", 1)", COFFER_OK},
	{"a second device key → exists", "INSERT INTO device_key VALUES (1, " H32("05") ", 1)", COFFER_ERR_EXISTS},
	{"throttle_devices.device of 15 bytes → invalid_input", "INSERT INTO throttle_devices VALUES (decode(repeat('00', 15), 'hex'), 'u', 1)", COFFER_ERR_INVALID_INPUT},
	{"throttle_codes.user_id empty → invalid_input", "INSERT INTO throttle_codes VALUES ('', 1)", COFFER_ERR_INVALID_INPUT},
	{"throttle_accounts.failures 0 → invalid_input", "INSERT INTO throttle_accounts VALUES ('a', 0, 1)", COFFER_ERR_INVALID_INPUT},
	{"audit.seq 0 → invalid_input", "INSERT INTO audit VALUES (0, 1, 'a', 'b', 'c', 'd', 'e', 'f', " H32("06") ", 1)", COFFER_ERR_INVALID_INPUT},
	{"audit.hash of 31 bytes → invalid_input", "INSERT INTO audit VALUES (1, 1, 'a', 'b', 'c', 'd', 'e', 'f', decode(repeat('00', 31), 'hex'), 1)", COFFER_ERR_INVALID_INPUT},
	{"an audit entry", "INSERT INTO audit (seq, time, actor, action, target, ip, outcome, reason, hash) VALUES (1, 1, 'a', 'b', 'c', 'd', 'e', 'f', " H32("06") ")", COFFER_OK},
	{"audit.seq twice → exists", "INSERT INTO audit VALUES (1, 1, 'a', 'b', 'c', 'd', 'e', 'f', " H32("06") ", 1)", COFFER_ERR_EXISTS},
	{"audit_checkpoints.key_version 0 → invalid_input", "INSERT INTO audit_checkpoints VALUES ('system', 0, " H32("07") ", 1, 0, " H32("07") ")", COFFER_ERR_INVALID_INPUT},
	{"a second audit_state row → invalid_input", "INSERT INTO audit_state VALUES (2, true)", COFFER_ERR_INVALID_INPUT},
	/* ON DELETE: a user's sessions, memberships, resets, own notices and seen notices go with
	 * it; an invite it accepted forgets it. */
	{"the user deleted", "DELETE FROM users", COFFER_OK},
	{"an organisation with members cannot go → not_found", "DELETE FROM orgs", COFFER_ERR_NOT_FOUND},
};

static const struct violation org_rows[] = {
	{"a data key", "INSERT INTO data_keys VALUES ('record', " ID("a") ", 1, 3, 1, decode(repeat('00', 60), 'hex'))", COFFER_OK},
	{"data_keys twice → exists", "INSERT INTO data_keys VALUES ('record', " ID("a") ", 1, 2, 1, decode(repeat('00', 60), 'hex'))", COFFER_ERR_EXISTS},
	{"data_keys.kind 'blob' → invalid_input", "INSERT INTO data_keys VALUES ('blob', " ID("a") ", 2, 3, 1, decode(repeat('00', 60), 'hex'))", COFFER_ERR_INVALID_INPUT},
	{"data_keys.level 4 → invalid_input", "INSERT INTO data_keys VALUES ('file', " ID("a") ", 2, 4, 1, decode(repeat('00', 60), 'hex'))", COFFER_ERR_INVALID_INPUT},
	{"data_keys.object_version 0 → invalid_input", "INSERT INTO data_keys VALUES ('file', " ID("a") ", 0, 0, 1, decode(repeat('00', 60), 'hex'))", COFFER_ERR_INVALID_INPUT},
	{"records a, b, c", "INSERT INTO records (id, level, version, created_at, created_by, updated_at, updated_by) VALUES (" ID("a") ", 0, 1, 1, " USER1 ", 1, " USER1 "), (" ID("b") ", 1, 1, 1, " USER1 ", 1, " USER1 "), (" ID("c") ", 3, 1, 1, " USER1 ", 1, " USER1 ")", COFFER_OK},
	{"records.id twice → exists", "INSERT INTO records (id, level, version, created_at, created_by, updated_at, updated_by) VALUES (" ID("a") ", 0, 1, 1, " USER1 ", 1, " USER1 ")", COFFER_ERR_EXISTS},
	{"records.level -1 → invalid_input", "INSERT INTO records (id, level, version, created_at, created_by, updated_at, updated_by) VALUES (" ID("d") ", -1, 1, 1, " USER1 ", 1, " USER1 ")", COFFER_ERR_INVALID_INPUT},
	{"records.created_at -1 → invalid_input", "INSERT INTO records (id, level, version, created_at, created_by, updated_at, updated_by) VALUES (" ID("d") ", 0, 1, -1, " USER1 ", 1, " USER1 ")", COFFER_ERR_INVALID_INPUT},
	{"records.deleted 2 → invalid_input", "UPDATE records SET deleted = '2'", COFFER_ERR_INVALID_INPUT},
	{"a seq given by the store is refused (GENERATED ALWAYS)", "INSERT INTO records (seq, id, level, version, created_at, created_by, updated_at, updated_by) VALUES (100, " ID("d") ", 0, 1, 1, " USER1 ", 1, " USER1 ")", COFFER_ERR_STORAGE},
	{"a version", "INSERT INTO record_versions VALUES (" ID("a") ", 1, 0, 'create', 1, " USER1 ", '\\x01', '\\x01')", COFFER_OK},
	{"record_versions of an unknown record → not_found", "INSERT INTO record_versions VALUES (" ID("e") ", 1, 0, 'create', 1, " USER1 ", '\\x01', '\\x01')", COFFER_ERR_NOT_FOUND},
	{"record_versions twice → exists", "INSERT INTO record_versions VALUES (" ID("a") ", 1, 0, 'update', 1, " USER1 ", '\\x01', '\\x01')", COFFER_ERR_EXISTS},
	{"a delete version with a title → invalid_input", "INSERT INTO record_versions VALUES (" ID("a") ", 2, 0, 'delete', 1, " USER1 ", '\\x01', NULL)", COFFER_ERR_INVALID_INPUT},
	{"record_versions.action 'undo' → invalid_input", "INSERT INTO record_versions VALUES (" ID("a") ", 2, 0, 'undo', 1, " USER1 ", NULL, NULL)", COFFER_ERR_INVALID_INPUT},
	{"a title of 829 bytes → invalid_input", "INSERT INTO record_versions VALUES (" ID("a") ", 2, 0, 'update', 1, " USER1 ", decode(repeat('00', 829), 'hex'), '\\x01')", COFFER_ERR_INVALID_INPUT},
	{"a body of 1048605 bytes → invalid_input", "INSERT INTO record_versions VALUES (" ID("a") ", 2, 0, 'update', 1, " USER1 ", '\\x01', decode(repeat('00', 1048605), 'hex'))", COFFER_ERR_INVALID_INPUT},
	{"a body of 1048604 bytes", "INSERT INTO record_versions VALUES (" ID("a") ", 2, 0, 'update', 1, " USER1 ", decode(repeat('00', 828), 'hex'), decode(repeat('00', 1048604), 'hex'))", COFFER_OK},
	{"files a, b", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("a") ", 0, 0, 'text/plain', 1, " USER1 ", '\\x01'), (" ID("b") ", 0, 0, 'text/plain', 1, " USER1 ", '\\x01')", COFFER_OK},
	{"files.id twice → exists", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("a") ", 0, 0, '', 1, " USER1 ", '\\x01')", COFFER_ERR_EXISTS},
	{"files.size -1 → invalid_input", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("c") ", 0, -1, '', 1, " USER1 ", '\\x01')", COFFER_ERR_INVALID_INPUT},
	{"files.content_type of 64 characters, 128 bytes → invalid_input", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("c") ", 0, 0, repeat(U&'\\00e9', 64), 1, " USER1 ", '\\x01')", COFFER_ERR_INVALID_INPUT},
	{"files.meta of 513 bytes → invalid_input", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("c") ", 0, 0, '', 1, " USER1 ", decode(repeat('00', 513), 'hex'))", COFFER_ERR_INVALID_INPUT},
	{"the newest file deleted", "DELETE FROM files WHERE id = " ID("b"), COFFER_OK},
	{"file c after it", "INSERT INTO files (id, level, size, content_type, created_at, created_by, meta) VALUES (" ID("c") ", 0, 0, repeat('x', 127), 1, " USER1 ", '\\x01')", COFFER_OK},
	{"audit.key_version -1 → invalid_input", "INSERT INTO audit VALUES (1, 1, 'a', 'b', 'c', 'd', 'e', 'f', " H32("06") ", -1)", COFFER_ERR_INVALID_INPUT},
};
// clang-format on

static void scenario_constraints(void)
{
	struct pg_target t = target(4);
	struct pg_pool *pool = open_pool(&t);
	struct scratch s = scratch_new(pool);
	struct pg_conn *c = borrow(pool, s.db);
	CHECK_ERR(pg_schema_migrate(c, PG_SCHEMA_SYSTEM), COFFER_OK, "system schema");
	run_all(c, system_rows, sizeof system_rows / sizeof system_rows[0]);
	check(scalar_int(c, "SELECT count(*) FROM memberships") == 0 &&
		  scalar_int(c, "SELECT count(*) FROM sessions") == 0 &&
		  scalar_int(c, "SELECT count(*) FROM resets") == 0 &&
		  scalar_int(c, "SELECT count(*) FROM notices_seen") == 0 &&
		  scalar_int(c, "SELECT count(*) FROM notices WHERE user_id IS NOT NULL") == 0 &&
		  scalar_int(c, "SELECT count(*) FROM member_policies") == 0,
	      "a deleted user's rows went with it", "some are left");
	check(scalar_int(c, "SELECT count(*) FROM invites WHERE user_id IS NULL") == 1,
	      "an invite forgets the deleted user who accepted it", "it does not");
	check(scalar_int(c, "SELECT count(*) FROM audit WHERE key_version = 0") == 1,
	      "audit.key_version defaults to 0", "it does not");
	check(scalar_int(c, "SELECT count(*) FROM audit_state WHERE NOT links_upgraded") == 1,
	      "audit_state starts with links not upgraded", "it does not");
	pg_pool_put(pool, c);
	scratch_drop(pool, &s);

	s = scratch_new(pool);
	c = borrow(pool, s.db);
	CHECK_ERR(pg_schema_migrate(c, PG_SCHEMA_ORG), COFFER_OK, "organisation schema");
	run_all(c, org_rows, sizeof org_rows / sizeof org_rows[0]);
	char order[64];
	(void)scalar(c, "SELECT string_agg(substr(id, 1, 1), '' ORDER BY seq) FROM records",
		     PG_NO_ARGS, order, sizeof order);
	check(strcmp(order, "abc") == 0 &&
		  scalar_int(c, "SELECT max(seq) - min(seq) FROM records") == 2,
	      "records.seq follows creation", "order %s", order);
	/* b had seq 2; the failed inserts since used some up too (a sequence has gaps). */
	long long seq_c = scalar_int(c, "SELECT seq FROM files WHERE id LIKE 'c%'");
	check(seq_c > 2 && scalar_int(c, "SELECT min(seq) FROM files") == 1,
	      "a deleted file's seq is never handed out again", "file c has seq %lld", seq_c);
	pg_pool_put(pool, c);
	scratch_drop(pool, &s);
	pg_pool_close(pool);
}

/* --- concurrent: several nodes start at once on a fresh database --------------------------- */
#define RACERS 8

struct racer {
	struct pg_pool *pool;
	const char *db;
	const struct pg_schema *schema;
	pthread_barrier_t *start;
	enum coffer_err err;
	unsigned int applied;
	double seconds;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct pg_conn *c = borrow(r->pool, r->db);
	pthread_barrier_wait(r->start);
	double t0 = now_s();
	r->err = pg_schema_apply(c, r->schema, &r->applied);
	r->seconds = now_s() - t0;
	pg_pool_put(r->pool, c);
	return NULL;
}

/* Runs RACERS threads migrating DB with SCHEMA at once; the number that ran steps, and how
 * many steps in all. */
static void race_all(struct pg_pool *pool, const char *db, const struct pg_schema *schema,
		     struct racer *r, unsigned int *winners, unsigned int *steps, bool *all_ok)
{
	pthread_t th[RACERS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){.pool = pool, .db = db, .schema = schema, .start = &start};
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	*winners = *steps = 0;
	*all_ok = true;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		*all_ok = *all_ok && r[i].err == COFFER_OK;
		*winners += r[i].applied > 0;
		*steps += r[i].applied;
	}
	pthread_barrier_destroy(&start);
}

static void scenario_concurrent(void)
{
	struct pg_target t = target(RACERS + 1);
	struct pg_pool *pool = open_pool(&t);
	struct racer r[RACERS];
	unsigned int winners, steps;
	bool all_ok;
	for (int k = 0; k < 2; k++) {
		enum pg_schema_kind kind = k == 0 ? PG_SCHEMA_SYSTEM : PG_SCHEMA_ORG;
		const struct pg_schema *schema = pg_schema_of(kind);
		unsigned int latest = pg_schema_latest(schema);
		struct scratch s = scratch_new(pool);
		char name[128];
		race_all(pool, s.db, schema, r, &winners, &steps, &all_ok);
		snprintf(name, sizeof name, "%d nodes migrate a fresh %s database: all succeed",
			 RACERS, schema->kind);
		check(all_ok, name, "one failed");
		snprintf(name, sizeof name, "%s: exactly one ran the steps, once", schema->kind);
		check(winners == 1 && steps == latest, name, "%u ran %u steps", winners, steps);
		struct pg_conn *c = borrow(pool, s.db);
		snprintf(name, sizeof name, "%s: the schema is complete", schema->kind);
		check(scalar_int(c, "SELECT count(*) FROM coffer_schema") == latest &&
			  scalar_int(
			      c, "SELECT count(*) FROM pg_tables WHERE tablename = 'audit'") == 1,
		      name, "it is not");
		pg_pool_put(pool, c);
		scratch_drop(pool, &s);
	}
	/* A slow step: the others wait for the first's commit, then find it done. */
	static const struct pg_schema_stmt slow_stmts[] = {
	    {1, "CREATE TABLE t (a bigint)"},
	    {1, "SELECT pg_sleep(1)"},
	};
	struct pg_schema slow = {"org", 43, slow_stmts, 2};
	struct scratch s = scratch_new(pool);
	race_all(pool, s.db, &slow, r, &winners, &steps, &all_ok);
	check(all_ok && winners == 1 && steps == 1, "a slow step runs once", "%u ran %u steps",
	      winners, steps);
	bool waited = true;
	for (int i = 0; i < RACERS; i++)
		waited = waited && r[i].seconds >= 0.9;
	check(waited, "every node waited for the slow migration's commit", "one returned early");
	scratch_drop(pool, &s);
	pg_pool_close(pool);
}

/* --- columns: the same tables and columns as SQLite's ------------------------------------- */
/* The keys, foreign keys and number of CHECKs of every table, as lines "WHAT ENGINE KIND
 * TABLE DETAIL" (DETAIL without spaces): "key … pk a,b", "key … unique a", "fk … a->t.b:CASCADE",
 * "checks … N". SQLite keeps the text of each table's CREATE TABLE, with the columns that
 * ALTER TABLE added, so its CHECKs are counted in it. */
#define SQLITE_TABLES                                                                              \
	"(SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "             \
	"'sqlite\\_%' ESCAPE '\\')"
#define SQLITE_CONSTRAINTS_SQL                                                                     \
	"SELECT 'key', t.name, 'pk:' || (SELECT group_concat(name, ',') FROM (SELECT name FROM"    \
	" pragma_table_info(t.name) WHERE pk > 0 ORDER BY pk)) FROM " SQLITE_TABLES " t WHERE"     \
	" EXISTS (SELECT 1 FROM pragma_table_info(t.name) WHERE pk > 0)"                           \
	" UNION ALL SELECT 'key', t.name, 'unique:' || (SELECT group_concat(name, ',') FROM"       \
	" (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) FROM " SQLITE_TABLES " t," \
	" pragma_index_list(t.name) il WHERE il.origin = 'u'"                                      \
	" UNION ALL SELECT 'fk', t.name, f.\"from\" || '->' || f.\"table\" || '.' || f.\"to\" ||"  \
	" ':' || replace(f.on_delete, ' ', '_') FROM " SQLITE_TABLES " t,"                         \
	" pragma_foreign_key_list(t.name) f"                                                       \
	" UNION ALL SELECT 'checks', t.name, (length(t.sql) - length(replace(t.sql, 'CHECK', "     \
	"'')))"                                                                                    \
	" / 5 FROM " SQLITE_TABLES " t"

#define PG_CONSTRAINTS_SQL                                                                         \
	"SELECT CASE contype WHEN 'f' THEN 'fk' ELSE 'key' END, conrelid::regclass::text,"         \
	" CASE contype WHEN 'p' THEN 'pk:' WHEN 'u' THEN 'unique:' ELSE '' END ||"                 \
	" (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(conkey) WITH ORDINALITY"   \
	"  k(num, ord) JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.num) ||"      \
	" CASE contype WHEN 'f' THEN '->' || confrelid::regclass::text || '.' ||"                  \
	"  (SELECT string_agg(a.attname, ',') FROM pg_attribute a WHERE a.attrelid = confrelid"    \
	"   AND a.attnum = ANY (confkey)) || ':' || CASE confdeltype WHEN 'c' THEN 'CASCADE'"      \
	"   WHEN 'n' THEN 'SET_NULL' WHEN 'a' THEN 'NO_ACTION' WHEN 'r' THEN 'RESTRICT'"           \
	"   ELSE 'SET_DEFAULT' END ELSE '' END"                                                    \
	" FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', "    \
	"'u',"                                                                                     \
	" 'f') AND conrelid <> 'coffer_schema'::regclass"                                          \
	" UNION ALL SELECT 'checks', c.relname, (SELECT count(*) FROM pg_constraint k WHERE"       \
	" k.conrelid = c.oid AND k.contype = 'c')::text FROM pg_class c WHERE c.relkind = 'r' AND" \
	" c.relnamespace = 'public'::regnamespace AND c.relname <> 'coffer_schema'"

static void print_sqlite_rows(sqlite3 *db, const char *kind, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		check(0, "SQLite's constraints", "%s", sqlite3_errmsg(db));
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("%s sqlite %s %s %s\n", sqlite3_column_text(st, 0), kind,
		       sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
}

static int print_sqlite_columns(sqlite3 *db, const char *kind)
{
	sqlite3_stmt *st = NULL;
	int n = 0;
	if (sqlite3_prepare_v2(
		db,
		"SELECT m.name, p.name, p.\"notnull\" OR p.pk > 0 FROM sqlite_schema m,"
		" pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name"
		" NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		printf("column sqlite %s %s %s %s\n", kind, sqlite3_column_text(st, 0),
		       sqlite3_column_text(st, 1), sqlite3_column_int(st, 2) ? "not-null" : "null");
		n++;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
			       "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT "
			       "LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("index sqlite %s %s\n", kind, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	print_sqlite_rows(db, kind, SQLITE_CONSTRAINTS_SQL);
	return n;
}

static int print_pg_columns(struct pg_conn *c, const char *kind)
{
	PGresult *res = NULL;
	int n = -1;
	if (pg_query(c,
		     "SELECT table_name, column_name, CASE is_nullable WHEN 'NO' THEN 'not-null' "
		     "ELSE 'null' END, data_type FROM information_schema.columns WHERE "
		     "table_schema = 'public' AND table_name <> 'coffer_schema' "
		     "ORDER BY table_name, ordinal_position",
		     PG_NO_ARGS, PG_TEXT_RESULTS, &res) == COFFER_OK) {
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			printf("column pg %s %s %s %s %s\n", kind, PQgetvalue(res, i, 0),
			       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
	}
	PQclear(res);
	/* Named indexes only: SQLite's automatic ones (a PRIMARY KEY, a UNIQUE) are
	 * constraints' indexes in PostgreSQL too, named after their table. */
	if (pg_query(c,
		     "SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = 'public' AND NOT "
		     "EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname) "
		     "ORDER BY i.indexname",
		     PG_NO_ARGS, PG_TEXT_RESULTS, &res) == COFFER_OK) {
		for (int i = 0; i < PQntuples(res); i++)
			printf("index pg %s %s\n", kind, PQgetvalue(res, i, 0));
	}
	PQclear(res);
	res = NULL;
	if (pg_query(c, PG_CONSTRAINTS_SQL, PG_NO_ARGS, PG_TEXT_RESULTS, &res) == COFFER_OK) {
		for (int i = 0; i < PQntuples(res); i++)
			printf("%s pg %s %s %s\n", PQgetvalue(res, i, 0), kind,
			       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	} else {
		check(0, "PostgreSQL's constraints", "the query failed");
	}
	PQclear(res);
	return n;
}

static void scenario_columns(void)
{
	char dir[] = "/tmp/pg_schema_check.XXXXXX";
	char path[PATH_MAX], id[UUID_TEXT_LEN + 1];
	check(mkdtemp(dir) != NULL, "a scratch directory", "mkdtemp failed");
	CHECK_ERR(store_system_create(dir), COFFER_OK, "SQLite's system.db");
	uuid_generate(id);
	struct org_db *odb = NULL;
	CHECK_ERR(store_org_db_open(dir, id, true, &odb), COFFER_OK, "SQLite's org.db");
	store_org_db_close(odb);

	struct pg_target t = target(4);
	struct pg_pool *pool = open_pool(&t);
	for (int k = 0; k < 2; k++) {
		const char *kind = k == 0 ? "system" : "org";
		if (k == 0)
			snprintf(path, sizeof path, "%s/system.db", dir);
		else
			snprintf(path, sizeof path, "%s/orgs/%s/org.db", dir, id);
		sqlite3 *db = NULL;
		int n_sqlite = -1;
		if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
			n_sqlite = print_sqlite_columns(db, kind);
		sqlite3_close(db);
		struct scratch s = scratch_new(pool);
		struct pg_conn *c = borrow(pool, s.db);
		CHECK_ERR(pg_schema_migrate(c, k == 0 ? PG_SCHEMA_SYSTEM : PG_SCHEMA_ORG),
			  COFFER_OK, "migrated");
		int n_pg = print_pg_columns(c, kind);
		check(n_sqlite > 0 && n_sqlite == n_pg, kind, "%d columns in SQLite, %d here",
		      n_sqlite, n_pg);
		pg_pool_put(pool, c);
		scratch_drop(pool, &s);
	}
	pg_pool_close(pool);
	/* The scratch directory: system.db, orgs/ID/org.db and SQLite's side files. */
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	check(system(cmd) == 0, "the scratch directory is removed", "rm failed");
}

/* --- helpers for the driver's processes -------------------------------------------------- */
static int one_off(const char *what, const char *id, const char *kind)
{
	struct pg_target t = target(2);
	struct pg_pool *pool = open_pool(&t);
	char db[PG_ORG_DB_NAME_LEN + 1];
	enum coffer_err err = pg_org_db_name(id, db);
	if (err == COFFER_OK && strcmp(what, "createdb") == 0)
		err = pg_org_db_create(pool, id);
	else if (err == COFFER_OK && strcmp(what, "dropdb") == 0)
		err = pg_org_db_drop(pool, id);
	else if (err == COFFER_OK) {
		const struct pg_schema *schema =
		    pg_schema_of(strcmp(kind, "org") == 0 ? PG_SCHEMA_ORG : PG_SCHEMA_SYSTEM);
		struct pg_conn *c = borrow(pool, db);
		unsigned int applied = 0;
		err = pg_schema_apply(c, schema, &applied);
		printf("applied %u\n", applied);
		pg_pool_put(pool, c);
	}
	pg_pool_close(pool);
	printf("result %s\n", coffer_err_info(err)->code);
	return err == COFFER_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: pg_schema_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_INFO);
	if (argc == 4 && strcmp(argv[1], "migrate") == 0)
		return one_off(argv[1], argv[2], argv[3]);
	if (argc == 3 && (strcmp(argv[1], "createdb") == 0 || strcmp(argv[1], "dropdb") == 0))
		return one_off(argv[1], argv[2], NULL);
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"migrate", scenario_migrate},	   {"newer", scenario_newer},
	    {"constraints", scenario_constraints}, {"concurrent", scenario_concurrent},
	    {"columns", scenario_columns},
	};
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (argc == 2 && strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			printf("done: %d failed\n", failures);
			return failures ? 1 : 0;
		}
	}
	fprintf(stderr, "unknown scenario %s\n", argv[1]);
	return 2;
}
