/* pg_schema.c — bringing a PostgreSQL database up to date with its kind's steps (pg_schema.h),
 * as db_migrate does an SQLite database.
 *
 * Everything happens in one transaction whose first statement takes the kind's advisory lock
 * (pg_advisory_xact_lock, released by the COMMIT or ROLLBACK). A node that arrives while
 * another migrates waits there; once it has the lock, its next statement (READ COMMITTED:
 * each statement sees what was committed before it began) finds the other's steps recorded
 * and runs none. DDL is transactional in PostgreSQL, so a failed step leaves the database as
 * it was. */
#include "store/postgres/pg_schema.h"

#include <stdlib.h>

#include "common/log.h"
#include "store/postgres/pg_query.h"
#include "store/postgres/pg_schema_ddl.h"

/* Every applied step, one row each. Created by the migration itself, under the lock. */
#define SCHEMA_TABLE_SQL                                                                           \
	"CREATE TABLE IF NOT EXISTS coffer_schema ("                                               \
	" version integer PRIMARY KEY CHECK (version >= 1),"                                       \
	" kind text NOT NULL CHECK (kind IN ('system', 'org')),"                                   \
	" applied_at bigint NOT NULL"                                                              \
	")"

const struct pg_schema *pg_schema_of(enum pg_schema_kind kind)
{
	switch (kind) {
	case PG_SCHEMA_SYSTEM: return &pg_schema_system;
	case PG_SCHEMA_ORG: return &pg_schema_org;
	default: return NULL;
	}
}

unsigned int pg_schema_latest(const struct pg_schema *schema)
{
	/* Steps 1, 2, … in order, none skipped; 0 for a list that is not (a bug of ours). */
	unsigned int version = 0;
	for (size_t i = 0; i < schema->n_stmts; i++) {
		unsigned int v = schema->stmts[i].version;
		if (v != version && v != version + 1)
			return 0;
		if (i == 0 && v != 1)
			return 0;
		version = v;
	}
	return version;
}

/* The database's state: the last version recorded and how many rows are of another kind. */
static enum coffer_err read_version(struct pg_conn *c, const char *kind, unsigned int *version,
				    long long *foreign)
{
	PGresult *res = NULL;
	enum coffer_err err = pg_query(c,
				       "SELECT coalesce(max(version), 0),"
				       " count(*) FILTER (WHERE kind <> $1) FROM coffer_schema",
				       PG_ARGS(pg_text(kind)), PG_TEXT_RESULTS, &res);
	if (err != COFFER_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return COFFER_ERR_STORAGE;
	}
	*version = (unsigned int)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	*foreign = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return COFFER_OK;
}

/* Runs the statements of step VERSION and records it. */
static enum coffer_err run_step(struct pg_conn *c, const struct pg_schema *s, unsigned int version)
{
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; i < s->n_stmts && err == COFFER_OK; i++) {
		if (s->stmts[i].version == version)
			err = pg_exec(c, s->stmts[i].sql, PG_NO_ARGS);
	}
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "INSERT INTO coffer_schema (version, kind, applied_at)"
			      " VALUES ($1, $2, extract(epoch FROM now())::bigint)",
			      PG_ARGS(pg_int(version), pg_text(s->kind)));
	if (err != COFFER_OK)
		log_msg(LOG_ERROR, "pg", "schema step %u of %s database %s failed", version,
			s->kind, c->db);
	return err;
}

/* Inside the transaction: the lock, the version, the steps after it. *FROM is the version
 * found, *APPLIED the steps run. */
static enum coffer_err migrate_locked(struct pg_conn *c, const struct pg_schema *s,
				      unsigned int latest, unsigned int *from,
				      unsigned int *applied)
{
	enum coffer_err err =
	    pg_exec(c, "SELECT pg_advisory_xact_lock($1::bigint)", PG_ARGS(pg_int(s->lock_key)));
	if (err == COFFER_OK)
		err = pg_exec(c, SCHEMA_TABLE_SQL, PG_NO_ARGS);
	unsigned int version = 0;
	long long foreign = 0;
	if (err == COFFER_OK)
		err = read_version(c, s->kind, &version, &foreign);
	if (err != COFFER_OK)
		return err;
	if (foreign > 0) {
		log_msg(LOG_ERROR, "pg",
			"database %s was migrated as another kind of database than '%s': check "
			"pg_database and the organisations' databases",
			c->db, s->kind);
		return COFFER_ERR_CONFIG;
	}
	if (version > latest) {
		log_msg(LOG_ERROR, "pg",
			"database %s has schema version %u, newer than this coffer knows (%u for "
			"%s databases): upgrade coffer on this node",
			c->db, version, latest, s->kind);
		return COFFER_ERR_CONFIG;
	}
	*from = version;
	for (unsigned int v = version + 1; v <= latest && err == COFFER_OK; v++) {
		err = run_step(c, s, v);
		if (err == COFFER_OK)
			(*applied)++;
	}
	return err;
}

enum coffer_err pg_schema_apply(struct pg_conn *c, const struct pg_schema *schema,
				unsigned int *applied)
{
	unsigned int latest = pg_schema_latest(schema), from = 0, n = 0;
	if (applied != NULL)
		*applied = 0;
	/* Inside a caller's transaction the lock would be held, and the steps committed, by
	 * whatever the caller does next. */
	if (latest == 0 || PQtransactionStatus(c->pq) != PQTRANS_IDLE || c->begin_pending)
		return COFFER_ERR_INTERNAL;
	enum coffer_err err = pg_begin(c);
	if (err != COFFER_OK)
		return err;
	err = pg_end(c, migrate_locked(c, schema, latest, &from, &n));
	if (err != COFFER_OK)
		return err;
	if (n > 0)
		log_msg(LOG_INFO, "pg", "%s database %s migrated from schema version %u to %u",
			schema->kind, c->db, from, latest);
	if (applied != NULL)
		*applied = n;
	return COFFER_OK;
}

enum coffer_err pg_schema_migrate(struct pg_conn *c, enum pg_schema_kind kind)
{
	const struct pg_schema *schema = pg_schema_of(kind);
	if (schema == NULL)
		return COFFER_ERR_INTERNAL;
	return pg_schema_apply(c, schema, NULL);
}
