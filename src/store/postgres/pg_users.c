/* pg_users.c — reading users and their memberships from the PostgreSQL system database (as the
 * SQLite store's users.c reads them).
 *
 * Design points:
 * - A user and its memberships (with their organisations' names) come from one statement, a
 *   LEFT JOIN, so they are read in one snapshot and always agree; a user without memberships
 *   is one row whose membership columns are NULL. A user's rows are consecutive (ordered by
 *   the unique email first), and pg_user_read_rows() is the one place that reads them.
 * - Orders compare bytes (COLLATE "C"), as SQLite's BINARY collation does: lists come in the
 *   same order on both engines, whatever collation the database was created with.
 */
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_people.h"

/* The list leaves the account out. */
#define USER_SELECT	       "SELECT " PG_USER_COLUMNS(u.account) " " PG_USER_FROM
#define USER_SELECT_NO_ACCOUNT "SELECT " PG_USER_COLUMNS(NULL::bytea) " " PG_USER_FROM
#define MEMBERSHIP_ORDER       PG_MEMBERSHIP_ORDER

enum {
	COL_ID,
	COL_EMAIL,
	COL_ROLE,
	COL_STATUS,
	COL_TOTP,
	COL_CREATED,
	COL_ACCOUNT,
	COL_VERSION,
	COL_LAST_LOGIN,
	COL_PASSWORD_CHANGED,
	COL_RESET_PENDING,
	COL_ORG_ID,
	COL_ORG_NAME,
	COL_ORG_ROLE,
	COL_CLEARANCE,
};

enum coffer_err pg_people_query(struct pg_store *st, const char *sql, struct pg_args args,
				PGresult **out)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(st->pool, NULL, &c);
	if (err != COFFER_OK)
		return err;
	err = pg_query(c, sql, args, PG_BINARY_RESULTS, out);
	pg_pool_put(st->pool, c);
	return err;
}

/* A nullable integer column: NULL reads as 0. */
static bool get_int_null0(const PGresult *r, int row, int col, int64_t *out)
{
	*out = 0;
	return pg_get_null(r, row, col) || pg_get_int(r, row, col, out);
}

/* Row ROW's user columns into U, without its memberships. */
static enum coffer_err read_user(const PGresult *r, int row, struct user_record *u)
{
	int64_t version = 0, reset_pending = 0;
	bool ok = pg_get_text(r, row, COL_ID, u->id, sizeof u->id) &&
		  pg_get_text(r, row, COL_EMAIL, u->email, sizeof u->email) &&
		  pg_get_text(r, row, COL_ROLE, u->role, sizeof u->role) &&
		  pg_get_text(r, row, COL_STATUS, u->status, sizeof u->status) &&
		  pg_get_int(r, row, COL_TOTP, &u->totp_last_step) &&
		  pg_get_int(r, row, COL_CREATED, &u->created_at) &&
		  pg_get_int(r, row, COL_VERSION, &version) && version >= 1 &&
		  get_int_null0(r, row, COL_LAST_LOGIN, &u->last_login_at) &&
		  get_int_null0(r, row, COL_PASSWORD_CHANGED, &u->password_changed_at) &&
		  pg_get_int(r, row, COL_RESET_PENDING, &reset_pending);
	u->account_version = (uint64_t)version;
	u->reset_pending = reset_pending != 0;
	u->n_orgs = 0;
	u->account_len = 0;
	/* The list's NULL account reads as none. */
	if (ok && !pg_get_null(r, row, COL_ACCOUNT))
		ok = pg_get_bytea_max(r, row, COL_ACCOUNT, u->account, sizeof u->account,
				      &u->account_len);
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

static bool read_membership(const PGresult *r, int row, struct membership_record *m)
{
	return pg_get_text(r, row, COL_ORG_ID, m->org_id, sizeof m->org_id) &&
	       pg_get_text(r, row, COL_ORG_NAME, m->org_name, sizeof m->org_name) &&
	       pg_get_text(r, row, COL_ORG_ROLE, m->role, sizeof m->role) &&
	       pg_get_text(r, row, COL_CLEARANCE, m->clearance, sizeof m->clearance);
}

/* Whether rows A and B are the same user's. */
static bool same_user(const PGresult *r, int a, int b)
{
	return PQgetlength(r, a, COL_ID) == PQgetlength(r, b, COL_ID) &&
	       memcmp(PQgetvalue(r, a, COL_ID), PQgetvalue(r, b, COL_ID),
		      (size_t)PQgetlength(r, a, COL_ID)) == 0;
}

enum coffer_err pg_user_read_one(const PGresult *r, struct user_record *u)
{
	int row = 0;
	if (PQntuples(r) == 0)
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = pg_user_read_rows(r, &row, u);
	if (err == COFFER_OK && row != PQntuples(r))
		err = COFFER_ERR_STORAGE; /* a key that finds two users: not a unique column */
	return err;
}

enum coffer_err pg_user_read_rows(const PGresult *r, int *row, struct user_record *u)
{
	int first = *row, rows = PQntuples(r);
	enum coffer_err err = read_user(r, first, u);
	for (int i = first; i < rows && same_user(r, first, i); i++, (*row)++) {
		if (err != COFFER_OK || pg_get_null(r, i, COL_ORG_ID))
			continue; /* no membership: the LEFT JOIN's one row */
		if (u->n_orgs == STORE_ORGS_MAX)
			err = COFFER_ERR_STORAGE; /* writes never store more */
		else if (!read_membership(r, i, &u->orgs[u->n_orgs]))
			err = COFFER_ERR_STORAGE;
		else
			u->n_orgs++;
	}
	if (err != COFFER_OK)
		u->n_orgs = 0;
	return err;
}

/* The one user that SQL finds for KEY. Read straight into OUT (some 60 KiB, looked up on every
 * request): on an error its contents are unspecified, and NOT_FOUND leaves it untouched. */
static enum coffer_err find_user(struct pg_store *st, const char *sql, const char *key,
				 struct user_record *out)
{
	PGresult *r = NULL;
	enum coffer_err err = pg_people_query(st, sql, PG_ARGS(pg_text(key)), &r);
	if (err != COFFER_OK)
		return err;
	err = pg_user_read_one(r, out);
	PQclear(r);
	return err;
}

enum coffer_err pg_store_user_by_email(struct pg_store *st, const char *email,
				       struct user_record *out)
{
	return find_user(st, USER_SELECT "WHERE u.email = $1 ORDER BY " MEMBERSHIP_ORDER, email,
			 out);
}

enum coffer_err pg_store_user_get(struct pg_store *st, const char *user_id, struct user_record *out)
{
	return find_user(st, USER_SELECT "WHERE u.id = $1 ORDER BY " MEMBERSHIP_ORDER, user_id,
			 out);
}

enum coffer_err pg_store_users_list(struct pg_store *st, struct user_record **out, size_t *n)
{
	PGresult *r = NULL;
	enum coffer_err err = pg_people_query(
	    st, USER_SELECT_NO_ACCOUNT "ORDER BY u.email COLLATE \"C\", " MEMBERSHIP_ORDER,
	    PG_NO_ARGS, &r);
	if (err != COFFER_OK)
		return err;
	int rows = PQntuples(r);
	size_t n_users = 0;
	for (int i = 0; i < rows; i++)
		if (i == 0 || !same_user(r, i - 1, i))
			n_users++;
	struct user_record *users = NULL;
	if (n_users > 0) {
		users = calloc(n_users, sizeof *users);
		if (users == NULL)
			err = COFFER_ERR_NOMEM;
	}
	int row = 0;
	for (size_t i = 0; err == COFFER_OK && i < n_users; i++)
		err = pg_user_read_rows(r, &row, &users[i]);
	PQclear(r);
	if (err != COFFER_OK) {
		free(users);
		return err;
	}
	*out = users;
	*n = n_users;
	return COFFER_OK;
}

static enum coffer_err read_email(const PGresult *r, int row, void *out)
{
	return pg_get_text(r, row, 0, out, EMAIL_MAX + 1) ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_user_email(struct pg_store *st, const char *user_id,
				    char out[EMAIL_MAX + 1])
{
	char email[EMAIL_MAX + 1]; /* OUT changes only on success */
	enum coffer_err err = pg_sys_row(st, "SELECT email FROM users WHERE id = $1",
					 PG_ARGS(pg_text(user_id)), read_email, email);
	if (err == COFFER_OK)
		memcpy(out, email, sizeof email);
	return err;
}
