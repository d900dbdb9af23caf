/* pg_invites.c — invitations in the PostgreSQL system database, under the hash of their token
 * (as the SQLite store's system.c). Accepting one is the people's concern (users). */
#include "store/postgres/pg_store_db.h"

/* S as text, or NULL when S is "" (an optional column). */
static struct pg_arg text_or_null(const char *s)
{
	return s[0] == '\0' ? pg_null() : pg_text(s);
}

enum coffer_err pg_store_invite_add(struct pg_store *st, const struct token_hash *h,
				    const struct invite_record *inv)
{
	if (inv->sealed_len > sizeof inv->sealed || !PG_FIELD_TERMINATED(inv->email) ||
	    !PG_FIELD_TERMINATED(inv->role) || !PG_FIELD_TERMINATED(inv->org_id) ||
	    !PG_FIELD_TERMINATED(inv->clearance) || !PG_FIELD_TERMINATED(inv->created_by))
		return COFFER_ERR_INVALID_INPUT;
	/* EXISTS: the token's hash is taken. */
	return pg_sys_exec(
	    st,
	    "INSERT INTO invites (token_hash, email, role, org_id, clearance, created_at, "
	    "expires_at, sealed, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	    PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes), pg_text(inv->email), pg_text(inv->role),
		    text_or_null(inv->org_id), text_or_null(inv->clearance),
		    pg_int(inv->created_at), pg_int(inv->expires_at),
		    inv->sealed_len > 0 ? pg_bytea(inv->sealed, inv->sealed_len) : pg_null(),
		    text_or_null(inv->created_by)));
}

/* A text column into OUT (SIZE bytes), "" for NULL. */
static bool text_or_empty(const PGresult *r, int row, int col, char *out, size_t size)
{
	if (pg_get_null(r, row, col)) {
		out[0] = '\0';
		return true;
	}
	return pg_get_text(r, row, col, out, size);
}

/* email, role, org_id, clearance, created_at, expires_at, sealed, created_by, user_id */
static enum coffer_err read_invite(const PGresult *r, int row, void *out)
{
	struct invite_record *v = out;
	memset(v, 0, sizeof *v);
	bool ok = pg_get_text(r, row, 0, v->email, sizeof v->email) &&
		  pg_get_text(r, row, 1, v->role, sizeof v->role) &&
		  text_or_empty(r, row, 2, v->org_id, sizeof v->org_id) &&
		  text_or_empty(r, row, 3, v->clearance, sizeof v->clearance) &&
		  pg_get_int(r, row, 4, &v->created_at) && pg_get_int(r, row, 5, &v->expires_at) &&
		  text_or_empty(r, row, 7, v->created_by, sizeof v->created_by) &&
		  text_or_empty(r, row, 8, v->user_id, sizeof v->user_id);
	if (ok && !pg_get_null(r, row, 6)) /* NULL: no seal, sealed_len 0 */
		ok = pg_get_bytea_max(r, row, 6, v->sealed, sizeof v->sealed, &v->sealed_len);
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_invite_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				    struct invite_record *out)
{
	struct invite_record r; /* OUT changes only on success */
	enum coffer_err err =
	    pg_sys_row(st,
		       "SELECT email, role, org_id, clearance, created_at, expires_at, sealed, "
		       "created_by, user_id FROM invites WHERE token_hash = $1 "
		       "AND used_at IS NULL AND expires_at > $2",
		       PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes), pg_int(now)), read_invite, &r);
	if (err == COFFER_OK)
		*out = r;
	return err;
}
