/* resets.c — sign-in resets in the embedded system database: an org_admin resets a member's
 * password and TOTP; the member chooses new ones through the link sent to them.
 *
 * Design points:
 * - Adding a reset ends every session of the member and marks the member reset_pending in the
 *   same transaction, and sqlite_store_session_get finds no session of such a user: nobody holding
 *   the old password or a stolen session keeps working while the reset is under way.
 * - A member has at most one usable reset: adding one uses up the older ones.
 * - Completing a reset checks it (unused, unexpired) in the write transaction that replaces the
 *   account, so a token completes once; the account goes through user_account_replace, so
 *   every ticket from before is stale.
 */
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

/* A reset being added, staged or completed: its hash H at NOW, the record (add) or the
 * account and TOTP step (stage, confirm). */
struct reset_op {
	const struct token_hash *h;
	int64_t now;
	const struct reset_record *r;
	const uint8_t *account;
	size_t account_len;
	int64_t totp_last_step;
};

static enum coffer_err add_tx(sqlite3 *db, void *ctx)
{
	const struct reset_op *op = ctx;
	const struct reset_record *r = op->r;
	/* NOT_FOUND: no such membership, or its user is still invited. */
	enum coffer_err err =
	    db_row(db,
		   "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id "
		   "WHERE m.user_id = ? AND m.org_id = ? AND u.status <> 'invited'",
		   DB_ARGS(db_text(r->user_id), db_text(r->org_id)), NULL, NULL);
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE resets SET used_at = ?, pending_account = NULL "
			      "WHERE user_id = ? AND used_at IS NULL",
			      DB_ARGS(db_int(op->now), db_text(r->user_id)));
	if (err == COFFER_OK)
		err = db_exec(
		    db,
		    "INSERT INTO resets (token_hash, user_id, org_id, sealed, created_by, "
		    "created_at, expires_at) VALUES (?,?,?,?,?,?,?)",
		    DB_ARGS(db_blob(op->h->bytes, sizeof op->h->bytes), db_text(r->user_id),
			    db_text(r->org_id), db_blob(r->sealed, r->sealed_len),
			    db_text(r->created_by), db_int(r->created_at), db_int(r->expires_at)));
	if (err == COFFER_OK)
		err = db_exec(db, "UPDATE users SET reset_pending = 1, updated_at = ? WHERE id = ?",
			      DB_ARGS(db_int(op->now), db_text(r->user_id)));
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM sessions WHERE user_id = ?",
			      DB_ARGS(db_text(r->user_id)));
	return err;
}

enum coffer_err sqlite_store_reset_add(struct sqlite_store *st, const struct token_hash *h,
				       const struct reset_record *r, int64_t now)
{
	struct reset_op op = {.h = h, .now = now, .r = r};
	if (r->sealed_len == 0 || r->sealed_len > sizeof r->sealed || !uuid_valid(r->user_id) ||
	    !uuid_valid(r->org_id) || !uuid_valid(r->created_by) || r->expires_at <= r->created_at)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, add_tx, &op);
}

static enum coffer_err read_reset(sqlite3_stmt *s, void *out)
{
	struct reset_record *r = out;
	memset(r, 0, sizeof *r);
	db_column_text(s, 0, r->user_id, sizeof r->user_id);
	db_column_text(s, 1, r->org_id, sizeof r->org_id);
	db_column_text(s, 2, r->email, sizeof r->email);
	db_column_text(s, 3, r->created_by, sizeof r->created_by);
	r->created_at = sqlite3_column_int64(s, 4);
	r->expires_at = sqlite3_column_int64(s, 5);
	if (!db_column_blob_max(s, 6, r->sealed, sizeof r->sealed, &r->sealed_len) ||
	    !db_column_blob_max(s, 7, r->pending_account, sizeof r->pending_account,
				&r->pending_len))
		return COFFER_ERR_STORAGE;
	return COFFER_OK;
}

enum coffer_err sqlite_store_reset_get(struct sqlite_store *st, const struct token_hash *h,
				       int64_t now, struct reset_record *out)
{
	struct reset_record r; /* OUT changes only on success */
	enum coffer_err err =
	    db_pool_row(&st->pool,
			"SELECT r.user_id, r.org_id, u.email, r.created_by, r.created_at, "
			"r.expires_at, r.sealed, r.pending_account FROM resets r "
			"JOIN users u ON u.id = r.user_id WHERE r.token_hash = ? "
			"AND r.used_at IS NULL AND r.expires_at > ?",
			DB_ARGS(db_blob(h->bytes, sizeof h->bytes), db_int(now)), read_reset, &r);
	if (err == COFFER_OK)
		*out = r;
	return err;
}

enum coffer_err sqlite_store_reset_stage(struct sqlite_store *st, const struct token_hash *h,
					 const uint8_t *account, size_t account_len, int64_t now)
{
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_change(&st->pool,
			      "UPDATE resets SET pending_account = ? WHERE token_hash = ? "
			      "AND used_at IS NULL AND expires_at > ?",
			      DB_ARGS(db_blob(account, account_len),
				      db_blob(h->bytes, sizeof h->bytes), db_int(now)));
}

static enum coffer_err read_user_id(sqlite3_stmt *s, void *out)
{
	db_column_text(s, 0, out, STORE_ID_MAX + 1);
	return COFFER_OK;
}

static enum coffer_err confirm_tx(sqlite3 *db, void *ctx)
{
	const struct reset_op *op = ctx;
	struct db_arg hash = db_blob(op->h->bytes, sizeof op->h->bytes);
	char user_id[STORE_ID_MAX + 1];
	enum coffer_err err = db_row(db,
				     "SELECT user_id FROM resets WHERE token_hash = ? "
				     "AND used_at IS NULL AND expires_at > ?",
				     DB_ARGS(hash, db_int(op->now)), read_user_id, user_id);
	if (err == COFFER_OK)
		err =
		    user_account_replace(db, user_id, op->account, op->account_len, true, op->now);
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE users SET totp_last_step = ?, reset_pending = 0 WHERE id = ?",
			      DB_ARGS(db_int(op->totp_last_step), db_text(user_id)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE resets SET used_at = ?, pending_account = NULL "
			      "WHERE token_hash = ?",
			      DB_ARGS(db_int(op->now), hash));
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM sessions WHERE user_id = ?",
			      DB_ARGS(db_text(user_id)));
	return err;
}

enum coffer_err sqlite_store_reset_confirm(struct sqlite_store *st, const struct token_hash *h,
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
	return db_pool_write(&st->pool, confirm_tx, &op);
}
