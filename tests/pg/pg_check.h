/* pg_check.h — what the PostgreSQL check programs (tests/pg/NAME_check.c) share: their "ok - " /
 * "not ok - " lines, the server from the environment (COFFER_PG_HOST, COFFER_PG_PORT,
 * COFFER_PG_USER, COFFER_PG_DATABASE, COFFER_PG_SSLMODE, COFFER_PG_SSLROOTCERT) and the password
 * from the file COFFER_PG_PASSWORD_FILE. Each program is one file that includes this once. */
#ifndef COFFER_TESTS_PG_CHECK_H
#define COFFER_TESTS_PG_CHECK_H

#include <libpq-fe.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check_tap.h"
#include "common/err.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_query.h"

static inline const char *env(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : dflt;
}

/* The pool's target from the environment; SIZE connections. */
static inline struct pg_target target(unsigned int size)
{
	return (struct pg_target){
	    .host = env("COFFER_PG_HOST", ""),
	    .port = (unsigned int)atoi(env("COFFER_PG_PORT", "5432")),
	    .user = env("COFFER_PG_USER", ""),
	    .system_db = env("COFFER_PG_DATABASE", "coffer"),
	    .sslmode = env("COFFER_PG_SSLMODE", "verify-full"),
	    .sslrootcert = getenv("COFFER_PG_SSLROOTCERT"),
	    .size = size,
	    .connect_timeout_s = 3,
	    .statement_timeout_ms = 10000,
	    .borrow_timeout_ms = 500,
	};
}

/* Opens a pool for T with the password from COFFER_PG_PASSWORD_FILE, read into guarded
 * memory and wiped once the pool has its own copy. */
static inline struct pg_pool *open_pool(const struct pg_target *t)
{
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	struct pg_pool *pool = NULL;
	enum coffer_err err = pg_pool_open(t, pw, &pool);
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "pg_pool_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return pool;
}

/* The first column of the first row of SQL on C as text, into OUT ("" on failure). */
static inline enum coffer_err scalar(struct pg_conn *c, const char *sql, struct pg_args args,
				     char *out, size_t outlen)
{
	PGresult *res = NULL;
	out[0] = '\0';
	enum coffer_err err = pg_query(c, sql, args, PG_TEXT_RESULTS, &res);
	if (err == COFFER_OK && PQntuples(res) > 0)
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return err;
}

#endif
