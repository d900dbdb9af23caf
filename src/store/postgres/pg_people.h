/* pg_people.h — what the PostgreSQL store's files on people share (pg_users.c,
 * pg_user_changes.c, pg_invite_accept.c, pg_members.c, pg_resets.c, pg_sessions.c,
 * pg_caller.c): the columns a user and a session are read from, the writes to a user made
 * inside another write's transaction, as the SQLite store's users.c offers them to members.c
 * and resets.c, and one query whose rows the caller walks itself.
 *
 * Every write of these files that reads before it decides (an invite still unused, the
 * account_version a new account was made from, the last active org_admin, a reset still
 * unused, the organisations to found) takes pg_lock(c, PG_LOCK_PEOPLE) as its transaction's
 * first statement, and so does every write that replaces a user's account: the same writes
 * from two nodes at once run one after the other, as SQLite's one writer at a time, and the
 * statements after the lock see what the other committed (READ COMMITTED). */
#ifndef COFFER_PG_PEOPLE_H
#define COFFER_PG_PEOPLE_H

#include "store/postgres/pg_store_db.h"
#include "store/account_rules.h"

/* Replaces USER_ID's sealed account and moves its account_version on (and its
 * password_changed_at to NOW when NEW_PASSWORD), inside C's transaction; COFFER_ERR_NOT_FOUND
 * for no such user. (pg_user_changes.c) */
COFFER_MUST_CHECK enum coffer_err pg_user_account_replace(struct pg_conn *c, const char *user_id,
							  const uint8_t *account,
							  size_t account_len, bool new_password,
							  int64_t now);

/* Founds, at NOW, every not yet founded organisation where USER_ID is an org_admin, if the
 * user is active, inside C's transaction. (pg_user_changes.c) */
COFFER_MUST_CHECK enum coffer_err pg_user_found_orgs(struct pg_conn *c, const char *user_id,
						     int64_t now);

/* Runs SQL on a connection to the system database outside any transaction (one statement:
 * one snapshot) with binary results; on success *OUT holds its rows (PQclear it). For the
 * reads whose rows are not one item each (a user and its memberships). (pg_users.c) */
COFFER_MUST_CHECK enum coffer_err pg_people_query(struct pg_store *st, const char *sql,
						  struct pg_args args, PGresult **out);

/* A user's columns (ACCOUNT: u.account, or NULL::bytea to leave it out), then one
 * membership's (NULL for none), in the order pg_user_read_rows reads them, from column 0 on;
 * then the tables they come from, and the order that keeps a user's rows together. */
#define PG_USER_COLUMNS(account)                                                                   \
	"u.id, u.email, u.role, u.status, u.totp_last_step, u.created_at, " #account ", "          \
	"u.account_version, u.last_login_at, u.password_changed_at, u.reset_pending, "             \
	"m.org_id, o.name, m.role, m.clearance"
#define PG_USER_N_COLUMNS 15
#define PG_USER_MEMBERSHIPS                                                                        \
	"LEFT JOIN (memberships m JOIN orgs o ON o.id = m.org_id) ON m.user_id = u.id "
#define PG_USER_FROM	    "FROM users u " PG_USER_MEMBERSHIPS
#define PG_MEMBERSHIP_ORDER "o.name COLLATE \"C\", m.org_id COLLATE \"C\""

/* Reads the one user R holds (its rows, PG_USER_COLUMNS first) into U: COFFER_ERR_NOT_FOUND
 * for no row, COFFER_ERR_STORAGE for the rows of two users. (pg_users.c) */
COFFER_MUST_CHECK enum coffer_err pg_user_read_one(const PGresult *r, struct user_record *u);

/* Reads the user of row *ROW with its memberships (its rows from *ROW on, PG_USER_COLUMNS
 * first) into U; *ROW moves past them. (pg_users.c) */
COFFER_MUST_CHECK enum coffer_err pg_user_read_rows(const PGresult *r, int *row,
						    struct user_record *u);

/* A session's columns, as pg_session_read_at reads them, and the condition that finds it live
 * ($1 its token hash, $2 now, $3 the idle lifetime; sessions s joined with users u). */
#define PG_SESSION_COLUMNS                                                                         \
	"s.user_id, s.csrf_token, s.ticket, s.created_at, s.last_seen, s.expires_at, "             \
	"s.must_change_password, s.account_version, coalesce(s.public_id, ''), "                   \
	"coalesce(s.authenticated_at, s.created_at)"
#define PG_SESSION_N_COLUMNS 10
#define PG_SESSION_LIVE                                                                            \
	"s.token_hash = $1 AND u.status = 'active' AND NOT u.reset_pending "                       \
	"AND $2::bigint < s.expires_at AND $2::bigint - s.last_seen <= $3::bigint"

/* Reads PG_SESSION_COLUMNS from column BASE on into V (its token excepted). (pg_sessions.c) */
COFFER_MUST_CHECK enum coffer_err pg_session_read_at(const PGresult *r, int row, int base,
						     struct session_record *v);

/* Row readers for pg_row: one that reads nothing (the row's existence is the answer), and
 * one that reads column 0, an integer (a count), into the int64_t at OUT. */
static inline enum coffer_err people_read_none(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	(void)out;
	return COFFER_OK;
}

static inline enum coffer_err people_read_int(const PGresult *r, int row, void *out)
{
	return pg_get_int(r, row, 0, out) ? COFFER_OK : COFFER_ERR_STORAGE;
}

#endif
