/* pg_err.c — SQLSTATEs to coffer's errors. */
#include "store/postgres/pg_err.h"

#include <stdbool.h>
#include <string.h>

static bool is(const char *sqlstate, const char *code)
{
	return strcmp(sqlstate, code) == 0;
}

static bool in_class(const char *sqlstate, const char *cls)
{
	return strncmp(sqlstate, cls, 2) == 0;
}

enum coffer_err pg_err_sqlstate(const char *sqlstate)
{
	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return COFFER_ERR_STORAGE;
	if (is(sqlstate, "23505") || is(sqlstate, "42P04"))
		return COFFER_ERR_EXISTS;
	if (is(sqlstate, "23503") || is(sqlstate, "3D000"))
		return COFFER_ERR_NOT_FOUND;
	if (in_class(sqlstate, "23") || in_class(sqlstate, "22"))
		return COFFER_ERR_INVALID_INPUT;
	if (is(sqlstate, "40001") || is(sqlstate, "40P01") || is(sqlstate, "55P03") ||
	    is(sqlstate, "57014") || is(sqlstate, "25006") || is(sqlstate, "57P01") ||
	    is(sqlstate, "57P02") || is(sqlstate, "57P03") || in_class(sqlstate, "08") ||
	    in_class(sqlstate, "53"))
		return COFFER_ERR_UNAVAILABLE;
	return COFFER_ERR_STORAGE;
}

enum coffer_err pg_err_result(PGconn *conn, const PGresult *res)
{
	if (res != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			return COFFER_OK;
	}
	/* A lost connection first: the server's last words (57P01 on a fast shutdown) or none. */
	if (res == NULL || PQstatus(conn) != CONNECTION_OK)
		return COFFER_ERR_UNAVAILABLE;
	/* Every error the server sends has a SQLSTATE; one without comes from libpq itself (the
	 * connection failing under it, seen before libpq marks it bad), never from the
	 * statement. */
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (sqlstate == NULL)
		return COFFER_ERR_UNAVAILABLE;
	return pg_err_sqlstate(sqlstate);
}
