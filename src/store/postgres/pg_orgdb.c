/* pg_orgdb.c — creating and dropping an organisation's database.
 *
 * CREATE DATABASE and DROP DATABASE take an identifier, which cannot be a parameter: the name
 * is made only from an id that uuid_valid accepted (hex digits), and is still quoted with
 * PQescapeIdentifier, so the SQL is right whatever the name holds. Neither statement may run
 * inside a transaction: each is sent alone, on a connection to the system database. */
#include "store/postgres/pg_orgdb.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/uuid.h"
#include "store/postgres/pg_query.h"

enum coffer_err pg_org_db_name(const char *org_id, char out[PG_ORG_DB_NAME_LEN + 1])
{
	if (!uuid_valid(org_id))
		return COFFER_ERR_INVALID_INPUT;
	size_t n = 0;
	memcpy(out, "coffer_org_", 11);
	n = 11;
	for (const char *p = org_id; *p != '\0'; p++) {
		if (*p != '-')
			out[n++] = *p;
	}
	out[n] = '\0';
	return COFFER_OK;
}

/* Runs "PREFIX "name" SUFFIX" on a system-database connection. */
static enum coffer_err run_on_name(struct pg_conn *c, const char *prefix, const char *name,
				   const char *suffix)
{
	char *quoted = PQescapeIdentifier(c->pq, name, strlen(name));
	if (quoted == NULL)
		return COFFER_ERR_NOMEM;
	char sql[256];
	int len = snprintf(sql, sizeof sql, "%s%s%s", prefix, quoted, suffix);
	PQfreemem(quoted);
	if (len < 0 || (size_t)len >= sizeof sql)
		return COFFER_ERR_INTERNAL;
	return pg_exec(c, sql, PG_NO_ARGS);
}

enum coffer_err pg_org_db_create(struct pg_pool *pool, const char *org_id)
{
	char name[PG_ORG_DB_NAME_LEN + 1];
	enum coffer_err err = pg_org_db_name(org_id, name);
	if (err != COFFER_OK)
		return err;
	struct pg_conn *c = NULL;
	err = pg_pool_get(pool, NULL, &c);
	if (err != COFFER_OK)
		return err;
	/* template0 and the C locale: the same database on every server, whatever the
	 * cluster's defaults, and indexes that no operating-system locale update reorders. */
	err = run_on_name(c, "CREATE DATABASE ", name,
			  " TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'");
	if (err == COFFER_OK) {
		/* New databases let every role connect (PUBLIC has CONNECT and TEMP): only
		 * coffer's role, the owner, may. Without that the database is not kept. */
		err = run_on_name(c, "REVOKE ALL ON DATABASE ", name, " FROM PUBLIC");
		if (err != COFFER_OK &&
		    run_on_name(c, "DROP DATABASE ", name, " WITH (FORCE)") != COFFER_OK)
			log_msg(LOG_ERROR, "pg", "database %s left without its REVOKE", name);
	}
	pg_pool_put(pool, c);
	return err;
}

enum coffer_err pg_org_db_drop(struct pg_pool *pool, const char *org_id)
{
	char name[PG_ORG_DB_NAME_LEN + 1];
	enum coffer_err err = pg_org_db_name(org_id, name);
	if (err != COFFER_OK)
		return err;
	pg_pool_retire_db(pool, name);
	struct pg_conn *c = NULL;
	err = pg_pool_get(pool, NULL, &c);
	if (err != COFFER_OK)
		return err;
	err = run_on_name(c, "DROP DATABASE ", name, " WITH (FORCE)");
	pg_pool_put(pool, c);
	return err;
}
