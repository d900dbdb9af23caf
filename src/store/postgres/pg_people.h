/* pg_people.h — what the PostgreSQL store's files on people share (pg_users.c,
 * pg_user_changes.c, pg_invite_accept.c, pg_members.c, pg_resets.c): the writes to a user made
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
