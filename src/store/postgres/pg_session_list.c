/* pg_session_list.c — a user's own sessions in the PostgreSQL system database (as the SQLite
 * store's session_list.c): the list they are shown, ending one or all the others, and a
 * re-authentication's new ticket.
 *
 * A session is named to its user by its public id, never by its token hash: a user can end
 * only their own, and an id of anyone else's is "not found", exactly like one that never was.
 */
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_people.h"

/* An optional text column COL into OUT (SIZE bytes): "" for NULL. */
static bool get_optional_text(const PGresult *r, int row, int col, char *out, size_t size)
{
	out[0] = '\0';
	return pg_get_null(r, row, col) || pg_get_text(r, row, col, out, size);
}

static enum coffer_err read_summary(const PGresult *r, int row, void *out)
{
	struct session_summary *v = out;
	memset(v, 0, sizeof *v);
	return pg_get_text(r, row, 0, v->public_id, sizeof v->public_id) &&
		       pg_get_int(r, row, 1, &v->created_at) &&
		       pg_get_int(r, row, 2, &v->last_seen) &&
		       get_optional_text(r, row, 3, v->address, sizeof v->address) &&
		       get_optional_text(r, row, 4, v->browser, sizeof v->browser)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_sessions_list(struct pg_store *st, const char *user_id, int64_t now,
				       int64_t idle_ttl, struct session_summary **out, size_t *n)
{
	/* A session a node of the version before added (while the schema moved on under it) has
	 * no public id yet: it gets one now, so that its user sees it and can end it. */
	enum coffer_err err = pg_sys_exec(st,
					  "UPDATE sessions SET public_id = gen_random_uuid()::text "
					  "WHERE user_id = $1 AND public_id IS NULL",
					  PG_ARGS(pg_text(user_id)));
	if (err != COFFER_OK)
		return err;
	struct session_summary *rows = calloc(STORE_SESSIONS_SHOWN, sizeof *rows);
	size_t got = 0;
	if (rows == NULL)
		return COFFER_ERR_NOMEM;
	/* Live as pg_store_session_get judges it; the id breaks ties of one second (any order
	 * will do, as long as it is stable). */
	err = pg_sys_rows(
	    st,
	    "SELECT s.public_id, s.created_at, s.last_seen, s.address, s.browser FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.user_id = $1 AND s.public_id IS NOT NULL "
	    "AND u.status = 'active' AND NOT u.reset_pending AND $2::bigint < s.expires_at "
	    "AND $2::bigint - s.last_seen <= $3::bigint "
	    "ORDER BY s.created_at DESC, s.public_id LIMIT $4",
	    PG_ARGS(pg_text(user_id), pg_int(now), pg_int(idle_ttl), pg_int(STORE_SESSIONS_SHOWN)),
	    read_summary, rows, sizeof *rows, STORE_SESSIONS_SHOWN, &got);
	if (err != COFFER_OK || got == 0) {
		free(rows);
		rows = NULL;
	}
	if (err == COFFER_OK) {
		*out = rows;
		*n = got;
	}
	return err;
}

enum coffer_err pg_store_session_end(struct pg_store *st, const char *user_id,
				     const char *public_id)
{
	return pg_sys_change(st, "DELETE FROM sessions WHERE user_id = $1 AND public_id = $2",
			     PG_ARGS(pg_text(user_id), pg_text(public_id)));
}

enum coffer_err pg_store_sessions_end_others(struct pg_store *st, const char *user_id,
					     const struct token_hash *keep, int64_t *ended)
{
	return pg_sys_row(st,
			  "WITH ended AS (DELETE FROM sessions WHERE user_id = $1 "
			  "AND token_hash <> $2 RETURNING 1) SELECT count(*) FROM ended",
			  PG_ARGS(pg_text(user_id), pg_bytea(keep->bytes, sizeof keep->bytes)),
			  people_read_int, ended);
}

enum coffer_err pg_store_session_reauthenticated(struct pg_store *st, const struct token_hash *h,
						 const uint8_t *ticket, size_t len,
						 uint64_t account_version, int64_t authenticated_at)
{
	return pg_sys_change(st,
			     "UPDATE sessions SET ticket = $1, account_version = $2, "
			     "authenticated_at = $3 WHERE token_hash = $4",
			     PG_ARGS(pg_bytea(ticket, len), pg_int((int64_t)account_version),
				     pg_int(authenticated_at),
				     pg_bytea(h->bytes, sizeof h->bytes)));
}
