/* sessions.c — login sessions in the embedded system database, so that every server of a
 * deployment sees a logout, a disabled user or a password change at once.
 *
 * A session is found only while its user is active and it is inside both its absolute and its
 * idle lifetime: the check is one SELECT joined with users, so a session can never outlive the
 * status of its user. Sessions past their absolute expiry are swept when new ones are added
 * (each is deleted once, so the work is proportional to the logins).
 */
#include <string.h>

#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

enum coffer_err store_session_add(struct store *st, const struct session_record *s, int64_t now)
{
	size_t csrf_len = strnlen(s->csrf_token, sizeof s->csrf_token);
	if (csrf_len == 0 || csrf_len > STORE_CSRF_MAX || s->ticket_len > STORE_TICKET_MAX ||
	    strnlen(s->user_id, sizeof s->user_id) != STORE_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *sweep = NULL, *ins = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db, "DELETE FROM sessions WHERE expires_at <= ?", &sweep);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(sweep, 1, now);
		err = db_step_done(sweep);
	}
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, "
				 "created_at, last_seen, expires_at, must_change_password) "
				 "VALUES (?,?,?,?,?,?,?,?)",
				 &ins);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(ins, 1, s->token.bytes, sizeof s->token.bytes, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, s->user_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, s->csrf_token, (int)csrf_len, SQLITE_STATIC);
		/* A non-NULL pointer even for an empty ticket: a zero-length BLOB, not NULL. */
		sqlite3_bind_blob(ins, 4, s->ticket, (int)s->ticket_len, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 5, s->created_at);
		sqlite3_bind_int64(ins, 6, s->last_seen);
		sqlite3_bind_int64(ins, 7, s->expires_at);
		sqlite3_bind_int(ins, 8, s->must_change_password ? 1 : 0);
		err = db_step_done(ins); /* NOT_FOUND: no such user; EXISTS: token reused */
	}
	db_finish(sweep);
	db_finish(ins);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_session_get(struct store *st, const struct token_hash *h, int64_t now,
				  int64_t idle_ttl, struct session_record *out)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(
	    db,
	    "SELECT s.user_id, s.csrf_token, s.ticket, s.created_at, s.last_seen, s.expires_at, "
	    "s.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.token_hash = ?1 AND u.status = 'active' AND ?2 < s.expires_at "
	    "AND ?2 - s.last_seen <= ?3",
	    &s);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(s, 1, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, idle_ttl);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			err = COFFER_ERR_NOT_FOUND;
		else if (rc != SQLITE_ROW)
			err = db_err(rc);
	}
	if (err == COFFER_OK) {
		size_t ticket_len = 0;
		if (!db_column_blob_max(s, 2, out->ticket, sizeof out->ticket, &ticket_len)) {
			err = COFFER_ERR_STORAGE;
		} else {
			out->token = *h;
			out->ticket_len = ticket_len;
			db_column_text(s, 0, out->user_id, sizeof out->user_id);
			db_column_text(s, 1, out->csrf_token, sizeof out->csrf_token);
			out->created_at = sqlite3_column_int64(s, 3);
			out->last_seen = sqlite3_column_int64(s, 4);
			out->expires_at = sqlite3_column_int64(s, 5);
			out->must_change_password = sqlite3_column_int(s, 6) != 0;
		}
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_session_touch(struct store *st, const struct token_hash *h, int64_t now)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	/* max(): two servers touching at once with clocks a little apart never move it back. */
	enum coffer_err err = db_prepare(
	    db, "UPDATE sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_blob(s, 2, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		err = db_step_done(s);
		if (err == COFFER_OK && sqlite3_changes(db) != 1)
			err = COFFER_ERR_NOT_FOUND;
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_session_delete(struct store *st, const struct token_hash *h)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, "DELETE FROM sessions WHERE token_hash = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(s, 1, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	db_pool_put(&st->pool, db);
	return err;
}
