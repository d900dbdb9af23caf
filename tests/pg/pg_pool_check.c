/* pg_pool_check.c — the PostgreSQL connection layer (src/store/postgres/) against a real
 * server. tests/e2e/test_pg_pool.py starts a throwaway PostgreSQL (tests/e2e/pg_server.py) and
 * runs this program once per scenario:
 *
 *	pg_pool_check SCENARIO
 *
 * with the server in the environment: COFFER_PG_HOST, COFFER_PG_PORT, COFFER_PG_USER,
 * COFFER_PG_DATABASE, COFFER_PG_SSLMODE, COFFER_PG_SSLROOTCERT (optional), and the password in
 * the file COFFER_PG_PASSWORD_FILE (never in argv or the environment). It prints one line per
 * check, "ok - NAME" or "not ok - NAME: why", and exits 1 when any failed. A scenario that needs
 * the server stopped or started prints "PAUSE stop" / "PAUSE start" and reads a line from stdin
 * once the driver has done it. Not a unit test: it needs a server, so it is built outside
 * build/asan/tests/ (tests/run_all.py runs everything there without one). */
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/uuid.h"
#include "store/postgres/pg_err.h"
#include "store/postgres/pg_orgdb.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_query.h"
#include "pg_check.h"

static void pause_for(const char *what)
{
	char line[64];
	printf("PAUSE %s\n", what);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		exit(2);
}

/* --- basics: connect, query, the session settings, reuse ----------------------------------- */
static void scenario_basics(void)
{
	struct pg_target t = target(2);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	char v[256];
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "connect to the system database");
	if (c == NULL)
		exit(1);
	CHECK_ERR(scalar(c, "SELECT $1::int + 1", PG_ARGS(pg_int(41)), v, sizeof v), COFFER_OK,
		  "a parameterised query");
	check(strcmp(v, "42") == 0, "its answer", "got '%s'", v);
	(void)!scalar(c, "SELECT current_database()", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, t.system_db) == 0, "on the system database", "got '%s'", v);
	(void)!scalar(c, "SELECT current_setting('statement_timeout')", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "10s") == 0, "statement_timeout set for the session", "got '%s'", v);
	(void)!scalar(c, "SELECT current_setting('idle_in_transaction_session_timeout')",
		      PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "20s") == 0, "idle_in_transaction_session_timeout set", "got '%s'", v);
	(void)!scalar(c, "SELECT current_setting('application_name')", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "coffer") == 0, "application_name", "got '%s'", v);
	(void)!scalar(c, "SELECT current_setting('synchronous_commit')", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "on") == 0, "synchronous_commit on", "got '%s'", v);
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(st.open == 1 && st.busy == 1, "one connection out", "open %u busy %u", st.open,
	      st.busy);
	PGconn *first = c->pq;
	pg_pool_put(pool, c);
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "borrow again");
	check(c->pq == first, "the idle connection is reused", "a new one was opened");
	pg_pool_stats(pool, &st);
	check(st.opened == 1, "opened once", "opened %" PRIu64, st.opened);
	/* A connection given back inside a transaction is not lent again. */
	CHECK_ERR(pg_begin(c), COFFER_OK, "begin");
	pg_pool_put(pool, c);
	pg_pool_stats(pool, &st);
	check(st.open == 0 && st.closed == 1, "a connection back inside a transaction is closed",
	      "open %u closed %" PRIu64, st.open, st.closed);
	/* A transaction committed is there for the next connection. */
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "borrow after a close");
	CHECK_ERR(pg_exec(c, "CREATE TABLE IF NOT EXISTS basics_t (v text)", PG_NO_ARGS), COFFER_OK,
		  "create a table");
	CHECK_ERR(pg_exec(c, "TRUNCATE basics_t", PG_NO_ARGS), COFFER_OK, "empty it");
	CHECK_ERR(pg_begin(c), COFFER_OK, "begin");
	CHECK_ERR(pg_exec(c, "INSERT INTO basics_t VALUES ($1)", PG_ARGS(pg_text("kept"))),
		  COFFER_OK, "insert in a transaction");
	CHECK_ERR(pg_end(c, COFFER_OK), COFFER_OK, "commit");
	CHECK_ERR(pg_begin(c), COFFER_OK, "begin");
	CHECK_ERR(pg_exec(c, "INSERT INTO basics_t VALUES ($1)", PG_ARGS(pg_text("undone"))),
		  COFFER_OK, "insert in a transaction rolled back");
	CHECK_ERR(pg_end(c, COFFER_ERR_FORBIDDEN), COFFER_ERR_FORBIDDEN,
		  "pg_end with an error rolls back and returns it");
	struct pg_conn *d = NULL;
	CHECK_ERR(pg_pool_get(pool, NULL, &d), COFFER_OK, "a second connection");
	(void)!scalar(d, "SELECT string_agg(v, ',') FROM basics_t", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "kept") == 0, "the commit is seen, the rollback is not", "got '%s'", v);
	CHECK_ERR(pg_change(d, "DELETE FROM basics_t WHERE v = $1", PG_ARGS(pg_text("absent"))),
		  COFFER_ERR_NOT_FOUND, "pg_change that changes nothing");
	CHECK_ERR(pg_change(d, "DELETE FROM basics_t WHERE v = $1", PG_ARGS(pg_text("kept"))),
		  COFFER_OK, "pg_change that changes a row");
	pg_pool_put(pool, d);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- params: every value a parameter, stored verbatim --------------------------------------- */
static void scenario_params(void)
{
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	char v[512];
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "connect");
	if (c == NULL)
		exit(1);
	CHECK_ERR(pg_exec(c, "CREATE TEMP TABLE p (k int, s text, b bytea)", PG_NO_ARGS), COFFER_OK,
		  "a table for the values");
	static const char *const hostile[] = {
	    "O'Brien",
	    "'; DROP TABLE p; --",
	    "\" OR \"1\"=\"1",
	    "1 OR 1=1",
	    "$1",
	    "$$ dollar $$",
	    "E'\\x00'",
	    "back\\slash \\' quote",
	    "); SELECT pg_sleep(10); --",
	    "caf\xc3\xa9 \xe2\x9c\x93",
	};
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		enum coffer_err err = pg_exec(c, "INSERT INTO p (k, s) VALUES ($1, $2)",
					      PG_ARGS(pg_int((int64_t)i), pg_text(hostile[i])));
		(void)!scalar(c, "SELECT s FROM p WHERE k = $1", PG_ARGS(pg_int((int64_t)i)), v,
			      sizeof v);
		char name[64];
		snprintf(name, sizeof name, "stored verbatim: value %zu", i);
		check(err == COFFER_OK && strcmp(v, hostile[i]) == 0, name, "got '%s' (%s)", v,
		      coffer_err_info(err)->code);
	}
	(void)!scalar(c, "SELECT count(*) FROM p", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "10") == 0, "the table is still there with every row", "count '%s'", v);
	CHECK_ERR(pg_exec(c, "INSERT INTO p (k, s) VALUES (100, $1)",
			  PG_ARGS(pg_text_n("before\0after", 12))),
		  COFFER_ERR_INVALID_INPUT, "text with a NUL is refused");
	(void)!scalar(c, "SELECT count(*) FROM p WHERE k = 100", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "0") == 0, "… and nothing is stored", "count '%s'", v);
	CHECK_ERR(
	    pg_exec(c, "INSERT INTO p (k, s) VALUES (101, $1)", PG_ARGS(pg_text_n("abcdef", 3))),
	    COFFER_OK, "text of a given length");
	(void)!scalar(c, "SELECT s FROM p WHERE k = 101", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "abc") == 0, "… exactly that long", "got '%s'", v);
	CHECK_ERR(pg_exec(c, "INSERT INTO p (k, s) VALUES (102, $1)",
			  PG_ARGS(pg_text("bad \xff\xfe utf-8"))),
		  COFFER_ERR_INVALID_INPUT, "invalid UTF-8 is refused by the server");
	unsigned char all[256];
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	CHECK_ERR(
	    pg_exec(c, "INSERT INTO p (k, b) VALUES (103, $1)", PG_ARGS(pg_bytea(all, sizeof all))),
	    COFFER_OK, "every byte value as a binary bytea");
	PGresult *res = NULL;
	CHECK_ERR(pg_query(c, "SELECT b, s IS NULL FROM p WHERE k = $1", PG_ARGS(pg_int(103)),
			   PG_BINARY_RESULTS, &res),
		  COFFER_OK, "read it back in binary");
	check(res != NULL && PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 256 &&
		  memcmp(PQgetvalue(res, 0, 0), all, 256) == 0,
	      "the same 256 bytes", "differs");
	check(res != NULL && PQntuples(res) == 1 && PQgetvalue(res, 0, 1)[0] == 1,
	      "an unset column is NULL", "not NULL");
	PQclear(res);
	CHECK_ERR(pg_exec(c, "INSERT INTO p (k, s, b) VALUES (104, $1, $2)",
			  PG_ARGS(pg_null(), pg_bytea("", 0))),
		  COFFER_OK, "a NULL and an empty bytea");
	(void)!scalar(c, "SELECT (s IS NULL)::text || ',' || length(b) FROM p WHERE k = 104",
		      PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "true,0") == 0, "… kept apart", "got '%s'", v);
	CHECK_ERR(pg_query(c, "INSERT INTO p (k) VALUES (105)", PG_NO_ARGS, PG_TEXT_RESULTS, &res),
		  COFFER_ERR_INTERNAL, "pg_query of a statement without rows is a bug");
	/* A second statement in one text is refused by the extended protocol. */
	CHECK_ERR(pg_exec(c, "SELECT 1; DROP TABLE p", PG_NO_ARGS), COFFER_ERR_STORAGE,
		  "two statements in one text are refused");
	(void)!scalar(c, "SELECT count(*) > 0 FROM p", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "t") == 0, "… and the table stays", "got '%s'", v);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- sqlstates: the server's refusals as coffer's errors ------------------------------------ */
static void scenario_sqlstates(void)
{
	struct pg_target t = target(2);
	t.statement_timeout_ms = 500;
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *a = NULL, *b = NULL;
	char v[64];
	CHECK_ERR(pg_pool_get(pool, NULL, &a), COFFER_OK, "connect");
	if (a == NULL)
		exit(1);
	CHECK_ERR(pg_exec(a, "CREATE TEMP TABLE parent (id int PRIMARY KEY)", PG_NO_ARGS),
		  COFFER_OK, "a parent table");
	CHECK_ERR(pg_exec(a,
			  "CREATE TEMP TABLE child (pid int REFERENCES parent, "
			  "v int CHECK (v > 0), n text NOT NULL)",
			  PG_NO_ARGS),
		  COFFER_OK, "a child table");
	CHECK_ERR(pg_exec(a, "INSERT INTO parent VALUES ($1)", PG_ARGS(pg_int(1))), COFFER_OK,
		  "a parent row");
	CHECK_ERR(pg_exec(a, "INSERT INTO parent VALUES ($1)", PG_ARGS(pg_int(1))),
		  COFFER_ERR_EXISTS, "23505 unique_violation → exists");
	CHECK_ERR(pg_exec(a, "INSERT INTO child VALUES ($1, 1, 'x')", PG_ARGS(pg_int(2))),
		  COFFER_ERR_NOT_FOUND, "23503 foreign_key_violation → not_found");
	CHECK_ERR(pg_exec(a, "INSERT INTO child VALUES (1, $1, 'x')", PG_ARGS(pg_int(-1))),
		  COFFER_ERR_INVALID_INPUT, "23514 check_violation → invalid_input");
	CHECK_ERR(pg_exec(a, "INSERT INTO child VALUES (1, 1, $1)", PG_ARGS(pg_null())),
		  COFFER_ERR_INVALID_INPUT, "23502 not_null_violation → invalid_input");
	CHECK_ERR(pg_exec(a, "SELECT $1::int", PG_ARGS(pg_text("twelve"))),
		  COFFER_ERR_INVALID_INPUT, "22P02 invalid_text_representation → invalid_input");
	CHECK_ERR(pg_exec(a, "SELEC 1", PG_NO_ARGS), COFFER_ERR_STORAGE,
		  "42601 syntax_error → storage");
	check(!a->broken, "refusals leave the connection usable", "marked broken");
	double t0 = now_s();
	CHECK_ERR(pg_exec(a, "SELECT pg_sleep(5)", PG_NO_ARGS), COFFER_ERR_UNAVAILABLE,
		  "57014 statement_timeout → unavailable");
	check(now_s() - t0 < 3, "… after the timeout, not the sleep", "%.1f s", now_s() - t0);
	CHECK_ERR(scalar(a, "SELECT 7", PG_NO_ARGS, v, sizeof v), COFFER_OK,
		  "the connection works after a timeout");

	/* A transaction that failed inside cannot commit: PostgreSQL answers ROLLBACK. */
	CHECK_ERR(pg_begin(a), COFFER_OK, "begin");
	CHECK_ERR(pg_exec(a, "INSERT INTO parent VALUES (1)", PG_NO_ARGS), COFFER_ERR_EXISTS,
		  "a failure inside a transaction");
	CHECK_ERR(pg_end(a, COFFER_OK), COFFER_ERR_STORAGE,
		  "committing a failed transaction is an error, not a success");
	check(PQtransactionStatus(a->pq) == PQTRANS_IDLE, "… and the transaction is over",
	      "still in one");

	/* 40001: a repeatable-read transaction updates a row another committed meanwhile. */
	CHECK_ERR(pg_pool_get(pool, NULL, &b), COFFER_OK, "a second connection");
	if (b == NULL)
		exit(1);
	CHECK_ERR(pg_exec(a, "CREATE TABLE IF NOT EXISTS conflict_t (id int PRIMARY KEY, v int)",
			  PG_NO_ARGS),
		  COFFER_OK, "a shared table");
	CHECK_ERR(pg_exec(a,
			  "INSERT INTO conflict_t VALUES (1, 0), (2, 0) "
			  "ON CONFLICT (id) DO UPDATE SET v = 0",
			  PG_NO_ARGS),
		  COFFER_OK, "two rows");
	CHECK_ERR(pg_exec(a, "BEGIN ISOLATION LEVEL REPEATABLE READ", PG_NO_ARGS), COFFER_OK,
		  "a repeatable-read transaction");
	CHECK_ERR(scalar(a, "SELECT v FROM conflict_t WHERE id = 1", PG_NO_ARGS, v, sizeof v),
		  COFFER_OK, "… takes its snapshot");
	CHECK_ERR(pg_exec(b, "UPDATE conflict_t SET v = v + 1 WHERE id = 1", PG_NO_ARGS), COFFER_OK,
		  "another connection updates the row");
	enum coffer_err err =
	    pg_exec(a, "UPDATE conflict_t SET v = v + 10 WHERE id = 1", PG_NO_ARGS);
	CHECK_ERR(err, COFFER_ERR_UNAVAILABLE, "40001 serialization_failure → unavailable");
	CHECK_ERR(pg_end(a, err), COFFER_ERR_UNAVAILABLE, "… rolled back");

	/* 40P01: each holds a row the other wants. A waits (sent without waiting for the
	 * answer); B's request closes the cycle; the server ends one of the two. */
	/* The deadlock detector runs after deadlock_timeout (1 s): longer than this pool's
	 * statement timeout, which these two sessions lift. */
	CHECK_ERR(pg_exec(a, "SET statement_timeout = 10000", PG_NO_ARGS), COFFER_OK, "lift A");
	CHECK_ERR(pg_exec(b, "SET statement_timeout = 10000", PG_NO_ARGS), COFFER_OK, "lift B");
	CHECK_ERR(pg_begin(a), COFFER_OK, "begin A");
	CHECK_ERR(pg_begin(b), COFFER_OK, "begin B");
	CHECK_ERR(pg_exec(a, "UPDATE conflict_t SET v = 1 WHERE id = 1", PG_NO_ARGS), COFFER_OK,
		  "A locks row 1");
	CHECK_ERR(pg_exec(b, "UPDATE conflict_t SET v = 2 WHERE id = 2", PG_NO_ARGS), COFFER_OK,
		  "B locks row 2");
	check(PQsendQueryParams(a->pq, "UPDATE conflict_t SET v = 1 WHERE id = 2", 0, NULL, NULL,
				NULL, NULL, 0) == 1,
	      "A asks for row 2", "%s", PQerrorMessage(a->pq));
	enum coffer_err err_b = pg_exec(b, "UPDATE conflict_t SET v = 2 WHERE id = 1", PG_NO_ARGS);
	enum coffer_err err_a = COFFER_OK;
	PGresult *res;
	while ((res = PQgetResult(a->pq)) != NULL) {
		if (err_a == COFFER_OK)
			err_a = pg_err_result(a->pq, res);
		PQclear(res);
	}
	check((err_a == COFFER_ERR_UNAVAILABLE) != (err_b == COFFER_ERR_UNAVAILABLE),
	      "40P01 deadlock_detected → unavailable, for one of the two", "A %s, B %s",
	      coffer_err_info(err_a)->code, coffer_err_info(err_b)->code);
	CHECK_ERR(pg_end(a, COFFER_ERR_UNAVAILABLE), COFFER_ERR_UNAVAILABLE, "A rolls back");
	CHECK_ERR(pg_end(b, COFFER_ERR_UNAVAILABLE), COFFER_ERR_UNAVAILABLE, "B rolls back");
	CHECK_ERR(pg_exec(a, "DROP TABLE conflict_t", PG_NO_ARGS), COFFER_OK, "clean up");
	pg_pool_put(pool, b);
	pg_pool_put(pool, a);
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(st.open == 2 && st.closed == 0, "no connection was lost to a refusal",
	      "open %u closed %" PRIu64, st.open, st.closed);
	pg_pool_close(pool);
}

/* --- lru: more databases than connections ----------------------------------------------------- */

/* A connection of the test's own, outside any pool, that watches the server. */
static PGconn *monitor(void)
{
	struct pg_target t = target(1);
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	char pw[256] = "";
	FILE *f = fopen(path, "r");
	if (f == NULL || fgets(pw, sizeof pw, f) == NULL)
		exit(2);
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	char port[8];
	snprintf(port, sizeof port, "%u", t.port);
	const char *keys[] = {
	    "host",	"port",	   "dbname",	       "user",
	    "password", "sslmode", "application_name", t.sslrootcert ? "sslrootcert" : NULL,
	    NULL};
	const char *vals[] = {t.host,	 port,	    t.system_db,   t.user, pw,
			      t.sslmode, "monitor", t.sslrootcert, NULL};
	PGconn *m = PQconnectdbParams(keys, vals, 0);
	sodium_memzero(pw, sizeof pw);
	if (PQstatus(m) != CONNECTION_OK) {
		fprintf(stderr, "monitor: %s", PQerrorMessage(m));
		exit(2);
	}
	return m;
}

/* The databases the pools' connections are on, as the server sees them ("a,b,c"), once they
 * are WANT (backends end a moment after their client closes), or after 5 s whatever they are. */
static void pool_databases(PGconn *m, const char *want, char *out, size_t outlen)
{
	for (int i = 0; i < 50; i++) {
		PGresult *r = PQexec(m, "SELECT coalesce(string_agg(datname::text, ',' ORDER BY "
					"datname), '') FROM pg_stat_activity "
					"WHERE application_name = 'coffer' "
					"AND datname LIKE 'coffer\\_org\\_%'");
		snprintf(out, outlen, "%s",
			 PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
		PQclear(r);
		if (strcmp(out, want) == 0)
			return;
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "names[i],names[j],…" sorted, into OUT. */
static void joined(char names[][PG_ORG_DB_NAME_LEN + 1], const int *idx, size_t n, char *out,
		   size_t outlen)
{
	const char *p[8];
	for (size_t i = 0; i < n; i++)
		p[i] = names[idx[i]];
	qsort(p, n, sizeof p[0], cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(out, p[i], outlen - strlen(out) - 1);
		if (i + 1 < n)
			strncat(out, ",", outlen - strlen(out) - 1);
	}
}

static void borrow_and_return(struct pg_pool *pool, const char *db, const char *name)
{
	struct pg_conn *c = NULL;
	char v[80];
	enum coffer_err err = pg_pool_get(pool, db, &c);
	if (err == COFFER_OK)
		err = scalar(c, "SELECT current_database()", PG_NO_ARGS, v, sizeof v);
	check(err == COFFER_OK && strcmp(v, db) == 0, name, "%s on '%s'",
	      coffer_err_info(err)->code, err == COFFER_OK ? v : "");
	pg_pool_put(pool, c);
}

static void scenario_lru(void)
{
	enum { N = 5 };
	char ids[N][UUID_TEXT_LEN + 1], names[N][PG_ORG_DB_NAME_LEN + 1];
	char got[512], want[512], v[256];
	struct pg_target admin_t = target(1);
	struct pg_pool *admin = open_pool(&admin_t);
	PGconn *m = monitor();

	CHECK_ERR(pg_org_db_create(admin, "not-an-id\"; DROP DATABASE coffer; --"),
		  COFFER_ERR_INVALID_INPUT, "a bad organisation id is refused");
	for (int i = 0; i < N; i++) {
		uuid_generate(ids[i]);
		if (pg_org_db_name(ids[i], names[i]) != COFFER_OK)
			exit(2);
		char name[64];
		snprintf(name, sizeof name, "create organisation database %d", i);
		CHECK_ERR(pg_org_db_create(admin, ids[i]), COFFER_OK, name);
	}
	CHECK_ERR(pg_org_db_create(admin, ids[0]), COFFER_ERR_EXISTS, "creating it twice → exists");
	/* Only coffer's role may connect: PUBLIC's default CONNECT and TEMP are revoked. */
	const char *p[] = {names[0]};
	PGresult *r = PQexecParams(m,
				   "SELECT has_database_privilege('public', $1, 'CONNECT'), "
				   "pg_get_userbyid(datdba) = current_user, "
				   "pg_encoding_to_char(encoding), datcollate "
				   "FROM pg_database WHERE datname = $1",
				   1, NULL, p, NULL, NULL, 0);
	check(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		  strcmp(PQgetvalue(r, 0, 0), "f") == 0 && strcmp(PQgetvalue(r, 0, 1), "t") == 0,
	      "owned by coffer's role, closed to PUBLIC", "%s",
	      PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : PQresultErrorMessage(r));
	check(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		  strcmp(PQgetvalue(r, 0, 2), "UTF8") == 0 && strcmp(PQgetvalue(r, 0, 3), "C") == 0,
	      "UTF-8 with the C collation", "%s %s", PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
	PQclear(r);

	struct pg_target t = target(3);
	struct pg_pool *pool = open_pool(&t);
	borrow_and_return(pool, names[0], "borrow org 0");
	borrow_and_return(pool, names[1], "borrow org 1");
	borrow_and_return(pool, names[2], "borrow org 2");
	joined(names, (const int[]){0, 1, 2}, 3, want, sizeof want);
	pool_databases(m, want, got, sizeof got);
	check(strcmp(got, want) == 0, "three databases, three connections", "server has %s", got);
	borrow_and_return(pool, names[3], "borrow org 3 with the pool full");
	joined(names, (const int[]){1, 2, 3}, 3, want, sizeof want);
	pool_databases(m, want, got, sizeof got);
	check(strcmp(got, want) == 0, "the least recently used (org 0) was closed", "server has %s",
	      got);
	borrow_and_return(pool, names[1], "borrow org 1 again");
	borrow_and_return(pool, names[4], "borrow org 4");
	joined(names, (const int[]){1, 3, 4}, 3, want, sizeof want);
	pool_databases(m, want, got, sizeof got);
	check(strcmp(got, want) == 0, "org 1 was used lately, org 2 was closed", "server has %s",
	      got);
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(st.open == 3 && st.opened == 5 && st.closed == 2, "never more than pg_pool_size",
	      "open %u opened %" PRIu64 " closed %" PRIu64, st.open, st.opened, st.closed);

	/* Every connection borrowed: the next borrower waits, then is told to come back. */
	struct pg_conn *c[3] = {0};
	for (int i = 0; i < 3; i++)
		CHECK_ERR(pg_pool_get(pool, names[i], &c[i]), COFFER_OK, "borrow all three");
	struct pg_conn *extra = NULL;
	double t0 = now_s();
	CHECK_ERR(pg_pool_get(pool, names[3], &extra), COFFER_ERR_UNAVAILABLE,
		  "a full pool answers unavailable");
	double waited = now_s() - t0;
	check(waited >= 0.4 && waited < 3, "… after the borrow timeout", "%.2f s", waited);
	for (int i = 0; i < 3; i++)
		pg_pool_put(pool, c[i]);
	pg_pool_close(pool);

	/* Dropping: while a pool of the admin holds a connection to it, too. */
	borrow_and_return(admin, names[0], "the admin pool on org 0");
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof name, "drop organisation database %d", i);
		CHECK_ERR(pg_org_db_drop(admin, ids[i]), COFFER_OK, name);
	}
	CHECK_ERR(pg_org_db_drop(admin, ids[0]), COFFER_ERR_NOT_FOUND, "dropping it twice");
	r = PQexec(m, "SELECT count(*) FROM pg_database WHERE datname LIKE 'coffer\\_org\\_%'");
	snprintf(v, sizeof v, "%s",
		 PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
	PQclear(r);
	check(strcmp(v, "0") == 0, "no organisation database is left", "%s left", v);
	pg_pool_close(admin);
	PQfinish(m);
}

/* --- threads: many borrowers, few connections, several databases ----------------------------- */
enum { THREADS = 8, ROUNDS = 40, THREAD_DBS = 3, THREAD_POOL = 2 };

struct borrower {
	struct pg_pool *pool;
	char (*names)[PG_ORG_DB_NAME_LEN + 1];
	unsigned int seed;
	int wrong, failed, over; /* answers from another database, errors, pool above its size */
};

static void *borrow_loop(void *arg)
{
	struct borrower *b = arg;
	for (int i = 0; i < ROUNDS; i++) {
		const char *db = b->names[rand_r(&b->seed) % THREAD_DBS];
		struct pg_conn *c = NULL;
		char v[80];
		if (pg_pool_get(b->pool, db, &c) != COFFER_OK ||
		    scalar(c, "SELECT current_database()", PG_NO_ARGS, v, sizeof v) != COFFER_OK) {
			b->failed++;
		} else if (strcmp(v, db) != 0) {
			b->wrong++;
		}
		struct pg_pool_stats st;
		pg_pool_stats(b->pool, &st);
		b->over += st.open > THREAD_POOL;
		pg_pool_put(b->pool, c);
	}
	return NULL;
}

static void scenario_threads(void)
{
	char ids[THREAD_DBS][UUID_TEXT_LEN + 1], names[THREAD_DBS][PG_ORG_DB_NAME_LEN + 1];
	struct pg_target admin_t = target(1);
	struct pg_pool *admin = open_pool(&admin_t);
	for (int i = 0; i < THREAD_DBS; i++) {
		uuid_generate(ids[i]);
		if (pg_org_db_name(ids[i], names[i]) != COFFER_OK ||
		    pg_org_db_create(admin, ids[i]) != COFFER_OK)
			exit(2);
	}
	struct pg_target t = target(THREAD_POOL);
	t.borrow_timeout_ms = 30000; /* waiting is expected here; failing is not */
	struct pg_pool *pool = open_pool(&t);
	pthread_t th[THREADS];
	struct borrower b[THREADS];
	for (int i = 0; i < THREADS; i++) {
		b[i] = (struct borrower){.pool = pool, .names = names, .seed = (unsigned int)i + 1};
		if (pthread_create(&th[i], NULL, borrow_loop, &b[i]) != 0)
			exit(2);
	}
	int wrong = 0, failed = 0, over = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		wrong += b[i].wrong;
		failed += b[i].failed;
		over += b[i].over;
	}
	check(failed == 0, "8 threads, 3 databases, 2 connections: every borrow served",
	      "%d failed", failed);
	check(wrong == 0, "each on the database it asked for", "%d on another", wrong);
	check(over == 0, "never more than pg_pool_size open", "%d times more", over);
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(st.open <= THREAD_POOL && st.busy == 0 && st.opened - st.closed == st.open,
	      "the counts add up", "open %u busy %u opened %" PRIu64 " closed %" PRIu64, st.open,
	      st.busy, st.opened, st.closed);
	pg_pool_close(pool);
	for (int i = 0; i < THREAD_DBS; i++)
		CHECK_ERR(pg_org_db_drop(admin, ids[i]), COFFER_OK, "drop");
	pg_pool_close(admin);
}

/* --- outage: the server stops mid-transaction, then comes back ------------------------------- */
static void scenario_outage(void)
{
	struct pg_target t = target(4);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL, *idle = NULL;
	char v[64];
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "connect");
	CHECK_ERR(pg_pool_get(pool, NULL, &idle), COFFER_OK, "a second connection");
	if (c == NULL || idle == NULL)
		exit(1);
	CHECK_ERR(pg_exec(c, "CREATE TABLE IF NOT EXISTS outage_t (v text)", PG_NO_ARGS), COFFER_OK,
		  "a table");
	pg_pool_put(pool, idle); /* left idle across the restart */
	CHECK_ERR(pg_begin(c), COFFER_OK, "begin");
	CHECK_ERR(pg_exec(c, "INSERT INTO outage_t VALUES ($1)", PG_ARGS(pg_text("unacked"))),
		  COFFER_OK, "a write inside the transaction");
	pause_for("stop");
	double t0 = now_s();
	enum coffer_err err = pg_end(c, COFFER_OK);
	double took = now_s() - t0;
	CHECK_ERR(err, COFFER_ERR_UNAVAILABLE, "COMMIT with the server gone → unavailable");
	check(took < 3, "… at once, no hang", "%.1f s", took);
	check(c->broken, "the connection is marked broken", "not marked");
	pg_pool_put(pool, c);
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(st.open == 1, "the broken connection was dropped", "open %u", st.open);
	t0 = now_s();
	CHECK_ERR(pg_pool_get(pool, "postgres", &c), COFFER_ERR_UNAVAILABLE,
		  "a new connection while the server is down → unavailable");
	check(now_s() - t0 < 3, "… at once", "%.1f s", now_s() - t0);
	pause_for("start");
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK,
		  "after the restart the pool connects again");
	if (c == NULL)
		exit(1);
	CHECK_ERR(scalar(c, "SELECT count(*) FROM outage_t WHERE v = $1",
			 PG_ARGS(pg_text("unacked")), v, sizeof v),
		  COFFER_OK, "the first query after the restart succeeds");
	check(strcmp(v, "0") == 0, "the uncommitted write is not there", "count %s", v);
	pg_pool_stats(pool, &st);
	check(st.opened == 3, "the idle connection the restart killed was replaced",
	      "opened %" PRIu64, st.opened);
	CHECK_ERR(pg_exec(c, "DROP TABLE outage_t", PG_NO_ARGS), COFFER_OK, "clean up");
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- tls: the connection is encrypted and the server verified --------------------------------- */
static void scenario_tls(void)
{
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	char v[64];
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_OK, "connect with TLS");
	if (c == NULL)
		exit(1);
	CHECK_ERR(scalar(c,
			 "SELECT ssl::text || ' ' || version FROM pg_stat_ssl "
			 "WHERE pid = pg_backend_pid()",
			 PG_NO_ARGS, v, sizeof v),
		  COFFER_OK, "ask the server");
	check(strncmp(v, "true TLSv1.", 10) == 0, "the server sees a TLS connection", "got '%s'",
	      v);
	check(PQsslInUse(c->pq) == 1, "libpq sees one", "not in use");
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- refused: a connection that must not be made (wrong CA, wrong name, wrong password) ------- */
static void scenario_refused(void)
{
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	double t0 = now_s();
	CHECK_ERR(pg_pool_get(pool, NULL, &c), COFFER_ERR_UNAVAILABLE, "the connection is refused");
	check(now_s() - t0 < 5, "… at once", "%.1f s", now_s() - t0);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- share: two busy databases in one pool -------------------------------------------------- */
enum { SHARE_THREADS = 8, SHARE_ROUNDS = 200, SHARE_POOL = 4 };

struct sharer {
	struct pg_pool *pool;
	const char *org_db;
	int failed;
};

/* A request's pattern: the system database, then an organisation's, then the system's. */
static void *share_loop(void *arg)
{
	struct sharer *s = arg;
	for (int i = 0; i < SHARE_ROUNDS; i++) {
		const char *dbs[] = {NULL, s->org_db, NULL};
		for (size_t k = 0; k < 3; k++) {
			struct pg_conn *c = NULL;
			char v[80];
			if (pg_pool_get(s->pool, dbs[k], &c) != COFFER_OK ||
			    scalar(c, "SELECT 1", PG_NO_ARGS, v, sizeof v) != COFFER_OK)
				s->failed++;
			pg_pool_put(s->pool, c);
		}
	}
	return NULL;
}

static void scenario_share(void)
{
	char id[UUID_TEXT_LEN + 1], name[PG_ORG_DB_NAME_LEN + 1];
	struct pg_target admin_t = target(1);
	struct pg_pool *admin = open_pool(&admin_t);
	uuid_generate(id);
	if (pg_org_db_name(id, name) != COFFER_OK || pg_org_db_create(admin, id) != COFFER_OK)
		exit(2);
	struct pg_target t = target(SHARE_POOL);
	t.borrow_timeout_ms = 30000;
	struct pg_pool *pool = open_pool(&t);
	pthread_t th[SHARE_THREADS];
	struct sharer s[SHARE_THREADS];
	for (int i = 0; i < SHARE_THREADS; i++) {
		s[i] = (struct sharer){.pool = pool, .org_db = name};
		if (pthread_create(&th[i], NULL, share_loop, &s[i]) != 0)
			exit(2);
	}
	int failed = 0;
	for (int i = 0; i < SHARE_THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += s[i].failed;
	}
	struct pg_pool_stats st;
	pg_pool_stats(pool, &st);
	check(failed == 0, "8 threads on 2 databases, 4 connections: every borrow served",
	      "%d failed", failed);
	/* Closing the other database's connection at each switch would open thousands. */
	check(st.opened <= 2 * SHARE_POOL,
	      "the two databases share the pool without closing each "
	      "other's connections",
	      "%" PRIu64 " connections opened for %d borrows", st.opened,
	      SHARE_THREADS * SHARE_ROUNDS * 3);
	pg_pool_close(pool);
	CHECK_ERR(pg_org_db_drop(admin, id), COFFER_OK, "drop");
	pg_pool_close(admin);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: pg_pool_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"basics", scenario_basics},       {"params", scenario_params},
	    {"sqlstates", scenario_sqlstates}, {"lru", scenario_lru},
	    {"outage", scenario_outage},       {"tls", scenario_tls},
	    {"refused", scenario_refused},     {"threads", scenario_threads},
	    {"share", scenario_share},
	};
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			printf("done: %d failed\n", failures);
			return failures ? 1 : 0;
		}
	}
	fprintf(stderr, "unknown scenario %s\n", argv[1]);
	return 2;
}
