/* session_list.c — a user's own sessions in the embedded system database: the list they are
 * shown (GET /api/v1/me/sessions), ending one or all the others, and a re-authentication's new
 * ticket (store.h).
 *
 * A session is named to its user by its public id, never by its token hash: a user can end
 * only their own, and an id of anyone else's is "not found", exactly like one that never was.
 */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static enum coffer_err read_summary(sqlite3_stmt *s, void *out)
{
	struct session_summary *r = out;
	memset(r, 0, sizeof *r);
	db_column_text(s, 0, r->public_id, sizeof r->public_id);
	r->created_at = sqlite3_column_int64(s, 1);
	r->last_seen = sqlite3_column_int64(s, 2);
	db_column_text(s, 3, r->address, sizeof r->address);
	db_column_text(s, 4, r->browser, sizeof r->browser);
	return COFFER_OK;
}

enum coffer_err sqlite_store_sessions_list(struct sqlite_store *st, const char *user_id,
					   int64_t now, int64_t idle_ttl,
					   struct session_summary **out, size_t *n)
{
	struct session_summary *rows = calloc(STORE_SESSIONS_SHOWN, sizeof *rows);
	size_t got = 0;
	if (rows == NULL)
		return COFFER_ERR_NOMEM;
	/* Live as store_session_get judges it; the rowid breaks ties of one second, newest
	 * first. */
	enum coffer_err err = db_pool_rows(
	    &st->pool,
	    "SELECT s.public_id, s.created_at, s.last_seen, s.address, s.browser FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.user_id = ?1 AND s.public_id IS NOT NULL "
	    "AND u.status = 'active' AND u.reset_pending = 0 AND ?2 < s.expires_at "
	    "AND ?2 - s.last_seen <= ?3 ORDER BY s.created_at DESC, s.rowid DESC LIMIT ?4",
	    DB_ARGS(db_text(user_id), db_int(now), db_int(idle_ttl), db_int(STORE_SESSIONS_SHOWN)),
	    read_summary, DB_ITEMS(rows, STORE_SESSIONS_SHOWN), &got, NULL);
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

enum coffer_err sqlite_store_session_end(struct sqlite_store *st, const char *user_id,
					 const char *public_id)
{
	return db_pool_change(&st->pool, "DELETE FROM sessions WHERE user_id = ? AND public_id = ?",
			      DB_ARGS(db_text(user_id), db_text(public_id)));
}

/* Ending every session of a user but one, and counting them. */
struct end_others {
	const char *user_id;
	const struct token_hash *keep;
	int64_t ended;
};

static enum coffer_err end_others_tx(sqlite3 *db, void *ctx)
{
	struct end_others *e = ctx;
	enum coffer_err err =
	    db_exec(db, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
		    DB_ARGS(db_text(e->user_id), db_blob(e->keep->bytes, sizeof e->keep->bytes)));
	if (err == COFFER_OK)
		e->ended = sqlite3_changes64(db);
	return err;
}

enum coffer_err sqlite_store_sessions_end_others(struct sqlite_store *st, const char *user_id,
						 const struct token_hash *keep, int64_t *ended)
{
	struct end_others e = {user_id, keep, 0};
	enum coffer_err err = db_pool_write(&st->pool, end_others_tx, &e);
	if (err == COFFER_OK)
		*ended = e.ended;
	return err;
}

enum coffer_err sqlite_store_session_reauthenticated(struct sqlite_store *st,
						     const struct token_hash *h,
						     const uint8_t *ticket, size_t len,
						     uint64_t account_version,
						     int64_t authenticated_at)
{
	return db_pool_change(&st->pool,
			      "UPDATE sessions SET ticket = ?, account_version = ?, "
			      "authenticated_at = ? WHERE token_hash = ?",
			      DB_ARGS(db_blob(ticket, len), db_int((int64_t)account_version),
				      db_int(authenticated_at),
				      db_blob(h->bytes, sizeof h->bytes)));
}
