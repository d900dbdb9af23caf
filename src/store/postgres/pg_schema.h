/* pg_schema.h — the tables of coffer's PostgreSQL databases and their versioned migrations:
 * the system database's and each organisation's (coffer_org_<id>), the same tables, columns,
 * constraints and indexes as the SQLite store's system.db and org.db (docs/STORAGE.md maps
 * every column's type).
 *
 * Each kind of database has an append-only list of steps; a table coffer_schema in the
 * database records every step applied (version, kind, when). pg_schema_migrate brings a
 * database up to date in one transaction, under a transaction-scoped advisory lock whose key
 * is fixed per kind: when several nodes start at once, one migrates and the others wait for
 * its commit, then find nothing left to do. */
#ifndef COFFER_PG_SCHEMA_H
#define COFFER_PG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/postgres/pg_pool.h"

enum pg_schema_kind { PG_SCHEMA_SYSTEM, PG_SCHEMA_ORG };

/* One statement of a migration step (PQexecParams runs one statement at a time): a step is
 * the run of consecutive statements with the same VERSION, 1, 2, … with none skipped. */
struct pg_schema_stmt {
	unsigned int version;
	const char *sql;
};

/* A kind of database's migrations. */
struct pg_schema {
	const char *kind; /* recorded in coffer_schema: "system" or "org" */
	int64_t lock_key; /* pg_advisory_xact_lock's key */
	const struct pg_schema_stmt *stmts;
	size_t n_stmts;
};

/* The migrations of KIND (NULL for an unknown kind). */
const struct pg_schema *pg_schema_of(enum pg_schema_kind kind);

/* The version a database of SCHEMA is at once migrated: its last step's. */
unsigned int pg_schema_latest(const struct pg_schema *schema);

/* Brings the database C is connected to (outside any transaction) up to date with KIND's
 * steps, in one transaction: takes KIND's advisory lock (waiting for another node's
 * migration to commit; a wait past statement_timeout is COFFER_ERR_UNAVAILABLE), creates
 * coffer_schema when missing, runs the steps after the recorded version and records them.
 * Nothing is changed when the database is up to date. COFFER_ERR_CONFIG, logged, when the
 * database is at a version newer than this program knows (a node older than the others) or
 * its coffer_schema belongs to the other kind (a system database given as an organisation's,
 * or the reverse): nothing is changed then. A failed step rolls everything back. */
COFFER_MUST_CHECK enum coffer_err pg_schema_migrate(struct pg_conn *c, enum pg_schema_kind kind);

/* The same for any SCHEMA (tests build their own), setting *APPLIED (when not NULL) to how
 * many steps this call ran: 0 when another node had done them. */
COFFER_MUST_CHECK enum coffer_err pg_schema_apply(struct pg_conn *c, const struct pg_schema *schema,
						  unsigned int *applied);

#endif
