/* pg_invite_accept.c — accepting and confirming invites in the PostgreSQL system database: the
 * user an invite creates (or the existing user it adds memberships to), as the SQLite store's
 * users.c.
 *
 * Design points:
 * - Each acceptance or confirmation is one transaction that takes PG_LOCK_PEOPLE first and
 *   then checks the invite (unused, unexpired): two acceptances of one invite from two nodes
 *   run one after the other, the second sees the first's commit, and a failure leaves nothing.
 * - The membership count (STORE_ORGS_MAX) and the organisations founded are read under the
 *   same lock, so they cannot change between the read and the write.
 */
#include <string.h>

#include "common/uuid.h"
#include "store/postgres/pg_people.h"

/* An invite that is unused and unexpired: its email, and the user who accepted it ("" when
 * nobody has yet). */
struct open_invite {
	char email[EMAIL_MAX + 1];
	char user_id[STORE_ID_MAX + 1];
};

static enum coffer_err read_open_invite(const PGresult *r, int row, void *out)
{
	struct open_invite *inv = out;
	inv->user_id[0] = '\0';
	bool ok =
	    pg_get_text(r, row, 0, inv->email, sizeof inv->email) &&
	    (pg_get_null(r, row, 1) || pg_get_text(r, row, 1, inv->user_id, sizeof inv->user_id));
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

static struct pg_arg hash_arg(const struct token_hash *h)
{
	return pg_bytea(h->bytes, sizeof h->bytes);
}

/* Invite H if it is unused and unexpired at NOW. */
static enum coffer_err open_invite(struct pg_conn *c, const struct token_hash *h, int64_t now,
				   struct open_invite *out)
{
	return pg_row(c,
		      "SELECT email, user_id FROM invites WHERE token_hash = $1 "
		      "AND used_at IS NULL AND expires_at > $2",
		      PG_ARGS(hash_arg(h), pg_int(now)), read_open_invite, out);
}

/* Records USER_ID as the user of invite H, and uses it at USED_AT unless that is negative. */
static enum coffer_err mark_invite(struct pg_conn *c, const struct token_hash *h,
				   const char *user_id, int64_t used_at)
{
	return pg_exec(
	    c, "UPDATE invites SET user_id = $1, used_at = $2 WHERE token_hash = $3",
	    PG_ARGS(pg_text(user_id), used_at >= 0 ? pg_int(used_at) : pg_null(), hash_arg(h)));
}

static enum coffer_err insert_user(struct pg_conn *c, const struct user_record *u,
				   const char *status, int64_t now)
{
	/* COFFER_ERR_EXISTS: the email (or id) is taken. */
	return pg_exec(
	    c,
	    "INSERT INTO users (id, email, role, status, account, totp_last_step, "
	    "created_at, updated_at, password_changed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$7)",
	    PG_ARGS(pg_text(u->id), pg_text(u->email), pg_text(u->role), pg_text(status),
		    pg_bytea(u->account, u->account_len), pg_int(u->totp_last_step), pg_int(now)));
}

static enum coffer_err insert_membership(struct pg_conn *c, const char *user_id,
					 const struct membership_record *m)
{
	/* COFFER_ERR_EXISTS when it is there; COFFER_ERR_NOT_FOUND for no such organisation. */
	return pg_exec(
	    c,
	    "INSERT INTO memberships (user_id, org_id, role, clearance) "
	    "VALUES ($1,$2,$3,$4)",
	    PG_ARGS(pg_text(user_id), pg_text(m->org_id), pg_text(m->role), pg_text(m->clearance)));
}

static enum coffer_err count_memberships(struct pg_conn *c, const char *user_id, int64_t *n)
{
	return pg_row(c, "SELECT count(*) FROM memberships WHERE user_id = $1",
		      PG_ARGS(pg_text(user_id)), people_read_int, n);
}

/* Adds U's memberships; COFFER_ERR_EXISTS when one is already there, COFFER_ERR_NOT_FOUND for
 * an organisation that does not exist, COFFER_ERR_TOO_LARGE past STORE_ORGS_MAX in all. */
static enum coffer_err insert_memberships(struct pg_conn *c, const struct user_record *u)
{
	int64_t count = 0;
	enum coffer_err err = count_memberships(c, u->id, &count);
	if (err == COFFER_OK && (uint64_t)count + u->n_orgs > STORE_ORGS_MAX)
		err = COFFER_ERR_TOO_LARGE;
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++)
		err = insert_membership(c, u->id, &u->orgs[i]);
	return err;
}

/* PENDING and ACTIVE: a new user with the invite's email, replacing the pending user of an
 * earlier acceptance of the same invite. */
static enum coffer_err accept_new(struct pg_conn *c, const struct token_hash *h,
				  const struct user_record *u, enum store_accept mode,
				  const struct open_invite *inv, int64_t now)
{
	/* An invite grants an account to its own address only. */
	if (strcmp(u->email, inv->email) != 0)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = COFFER_OK;
	/* The cascade takes its memberships and sessions; invites.user_id is cleared by its
	 * foreign key. */
	if (inv->user_id[0] != '\0')
		err = pg_exec(c, "DELETE FROM users WHERE id = $1 AND status = 'invited'",
			      PG_ARGS(pg_text(inv->user_id)));
	if (err == COFFER_OK)
		err = insert_user(c, u, mode == STORE_ACCEPT_ACTIVE ? "active" : "invited", now);
	if (err == COFFER_OK)
		err = insert_memberships(c, u);
	if (err == COFFER_OK)
		err = mark_invite(c, h, u->id, mode == STORE_ACCEPT_ACTIVE ? now : -1);
	if (err == COFFER_OK && mode == STORE_ACCEPT_ACTIVE)
		err = pg_user_found_orgs(c, u->id, now);
	return err;
}

/* JOIN's memberships: each one of U->orgs is added, or, for a member of that organisation
 * invited as org_admin, replaces the membership (a promotion); COFFER_ERR_EXISTS otherwise. */
static enum coffer_err join_memberships(struct pg_conn *c, const struct user_record *u)
{
	int64_t count = 0;
	enum coffer_err err = count_memberships(c, u->id, &count);
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		err = strcmp(m->role, "org_admin") == 0
			  ? pg_change(
				c,
				"UPDATE memberships SET role = 'org_admin', clearance = $1 "
				"WHERE user_id = $2 AND org_id = $3 AND role = 'member'",
				PG_ARGS(pg_text(m->clearance), pg_text(u->id), pg_text(m->org_id)))
			  : COFFER_ERR_NOT_FOUND;
		if (err == COFFER_ERR_NOT_FOUND)
			err = ++count > STORE_ORGS_MAX ? COFFER_ERR_TOO_LARGE
						       : insert_membership(c, u->id, m);
	}
	return err;
}

/* JOIN: the existing active user U->id, whose email is the invite's, joins U->orgs. */
static enum coffer_err accept_join(struct pg_conn *c, const struct token_hash *h,
				   const struct user_record *u, const struct open_invite *inv,
				   int64_t now)
{
	enum coffer_err err =
	    pg_row(c, "SELECT 1 FROM users WHERE id = $1 AND email = $2 AND status = 'active'",
		   PG_ARGS(pg_text(u->id), pg_text(inv->email)), people_read_none, NULL);
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, u->id, u->account, u->account_len, false, now);
	if (err == COFFER_OK)
		err = join_memberships(c, u);
	if (err == COFFER_OK)
		err = mark_invite(c, h, u->id, now);
	if (err == COFFER_OK)
		err = pg_user_found_orgs(c, u->id, now);
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

static enum coffer_err accept_tx(struct pg_conn *c, void *ctx)
{
	const struct acceptance *a = ctx;
	struct open_invite inv;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = open_invite(c, a->h, a->now, &inv);
	if (err != COFFER_OK)
		return err;
	if (a->mode == STORE_ACCEPT_JOIN)
		return accept_join(c, a->h, a->u, &inv, a->now);
	return accept_new(c, a->h, a->u, a->mode, &inv, a->now);
}

enum coffer_err pg_store_invite_accept(struct pg_store *st, const struct token_hash *h,
				       const struct user_record *u, enum store_accept mode,
				       int64_t now)
{
	struct acceptance a = {.h = h, .now = now, .u = u, .mode = mode};
	if (!uuid_valid(u->id) || !user_account_ok(u->account, u->account_len) ||
	    !PG_FIELD_TERMINATED(u->email) || !PG_FIELD_TERMINATED(u->role) ||
	    u->n_orgs > STORE_ORGS_MAX || now < 0 ||
	    (mode != STORE_ACCEPT_PENDING && mode != STORE_ACCEPT_ACTIVE &&
	     mode != STORE_ACCEPT_JOIN))
		return COFFER_ERR_INVALID_INPUT;
	for (size_t i = 0; i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		if (!PG_FIELD_TERMINATED(m->org_id) || !PG_FIELD_TERMINATED(m->role) ||
		    !PG_FIELD_TERMINATED(m->clearance))
			return COFFER_ERR_INVALID_INPUT;
	}
	return pg_sys_tx(st, accept_tx, &a);
}

static enum coffer_err confirm_tx(struct pg_conn *c, void *ctx)
{
	const struct acceptance *a = ctx;
	struct open_invite inv;
	enum coffer_err err = pg_lock(c, PG_LOCK_PEOPLE);
	if (err == COFFER_OK)
		err = open_invite(c, a->h, a->now, &inv);
	if (err == COFFER_OK && (inv.user_id[0] == '\0' || strcmp(inv.user_id, a->user_id) != 0))
		err = COFFER_ERR_NOT_FOUND;
	if (err == COFFER_OK)
		err = pg_change(c,
				"UPDATE users SET status = 'active', totp_last_step = $1 "
				"WHERE id = $2 AND status = 'invited'",
				PG_ARGS(pg_int(a->totp_last_step), pg_text(a->user_id)));
	if (err == COFFER_OK)
		err = pg_user_account_replace(c, a->user_id, a->account, a->account_len, true,
					      a->now);
	if (err == COFFER_OK)
		err = mark_invite(c, a->h, a->user_id, a->now);
	if (err == COFFER_OK)
		err = pg_user_found_orgs(c, a->user_id, a->now);
	return err;
}

enum coffer_err pg_store_invite_confirm(struct pg_store *st, const struct token_hash *h,
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
	return pg_sys_tx(st, confirm_tx, &a);
}
