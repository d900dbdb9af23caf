/* pg_members.c — an organisation's people in the PostgreSQL system database: listing its
 * members, counting its active org_admins, changing and removing a membership (as the SQLite
 * store's members.c).
 *
 * Design points:
 * - A change to a membership replaces the user's sealed account (keyd re-seals it with the
 *   memberships it now has) in the same transaction, through pg_user_account_replace, so the
 *   account_version moves on with it: every session's ticket from before is seen as stale.
 * - The change is compare-and-set over several rows (the user's account_version, then the
 *   organisation's active org_admins before and after): its transaction takes PG_LOCK_PEOPLE
 *   first, as every other write to users and memberships does, so no other node's change can
 *   land between the checks and the write. Two nodes demoting an organisation's last two
 *   org_admins at once: the second sees the first's commit and gets COFFER_ERR_LAST_ADMIN.
 * - Removing a membership removes the member's login policy there in the same transaction; a
 *   later membership starts from the organisation's policy.
 */
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_people.h"

/* The organisation's row, then each member's (NULL when it has none): one statement, so the
 * organisation's existence and its members are one snapshot. */
#define MEMBERS_SQL                                                                                \
	"SELECT u.id, u.email, m.role, m.clearance, u.status, u.last_login_at, u.reset_pending "   \
	"FROM orgs o LEFT JOIN (memberships m JOIN users u ON u.id = m.user_id "                   \
	"AND u.status IN ('invited', 'active', 'disabled')) ON m.org_id = o.id "                   \
	"WHERE o.id = $1 ORDER BY u.email COLLATE \"C\""

static enum coffer_err read_member(const PGresult *r, int row, struct member_row *m)
{
	int64_t reset_pending = 0;
	m->last_login_at = 0; /* NULL: never signed in */
	bool ok = pg_get_text(r, row, 0, m->user_id, sizeof m->user_id) &&
		  pg_get_text(r, row, 1, m->email, sizeof m->email) &&
		  pg_get_text(r, row, 2, m->role, sizeof m->role) &&
		  pg_get_text(r, row, 3, m->clearance, sizeof m->clearance) &&
		  pg_get_text(r, row, 4, m->status, sizeof m->status) &&
		  (pg_get_null(r, row, 5) || pg_get_int(r, row, 5, &m->last_login_at)) &&
		  pg_get_int(r, row, 6, &reset_pending);
	m->reset_pending = reset_pending != 0;
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_org_members(struct pg_store *st, const char *org_id,
				     struct member_row **out, size_t *n)
{
	PGresult *r = NULL;
	enum coffer_err err = pg_people_query(st, MEMBERS_SQL, PG_ARGS(pg_text(org_id)), &r);
	if (err != COFFER_OK)
		return err;
	int rows = PQntuples(r);
	/* No row: no such organisation; one whose user is NULL: one without members. */
	size_t n_rows = rows == 1 && pg_get_null(r, 0, 0) ? 0 : (size_t)rows;
	struct member_row *members = n_rows > 0 ? calloc(n_rows, sizeof *members) : NULL;
	if (rows == 0)
		err = COFFER_ERR_NOT_FOUND;
	else if (n_rows > 0 && members == NULL)
		err = COFFER_ERR_NOMEM;
	for (size_t i = 0; err == COFFER_OK && i < n_rows; i++)
		err = read_member(r, (int)i, &members[i]);
	PQclear(r);
	if (err != COFFER_OK) {
		free(members);
		return err;
	}
	*out = members;
	*n = n_rows;
	return COFFER_OK;
}

enum coffer_err pg_store_org_active_admins(struct pg_store *st, const char *org_id, size_t *n)
{
	int64_t count = 0;
	/* One row per organisation: NOT_FOUND when there is none. */
	enum coffer_err err = pg_sys_row(
	    st,
	    "SELECT (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id "
	    "WHERE m.org_id = o.id AND m.role = 'org_admin' AND u.status = 'active') "
	    "FROM orgs o WHERE o.id = $1",
	    PG_ARGS(pg_text(org_id)), people_read_int, &count);
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

static enum coffer_err count_active_admins(struct pg_conn *c, const char *org_id, int64_t *n)
{
	return pg_row(c,
		      "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id "
		      "WHERE m.org_id = $1 AND m.role = 'org_admin' AND u.status = 'active'",
		      PG_ARGS(pg_text(org_id)), people_read_int, n);
}

/* Before the change, under the lock: the account the new one was made from must still be the
 * user's (else a concurrent change, a password or another membership, would be undone), and
 * how many active org_admins the organisation has. */
static enum coffer_err change_begin(struct pg_conn *c, const struct membership_change *ch,
				    int64_t *admins)
{
	int64_t version = 0;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = pg_row(c, "SELECT account_version FROM users WHERE id = $1",
			     PG_ARGS(pg_text(ch->user_id)), people_read_int, &version);
	if (err == COFFER_OK && (uint64_t)version != ch->based_on)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = count_active_admins(c, ch->org_id, admins);
	return err;
}

/* After it: an organisation that had an active org_admin keeps one. */
static enum coffer_err change_end(struct pg_conn *c, const struct membership_change *ch,
				  int64_t admins_before)
{
	int64_t after = 0;
	enum coffer_err err = count_active_admins(c, ch->org_id, &after);
	if (err == COFFER_OK && admins_before > 0 && after == 0)
		err = COFFER_ERR_LAST_ADMIN;
	return err;
}

static enum coffer_err set_tx(struct pg_conn *c, void *ctx)
{
	const struct membership_change *ch = ctx;
	int64_t admins = 0;
	enum coffer_err err = change_begin(c, ch, &admins);
	/* NOT_FOUND: not a member; INVALID_INPUT: a role or clearance the CHECKs refuse. */
	if (err == COFFER_OK)
		err = pg_change(c,
				"UPDATE memberships SET role = $1, clearance = $2 "
				"WHERE user_id = $3 AND org_id = $4",
				PG_ARGS(pg_text(ch->role), pg_text(ch->clearance),
					pg_text(ch->user_id), pg_text(ch->org_id)));
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, ch->user_id, ch->account, ch->account_len, false,
					      ch->now);
	if (err == COFFER_OK)
		err = pg_user_found_orgs(c, ch->user_id, ch->now);
	if (err == COFFER_OK)
		err = change_end(c, ch, admins);
	return err;
}

enum coffer_err pg_store_membership_set(struct pg_store *st, const char *user_id,
					const char *org_id, const char *role, const char *clearance,
					const uint8_t *account, size_t account_len,
					uint64_t based_on, int64_t now)
{
	struct membership_change ch = {user_id, org_id,	     role,     clearance,
				       account, account_len, based_on, now};
	if (!user_account_ok(account, account_len) ||
	    (strcmp(role, "member") != 0 && strcmp(role, "org_admin") != 0))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, set_tx, &ch);
}

static enum coffer_err remove_tx(struct pg_conn *c, void *ctx)
{
	const struct membership_change *ch = ctx;
	int64_t admins = 0;
	enum coffer_err err = change_begin(c, ch, &admins);
	if (err == COFFER_OK)
		err = pg_change(c, "DELETE FROM memberships WHERE user_id = $1 AND org_id = $2",
				PG_ARGS(pg_text(ch->user_id), pg_text(ch->org_id)));
	/* A reset this organisation made for the member is void once they are no longer in it. */
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE resets SET used_at = $3 "
			      "WHERE user_id = $1 AND org_id = $2 AND used_at IS NULL",
			      PG_ARGS(pg_text(ch->user_id), pg_text(ch->org_id), pg_int(ch->now)));
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "UPDATE users SET reset_pending = false WHERE id = $1 AND NOT EXISTS "
			      "(SELECT 1 FROM resets WHERE user_id = $1 AND used_at IS NULL)",
			      PG_ARGS(pg_text(ch->user_id)));
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM member_policies WHERE org_id = $1 AND user_id = $2",
			      PG_ARGS(pg_text(ch->org_id), pg_text(ch->user_id)));
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, ch->user_id, ch->account, ch->account_len, false,
					      ch->now);
	if (err == COFFER_OK)
		err = change_end(c, ch, admins);
	return err;
}

enum coffer_err pg_store_membership_remove(struct pg_store *st, const char *user_id,
					   const char *org_id, const uint8_t *account,
					   size_t account_len, uint64_t based_on, int64_t now)
{
	struct membership_change ch = {user_id, org_id,	     NULL,     NULL,
				       account, account_len, based_on, now};
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, remove_tx, &ch);
}
