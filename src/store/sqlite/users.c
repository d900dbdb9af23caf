/* users.c — users and their memberships in the embedded system database: reading them,
 * accepting and confirming invites, status and password changes, and the last TOTP step used.
 *
 * Design points:
 * - A user is read with its memberships (and their organisations' names) inside one read
 *   transaction, so the two always agree; read_memberships() is the one place that reads them.
 * - Accepting an invite checks it (unused, unexpired) in the write transaction that creates the
 *   user, so two acceptances of one invite cannot both succeed, and a failure leaves nothing.
 * - The TOTP step is compare-and-set in one UPDATE: two servers checking the same code at the
 *   same moment cannot both accept it.
 * - Disabling a user and changing a password end sessions in the same transaction, so no request
 *   can find a session of a user once the change is acknowledged.
 * - Every write that replaces a user's sealed account goes through user_account_replace, which
 *   moves account_version on in the same statement: no replacement can leave a ticket looking
 *   current. Every write that can make an org_admin membership active calls user_found_orgs.
 */
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

/* A user's columns, in the order read_user() reads them; lists leave the account out. */
#define USER_COLUMNS                                                                               \
	"SELECT id, email, role, status, totp_last_step, created_at, account, account_version, "   \
	"last_login_at, password_changed_at, reset_pending FROM users "
#define USER_COLUMNS_NO_ACCOUNT                                                                    \
	"SELECT id, email, role, status, totp_last_step, created_at, NULL, account_version, "      \
	"last_login_at, password_changed_at, reset_pending FROM users "

enum coffer_err user_account_replace(sqlite3 *db, const char *user_id, const uint8_t *account,
				     size_t account_len, bool new_password, int64_t now)
{
	return db_change(db,
			 "UPDATE users SET account = ?1, account_version = account_version + 1, "
			 "password_changed_at = CASE WHEN ?4 THEN ?2 ELSE password_changed_at END, "
			 "updated_at = ?2 WHERE id = ?3",
			 DB_ARGS(db_blob(account, account_len), db_int(now), db_text(user_id),
				 db_int(new_password ? 1 : 0)));
}

enum coffer_err user_found_orgs(sqlite3 *db, const char *user_id, int64_t now)
{
	return db_exec(db,
		       "UPDATE orgs SET founded_at = ?2 WHERE founded_at IS NULL AND id IN ("
		       "SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id "
		       "WHERE m.user_id = ?1 AND m.role = 'org_admin' AND u.status = 'active')",
		       DB_ARGS(db_text(user_id), db_int(now)));
}

/* Reads the current row of S (USER_COLUMNS or USER_COLUMNS_NO_ACCOUNT, whose NULL account reads
 * as none), without its memberships. */
static enum coffer_err read_user(sqlite3_stmt *s, void *out)
{
	struct user_record *u = out;
	db_column_text(s, 0, u->id, sizeof u->id);
	db_column_text(s, 1, u->email, sizeof u->email);
	db_column_text(s, 2, u->role, sizeof u->role);
	db_column_text(s, 3, u->status, sizeof u->status);
	u->totp_last_step = sqlite3_column_int64(s, 4);
	u->created_at = sqlite3_column_int64(s, 5);
	u->account_version = (uint64_t)sqlite3_column_int64(s, 7);
	u->last_login_at = sqlite3_column_int64(s, 8); /* NULL reads as 0 */
	u->password_changed_at = sqlite3_column_int64(s, 9);
	u->reset_pending = sqlite3_column_int(s, 10) != 0;
	u->n_orgs = 0;
	return db_column_blob_max(s, 6, u->account, sizeof u->account, &u->account_len)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

static enum coffer_err read_membership(sqlite3_stmt *s, void *out)
{
	struct membership_record *r = out;
	db_column_text(s, 0, r->org_id, sizeof r->org_id);
	db_column_text(s, 1, r->org_name, sizeof r->org_name);
	db_column_text(s, 2, r->role, sizeof r->role);
	db_column_text(s, 3, r->clearance, sizeof r->clearance);
	return COFFER_OK;
}

/* Reads U's memberships (and their organisations' names) into U on DB, inside the caller's
 * read transaction. */
static enum coffer_err read_memberships(sqlite3 *db, struct user_record *u)
{
	size_t n = 0;
	bool more = false;
	enum coffer_err err = db_rows(
	    db,
	    "SELECT m.org_id, o.name, m.role, m.clearance FROM memberships m "
	    "JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name, m.org_id",
	    DB_ARGS(db_text(u->id)), read_membership, DB_ITEMS(u->orgs, STORE_ORGS_MAX), &n, &more);
	if (err == COFFER_OK && more)
		err = COFFER_ERR_STORAGE; /* writes never store more */
	u->n_orgs = err == COFFER_OK ? n : 0;
	return err;
}

/* A look-up of one user: the query (USER_COLUMNS and a WHERE with one parameter), its KEY, and
 * where the user goes. */
struct find_user {
	const char *sql, *key;
	struct user_record *out;
};

static enum coffer_err find_tx(sqlite3 *db, void *ctx)
{
	const struct find_user *f = ctx;
	enum coffer_err err = db_row(db, f->sql, DB_ARGS(db_text(f->key)), read_user, f->out);
	if (err == COFFER_OK)
		err = read_memberships(db, f->out);
	return err;
}

/* The one user that SQL finds for KEY. Read straight into OUT (some 60 KiB, looked up on every
 * request): on an error its contents are unspecified, and NOT_FOUND leaves it untouched. */
static enum coffer_err find_user(struct sqlite_store *st, const char *sql, const char *key,
				 struct user_record *out)
{
	struct find_user f = {sql, key, out};
	return db_pool_read(&st->pool, find_tx, &f);
}

/* Who a request's caller is: the session, then its user with every membership, then what the
 * organisation the request names holds for them (its policy, their member policy there, its
 * newest key). One transaction rather than one per part: each costs the WAL's read lock and,
 * with many threads beginning them at once, waits on the lock's mutex. */
struct caller_read {
	const struct token_hash *h;
	int64_t now, idle_ttl;
	struct session_record *s;
	struct user_record *u;
	struct caller_org_read *org;
};

static enum coffer_err org_read(sqlite3 *db, const char *user_id, struct caller_org_read *org)
{
	enum coffer_err err = sqlite_caller_policies_read(db, user_id, org);
	if (err == COFFER_OK) {
		err = sqlite_org_key_newest_read(db, org->org_id, &org->key);
		org->has_key = err == COFFER_OK;
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK;
	}
	org->read = err == COFFER_OK;
	return err;
}

static enum coffer_err caller_tx(sqlite3 *db, void *ctx)
{
	struct caller_read *c = ctx;
	enum coffer_err err = sqlite_session_read(db, c->h, c->now, c->idle_ttl, c->s);
	struct find_user f = {USER_COLUMNS "WHERE id = ?", c->s->user_id, c->u};
	if (err == COFFER_OK)
		err = find_tx(db, &f);
	if (err == COFFER_OK && c->org != NULL && c->org->org_id != NULL)
		err = org_read(db, c->u->id, c->org);
	return err;
}

enum coffer_err sqlite_store_caller_get(struct sqlite_store *st, const struct token_hash *h,
					int64_t now, int64_t idle_ttl, struct session_record *s,
					struct user_record *u, struct caller_org_read *org)
{
	struct caller_read c = {h, now, idle_ttl, s, u, org};
	return db_pool_read(&st->pool, caller_tx, &c);
}

enum coffer_err sqlite_store_user_by_email(struct sqlite_store *st, const char *email,
					   struct user_record *out)
{
	return find_user(st, USER_COLUMNS "WHERE email = ?", email, out);
}

enum coffer_err sqlite_store_user_get(struct sqlite_store *st, const char *user_id,
				      struct user_record *out)
{
	return find_user(st, USER_COLUMNS "WHERE id = ?", user_id, out);
}

/* Every user, with its memberships. */
struct user_list {
	void *users; /* struct user_record[n] */
	size_t n;
};

static enum coffer_err list_tx(sqlite3 *db, void *ctx)
{
	struct user_list *l = ctx;
	enum coffer_err err =
	    db_rows_alloc(db, USER_COLUMNS_NO_ACCOUNT "ORDER BY email", DB_NO_ARGS, read_user,
			  sizeof(struct user_record), &l->users, &l->n);
	struct user_record *users = l->users;
	for (size_t i = 0; err == COFFER_OK && i < l->n; i++)
		err = read_memberships(db, &users[i]);
	return err;
}

enum coffer_err sqlite_store_users_list(struct sqlite_store *st, struct user_record **out,
					size_t *n)
{
	struct user_list l = {NULL, 0};
	enum coffer_err err = db_pool_read(&st->pool, list_tx, &l);
	if (err != COFFER_OK) {
		free(l.users);
		return err;
	}
	*out = l.users;
	*n = l.n;
	return COFFER_OK;
}

/* --- invites ------------------------------------------------------------------------------ */

/* An invite that is unused and unexpired: its email, and the user who accepted it ("" when
 * nobody has yet). */
struct open_invite {
	char email[EMAIL_MAX + 1];
	char user_id[STORE_ID_MAX + 1];
};

static enum coffer_err read_open_invite(sqlite3_stmt *s, void *out)
{
	struct open_invite *inv = out;
	db_column_text(s, 0, inv->email, sizeof inv->email);
	db_column_text(s, 1, inv->user_id, sizeof inv->user_id);
	return COFFER_OK;
}

/* Invite H if it is unused and unexpired at NOW. */
static enum coffer_err open_invite(sqlite3 *db, const struct token_hash *h, int64_t now,
				   struct open_invite *out)
{
	return db_row(db,
		      "SELECT email, user_id FROM invites WHERE token_hash = ? "
		      "AND used_at IS NULL AND expires_at > ?",
		      DB_ARGS(db_blob(h->bytes, sizeof h->bytes), db_int(now)), read_open_invite,
		      out);
}

/* Records USER_ID as the user of invite H, and uses it at USED_AT unless that is negative. */
static enum coffer_err mark_invite(sqlite3 *db, const struct token_hash *h, const char *user_id,
				   int64_t used_at)
{
	return db_exec(db, "UPDATE invites SET user_id = ?, used_at = ? WHERE token_hash = ?",
		       DB_ARGS(db_text(user_id), used_at >= 0 ? db_int(used_at) : db_null(),
			       db_blob(h->bytes, sizeof h->bytes)));
}

static enum coffer_err insert_user(sqlite3 *db, const struct user_record *u, const char *status,
				   int64_t now)
{
	/* COFFER_ERR_EXISTS: the email (or id) is taken. */
	return db_exec(
	    db,
	    "INSERT INTO users (id, email, role, status, account, totp_last_step, "
	    "created_at, updated_at, password_changed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?7,?7)",
	    DB_ARGS(db_text(u->id), db_text(u->email), db_text(u->role), db_text(status),
		    db_blob(u->account, u->account_len), db_int(u->totp_last_step), db_int(now)));
}

/* Adds U's memberships; COFFER_ERR_EXISTS when one is already there, COFFER_ERR_NOT_FOUND for
 * an organisation that does not exist, COFFER_ERR_TOO_LARGE past STORE_ORGS_MAX in all. */
static enum coffer_err insert_memberships(sqlite3 *db, const struct user_record *u)
{
	int64_t count = 0;
	enum coffer_err err = db_row(db, "SELECT count(*) FROM memberships WHERE user_id = ?",
				     DB_ARGS(db_text(u->id)), db_read_int64, &count);
	if (err == COFFER_OK && (uint64_t)count + u->n_orgs > STORE_ORGS_MAX)
		err = COFFER_ERR_TOO_LARGE;
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		err = db_exec(db,
			      "INSERT INTO memberships (user_id, org_id, role, clearance) "
			      "VALUES (?,?,?,?)",
			      DB_ARGS(db_text(u->id), db_text(m->org_id), db_text(m->role),
				      db_text(m->clearance)));
	}
	return err;
}

/* PENDING and ACTIVE: a new user with the invite's email, replacing the pending user of an
 * earlier acceptance of the same invite. */
static enum coffer_err accept_new(sqlite3 *db, const struct token_hash *h,
				  const struct user_record *u, enum store_accept mode,
				  const struct open_invite *inv, int64_t now)
{
	/* An invite grants an account to its own address only. */
	if (strcmp(u->email, inv->email) != 0)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = COFFER_OK;
	/* The cascade takes its memberships; invites.user_id is cleared by its foreign key. */
	if (inv->user_id[0] != '\0')
		err = db_exec(db, "DELETE FROM users WHERE id = ? AND status = 'invited'",
			      DB_ARGS(db_text(inv->user_id)));
	if (err == COFFER_OK)
		err = insert_user(db, u, mode == STORE_ACCEPT_ACTIVE ? "active" : "invited", now);
	if (err == COFFER_OK)
		err = insert_memberships(db, u);
	if (err == COFFER_OK)
		err = mark_invite(db, h, u->id, mode == STORE_ACCEPT_ACTIVE ? now : -1);
	if (err == COFFER_OK && mode == STORE_ACCEPT_ACTIVE)
		err = user_found_orgs(db, u->id, now);
	return err;
}

/* JOIN's memberships: each one of U->orgs is added, or, for a member of that organisation
 * invited as org_admin, replaces the membership (a promotion); COFFER_ERR_EXISTS otherwise. */
static enum coffer_err join_memberships(sqlite3 *db, const struct user_record *u)
{
	int64_t count = 0;
	enum coffer_err err = db_row(db, "SELECT count(*) FROM memberships WHERE user_id = ?",
				     DB_ARGS(db_text(u->id)), db_read_int64, &count);
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		err = strcmp(m->role, "org_admin") == 0
			  ? db_change(
				db,
				"UPDATE memberships SET role = 'org_admin', clearance = ? "
				"WHERE user_id = ? AND org_id = ? AND role = 'member'",
				DB_ARGS(db_text(m->clearance), db_text(u->id), db_text(m->org_id)))
			  : COFFER_ERR_NOT_FOUND;
		if (err == COFFER_ERR_NOT_FOUND)
			err = ++count > STORE_ORGS_MAX
				  ? COFFER_ERR_TOO_LARGE
				  : db_exec(db,
					    "INSERT INTO memberships (user_id, org_id, role, "
					    "clearance) VALUES (?,?,?,?)",
					    DB_ARGS(db_text(u->id), db_text(m->org_id),
						    db_text(m->role), db_text(m->clearance)));
	}
	return err;
}

/* JOIN: the existing active user U->id, whose email is the invite's, joins U->orgs. */
static enum coffer_err accept_join(sqlite3 *db, const struct token_hash *h,
				   const struct user_record *u, const struct open_invite *inv,
				   int64_t now)
{
	enum coffer_err err =
	    db_row(db, "SELECT 1 FROM users WHERE id = ? AND email = ? AND status = 'active'",
		   DB_ARGS(db_text(u->id), db_text(inv->email)), NULL, NULL);
	if (err == COFFER_OK)
		err = user_account_replace(db, u->id, u->account, u->account_len, false, now);
	if (err == COFFER_OK)
		err = join_memberships(db, u);
	if (err == COFFER_OK)
		err = mark_invite(db, h, u->id, now);
	if (err == COFFER_OK)
		err = user_found_orgs(db, u->id, now);
	return err;
}

/* An acceptance or a confirmation of invite H at NOW, by user U (accept) or USER_ID with its
 * ACCOUNT (confirm). */
struct acceptance {
	const struct token_hash *h;
	int64_t now;
	const struct user_record *u;
	enum store_accept mode;
	const char *user_id;
	const uint8_t *account;
	size_t account_len;
	int64_t totp_last_step;
};

static enum coffer_err accept_tx(sqlite3 *db, void *ctx)
{
	const struct acceptance *a = ctx;
	struct open_invite inv;
	enum coffer_err err = open_invite(db, a->h, a->now, &inv);
	if (err != COFFER_OK)
		return err;
	if (a->mode == STORE_ACCEPT_JOIN)
		return accept_join(db, a->h, a->u, &inv, a->now);
	return accept_new(db, a->h, a->u, a->mode, &inv, a->now);
}

enum coffer_err sqlite_store_invite_accept(struct sqlite_store *st, const struct token_hash *h,
					   const struct user_record *u, enum store_accept mode,
					   int64_t now)
{
	struct acceptance a = {.h = h, .now = now, .u = u, .mode = mode};
	if (!uuid_valid(u->id) || !user_account_ok(u->account, u->account_len) ||
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
	return db_pool_write(&st->pool, accept_tx, &a);
}

static enum coffer_err confirm_tx(sqlite3 *db, void *ctx)
{
	const struct acceptance *a = ctx;
	struct open_invite inv;
	enum coffer_err err = open_invite(db, a->h, a->now, &inv);
	if (err == COFFER_OK && (inv.user_id[0] == '\0' || strcmp(inv.user_id, a->user_id) != 0))
		err = COFFER_ERR_NOT_FOUND;
	if (err == COFFER_OK)
		err = db_change(db,
				"UPDATE users SET status = 'active', totp_last_step = ? "
				"WHERE id = ? AND status = 'invited'",
				DB_ARGS(db_int(a->totp_last_step), db_text(a->user_id)));
	if (err == COFFER_OK)
		err =
		    user_account_replace(db, a->user_id, a->account, a->account_len, true, a->now);
	if (err == COFFER_OK)
		err = mark_invite(db, a->h, a->user_id, a->now);
	if (err == COFFER_OK)
		err = user_found_orgs(db, a->user_id, a->now);
	return err;
}

enum coffer_err sqlite_store_invite_confirm(struct sqlite_store *st, const struct token_hash *h,
					    const char *user_id, const uint8_t *account,
					    size_t account_len, int64_t totp_last_step, int64_t now)
{
	struct acceptance a = {.h = h,
			       .now = now,
			       .user_id = user_id,
			       .account = account,
			       .account_len = account_len,
			       .totp_last_step = totp_last_step};
	if (!user_account_ok(account, account_len) || totp_last_step < -1 || now < 0)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, confirm_tx, &a);
}

/* --- changes to a user -------------------------------------------------------------------- */

/* A change to user USER_ID at NOW: its STATUS, or its ACCOUNT (ending every session but KEEP,
 * which may be NULL). */
struct user_change {
	const char *user_id;
	int64_t now;
	const char *status;
	const uint8_t *account;
	size_t account_len;
	const struct token_hash *keep;
};

static enum coffer_err set_status_tx(sqlite3 *db, void *ctx)
{
	const struct user_change *c = ctx;
	/* NOT_FOUND: no such user, or one still invited. */
	enum coffer_err err =
	    db_change(db,
		      "UPDATE users SET status = ?, updated_at = ? "
		      "WHERE id = ? AND status IN ('active', 'disabled')",
		      DB_ARGS(db_text(c->status), db_int(c->now), db_text(c->user_id)));
	if (err == COFFER_OK && strcmp(c->status, "disabled") == 0)
		err = db_exec(db, "DELETE FROM sessions WHERE user_id = ?",
			      DB_ARGS(db_text(c->user_id)));
	else if (err == COFFER_OK)
		err = user_found_orgs(db, c->user_id, c->now);
	return err;
}

enum coffer_err sqlite_store_user_set_status(struct sqlite_store *st, const char *user_id,
					     const char *status, int64_t now)
{
	struct user_change c = {.user_id = user_id, .now = now, .status = status};
	if (strcmp(status, "disabled") != 0 && strcmp(status, "active") != 0)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, set_status_tx, &c);
}

static enum coffer_err set_account_tx(sqlite3 *db, void *ctx)
{
	const struct user_change *c = ctx;
	struct db_arg kept =
	    c->keep != NULL ? db_blob(c->keep->bytes, sizeof c->keep->bytes) : db_null();
	enum coffer_err err =
	    user_account_replace(db, c->user_id, c->account, c->account_len, true, c->now);
	/* ?2 NULL (no session kept) matches no token hash, so every session goes. */
	if (err == COFFER_OK)
		err = db_exec(db,
			      "DELETE FROM sessions WHERE user_id = ?1 "
			      "AND (?2 IS NULL OR token_hash <> ?2)",
			      DB_ARGS(db_text(c->user_id), kept));
	if (err == COFFER_OK && c->keep != NULL)
		err = db_exec(db,
			      "UPDATE sessions SET must_change_password = 0 "
			      "WHERE token_hash = ? AND user_id = ?",
			      DB_ARGS(kept, db_text(c->user_id)));
	return err;
}

enum coffer_err sqlite_store_user_set_account(struct sqlite_store *st, const char *user_id,
					      const uint8_t *account, size_t account_len,
					      const struct token_hash *keep, int64_t now)
{
	struct user_change c = {.user_id = user_id,
				.now = now,
				.account = account,
				.account_len = account_len,
				.keep = keep};
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, set_account_tx, &c);
}

/* NOT_FOUND from the compare-and-set: no such user, or one whose account moved on. */
static enum coffer_err reseal_refused(sqlite3 *db, const char *user_id)
{
	enum coffer_err err =
	    db_row(db, "SELECT 1 FROM users WHERE id = ?", DB_ARGS(db_text(user_id)), NULL, NULL);
	return err == COFFER_OK ? COFFER_ERR_VERSION_CONFLICT : err;
}

enum coffer_err sqlite_store_user_account_reseal(struct sqlite_store *st, const char *user_id,
						 const uint8_t *account, size_t account_len,
						 uint64_t based_on, int64_t now)
{
	if (!user_account_ok(account, account_len) || based_on > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get_writer(&st->pool);
	enum coffer_err err =
	    db_change(db,
		      "UPDATE users SET account = ?1, account_version = account_version + 1, "
		      "updated_at = ?2 WHERE id = ?3 AND account_version = ?4",
		      DB_ARGS(db_blob(account, account_len), db_int(now), db_text(user_id),
			      db_int((int64_t)based_on)));
	if (err == COFFER_ERR_NOT_FOUND)
		err = reseal_refused(db, user_id);
	db_pool_put_writer(&st->pool, db);
	return err;
}

static enum coffer_err read_email(sqlite3_stmt *s, void *out)
{
	db_column_text(s, 0, out, EMAIL_MAX + 1);
	return COFFER_OK;
}

enum coffer_err sqlite_store_user_email(struct sqlite_store *st, const char *user_id,
					char out[EMAIL_MAX + 1])
{
	char email[EMAIL_MAX + 1]; /* OUT changes only on success */
	enum coffer_err err = db_pool_row(&st->pool, "SELECT email FROM users WHERE id = ?",
					  DB_ARGS(db_text(user_id)), read_email, email);
	if (err == COFFER_OK)
		memcpy(out, email, sizeof email);
	return err;
}

enum coffer_err sqlite_store_totp_step_use(struct sqlite_store *st, const char *user_id,
					   int64_t step)
{
	if (step < 0)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get_writer(&st->pool);
	/* One statement compares and sets; the look-up after a refusal only names the error. */
	enum coffer_err err = db_change(
	    db, "UPDATE users SET totp_last_step = ?1 WHERE id = ?2 AND totp_last_step < ?1",
	    DB_ARGS(db_int(step), db_text(user_id)));
	if (err == COFFER_ERR_NOT_FOUND) {
		err = db_row(db, "SELECT 1 FROM users WHERE id = ?", DB_ARGS(db_text(user_id)),
			     NULL, NULL);
		if (err == COFFER_OK)
			err =
			    COFFER_ERR_VERSION_CONFLICT; /* a step at or after this one was used */
	}
	db_pool_put_writer(&st->pool, db);
	return err;
}
