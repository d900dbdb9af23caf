/* pg_sessions.c — login sessions in the PostgreSQL system database (as the SQLite store's
 * sessions.c), so that every node sees a logout, a disabled user or a password change at once.
 *
 * A session is found only while its user is active, with no sign-in reset pending, and it is
 * inside both its absolute and its idle lifetime: the check is one SELECT joined with users, on
 * every request, outside any transaction, so a session can never outlive the status of its
 * user. Sessions past their absolute expiry are swept when new ones are added. */
#include "store/postgres/pg_people.h"
#include "store/session_rules.h"

/* A new session, the length of its CSRF token, and the time it is added at. */
struct new_session {
	const struct session_record *s;
	size_t csrf_len;
	int64_t now;
};

/* Sweeps the sessions past their absolute expiry, then inserts the new one and records it as
 * its user's last sign-in. The sweep skips rows another transaction holds (another node's
 * sweep, a touch): they are that one's to delete, or the next sweep's, and two sweeps never
 * wait for each other or deadlock. */
static enum coffer_err add_tx(struct pg_conn *c, void *ctx)
{
	const struct new_session *n = ctx;
	const struct session_record *s = n->s;
	enum coffer_err err =
	    pg_exec(c,
		    "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions "
		    "WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)",
		    PG_ARGS(pg_int(n->now)));
	/* The ticket is a bytea: empty when there is none, never NULL. NOT_FOUND: no such user
	 * (the foreign key); EXISTS: the token is reused. */
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, "
			      "created_at, last_seen, expires_at, must_change_password, "
			      "account_version, public_id, address, browser, authenticated_at) "
			      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
			      PG_ARGS(pg_bytea(s->token.bytes, sizeof s->token.bytes),
				      pg_text(s->user_id), pg_text_n(s->csrf_token, n->csrf_len),
				      pg_bytea(s->ticket, s->ticket_len), pg_int(s->created_at),
				      pg_int(s->last_seen), pg_int(s->expires_at),
				      pg_int(s->must_change_password ? 1 : 0),
				      pg_int((int64_t)s->account_version), pg_text(s->public_id),
				      s->address[0] != '\0' ? pg_text(s->address) : pg_null(),
				      s->browser[0] != '\0' ? pg_text(s->browser) : pg_null(),
				      pg_int(s->authenticated_at)));
	if (err == COFFER_OK)
		err = pg_exec(c, "UPDATE users SET last_login_at = $1 WHERE id = $2",
			      PG_ARGS(pg_int(s->created_at), pg_text(s->user_id)));
	return err;
}

enum coffer_err pg_store_session_add(struct pg_store *st, const struct session_record *s,
				     int64_t now)
{
	struct new_session n = {s, strnlen(s->csrf_token, sizeof s->csrf_token), now};
	if (!store_session_fits(s) || n.csrf_len == 0 || n.csrf_len > STORE_CSRF_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, add_tx, &n);
}

enum coffer_err pg_session_read_at(const PGresult *r, int row, int base, struct session_record *v)
{
	int64_t must_change = 0, account_version = 0;
	size_t ticket_len = 0;
	if (!pg_get_text(r, row, base, v->user_id, sizeof v->user_id) ||
	    !pg_get_text(r, row, base + 1, v->csrf_token, sizeof v->csrf_token) ||
	    !pg_get_bytea_max(r, row, base + 2, v->ticket, sizeof v->ticket, &ticket_len) ||
	    !pg_get_int(r, row, base + 3, &v->created_at) ||
	    !pg_get_int(r, row, base + 4, &v->last_seen) ||
	    !pg_get_int(r, row, base + 5, &v->expires_at) ||
	    !pg_get_int(r, row, base + 6, &must_change) ||
	    !pg_get_int(r, row, base + 7, &account_version) || account_version < 0 ||
	    !pg_get_text(r, row, base + 8, v->public_id, sizeof v->public_id) ||
	    !pg_get_int(r, row, base + 9, &v->authenticated_at))
		return COFFER_ERR_STORAGE;
	v->ticket_len = ticket_len;
	v->must_change_password = must_change != 0;
	v->account_version = (uint64_t)account_version;
	return COFFER_OK;
}

static enum coffer_err read_session(const PGresult *r, int row, void *out)
{
	return pg_session_read_at(r, row, 0, out);
}

enum coffer_err pg_store_session_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				     int64_t idle_ttl, struct session_record *out)
{
	enum coffer_err err = pg_sys_row(
	    st,
	    "SELECT " PG_SESSION_COLUMNS " FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE " PG_SESSION_LIVE,
	    PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes), pg_int(now), pg_int(idle_ttl)),
	    read_session, out);
	if (err == COFFER_OK)
		out->token = *h;
	return err;
}

enum coffer_err pg_store_sessions_open(struct pg_store *st, int64_t now, int64_t idle_ttl,
				       int64_t *out)
{
	return pg_sys_row(
	    st,
	    "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE u.status = 'active' AND NOT u.reset_pending "
	    "AND $1::bigint < s.expires_at AND $1::bigint - s.last_seen <= $2::bigint",
	    PG_ARGS(pg_int(now), pg_int(idle_ttl)), people_read_int, out);
}

enum coffer_err pg_store_session_set_ticket(struct pg_store *st, const struct token_hash *h,
					    const uint8_t *ticket, size_t len,
					    uint64_t account_version)
{
	if ((ticket == NULL && len > 0) || len > STORE_TICKET_MAX || account_version > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* A zero-length ticket is stored as an empty bytea, as pg_store_session_add does. */
	return pg_sys_change(st,
			     "UPDATE sessions SET ticket = $1, account_version = $2 "
			     "WHERE token_hash = $3",
			     PG_ARGS(pg_bytea(ticket, len), pg_int((int64_t)account_version),
				     pg_bytea(h->bytes, sizeof h->bytes)));
}

enum coffer_err pg_store_session_touch(struct pg_store *st, const struct token_hash *h, int64_t now)
{
	/* GREATEST: two nodes touching at once with clocks a little apart never move it back. */
	return pg_sys_change(
	    st,
	    "UPDATE sessions SET last_seen = GREATEST(last_seen, $1::bigint) WHERE token_hash = $2",
	    PG_ARGS(pg_int(now), pg_bytea(h->bytes, sizeof h->bytes)));
}

enum coffer_err pg_store_session_delete(struct pg_store *st, const struct token_hash *h)
{
	return pg_sys_exec(st, "DELETE FROM sessions WHERE token_hash = $1",
			   PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes)));
}
