/* pg_resets.c — sign-in resets in the PostgreSQL system database: an org_admin resets a
 * member's password and TOTP; the member chooses new ones through the link sent to them (as
 * the SQLite store's resets.c).
 *
 * Design points:
 * - Adding a reset ends every session of the member and marks the member reset_pending in the
 *   same transaction, and the session look-up finds no session of such a user: nobody holding
 *   the old password or a stolen session keeps working while the reset is under way.
 * - A member has at most one usable reset: adding one uses up the older ones. Adding checks
 *   the membership and completing checks the reset (unused, unexpired) before writing, so both
 *   take PG_LOCK_PEOPLE first: two resets added at once leave one usable, a reset cannot be
 *   added for a membership being removed, and a token completes once across every node.
 * - Staging is one UPDATE whose WHERE is the check.
 * - Completing goes through pg_user_account_replace, so every ticket from before is stale.
 */
#include <string.h>

#include "common/uuid.h"
#include "store/postgres/pg_people.h"

/* A reset being added or completed: its hash H at NOW, the record (add) or the account and
 * TOTP step (confirm). */
struct reset_op {
	const struct token_hash *h;
	int64_t now;
	const struct reset_record *r;
	const uint8_t *account;
	size_t account_len;
	int64_t totp_last_step;
};

static struct pg_arg hash_arg(const struct token_hash *h)
{
	return pg_bytea(h->bytes, sizeof h->bytes);
}

static enum coffer_err add_tx(struct pg_conn *c, void *ctx)
{
	const struct reset_op *op = ctx;
	const struct reset_record *r = op->r;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	/* NOT_FOUND: no such membership, or its user is still invited. */
	if (err == COFFER_OK)
		err = pg_row(c,
			     "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id "
			     "WHERE m.user_id = $1 AND m.org_id = $2 AND u.status <> 'invited'",
			     PG_ARGS(pg_text(r->user_id), pg_text(r->org_id)), people_read_none,
			     NULL);
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE resets SET used_at = $1, pending_account = NULL "
			      "WHERE user_id = $2 AND used_at IS NULL",
			      PG_ARGS(pg_int(op->now), pg_text(r->user_id)));
	if (err == COFFER_OK)
		err =
		    pg_exec(c,
			    "INSERT INTO resets (token_hash, user_id, org_id, sealed, created_by, "
			    "created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
			    PG_ARGS(hash_arg(op->h), pg_text(r->user_id), pg_text(r->org_id),
				    pg_bytea(r->sealed, r->sealed_len), pg_text(r->created_by),
				    pg_int(r->created_at), pg_int(r->expires_at)));
	if (err == COFFER_OK)
		err = pg_exec(
		    c, "UPDATE users SET reset_pending = true, updated_at = $1 WHERE id = $2",
		    PG_ARGS(pg_int(op->now), pg_text(r->user_id)));
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM sessions WHERE user_id = $1",
			      PG_ARGS(pg_text(r->user_id)));
	return err;
}

enum coffer_err pg_store_reset_add(struct pg_store *st, const struct token_hash *h,
				   const struct reset_record *r, int64_t now)
{
	struct reset_op op = {.h = h, .now = now, .r = r};
	if (r->sealed_len == 0 || r->sealed_len > sizeof r->sealed || !uuid_valid(r->user_id) ||
	    !uuid_valid(r->org_id) || !uuid_valid(r->created_by) || r->expires_at <= r->created_at)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, add_tx, &op);
}

static enum coffer_err read_reset(const PGresult *res, int row, void *out)
{
	struct reset_record *r = out;
	memset(r, 0, sizeof *r);
	bool ok = pg_get_text(res, row, 0, r->user_id, sizeof r->user_id) &&
		  pg_get_text(res, row, 1, r->org_id, sizeof r->org_id) &&
		  pg_get_text(res, row, 2, r->email, sizeof r->email) &&
		  pg_get_text(res, row, 3, r->created_by, sizeof r->created_by) &&
		  pg_get_int(res, row, 4, &r->created_at) &&
		  pg_get_int(res, row, 5, &r->expires_at) &&
		  pg_get_bytea_max(res, row, 6, r->sealed, sizeof r->sealed, &r->sealed_len);
	/* No pending account: pending_len 0. */
	if (ok && !pg_get_null(res, row, 7))
		ok = pg_get_bytea_max(res, row, 7, r->pending_account, sizeof r->pending_account,
				      &r->pending_len);
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_reset_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				   struct reset_record *out)
{
	struct reset_record r; /* OUT changes only on success */
	enum coffer_err err = pg_sys_row(st,
					 "SELECT r.user_id, r.org_id, u.email, r.created_by, "
					 "r.created_at, r.expires_at, r.sealed, r.pending_account "
					 "FROM resets r JOIN users u ON u.id = r.user_id "
					 "WHERE r.token_hash = $1 AND r.used_at IS NULL "
					 "AND r.expires_at > $2",
					 PG_ARGS(hash_arg(h), pg_int(now)), read_reset, &r);
	if (err == COFFER_OK)
		*out = r;
	return err;
}

enum coffer_err pg_store_reset_stage(struct pg_store *st, const struct token_hash *h,
				     const uint8_t *account, size_t account_len, int64_t now)
{
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_change(st,
			     "UPDATE resets SET pending_account = $1 WHERE token_hash = $2 "
			     "AND used_at IS NULL AND expires_at > $3",
			     PG_ARGS(pg_bytea(account, account_len), hash_arg(h), pg_int(now)));
}

static enum coffer_err read_user_id(const PGresult *r, int row, void *out)
{
	return pg_get_text(r, row, 0, out, STORE_ID_MAX + 1) ? COFFER_OK : COFFER_ERR_STORAGE;
}

static enum coffer_err confirm_tx(struct pg_conn *c, void *ctx)
{
	const struct reset_op *op = ctx;
	char user_id[STORE_ID_MAX + 1];
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = pg_row(c,
			     "SELECT user_id FROM resets WHERE token_hash = $1 "
			     "AND used_at IS NULL AND expires_at > $2",
			     PG_ARGS(hash_arg(op->h), pg_int(op->now)), read_user_id, user_id);
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, user_id, op->account, op->account_len, true,
					      op->now);
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE users SET totp_last_step = $1, reset_pending = false "
			      "WHERE id = $2",
			      PG_ARGS(pg_int(op->totp_last_step), pg_text(user_id)));
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE resets SET used_at = $1, pending_account = NULL "
			      "WHERE token_hash = $2",
			      PG_ARGS(pg_int(op->now), hash_arg(op->h)));
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM sessions WHERE user_id = $1",
			      PG_ARGS(pg_text(user_id)));
	return err;
}

enum coffer_err pg_store_reset_confirm(struct pg_store *st, const struct token_hash *h,
				       const uint8_t *account, size_t account_len,
				       int64_t totp_last_step, int64_t now)
{
	struct reset_op op = {.h = h,
			      .now = now,
			      .account = account,
			      .account_len = account_len,
			      .totp_last_step = totp_last_step};
	if (!user_account_ok(account, account_len) || totp_last_step < -1)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, confirm_tx, &op);
}
