/* members.c — an organisation's people in the embedded system database: listing its members,
 * counting its active org_admins, changing and removing a membership.
 *
 * Design points:
 * - A change to a membership replaces the user's sealed account (keyd re-seals it with the
 *   memberships it now has) in the same transaction, through user_account_replace, so the
 *   account_version moves on with it: every session's ticket from before is seen as stale.
 * - Removing a membership removes the member's login policy there in the same transaction; a
 *   later membership starts from the organisation's policy.
 */
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static enum coffer_err read_member(sqlite3_stmt *s, void *out)
{
	struct member_row *m = out;
	db_column_text(s, 0, m->user_id, sizeof m->user_id);
	db_column_text(s, 1, m->email, sizeof m->email);
	db_column_text(s, 2, m->role, sizeof m->role);
	db_column_text(s, 3, m->clearance, sizeof m->clearance);
	db_column_text(s, 4, m->status, sizeof m->status);
	m->last_login_at = sqlite3_column_int64(s, 5); /* NULL reads as 0 */
	m->reset_pending = sqlite3_column_int(s, 6) != 0;
	return COFFER_OK;
}

/* The members of ORG_ID, read into a growing array. */
struct member_list {
	const char *org_id;
	void *rows; /* struct member_row[n] */
	size_t n;
};

/* The organisation's existence and its members, in one snapshot. */
static enum coffer_err members_tx(sqlite3 *db, void *ctx)
{
	struct member_list *l = ctx;
	enum coffer_err err =
	    db_row(db, "SELECT 1 FROM orgs WHERE id = ?", DB_ARGS(db_text(l->org_id)), NULL, NULL);
	if (err == COFFER_OK)
		err = db_rows_alloc(db,
				    "SELECT u.id, u.email, m.role, m.clearance, u.status, "
				    "u.last_login_at, u.reset_pending FROM memberships m "
				    "JOIN users u ON u.id = m.user_id WHERE m.org_id = ? "
				    "AND u.status IN ('invited', 'active', 'disabled') "
				    "ORDER BY u.email",
				    DB_ARGS(db_text(l->org_id)), read_member,
				    sizeof(struct member_row), &l->rows, &l->n);
	return err;
}

enum coffer_err sqlite_store_org_members(struct sqlite_store *st, const char *org_id,
					 struct member_row **out, size_t *n)
{
	struct member_list l = {org_id, NULL, 0};
	enum coffer_err err = db_pool_read(&st->pool, members_tx, &l);
	if (err != COFFER_OK) {
		free(l.rows);
		return err;
	}
	*out = l.rows;
	*n = l.n;
	return COFFER_OK;
}

enum coffer_err sqlite_store_org_active_admins(struct sqlite_store *st, const char *org_id,
					       size_t *n)
{
	int64_t count = 0;
	/* One row per organisation: NOT_FOUND when there is none. */
	enum coffer_err err = db_pool_row(
	    &st->pool,
	    "SELECT (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id "
	    "WHERE m.org_id = o.id AND m.role = 'org_admin' AND u.status = 'active') "
	    "FROM orgs o WHERE o.id = ?",
	    DB_ARGS(db_text(org_id)), db_read_int64, &count);
	if (err == COFFER_OK)
		*n = (size_t)count;
	return err;
}

/* A change to USER_ID's membership of ORG_ID at NOW: its new ROLE and CLEARANCE (NULL when
 * removing it), and the user's new sealed ACCOUNT. */
struct membership_change {
	const char *user_id, *org_id;
	const char *role, *clearance;
	const uint8_t *account;
	size_t account_len;
	uint64_t based_on; /* the account_version ACCOUNT was made from */
	int64_t now;
};

static enum coffer_err count_active_admins(sqlite3 *db, const char *org_id, int64_t *n)
{
	return db_row(db,
		      "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id "
		      "WHERE m.org_id = ? AND m.role = 'org_admin' AND u.status = 'active'",
		      DB_ARGS(db_text(org_id)), db_read_int64, n);
}

/* Before the change: the account the new one was made from must still be the user's (else a
 * concurrent change, a password or another membership, would be undone), and how many active
 * org_admins the organisation has. */
static enum coffer_err change_begin(sqlite3 *db, const struct membership_change *c, int64_t *admins)
{
	int64_t version = 0;
	enum coffer_err err = db_row(db, "SELECT account_version FROM users WHERE id = ?",
				     DB_ARGS(db_text(c->user_id)), db_read_int64, &version);
	if (err == COFFER_OK && (uint64_t)version != c->based_on)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = count_active_admins(db, c->org_id, admins);
	return err;
}

/* After it: an organisation that had an active org_admin keeps one. */
static enum coffer_err change_end(sqlite3 *db, const struct membership_change *c,
				  int64_t admins_before)
{
	int64_t after = 0;
	enum coffer_err err = count_active_admins(db, c->org_id, &after);
	if (err == COFFER_OK && admins_before > 0 && after == 0)
		err = COFFER_ERR_LAST_ADMIN;
	return err;
}

static enum coffer_err set_tx(sqlite3 *db, void *ctx)
{
	const struct membership_change *c = ctx;
	int64_t admins = 0;
	enum coffer_err err = change_begin(db, c, &admins);
	/* NOT_FOUND: not a member; INVALID_INPUT: a role or clearance the CHECKs refuse. */
	if (err == COFFER_OK)
		err = db_change(db,
				"UPDATE memberships SET role = ?, clearance = ? "
				"WHERE user_id = ? AND org_id = ?",
				DB_ARGS(db_text(c->role), db_text(c->clearance),
					db_text(c->user_id), db_text(c->org_id)));
	if (err == COFFER_OK)
		err =
		    user_account_replace(db, c->user_id, c->account, c->account_len, false, c->now);
	if (err == COFFER_OK)
		err = user_found_orgs(db, c->user_id, c->now);
	if (err == COFFER_OK)
		err = change_end(db, c, admins);
	return err;
}

enum coffer_err sqlite_store_membership_set(struct sqlite_store *st, const char *user_id,
					    const char *org_id, const char *role,
					    const char *clearance, const uint8_t *account,
					    size_t account_len, uint64_t based_on, int64_t now)
{
	struct membership_change c = {user_id, org_id,	    role,     clearance,
				      account, account_len, based_on, now};
	if (!user_account_ok(account, account_len) ||
	    (strcmp(role, "member") != 0 && strcmp(role, "org_admin") != 0))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, set_tx, &c);
}

static enum coffer_err remove_tx(sqlite3 *db, void *ctx)
{
	const struct membership_change *c = ctx;
	int64_t admins = 0;
	enum coffer_err err = change_begin(db, c, &admins);
	if (err == COFFER_OK)
		err = db_change(db, "DELETE FROM memberships WHERE user_id = ? AND org_id = ?",
				DB_ARGS(db_text(c->user_id), db_text(c->org_id)));
	/* A reset this organisation made for the member is void once they are no longer in it. */
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE resets SET used_at = ?3 "
			      "WHERE user_id = ?1 AND org_id = ?2 AND used_at IS NULL",
			      DB_ARGS(db_text(c->user_id), db_text(c->org_id), db_int(c->now)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "UPDATE users SET reset_pending = 0 WHERE id = ?1 AND NOT EXISTS "
			      "(SELECT 1 FROM resets WHERE user_id = ?1 AND used_at IS NULL)",
			      DB_ARGS(db_text(c->user_id)));
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM member_policies WHERE org_id = ? AND user_id = ?",
			      DB_ARGS(db_text(c->org_id), db_text(c->user_id)));
	if (err == COFFER_OK)
		err =
		    user_account_replace(db, c->user_id, c->account, c->account_len, false, c->now);
	if (err == COFFER_OK)
		err = change_end(db, c, admins);
	return err;
}

enum coffer_err sqlite_store_membership_remove(struct sqlite_store *st, const char *user_id,
					       const char *org_id, const uint8_t *account,
					       size_t account_len, uint64_t based_on, int64_t now)
{
	struct membership_change c = {user_id, org_id,	    NULL,     NULL,
				      account, account_len, based_on, now};
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, remove_tx, &c);
}
