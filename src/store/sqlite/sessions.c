/* sessions.c — login sessions in the embedded system database, so that every server of a
 * deployment sees a logout, a disabled user or a password change at once.
 *
 * A session is found only while its user is active, with no sign-in reset pending, and it is
 * inside both its absolute and its idle lifetime: the check is one SELECT joined with users, so
 * a session can never outlive the status of its user. Sessions past their absolute expiry are swept
 * when new ones are added (each is deleted once, so the work is proportional to the logins).
 */
#include <stdint.h>
#include <string.h>

#include "store/session_rules.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

/* A new session and the time it is added at. */
struct new_session {
	const struct session_record *s;
	size_t csrf_len;
	int64_t now;
};

/* Sweeps the sessions past their absolute expiry, then inserts the new one and records it as
 * its user's last sign-in. */
static enum coffer_err add_tx(sqlite3 *db, void *ctx)
{
	const struct new_session *n = ctx;
	const struct session_record *s = n->s;
	enum coffer_err err =
	    db_exec(db, "DELETE FROM sessions WHERE expires_at <= ?", DB_ARGS(db_int(n->now)));
	/* The ticket is an array: a zero-length BLOB when empty, never NULL. NOT_FOUND: no such
	 * user; EXISTS: the token is reused. */
	if (err == COFFER_OK)
		err = db_exec(db,
			      "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, "
			      "created_at, last_seen, expires_at, must_change_password, "
			      "account_version, public_id, address, browser, authenticated_at) "
			      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
			      DB_ARGS(db_blob(s->token.bytes, sizeof s->token.bytes),
				      db_text(s->user_id), db_text_n(s->csrf_token, n->csrf_len),
				      db_blob(s->ticket, s->ticket_len), db_int(s->created_at),
				      db_int(s->last_seen), db_int(s->expires_at),
				      db_int(s->must_change_password ? 1 : 0),
				      db_int((int64_t)s->account_version), db_text(s->public_id),
				      db_text_or_null(s->address), db_text_or_null(s->browser),
				      db_int(s->authenticated_at)));
	if (err == COFFER_OK)
		err = db_exec(db, "UPDATE users SET last_login_at = ? WHERE id = ?",
			      DB_ARGS(db_int(s->created_at), db_text(s->user_id)));
	return err;
}

enum coffer_err sqlite_store_session_add(struct sqlite_store *st, const struct session_record *s,
					 int64_t now)
{
	struct new_session n = {s, strnlen(s->csrf_token, sizeof s->csrf_token), now};
	if (!store_session_fits(s) || n.csrf_len == 0 || n.csrf_len > STORE_CSRF_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, add_tx, &n);
}

static enum coffer_err read_session(sqlite3_stmt *s, void *out)
{
	struct session_record *r = out;
	size_t ticket_len = 0;
	if (!db_column_blob_max(s, 2, r->ticket, sizeof r->ticket, &ticket_len))
		return COFFER_ERR_STORAGE;
	r->ticket_len = ticket_len;
	db_column_text(s, 0, r->user_id, sizeof r->user_id);
	db_column_text(s, 1, r->csrf_token, sizeof r->csrf_token);
	r->created_at = sqlite3_column_int64(s, 3);
	r->last_seen = sqlite3_column_int64(s, 4);
	r->expires_at = sqlite3_column_int64(s, 5);
	r->must_change_password = sqlite3_column_int(s, 6) != 0;
	r->account_version = (uint64_t)sqlite3_column_int64(s, 7);
	db_column_text(s, 8, r->public_id, sizeof r->public_id);
	r->authenticated_at = sqlite3_column_int64(s, 9);
	return COFFER_OK;
}

/* The live session of a token hash (?1) at ?2 with the idle lifetime ?3: its user active and
 * not in a sign-in reset. */
#define SESSION_SQL                                                                                \
	"SELECT s.user_id, s.csrf_token, s.ticket, s.created_at, s.last_seen, s.expires_at, "      \
	"s.must_change_password, s.account_version, coalesce(s.public_id, ''), "                   \
	"coalesce(s.authenticated_at, s.created_at) FROM sessions s "                              \
	"JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND u.status = 'active' "        \
	"AND u.reset_pending = 0 AND ?2 < s.expires_at AND ?2 - s.last_seen <= ?3"

enum coffer_err sqlite_store_session_get(struct sqlite_store *st, const struct token_hash *h,
					 int64_t now, int64_t idle_ttl, struct session_record *out)
{
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = sqlite_session_read(db, h, now, idle_ttl, out);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err sqlite_session_read(sqlite3 *db, const struct token_hash *h, int64_t now,
				    int64_t idle_ttl, struct session_record *out)
{
	enum coffer_err err =
	    db_row(db, SESSION_SQL,
		   DB_ARGS(db_blob(h->bytes, sizeof h->bytes), db_int(now), db_int(idle_ttl)),
		   read_session, out);
	if (err == COFFER_OK)
		out->token = *h;
	return err;
}

enum coffer_err sqlite_store_sessions_open(struct sqlite_store *st, int64_t now, int64_t idle_ttl,
					   int64_t *out)
{
	return db_pool_row(&st->pool,
			   "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
			   "WHERE u.status = 'active' AND u.reset_pending = 0 "
			   "AND ?1 < s.expires_at AND ?1 - s.last_seen <= ?2",
			   DB_ARGS(db_int(now), db_int(idle_ttl)), db_read_int64, out);
}

enum coffer_err sqlite_store_session_set_ticket(struct sqlite_store *st, const struct token_hash *h,
						const uint8_t *ticket, size_t len,
						uint64_t account_version)
{
	if ((ticket == NULL && len > 0) || len > STORE_TICKET_MAX || account_version > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* A zero-length ticket is stored as an empty BLOB, as sqlite_store_session_add does. */
	static const uint8_t none[1];
	return db_pool_change(&st->pool,
			      "UPDATE sessions SET ticket = ?, account_version = ? "
			      "WHERE token_hash = ?",
			      DB_ARGS(db_blob(len > 0 ? ticket : none, len),
				      db_int((int64_t)account_version),
				      db_blob(h->bytes, sizeof h->bytes)));
}

enum coffer_err sqlite_store_session_touch(struct sqlite_store *st, const struct token_hash *h,
					   int64_t now)
{
	/* max(): two servers touching at once with clocks a little apart never move it back. */
	return db_pool_change(
	    &st->pool, "UPDATE sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?",
	    DB_ARGS(db_int(now), db_blob(h->bytes, sizeof h->bytes)));
}

enum coffer_err sqlite_store_session_delete(struct sqlite_store *st, const struct token_hash *h)
{
	return db_pool_exec(&st->pool, "DELETE FROM sessions WHERE token_hash = ?",
			    DB_ARGS(db_blob(h->bytes, sizeof h->bytes)));
}
