/* pg_user_changes.c — changes to a user in the PostgreSQL system database: status, password
 * (the sealed account) and the last TOTP step used; and the two writes to a user that the
 * other people writes make inside their transactions (pg_people.h). As the SQLite store's
 * users.c.
 *
 * Design points:
 * - The TOTP step is compare-and-set in one UPDATE: two nodes checking the same code at the
 *   same moment cannot both accept it (the second waits for the first's row lock, then finds
 *   the step already taken). The same statement tells a used step from an unknown user.
 * - Disabling a user and changing a password end sessions in the same transaction, so no
 *   request can find a session of a user once the change is acknowledged.
 * - A status or password change takes PG_LOCK_PEOPLE first: a membership change compares the
 *   account_version and counts active org_admins under that lock, and must not have either
 *   change between its check and its write.
 * - Every write that replaces a user's sealed account goes through pg_user_account_replace,
 *   which moves account_version on in the same statement: no replacement can leave a ticket
 *   looking current. Every write that can make an org_admin membership active calls
 *   pg_user_found_orgs.
 */
#include <string.h>

#include "store/postgres/pg_people.h"

enum coffer_err pg_user_account_replace(struct pg_conn *c, const char *user_id,
					const uint8_t *account, size_t account_len,
					bool new_password, int64_t now)
{
	return pg_change(c,
			 "UPDATE users SET account = $1, account_version = account_version + 1, "
			 "password_changed_at = CASE WHEN $4::boolean THEN $2::bigint "
			 "ELSE password_changed_at END, updated_at = $2::bigint WHERE id = $3",
			 PG_ARGS(pg_bytea(account, account_len), pg_int(now), pg_text(user_id),
				 pg_int(new_password ? 1 : 0)));
}

enum coffer_err pg_user_found_orgs(struct pg_conn *c, const char *user_id, int64_t now)
{
	return pg_exec(c,
		       "UPDATE orgs SET founded_at = $2 WHERE founded_at IS NULL AND id IN ("
		       "SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id "
		       "WHERE m.user_id = $1 AND m.role = 'org_admin' AND u.status = 'active')",
		       PG_ARGS(pg_text(user_id), pg_int(now)));
}

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

static enum coffer_err set_status_tx(struct pg_conn *c, void *ctx)
{
	const struct user_change *ch = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	/* NOT_FOUND: no such user, or one still invited. */
	if (err == COFFER_OK)
		err =
		    pg_change(c,
			      "UPDATE users SET status = $1, updated_at = $2 "
			      "WHERE id = $3 AND status IN ('active', 'disabled')",
			      PG_ARGS(pg_text(ch->status), pg_int(ch->now), pg_text(ch->user_id)));
	if (err == COFFER_OK && strcmp(ch->status, "disabled") == 0)
		err = pg_exec(c, "DELETE FROM sessions WHERE user_id = $1",
			      PG_ARGS(pg_text(ch->user_id)));
	else if (err == COFFER_OK)
		err = pg_user_found_orgs(c, ch->user_id, ch->now);
	return err;
}

enum coffer_err pg_store_user_set_status(struct pg_store *st, const char *user_id,
					 const char *status, int64_t now)
{
	struct user_change ch = {.user_id = user_id, .now = now, .status = status};
	if (strcmp(status, "disabled") != 0 && strcmp(status, "active") != 0)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, set_status_tx, &ch);
}

static enum coffer_err set_account_tx(struct pg_conn *c, void *ctx)
{
	const struct user_change *ch = ctx;
	struct pg_arg kept =
	    ch->keep != NULL ? pg_bytea(ch->keep->bytes, sizeof ch->keep->bytes) : pg_null();
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, ch->user_id, ch->account, ch->account_len, true,
					      ch->now);
	/* $2 NULL (no session kept) matches no token hash, so every session goes. */
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "DELETE FROM sessions WHERE user_id = $1 "
			      "AND ($2::bytea IS NULL OR token_hash <> $2::bytea)",
			      PG_ARGS(pg_text(ch->user_id), kept));
	if (err == COFFER_OK && ch->keep != NULL)
		err = pg_exec(c,
			      "UPDATE sessions SET must_change_password = false "
			      "WHERE token_hash = $1 AND user_id = $2",
			      PG_ARGS(kept, pg_text(ch->user_id)));
	return err;
}

enum coffer_err pg_store_user_set_account(struct pg_store *st, const char *user_id,
					  const uint8_t *account, size_t account_len,
					  const struct token_hash *keep, int64_t now)
{
	struct user_change ch = {.user_id = user_id,
				 .now = now,
				 .account = account,
				 .account_len = account_len,
				 .keep = keep};
	if (!user_account_ok(account, account_len))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, set_account_tx, &ch);
}

/* A compare-and-set on a user's row: whether it changed, and whether the user exists. */
struct user_cas {
	int64_t changed, exists;
};

static enum coffer_err read_user_cas(const PGresult *r, int row, void *out)
{
	struct user_cas *s = out;
	return pg_get_int(r, row, 0, &s->changed) && pg_get_int(r, row, 1, &s->exists)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_totp_step_use(struct pg_store *st, const char *user_id, int64_t step)
{
	if (step < 0)
		return COFFER_ERR_INVALID_INPUT;
	/* One statement compares and sets; the second column only names a refusal's error. */
	struct user_cas s = {0, 0};
	enum coffer_err err = pg_sys_row(
	    st,
	    "WITH used AS (UPDATE users SET totp_last_step = $1 "
	    "WHERE id = $2 AND totp_last_step < $1 RETURNING 1) "
	    "SELECT EXISTS (SELECT 1 FROM used), EXISTS (SELECT 1 FROM users WHERE id = $2)",
	    PG_ARGS(pg_int(step), pg_text(user_id)), read_user_cas, &s);
	if (err != COFFER_OK)
		return err;
	if (s.changed)
		return COFFER_OK;
	/* A step at or after this one was used. */
	return s.exists ? COFFER_ERR_VERSION_CONFLICT : COFFER_ERR_NOT_FOUND;
}

enum coffer_err pg_store_user_account_reseal(struct pg_store *st, const char *user_id,
					     const uint8_t *account, size_t account_len,
					     uint64_t based_on, int64_t now)
{
	if (!user_account_ok(account, account_len) || based_on > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* One statement compares and sets; the second column only names a refusal's error. */
	struct user_cas s = {0, 0};
	enum coffer_err err = pg_sys_row(
	    st,
	    "WITH sealed AS (UPDATE users SET account = $1, "
	    "account_version = account_version + 1, updated_at = $2 "
	    "WHERE id = $3 AND account_version = $4 RETURNING 1) "
	    "SELECT EXISTS (SELECT 1 FROM sealed), EXISTS (SELECT 1 FROM users WHERE id = $3)",
	    PG_ARGS(pg_bytea(account, account_len), pg_int(now), pg_text(user_id),
		    pg_int((int64_t)based_on)),
	    read_user_cas, &s);
	if (err != COFFER_OK)
		return err;
	if (s.changed)
		return COFFER_OK;
	return s.exists ? COFFER_ERR_VERSION_CONFLICT : COFFER_ERR_NOT_FOUND;
}
