/* pg_err.h — PostgreSQL's errors as coffer's: SQLSTATEs (the five-character codes of the
 * server's error reports, PostgreSQL's manual appendix A) mapped to enum coffer_err, the same
 * kinds as the SQLite store's db_err, so that the layers above cannot tell the engines apart. */
#ifndef COFFER_PG_ERR_H
#define COFFER_PG_ERR_H

#include <libpq-fe.h>

#include "common/err.h"

/* Maps SQLSTATE (NULL when the failure has none, e.g. libpq's own connection errors):
 * - 23505 unique_violation, 42P04 duplicate_database          → COFFER_ERR_EXISTS
 * - 23503 foreign_key_violation, 3D000 no such database        → COFFER_ERR_NOT_FOUND
 * - the rest of class 23 (check, not null, exclusion) and
 *   class 22 (data exceptions: bad encoding, value too long)    → COFFER_ERR_INVALID_INPUT
 * - 40001 serialization_failure, 40P01 deadlock_detected,
 *   55P03 lock_not_available, 57014 query_canceled (statement
 *   timeout), 25006 read_only_sql_transaction (a standby after
 *   a failover), class 08 (connection), class 53 (insufficient
 *   resources, e.g. too many connections), 57P01..57P03
 *   (administrator or crash shutdown, cannot connect now)       → COFFER_ERR_UNAVAILABLE
 * - anything else, and NULL                                    → COFFER_ERR_STORAGE
 * UNAVAILABLE means: nothing was done, try again later (HTTP 503); a transaction that failed
 * with 40001 or 40P01 can be retried from its start. */
enum coffer_err pg_err_sqlstate(const char *sqlstate);

/* The error of RES (a PQexecParams result) on CONN: COFFER_OK for a command or rows, else
 * the SQLSTATE's mapping; COFFER_ERR_UNAVAILABLE whenever the connection is lost (a NULL
 * result, or CONN no longer CONNECTION_OK), whatever the code says. */
enum coffer_err pg_err_result(PGconn *conn, const PGresult *res);

#endif
