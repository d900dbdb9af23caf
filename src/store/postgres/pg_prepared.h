/* pg_prepared.h — the statements a connection has prepared (PQprepare), so that each of the
 * store's statements is parsed and planned once per connection rather than at every call.
 *
 * The store's SQL texts are constants, a few hundred in all; each connection keeps up to
 * PG_PREPARED_MAX of them, keyed by their text (never by pointer: two copies of one text are
 * one statement), named "c1", "c2", … A statement's parameter types are fixed when it is
 * prepared, from its first call: the store always passes the same kinds to the same text.
 * Only SELECT, INSERT, UPDATE, DELETE and WITH are prepared; anything else (transaction control,
 * DDL, which the server may refuse to prepare) runs as before, unnamed.
 *
 * Named prepared statements live in the server session: behind pgbouncer in transaction mode
 * before 1.21 they are lost between transactions, so coffer.conf's pg_prepared_statements =
 * off turns this off (docs/STORAGE.md). A cache belongs to one connection (its serial): when the
 * pool replaces the connection, the cache is emptied before its next use. */
#ifndef COFFER_PG_PREPARED_H
#define COFFER_PG_PREPARED_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/err.h"

#define PG_PREPARED_MAX 512

struct pg_conn;

/* Sets NAME to SQL's statement name on C, preparing it (with the N parameter TYPES) first if
 * this connection has not; *USE false when SQL is not to be prepared (its kind, or the cache
 * is full): run it unnamed then. An error is the PQprepare's, mapped as any statement's. */
COFFER_MUST_CHECK enum coffer_err pg_prepared_name(struct pg_conn *c, const char *sql, int n,
						   const Oid *types, char name[16], bool *use);

/* Frees C's cache (the pool, when it closes). */
void pg_prepared_free(struct pg_conn *c);

#endif
