/* pg_orgdb.h — each organisation's own PostgreSQL database, coffer_org_<id without dashes>:
 * its name, and creating and dropping it. The system database's role needs CREATEDB
 * (docs/STORAGE.md). */
#ifndef COFFER_PG_ORGDB_H
#define COFFER_PG_ORGDB_H

#include "common/err.h"
#include "store/postgres/pg_pool.h"

/* "coffer_org_" and the id's 32 hex digits: 43 bytes. */
#define PG_ORG_DB_NAME_LEN 43

/* Writes ORG_ID's database name (and its NUL); COFFER_ERR_INVALID_INPUT unless ORG_ID is a
 * valid id (uuid_valid), so that nothing else can ever become a database name. */
COFFER_MUST_CHECK enum coffer_err pg_org_db_name(const char *org_id,
						 char out[PG_ORG_DB_NAME_LEN + 1]);

/* Creates ORG_ID's database (UTF-8, C collation, from template0), owned by coffer's role and
 * closed to every other role (CONNECT revoked from PUBLIC). COFFER_ERR_EXISTS when it already
 * exists. Its schema is the store's business. */
COFFER_MUST_CHECK enum coffer_err pg_org_db_create(struct pg_pool *pool, const char *org_id);

/* Drops ORG_ID's database with everything in it, ending any session still on it, this
 * node's (retired from the pool first) and other nodes' (WITH (FORCE)): the organisation is
 * gone. COFFER_ERR_NOT_FOUND when there is no such database. */
COFFER_MUST_CHECK enum coffer_err pg_org_db_drop(struct pg_pool *pool, const char *org_id);

#endif
