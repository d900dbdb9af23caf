/* users.c — users and their memberships in the embedded system database: reading them,
 * accepting and confirming invites, status and password changes, and the last TOTP step used.
 *
 * Design points:
 * - A user is read with its memberships (and their organisations' names) inside one read
 *   transaction, so the two always agree; read_user() is the one place that does it.
 * - Accepting an invite checks it (unused, unexpired) in the write transaction that creates the
 *   user, so two acceptances of one invite cannot both succeed, and a failure leaves nothing.
 * - The TOTP step is compare-and-set in one UPDATE: two servers checking the same code at the
 *   same moment cannot both accept it.
 * - Disabling a user and changing a password end sessions in the same transaction, so no request
 *   can find a session of a user once the change is acknowledged.
 */
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

/* A user's columns, in the order read_user() reads them; lists leave the account out. */
#define USER_COLUMNS                                                                               \
	"SELECT id, email, role, status, totp_last_step, created_at, account FROM users "
#define USER_COLUMNS_NO_ACCOUNT                                                                    \
	"SELECT id, email, role, status, totp_last_step, created_at, NULL FROM users "

static const char memberships_sql[] =
    "SELECT m.org_id, o.name, m.role, m.clearance FROM memberships m "
    "JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name, m.org_id";

static bool account_ok(const uint8_t *account, size_t len)
{
	return account != NULL && len >= 1 && len <= STORE_ACCOUNT_SEALED_MAX;
}

/* Reads the current row of U (USER_COLUMNS), with the account blob when WITH_ACCOUNT, then the
 * user's memberships with M (memberships_sql). */
static enum coffer_err read_user(sqlite3_stmt *u, sqlite3_stmt *m, bool with_account,
				 struct user_record *out)
{
	db_column_text(u, 0, out->id, sizeof out->id);
	db_column_text(u, 1, out->email, sizeof out->email);
	db_column_text(u, 2, out->role, sizeof out->role);
	db_column_text(u, 3, out->status, sizeof out->status);
	out->totp_last_step = sqlite3_column_int64(u, 4);
	out->created_at = sqlite3_column_int64(u, 5);
	out->account_len = 0;
	if (with_account &&
	    !db_column_blob_max(u, 6, out->account, sizeof out->account, &out->account_len))
		return COFFER_ERR_STORAGE;

	out->n_orgs = 0;
	sqlite3_reset(m);
	sqlite3_bind_text(m, 1, out->id, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(m)) == SQLITE_ROW) {
		if (out->n_orgs == STORE_ORGS_MAX)
			return COFFER_ERR_STORAGE; /* writes never store more */
		struct membership_record *r = &out->orgs[out->n_orgs++];
		db_column_text(m, 0, r->org_id, sizeof r->org_id);
		db_column_text(m, 1, r->org_name, sizeof r->org_name);
		db_column_text(m, 2, r->role, sizeof r->role);
		db_column_text(m, 3, r->clearance, sizeof r->clearance);
	}
	return rc == SQLITE_DONE ? COFFER_OK : db_err(rc);
}

/* The one user that SQL (USER_COLUMNS and a WHERE with one parameter) finds for KEY. Read
 * straight into OUT (some 60 KiB, looked up on every request): on an error its contents are
 * unspecified, and NOT_FOUND leaves it untouched. */
static enum coffer_err find_user(struct store *st, const char *sql, const char *key,
				 struct user_record *out)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *u = NULL, *m = NULL;
	enum coffer_err err = db_begin_read(db);
	if (err == COFFER_OK)
		err = db_prepare(db, sql, &u);
	if (err == COFFER_OK)
		err = db_prepare(db, memberships_sql, &m);
	if (err == COFFER_OK) {
		sqlite3_bind_text(u, 1, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(u);
		if (rc == SQLITE_ROW)
			err = read_user(u, m, true, out);
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(u);
	db_finish(m);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_user_by_email(struct store *st, const char *email, struct user_record *out)
{
	return find_user(st, USER_COLUMNS "WHERE email = ?", email, out);
}

enum coffer_err store_user_get(struct store *st, const char *user_id, struct user_record *out)
{
	return find_user(st, USER_COLUMNS "WHERE id = ?", user_id, out);
}

enum coffer_err store_users_list(struct store *st, struct user_record **out, size_t *n)
{
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *u = NULL, *m = NULL;
	struct user_record *list = NULL;
	size_t len = 0, cap = 0;
	int rc = SQLITE_DONE;
	enum coffer_err err = db_begin_read(db);
	if (err == COFFER_OK)
		err = db_prepare(db, USER_COLUMNS_NO_ACCOUNT "ORDER BY email", &u);
	if (err == COFFER_OK)
		err = db_prepare(db, memberships_sql, &m);
	while (err == COFFER_OK && (rc = sqlite3_step(u)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct user_record *grown = reallocarray(list, ncap, sizeof *list);
			if (grown == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			list = grown;
			cap = ncap;
		}
		err = read_user(u, m, false, &list[len++]);
	}
	if (err == COFFER_OK && rc != SQLITE_DONE)
		err = db_err(rc);
	db_finish(u);
	db_finish(m);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = len;
	return COFFER_OK;
}

/* --- invites ------------------------------------------------------------------------------ */

/* Invite H if it is unused and unexpired at NOW: its email, and the user who accepted it (""
 * when nobody has yet). */
static enum coffer_err open_invite(sqlite3 *db, const struct token_hash *h, int64_t now,
				   char email[EMAIL_MAX + 1], char user_id[STORE_ID_MAX + 1])
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "SELECT email, user_id FROM invites WHERE token_hash = ? "
					 "AND used_at IS NULL AND expires_at > ?",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(s, 1, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			db_column_text(s, 0, email, EMAIL_MAX + 1);
			db_column_text(s, 1, user_id, STORE_ID_MAX + 1);
		} else {
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
		}
	}
	db_finish(s);
	return err;
}

/* Records USER_ID as the user of invite H, and uses it at USED_AT unless that is negative. */
static enum coffer_err mark_invite(sqlite3 *db, const struct token_hash *h, const char *user_id,
				   int64_t used_at)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err =
	    db_prepare(db, "UPDATE invites SET user_id = ?, used_at = ? WHERE token_hash = ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
		if (used_at >= 0)
			sqlite3_bind_int64(s, 2, used_at);
		sqlite3_bind_blob(s, 3, h->bytes, sizeof h->bytes, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	return err;
}

/* Runs SQL (no rows returned) with USER_ID as its one parameter. */
static enum coffer_err exec_for_user(sqlite3 *db, const char *sql, const char *user_id)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
		err = db_step_done(s);
	}
	db_finish(s);
	return err;
}

static enum coffer_err insert_user(sqlite3 *db, const struct user_record *u, const char *status,
				   int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "INSERT INTO users (id, email, role, status, account, "
					 "totp_last_step, created_at, updated_at) "
					 "VALUES (?,?,?,?,?,?,?,?)",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, u->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, u->role, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, status, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 5, u->account, (int)u->account_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 6, u->totp_last_step);
		sqlite3_bind_int64(s, 7, now);
		sqlite3_bind_int64(s, 8, now);
		err = db_step_done(s); /* COFFER_ERR_EXISTS: the email (or id) is taken */
	}
	db_finish(s);
	return err;
}

/* Adds U's memberships; COFFER_ERR_EXISTS when one is already there, COFFER_ERR_NOT_FOUND for
 * an organisation that does not exist, COFFER_ERR_TOO_LARGE past STORE_ORGS_MAX in all. */
static enum coffer_err insert_memberships(sqlite3 *db, const struct user_record *u)
{
	sqlite3_stmt *count = NULL, *ins = NULL;
	enum coffer_err err =
	    db_prepare(db, "SELECT count(*) FROM memberships WHERE user_id = ?", &count);
	if (err == COFFER_OK) {
		sqlite3_bind_text(count, 1, u->id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(count);
		if (rc != SQLITE_ROW)
			err = db_err(rc);
		else if ((uint64_t)sqlite3_column_int64(count, 0) + u->n_orgs > STORE_ORGS_MAX)
			err = COFFER_ERR_TOO_LARGE;
	}
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "INSERT INTO memberships (user_id, org_id, role, clearance) "
				 "VALUES (?,?,?,?)",
				 &ins);
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, u->orgs[i].org_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, u->orgs[i].role, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, u->orgs[i].clearance, -1, SQLITE_STATIC);
		err = db_step_done(ins);
	}
	db_finish(count);
	db_finish(ins);
	return err;
}

/* PENDING and ACTIVE: a new user with the invite's email, replacing the pending user of an
 * earlier acceptance of the same invite. */
static enum coffer_err accept_new(sqlite3 *db, const struct token_hash *h,
				  const struct user_record *u, enum store_accept mode,
				  const char *invite_email, const char *pending, int64_t now)
{
	/* An invite grants an account to its own address only. */
	if (strcmp(u->email, invite_email) != 0)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = COFFER_OK;
	/* The cascade takes its memberships; invites.user_id is cleared by its foreign key. */
	if (pending[0] != '\0')
		err = exec_for_user(db, "DELETE FROM users WHERE id = ? AND status = 'invited'",
				    pending);
	if (err == COFFER_OK)
		err = insert_user(db, u, mode == STORE_ACCEPT_ACTIVE ? "active" : "invited", now);
	if (err == COFFER_OK)
		err = insert_memberships(db, u);
	if (err == COFFER_OK)
		err = mark_invite(db, h, u->id, mode == STORE_ACCEPT_ACTIVE ? now : -1);
	return err;
}

/* JOIN: the existing active user U->id, whose email is the invite's, joins U->orgs. */
static enum coffer_err accept_join(sqlite3 *db, const struct token_hash *h,
				   const struct user_record *u, const char *invite_email,
				   int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db,
					 "UPDATE users SET account = ?, updated_at = ? "
					 "WHERE id = ? AND email = ? AND status = 'active'",
					 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(s, 1, u->account, (int)u->account_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, u->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, invite_email, -1, SQLITE_STATIC);
		err = db_step_done(s);
		if (err == COFFER_OK && sqlite3_changes(db) != 1)
			err = COFFER_ERR_NOT_FOUND;
	}
	db_finish(s);
	if (err == COFFER_OK)
		err = insert_memberships(db, u);
	if (err == COFFER_OK)
		err = mark_invite(db, h, u->id, now);
	return err;
}

enum coffer_err store_invite_accept(struct store *st, const struct token_hash *h,
				    const struct user_record *u, enum store_accept mode,
				    int64_t now)
{
	char email[EMAIL_MAX + 1], pending[STORE_ID_MAX + 1];
	if (!uuid_valid(u->id) || !account_ok(u->account, u->account_len) ||
	    !FIELD_TERMINATED(u->email) || !FIELD_TERMINATED(u->role) ||
	    u->n_orgs > STORE_ORGS_MAX || now < 0 ||
	    (mode != STORE_ACCEPT_PENDING && mode != STORE_ACCEPT_ACTIVE &&
	     mode != STORE_ACCEPT_JOIN))
		return COFFER_ERR_INVALID_INPUT;
	for (size_t i = 0; i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		if (!FIELD_TERMINATED(m->org_id) || !FIELD_TERMINATED(m->role) ||
		    !FIELD_TERMINATED(m->clearance))
			return COFFER_ERR_INVALID_INPUT;
	}
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = open_invite(db, h, now, email, pending);
	if (err == COFFER_OK) {
		if (mode == STORE_ACCEPT_JOIN)
			err = accept_join(db, h, u, email, now);
		else
			err = accept_new(db, h, u, mode, email, pending, now);
	}
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_invite_confirm(struct store *st, const struct token_hash *h,
				     const char *user_id, const uint8_t *account,
				     size_t account_len, int64_t totp_last_step, int64_t now)
{
	char email[EMAIL_MAX + 1], accepted_by[STORE_ID_MAX + 1];
	if (!account_ok(account, account_len) || totp_last_step < -1 || now < 0)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = open_invite(db, h, now, email, accepted_by);
	if (err == COFFER_OK && (accepted_by[0] == '\0' || strcmp(accepted_by, user_id) != 0))
		err = COFFER_ERR_NOT_FOUND;
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE users SET status = 'active', account = ?, "
				 "totp_last_step = ?, updated_at = ? "
				 "WHERE id = ? AND status = 'invited'",
				 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(s, 1, account, (int)account_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, totp_last_step);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_text(s, 4, user_id, -1, SQLITE_STATIC);
		err = db_step_done(s);
		if (err == COFFER_OK && sqlite3_changes(db) != 1)
			err = COFFER_ERR_NOT_FOUND;
	}
	db_finish(s);
	if (err == COFFER_OK)
		err = mark_invite(db, h, user_id, now);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

/* --- changes to a user -------------------------------------------------------------------- */

enum coffer_err store_user_set_status(struct store *st, const char *user_id, const char *status,
				      int64_t now)
{
	bool disable = strcmp(status, "disabled") == 0;
	if (!disable && strcmp(status, "active") != 0)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "UPDATE users SET status = ?, updated_at = ? "
				 "WHERE id = ? AND status IN ('active', 'disabled')",
				 &s);
	if (err == COFFER_OK) {
		sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_text(s, 3, user_id, -1, SQLITE_STATIC);
		err = db_step_done(s);
		if (err == COFFER_OK && sqlite3_changes(db) != 1)
			err = COFFER_ERR_NOT_FOUND; /* no such user, or one still invited */
	}
	db_finish(s);
	if (err == COFFER_OK && disable)
		err = exec_for_user(db, "DELETE FROM sessions WHERE user_id = ?", user_id);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_user_set_account(struct store *st, const char *user_id,
				       const uint8_t *account, size_t account_len,
				       const struct token_hash *keep, int64_t now)
{
	if (!account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *upd = NULL, *del = NULL, *clear = NULL;
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = db_prepare(db, "UPDATE users SET account = ?, updated_at = ? WHERE id = ?",
				 &upd);
	if (err == COFFER_OK) {
		sqlite3_bind_blob(upd, 1, account, (int)account_len, SQLITE_STATIC);
		sqlite3_bind_int64(upd, 2, now);
		sqlite3_bind_text(upd, 3, user_id, -1, SQLITE_STATIC);
		err = db_step_done(upd);
		if (err == COFFER_OK && sqlite3_changes(db) != 1)
			err = COFFER_ERR_NOT_FOUND;
	}
	/* ?2 NULL (no session kept) matches no token hash, so every session goes. */
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "DELETE FROM sessions WHERE user_id = ?1 "
				 "AND (?2 IS NULL OR token_hash <> ?2)",
				 &del);
	if (err == COFFER_OK) {
		sqlite3_bind_text(del, 1, user_id, -1, SQLITE_STATIC);
		if (keep != NULL)
			sqlite3_bind_blob(del, 2, keep->bytes, sizeof keep->bytes, SQLITE_STATIC);
		err = db_step_done(del);
	}
	if (err == COFFER_OK && keep != NULL)
		err = db_prepare(db,
				 "UPDATE sessions SET must_change_password = 0 "
				 "WHERE token_hash = ? AND user_id = ?",
				 &clear);
	if (err == COFFER_OK && keep != NULL) {
		sqlite3_bind_blob(clear, 1, keep->bytes, sizeof keep->bytes, SQLITE_STATIC);
		sqlite3_bind_text(clear, 2, user_id, -1, SQLITE_STATIC);
		err = db_step_done(clear);
	}
	db_finish(upd);
	db_finish(del);
	db_finish(clear);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_totp_step_use(struct store *st, const char *user_id, int64_t step)
{
	if (step < 0)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *s = NULL, *q = NULL;
	/* One statement compares and sets; the look-up after a refusal only names the error. */
	enum coffer_err err = db_prepare(
	    db, "UPDATE users SET totp_last_step = ?1 WHERE id = ?2 AND totp_last_step < ?1", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, step);
		sqlite3_bind_text(s, 2, user_id, -1, SQLITE_STATIC);
		err = db_step_done(s);
	}
	if (err == COFFER_OK && sqlite3_changes(db) != 1)
		err = db_prepare(db, "SELECT 1 FROM users WHERE id = ?", &q);
	if (q != NULL) {
		sqlite3_bind_text(q, 1, user_id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			err = COFFER_ERR_VERSION_CONFLICT;
		else
			err = rc == SQLITE_DONE ? COFFER_ERR_NOT_FOUND : db_err(rc);
	}
	db_finish(s);
	db_finish(q);
	db_pool_put(&st->pool, db);
	return err;
}
