/* pg_people_check.c — the PostgreSQL store's people calls (src/store/postgres/pg_users.c,
 * pg_user_changes.c, pg_invite_accept.c, pg_members.c, pg_resets.c) against a real server.
 * tests/e2e/test_pg_people.py starts a throwaway PostgreSQL and runs
 *
 *	pg_people_check SCENARIO
 *
 * with the server in the environment as pg_check.h says. The store is opened as the server
 * opens it (pg_store_open: the system database migrated). Organisations, invites and sessions
 * are seeded with SQL on a pool of the check's own, so that only the calls under test are
 * the store's; every scenario works on fresh ids and e-mail addresses, so scenarios can share
 * the system database. The expected answers are the SQLite store's (src/store/sqlite/users.c,
 * members.c, resets.c); "races" runs the read-then-decide writes from many threads at once,
 * as several nodes would, and checks that the outcome is the one a single writer gives. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "common/log.h"
#include "common/uuid.h"
#include "crypto/token.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"
#include "pg_check.h"

#define NOW	1800000000
#define THREADS 8

static struct pg_store *st;
static struct pg_pool *seed_pool;

/* --- setting up ----------------------------------------------------------------------------- */

static void open_store(void)
{
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	struct pg_target t = target(THREADS + 2);
	t.borrow_timeout_ms = 20000;
	static char dir[] = "/tmp/pg_people_check.XXXXXX";
	enum coffer_err err =
	    mkdtemp(dir) != NULL ? pg_store_open(&t, pw, dir, &st) : COFFER_ERR_STORAGE;
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "pg_store_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	struct pg_target ts = target(2);
	seed_pool = open_pool(&ts);
	rmdir(dir);
}

static void close_store(void)
{
	pg_store_close(st);
	pg_pool_close(seed_pool);
}

/* Runs SQL on the seed pool; any failure ends the check (the set-up is not under test). */
static void seed(const char *sql, struct pg_args args)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(seed_pool, NULL, &c);
	if (err == COFFER_OK)
		err = pg_exec(c, sql, args);
	pg_pool_put(seed_pool, c);
	if (err != COFFER_OK) {
		fprintf(stderr, "seeding failed (%s): %s\n", coffer_err_info(err)->code, sql);
		exit(2);
	}
}

/* The first column of SQL's first row as text ("" for no row or NULL). */
static const char *value(const char *sql, struct pg_args args)
{
	static char out[256];
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(seed_pool, NULL, &c);
	if (err == COFFER_OK)
		err = scalar(c, sql, args, out, sizeof out);
	pg_pool_put(seed_pool, c);
	if (err != COFFER_OK) {
		fprintf(stderr, "query failed (%s): %s\n", coffer_err_info(err)->code, sql);
		exit(2);
	}
	return out;
}

static long long value_int(const char *sql, struct pg_args args)
{
	return strtoll(value(sql, args), NULL, 10);
}

static void new_org(char id[UUID_TEXT_LEN + 1])
{
	uuid_generate(id);
	char name[64];
	snprintf(name, sizeof name, "org %s", id);
	seed("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)",
	     PG_ARGS(pg_text(id), pg_text(name), pg_int(NOW - 100)));
}

/* An organisation whose name starts with PREFIX (names are unique: its id follows). */
static void new_org_named(char id[UUID_TEXT_LEN + 1], const char *prefix)
{
	uuid_generate(id);
	char name[64];
	snprintf(name, sizeof name, "%s %s", prefix, id);
	seed("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)",
	     PG_ARGS(pg_text(id), pg_text(name), pg_int(NOW - 100)));
}

static struct token_hash new_hash(void)
{
	struct token_hash h;
	randombytes_buf(h.bytes, sizeof h.bytes);
	return h;
}

/* A fresh e-mail address: PREFIX, then random letters. */
static void new_email(char out[EMAIL_MAX + 1], const char *prefix)
{
	char id[UUID_TEXT_LEN + 1];
	uuid_generate(id);
	snprintf(out, EMAIL_MAX + 1, "%s.%.8s@example.org", prefix, id);
}

/* An invite under H for EMAIL, as ROLE of ORG_ID (NULL: none), unexpired at NOW. */
static void seed_invite(const struct token_hash *h, const char *email, const char *role,
			const char *org_id, int64_t expires_at)
{
	seed("INSERT INTO invites (token_hash, email, role, org_id, clearance, created_at, "
	     "expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	     PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes), pg_text(email), pg_text(role),
		     org_id ? pg_text(org_id) : pg_null(), org_id ? pg_text("internal") : pg_null(),
		     pg_int(NOW - 10), pg_int(expires_at)));
}

static struct token_hash seed_session(const char *user_id, bool must_change)
{
	struct token_hash h = new_hash();
	seed("INSERT INTO sessions (token_hash, user_id, csrf_token, ticket, created_at, "
	     "last_seen, expires_at, must_change_password, account_version) "
	     "VALUES ($1, $2, 'csrf', '\\x00', $3, $3, $4, $5, 1)",
	     PG_ARGS(pg_bytea(h.bytes, sizeof h.bytes), pg_text(user_id), pg_int(NOW - 5),
		     pg_int(NOW + 3600), pg_int(must_change ? 1 : 0)));
	return h;
}

static long long sessions_of(const char *user_id)
{
	return value_int("SELECT count(*) FROM sessions WHERE user_id = $1",
			 PG_ARGS(pg_text(user_id)));
}

/* A user record for an invite: id, email, role "user", the sealed account TAG. */
static struct user_record *new_user(const char *email, const char *tag)
{
	struct user_record *u = calloc(1, sizeof *u);
	if (u == NULL)
		exit(2);
	uuid_generate(u->id);
	snprintf(u->email, sizeof u->email, "%s", email);
	snprintf(u->role, sizeof u->role, "user");
	u->totp_last_step = -1;
	u->account_len = strlen(tag);
	memcpy(u->account, tag, u->account_len);
	return u;
}

static void add_org(struct user_record *u, const char *org_id, const char *role)
{
	struct membership_record *m = &u->orgs[u->n_orgs++];
	snprintf(m->org_id, sizeof m->org_id, "%s", org_id);
	snprintf(m->role, sizeof m->role, "%s", role);
	snprintf(m->clearance, sizeof m->clearance, "internal");
}

/* An active user, through an ACTIVE acceptance of a fresh invite, ROLE of ORG_ID. */
static struct user_record *active_user(const char *prefix, const char *org_id, const char *role)
{
	char email[EMAIL_MAX + 1];
	new_email(email, prefix);
	struct token_hash h = new_hash();
	seed_invite(&h, email, role, org_id, NOW + 3600);
	struct user_record *u = new_user(email, "account-1");
	add_org(u, org_id, role);
	enum coffer_err err = pg_store_invite_accept(st, &h, u, STORE_ACCEPT_ACTIVE, NOW);
	if (err != COFFER_OK) {
		fprintf(stderr, "cannot make an active user: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return u;
}

static uint64_t version_of(const char *user_id)
{
	return (uint64_t)value_int("SELECT account_version FROM users WHERE id = $1",
				   PG_ARGS(pg_text(user_id)));
}

/* --- users and invites ------------------------------------------------------------------------ */

static void scenario_users(void)
{
	char org_a[UUID_TEXT_LEN + 1], org_b[UUID_TEXT_LEN + 1], email[EMAIL_MAX + 1];
	new_org_named(org_a, "zeta");
	new_org_named(org_b, "Alpha"); /* byte order: "Alpha" before "zeta" */
	new_email(email, "pending");
	struct token_hash h = new_hash();
	seed_invite(&h, email, "member", org_a, NOW + 3600);
	struct user_record *got = calloc(1, sizeof *got);

	/* A pending acceptance, and a reload replacing it. */
	struct user_record *u1 = new_user(email, "first");
	add_org(u1, org_a, "member");
	CHECK_ERR(pg_store_invite_accept(st, &h, u1, STORE_ACCEPT_PENDING, NOW), COFFER_OK,
		  "a pending acceptance");
	check(strcmp(value("SELECT user_id FROM invites WHERE token_hash = $1",
			   PG_ARGS(pg_bytea(h.bytes, 32))),
		     u1->id) == 0 &&
		  strcmp(value("SELECT used_at IS NULL FROM invites WHERE token_hash = $1",
			       PG_ARGS(pg_bytea(h.bytes, 32))),
			 "t") == 0,
	      "the invite names its pending user and is unused", "%s", "");
	struct user_record *u2 = new_user(email, "second");
	add_org(u2, org_a, "member");
	CHECK_ERR(pg_store_invite_accept(st, &h, u2, STORE_ACCEPT_PENDING, NOW), COFFER_OK,
		  "a second pending acceptance (a reload)");
	CHECK_ERR(pg_store_user_get(st, u1->id, got), COFFER_ERR_NOT_FOUND,
		  "the first pending user is gone");
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK, "the second is there");
	check(strcmp(got->status, "invited") == 0 && got->n_orgs == 1 &&
		  strcmp(got->orgs[0].org_id, org_a) == 0 && got->account_len == 6 &&
		  memcmp(got->account, "second", 6) == 0 && got->account_version == 1 &&
		  got->password_changed_at == NOW && got->created_at == NOW &&
		  got->last_login_at == 0 && !got->reset_pending && got->totp_last_step == -1,
	      "the pending user as written", "status %s, %zu orgs", got->status, got->n_orgs);

	/* Refusals that change nothing. */
	struct user_record *other = new_user("someone.else@example.org", "x");
	CHECK_ERR(pg_store_invite_accept(st, &h, other, STORE_ACCEPT_PENDING, NOW),
		  COFFER_ERR_INVALID_INPUT, "another address than the invite's");
	struct token_hash unknown = new_hash();
	CHECK_ERR(pg_store_invite_accept(st, &unknown, u2, STORE_ACCEPT_PENDING, NOW),
		  COFFER_ERR_NOT_FOUND, "an unknown invite");
	CHECK_ERR(pg_store_invite_accept(st, &h, u2, STORE_ACCEPT_PENDING, NOW + 7200),
		  COFFER_ERR_NOT_FOUND, "an expired invite");
	struct user_record *bad = new_user(email, "x");
	bad->n_orgs = STORE_ORGS_MAX + 1;
	CHECK_ERR(pg_store_invite_accept(st, &h, bad, STORE_ACCEPT_PENDING, NOW),
		  COFFER_ERR_INVALID_INPUT, "too many organisations");
	bad->n_orgs = 0;
	bad->account_len = 0;
	CHECK_ERR(pg_store_invite_accept(st, &h, bad, STORE_ACCEPT_PENDING, NOW),
		  COFFER_ERR_INVALID_INPUT, "an empty account");
	struct user_record *ghost = new_user(email, "ghost");
	char no_org[UUID_TEXT_LEN + 1];
	uuid_generate(no_org);
	add_org(ghost, no_org, "member");
	CHECK_ERR(pg_store_invite_accept(st, &h, ghost, STORE_ACCEPT_PENDING, NOW),
		  COFFER_ERR_NOT_FOUND, "an organisation that does not exist");
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK,
		  "a failed acceptance leaves the pending user");

	/* Confirming. */
	uint8_t account[] = "confirmed";
	CHECK_ERR(pg_store_invite_confirm(st, &h, u1->id, account, 9, 55, NOW + 1),
		  COFFER_ERR_NOT_FOUND, "confirming as the replaced pending user");
	CHECK_ERR(pg_store_invite_confirm(st, &h, u2->id, account, 0, 55, NOW + 1),
		  COFFER_ERR_INVALID_INPUT, "confirming with an empty account");
	CHECK_ERR(pg_store_invite_confirm(st, &h, u2->id, account, 9, -2, NOW + 1),
		  COFFER_ERR_INVALID_INPUT, "confirming with a step below -1");
	CHECK_ERR(pg_store_invite_confirm(st, &h, u2->id, account, 9, 55, NOW + 1), COFFER_OK,
		  "confirming");
	CHECK_ERR(pg_store_user_by_email(st, email, got), COFFER_OK, "found by email");
	check(strcmp(got->id, u2->id) == 0 && strcmp(got->status, "active") == 0 &&
		  got->totp_last_step == 55 && got->account_version == 2 &&
		  got->password_changed_at == NOW + 1 && got->account_len == 9 &&
		  memcmp(got->account, "confirmed", 9) == 0,
	      "the confirmed user", "status %s version %llu", got->status,
	      (unsigned long long)got->account_version);
	CHECK_ERR(pg_store_invite_confirm(st, &h, u2->id, account, 9, 55, NOW + 1),
		  COFFER_ERR_NOT_FOUND, "confirming twice");
	CHECK_ERR(pg_store_invite_accept(st, &h, u2, STORE_ACCEPT_PENDING, NOW + 2),
		  COFFER_ERR_NOT_FOUND, "accepting a used invite");

	/* JOIN: a membership added (org B), then a promotion in A. */
	struct token_hash hj = new_hash();
	seed_invite(&hj, email, "member", org_b, NOW + 3600);
	struct user_record *join = new_user(email, "joined");
	memcpy(join->id, u2->id, sizeof join->id);
	add_org(join, org_b, "member");
	CHECK_ERR(pg_store_invite_accept(st, &hj, join, STORE_ACCEPT_JOIN, NOW + 3), COFFER_OK,
		  "joining another organisation");
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK, "read after joining");
	check(got->n_orgs == 2 && strncmp(got->orgs[0].org_name, "Alpha ", 6) == 0 &&
		  strncmp(got->orgs[1].org_name, "zeta ", 5) == 0 && got->account_version == 3 &&
		  got->password_changed_at == NOW + 1,
	      "memberships by organisation name (bytes), the account replaced",
	      "%zu orgs, first %s, version %llu", got->n_orgs, got->orgs[0].org_name,
	      (unsigned long long)got->account_version);
	struct token_hash hp = new_hash();
	seed_invite(&hp, email, "org_admin", org_a, NOW + 3600);
	struct user_record *promo = new_user(email, "promoted");
	memcpy(promo->id, u2->id, sizeof promo->id);
	add_org(promo, org_a, "org_admin");
	check(value("SELECT founded_at FROM orgs WHERE id = $1", PG_ARGS(pg_text(org_a)))[0] ==
		  '\0',
	      "organisation A is not founded yet", "%s", "");
	CHECK_ERR(pg_store_invite_accept(st, &hp, promo, STORE_ACCEPT_JOIN, NOW + 4), COFFER_OK,
		  "a promotion through an org_admin invite");
	check(value_int("SELECT founded_at FROM orgs WHERE id = $1", PG_ARGS(pg_text(org_a))) ==
		  NOW + 4,
	      "the promotion founds organisation A", "%s", "");
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK, "read after the promotion");
	check(got->n_orgs == 2 && strcmp(got->orgs[1].role, "org_admin") == 0,
	      "the membership is org_admin", "%s", got->orgs[1].role);
	struct token_hash hx = new_hash();
	seed_invite(&hx, email, "member", org_b, NOW + 3600);
	struct user_record *again = new_user(email, "again");
	memcpy(again->id, u2->id, sizeof again->id);
	add_org(again, org_b, "member");
	CHECK_ERR(pg_store_invite_accept(st, &hx, again, STORE_ACCEPT_JOIN, NOW + 5),
		  COFFER_ERR_EXISTS, "joining an organisation twice");
	check(version_of(u2->id) == 4, "a refused join changes nothing", "%llu",
	      (unsigned long long)version_of(u2->id));

	/* A second user under the same address: EXISTS. */
	struct token_hash hd = new_hash();
	seed_invite(&hd, email, "member", org_b, NOW + 3600);
	struct user_record *dup = new_user(email, "dup");
	CHECK_ERR(pg_store_invite_accept(st, &hd, dup, STORE_ACCEPT_ACTIVE, NOW), COFFER_ERR_EXISTS,
		  "a second user with the same address");

	/* The small reads. */
	char got_email[EMAIL_MAX + 1] = "untouched";
	CHECK_ERR(pg_store_user_email(st, u2->id, got_email), COFFER_OK, "the email of a user");
	check(strcmp(got_email, email) == 0, "the email read", "%s", got_email);
	char missing[UUID_TEXT_LEN + 1];
	uuid_generate(missing);
	snprintf(got_email, sizeof got_email, "untouched");
	CHECK_ERR(pg_store_user_email(st, missing, got_email), COFFER_ERR_NOT_FOUND,
		  "the email of nobody");
	check(strcmp(got_email, "untouched") == 0, "not found leaves the email untouched", "%s",
	      got_email);
	snprintf(got->email, sizeof got->email, "untouched");
	CHECK_ERR(pg_store_user_by_email(st, "nobody@example.org", got), COFFER_ERR_NOT_FOUND,
		  "nobody by email");
	check(strcmp(got->email, "untouched") == 0, "not found leaves the user untouched", "%s",
	      got->email);

	/* The list: every user, by email (bytes), without accounts, with memberships. */
	struct user_record *list = NULL;
	size_t n = 0;
	CHECK_ERR(pg_store_users_list(st, &list, &n), COFFER_OK, "the list of users");
	bool sorted = true, found = false, no_account = true;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(list[i - 1].email, list[i].email) >= 0)
			sorted = false;
		if (list[i].account_len != 0)
			no_account = false;
		if (strcmp(list[i].id, u2->id) == 0)
			found = list[i].n_orgs == 2 && list[i].account_version == 4 &&
				strcmp(list[i].orgs[0].org_id, org_b) == 0;
	}
	check(n >= 1 && sorted && found && no_account,
	      "the list is by email, without accounts, with memberships",
	      "n %zu sorted %d found %d", n, sorted, found);
	free(list);

	/* TOTP steps: compare and set. */
	CHECK_ERR(pg_store_totp_step_use(st, u2->id, 56), COFFER_OK, "a later TOTP step");
	CHECK_ERR(pg_store_totp_step_use(st, u2->id, 56), COFFER_ERR_VERSION_CONFLICT,
		  "the same TOTP step again");
	CHECK_ERR(pg_store_totp_step_use(st, u2->id, 40), COFFER_ERR_VERSION_CONFLICT,
		  "an earlier TOTP step");
	CHECK_ERR(pg_store_totp_step_use(st, missing, 99), COFFER_ERR_NOT_FOUND,
		  "a TOTP step of nobody");
	CHECK_ERR(pg_store_totp_step_use(st, u2->id, -1), COFFER_ERR_INVALID_INPUT,
		  "a negative TOTP step");

	/* Status: disabling ends sessions; an invited user cannot be set. */
	seed_session(u2->id, false);
	seed_session(u2->id, false);
	CHECK_ERR(pg_store_user_set_status(st, u2->id, "disabled", NOW + 6), COFFER_OK,
		  "disabling");
	check(sessions_of(u2->id) == 0, "disabling deletes the sessions", "%lld",
	      sessions_of(u2->id));
	CHECK_ERR(pg_store_user_set_status(st, u2->id, "invited", NOW + 6),
		  COFFER_ERR_INVALID_INPUT, "a status that cannot be set");
	CHECK_ERR(pg_store_user_set_status(st, missing, "active", NOW + 6), COFFER_ERR_NOT_FOUND,
		  "the status of nobody");
	struct token_hash hq = new_hash();
	char pending_email[EMAIL_MAX + 1];
	new_email(pending_email, "still.pending");
	seed_invite(&hq, pending_email, "member", org_a, NOW + 3600);
	struct user_record *pend = new_user(pending_email, "p");
	add_org(pend, org_a, "member");
	CHECK_ERR(pg_store_invite_accept(st, &hq, pend, STORE_ACCEPT_PENDING, NOW), COFFER_OK,
		  "another pending user");
	CHECK_ERR(pg_store_user_set_status(st, pend->id, "active", NOW + 6), COFFER_ERR_NOT_FOUND,
		  "the status of an invited user");
	CHECK_ERR(pg_store_user_set_status(st, u2->id, "active", NOW + 7), COFFER_OK,
		  "enabling again");

	/* A new password: every session but the one kept ends; the kept one no longer must
	 * change its password. */
	struct token_hash keep = seed_session(u2->id, true);
	seed_session(u2->id, false);
	uint8_t pw[] = "new password account";
	CHECK_ERR(pg_store_user_set_account(st, u2->id, pw, sizeof pw, &keep, NOW + 8), COFFER_OK,
		  "a new password, one session kept");
	check(sessions_of(u2->id) == 1 &&
		  strcmp(value("SELECT must_change_password FROM sessions WHERE token_hash = $1",
			       PG_ARGS(pg_bytea(keep.bytes, 32))),
			 "f") == 0,
	      "only the kept session stays, no longer bound to change its password", "%lld",
	      sessions_of(u2->id));
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK, "read after the new password");
	check(got->account_version == 5 && got->password_changed_at == NOW + 8 &&
		  got->account_len == sizeof pw,
	      "the new account, its version and time", "%llu",
	      (unsigned long long)got->account_version);
	CHECK_ERR(pg_store_user_set_account(st, u2->id, pw, sizeof pw, NULL, NOW + 9), COFFER_OK,
		  "a new password, no session kept");
	check(sessions_of(u2->id) == 0, "every session ends", "%lld", sessions_of(u2->id));
	CHECK_ERR(pg_store_user_set_account(st, missing, pw, sizeof pw, NULL, NOW),
		  COFFER_ERR_NOT_FOUND, "the password of nobody");
	CHECK_ERR(
	    pg_store_user_set_account(st, u2->id, pw, STORE_ACCOUNT_SEALED_MAX + 1, NULL, NOW),
	    COFFER_ERR_INVALID_INPUT, "an account too long");

	/* The account sealed again: only on the version it was based on, ending no session. */
	seed_session(u2->id, false);
	uint8_t resealed[] = "the same account, sealed again";
	CHECK_ERR(pg_store_user_account_reseal(st, u2->id, resealed, sizeof resealed, 6, NOW + 10),
		  COFFER_OK, "an account sealed again");
	CHECK_ERR(pg_store_user_get(st, u2->id, got), COFFER_OK, "read after the new seal");
	check(got->account_version == 7 && got->account_len == sizeof resealed &&
		  memcmp(got->account, resealed, sizeof resealed) == 0 &&
		  got->password_changed_at == NOW + 9 && sessions_of(u2->id) == 1,
	      "the new seal, its version, the password's time and the session kept", "%llu",
	      (unsigned long long)got->account_version);
	CHECK_ERR(pg_store_user_account_reseal(st, u2->id, pw, sizeof pw, 6, NOW + 11),
		  COFFER_ERR_VERSION_CONFLICT, "a seal based on a version that moved on");
	CHECK_ERR(pg_store_user_account_reseal(st, missing, pw, sizeof pw, 1, NOW),
		  COFFER_ERR_NOT_FOUND, "the seal of nobody");

	/* ACTIVE founds the organisations where the user is org_admin. */
	char org_c[UUID_TEXT_LEN + 1];
	new_org(org_c);
	struct user_record *admin = active_user("admin", org_c, "org_admin");
	check(value_int("SELECT founded_at FROM orgs WHERE id = $1", PG_ARGS(pg_text(org_c))) ==
		  NOW,
	      "an active org_admin's acceptance founds the organisation", "%s", "");
	free(admin);
	free(u1);
	free(u2);
	free(other);
	free(bad);
	free(ghost);
	free(join);
	free(promo);
	free(again);
	free(dup);
	free(pend);
	free(got);
}

/* --- memberships ------------------------------------------------------------------------------ */

static void scenario_members(void)
{
	char org[UUID_TEXT_LEN + 1], empty[UUID_TEXT_LEN + 1], missing[UUID_TEXT_LEN + 1];
	new_org(org);
	new_org(empty);
	uuid_generate(missing);
	struct user_record *a1 = active_user("b.admin", org, "org_admin");
	struct user_record *a2 = active_user("a.admin", org, "org_admin");
	struct user_record *m1 = active_user("c.member", org, "member");
	struct member_row *rows = NULL;
	size_t n = 0, admins = 0;
	uint8_t acct[] = "resealed";

	CHECK_ERR(pg_store_org_members(st, org, &rows, &n), COFFER_OK, "the members");
	check(n == 3 && strcmp(rows[0].user_id, a2->id) == 0 &&
		  strcmp(rows[1].user_id, a1->id) == 0 && strcmp(rows[2].user_id, m1->id) == 0 &&
		  strcmp(rows[2].role, "member") == 0 &&
		  strcmp(rows[2].clearance, "internal") == 0 &&
		  strcmp(rows[2].status, "active") == 0 && rows[2].last_login_at == 0 &&
		  !rows[2].reset_pending,
	      "three members by email", "n %zu", n);
	free(rows);
	rows = NULL;
	CHECK_ERR(pg_store_org_members(st, empty, &rows, &n), COFFER_OK,
		  "the members of an organisation without any");
	check(n == 0 && rows == NULL, "none", "n %zu", n);
	CHECK_ERR(pg_store_org_members(st, missing, &rows, &n), COFFER_ERR_NOT_FOUND,
		  "the members of no organisation");
	CHECK_ERR(pg_store_org_active_admins(st, org, &admins), COFFER_OK, "active org_admins");
	check(admins == 2, "two active org_admins", "%zu", admins);
	CHECK_ERR(pg_store_org_active_admins(st, empty, &admins), COFFER_OK,
		  "active org_admins of an empty organisation");
	check(admins == 0, "none active", "%zu", admins);
	CHECK_ERR(pg_store_org_active_admins(st, missing, &admins), COFFER_ERR_NOT_FOUND,
		  "active org_admins of no organisation");

	/* Compare and set on account_version. */
	uint64_t v = version_of(a1->id);
	CHECK_ERR(pg_store_membership_set(st, a1->id, org, "member", "public", acct, sizeof acct,
					  v - 1, NOW + 1),
		  COFFER_ERR_VERSION_CONFLICT, "a change made from an older account");
	check(version_of(a1->id) == v, "a conflict changes nothing", "%s", "");
	CHECK_ERR(pg_store_membership_set(st, a1->id, org, "sysadmin", "public", acct, sizeof acct,
					  v, NOW + 1),
		  COFFER_ERR_INVALID_INPUT, "a role a membership cannot have");
	CHECK_ERR(pg_store_membership_set(st, a1->id, org, "member", "secret", acct, sizeof acct, v,
					  NOW + 1),
		  COFFER_ERR_INVALID_INPUT, "a clearance that does not exist");
	CHECK_ERR(pg_store_membership_set(st, a1->id, empty, "member", "public", acct, sizeof acct,
					  v, NOW + 1),
		  COFFER_ERR_NOT_FOUND, "a change to a membership that does not exist");
	CHECK_ERR(pg_store_membership_set(st, a1->id, org, "member", "public", acct, 0, v, NOW + 1),
		  COFFER_ERR_INVALID_INPUT, "an empty account");
	check(version_of(a1->id) == v, "the refusals change nothing", "%s", "");
	CHECK_ERR(pg_store_membership_set(st, a1->id, org, "member", "public", acct, sizeof acct, v,
					  NOW + 1),
		  COFFER_OK, "an org_admin made member");
	check(version_of(a1->id) == v + 1, "the account version moves on", "%s", "");
	CHECK_ERR(pg_store_org_active_admins(st, org, &admins), COFFER_OK, "active org_admins");
	check(admins == 1, "one active org_admin left", "%zu", admins);

	/* The last active org_admin stays. */
	uint64_t v2 = version_of(a2->id);
	CHECK_ERR(pg_store_membership_set(st, a2->id, org, "member", "public", acct, sizeof acct,
					  v2, NOW + 2),
		  COFFER_ERR_LAST_ADMIN, "demoting the last active org_admin");
	CHECK_ERR(pg_store_membership_remove(st, a2->id, org, acct, sizeof acct, v2, NOW + 2),
		  COFFER_ERR_LAST_ADMIN, "removing the last active org_admin");
	check(version_of(a2->id) == v2 &&
		  value_int("SELECT count(*) FROM memberships WHERE org_id = $1 AND "
			    "role = 'org_admin'",
			    PG_ARGS(pg_text(org))) == 1,
	      "nothing changed", "%s", "");

	/* Promoting a member founds nothing new here but keeps the rule: then the old admin can
	 * go, with its policy and its reset. */
	uint64_t vm = version_of(m1->id);
	CHECK_ERR(pg_store_membership_set(st, m1->id, org, "org_admin", "restricted", acct,
					  sizeof acct, vm, NOW + 3),
		  COFFER_OK, "a member made org_admin");
	seed("INSERT INTO member_policies (org_id, user_id, json, updated_at) "
	     "VALUES ($1, $2, '{}', $3)",
	     PG_ARGS(pg_text(org), pg_text(a2->id), pg_int(NOW)));
	struct reset_record r = {0};
	snprintf(r.user_id, sizeof r.user_id, "%s", a2->id);
	snprintf(r.org_id, sizeof r.org_id, "%s", org);
	snprintf(r.created_by, sizeof r.created_by, "%s", m1->id);
	r.created_at = NOW;
	r.expires_at = NOW + 3600;
	r.sealed_len = 4;
	memcpy(r.sealed, "seal", 4);
	struct token_hash rh = new_hash();
	CHECK_ERR(pg_store_reset_add(st, &rh, &r, NOW + 4), COFFER_OK, "a reset for the member");
	CHECK_ERR(pg_store_membership_remove(st, a2->id, org, acct, sizeof acct, v2, NOW + 5),
		  COFFER_OK, "removing an org_admin who is not the last");
	check(value_int("SELECT count(*) FROM memberships WHERE user_id = $1",
			PG_ARGS(pg_text(a2->id))) == 0 &&
		  value_int("SELECT count(*) FROM member_policies WHERE user_id = $1",
			    PG_ARGS(pg_text(a2->id))) == 0 &&
		  value_int("SELECT used_at FROM resets WHERE token_hash = $1",
			    PG_ARGS(pg_bytea(rh.bytes, 32))) == NOW + 5 &&
		  strcmp(value("SELECT reset_pending FROM users WHERE id = $1",
			       PG_ARGS(pg_text(a2->id))),
			 "f") == 0 &&
		  version_of(a2->id) == v2 + 1,
	      "the membership, its policy and its reset go; reset_pending is cleared", "%s", "");
	CHECK_ERR(pg_store_membership_remove(st, a2->id, org, acct, sizeof acct, v2 + 1, NOW + 6),
		  COFFER_ERR_NOT_FOUND, "removing a membership that is gone");
	char nobody[UUID_TEXT_LEN + 1];
	uuid_generate(nobody);
	CHECK_ERR(pg_store_membership_remove(st, nobody, org, acct, sizeof acct, 1, NOW + 6),
		  COFFER_ERR_NOT_FOUND, "removing nobody");

	/* A disabled org_admin does not count; an organisation without an active one may lose
	 * its other members. */
	char org2[UUID_TEXT_LEN + 1];
	new_org(org2);
	struct user_record *lone = active_user("lone", org2, "org_admin");
	struct user_record *mem = active_user("mem", org2, "member");
	CHECK_ERR(pg_store_user_set_status(st, lone->id, "disabled", NOW + 7), COFFER_OK,
		  "the only org_admin disabled");
	CHECK_ERR(pg_store_membership_remove(st, mem->id, org2, acct, sizeof acct,
					     version_of(mem->id), NOW + 8),
		  COFFER_OK, "without an active org_admin, a member can be removed");
	CHECK_ERR(pg_store_membership_set(st, lone->id, org2, "member", "public", acct, sizeof acct,
					  version_of(lone->id), NOW + 8),
		  COFFER_OK, "and the disabled org_admin demoted");
	free(a1);
	free(a2);
	free(m1);
	free(lone);
	free(mem);
}

/* --- sign-in resets --------------------------------------------------------------------------- */

static struct reset_record reset_for(const char *user_id, const char *org_id, const char *by)
{
	struct reset_record r;
	memset(&r, 0, sizeof r);
	snprintf(r.user_id, sizeof r.user_id, "%s", user_id);
	snprintf(r.org_id, sizeof r.org_id, "%s", org_id);
	snprintf(r.created_by, sizeof r.created_by, "%s", by);
	r.created_at = NOW;
	r.expires_at = NOW + 3600;
	r.sealed_len = 5;
	memcpy(r.sealed, "seal!", 5);
	return r;
}

static void scenario_resets(void)
{
	char org[UUID_TEXT_LEN + 1], other[UUID_TEXT_LEN + 1];
	new_org(org);
	new_org(other);
	struct user_record *admin = active_user("radmin", org, "org_admin");
	struct user_record *m = active_user("rmember", org, "member");
	struct reset_record r = reset_for(m->id, org, admin->id), got;
	seed_session(m->id, false);
	seed_session(m->id, false);

	struct token_hash h1 = new_hash(), h2 = new_hash();
	CHECK_ERR(pg_store_reset_add(st, &h1, &r, NOW + 1), COFFER_OK, "a reset");
	check(sessions_of(m->id) == 0 &&
		  strcmp(value("SELECT reset_pending FROM users WHERE id = $1",
			       PG_ARGS(pg_text(m->id))),
			 "t") == 0,
	      "the member's sessions end and a reset is pending", "%s", "");
	memset(&got, 0xAB, sizeof got);
	CHECK_ERR(pg_store_reset_get(st, &h1, NOW + 2, &got), COFFER_OK, "reading the reset");
	check(strcmp(got.user_id, m->id) == 0 && strcmp(got.org_id, org) == 0 &&
		  strcmp(got.email, m->email) == 0 && strcmp(got.created_by, admin->id) == 0 &&
		  got.created_at == NOW && got.expires_at == NOW + 3600 && got.sealed_len == 5 &&
		  memcmp(got.sealed, "seal!", 5) == 0 && got.pending_len == 0,
	      "the reset as written", "%s", got.email);
	CHECK_ERR(pg_store_reset_add(st, &h2, &r, NOW + 3), COFFER_OK, "a second reset");
	CHECK_ERR(pg_store_reset_get(st, &h1, NOW + 4, &got), COFFER_ERR_NOT_FOUND,
		  "the second uses up the first");
	CHECK_ERR(pg_store_reset_add(st, &h2, &r, NOW + 4), COFFER_ERR_EXISTS,
		  "a reset under a hash taken");
	CHECK_ERR(pg_store_reset_get(st, &h2, NOW + 4, &got), COFFER_OK,
		  "the refused add leaves the second usable");

	/* Refusals. */
	struct reset_record bad = reset_for(m->id, other, admin->id);
	struct token_hash h3 = new_hash();
	CHECK_ERR(pg_store_reset_add(st, &h3, &bad, NOW), COFFER_ERR_NOT_FOUND,
		  "a reset for no membership");
	bad = reset_for(m->id, org, admin->id);
	bad.expires_at = bad.created_at;
	CHECK_ERR(pg_store_reset_add(st, &h3, &bad, NOW), COFFER_ERR_INVALID_INPUT,
		  "a reset that expires as it is made");
	bad = reset_for("not-a-uuid", org, admin->id);
	CHECK_ERR(pg_store_reset_add(st, &h3, &bad, NOW), COFFER_ERR_INVALID_INPUT,
		  "a reset for a user id that is no UUID");
	bad = reset_for(m->id, org, admin->id);
	bad.sealed_len = 0;
	CHECK_ERR(pg_store_reset_add(st, &h3, &bad, NOW), COFFER_ERR_INVALID_INPUT,
		  "a reset without its seal");
	char pending_email[EMAIL_MAX + 1];
	new_email(pending_email, "rpending");
	struct token_hash hi = new_hash();
	seed_invite(&hi, pending_email, "member", org, NOW + 3600);
	struct user_record *pend = new_user(pending_email, "p");
	add_org(pend, org, "member");
	CHECK_ERR(pg_store_invite_accept(st, &hi, pend, STORE_ACCEPT_PENDING, NOW), COFFER_OK,
		  "a pending member");
	bad = reset_for(pend->id, org, admin->id);
	CHECK_ERR(pg_store_reset_add(st, &h3, &bad, NOW), COFFER_ERR_NOT_FOUND,
		  "a reset for a user still invited");

	/* Staging, then completing. */
	uint8_t staged[] = "staged account";
	CHECK_ERR(pg_store_reset_stage(st, &h2, staged, sizeof staged, NOW + 5), COFFER_OK,
		  "staging an account");
	CHECK_ERR(pg_store_reset_stage(st, &h1, staged, sizeof staged, NOW + 5),
		  COFFER_ERR_NOT_FOUND, "staging on a used reset");
	CHECK_ERR(pg_store_reset_stage(st, &h2, staged, sizeof staged, NOW + 7200),
		  COFFER_ERR_NOT_FOUND, "staging on an expired reset");
	CHECK_ERR(pg_store_reset_stage(st, &h2, staged, 0, NOW + 5), COFFER_ERR_INVALID_INPUT,
		  "staging an empty account");
	CHECK_ERR(pg_store_reset_get(st, &h2, NOW + 6, &got), COFFER_OK, "reading it staged");
	check(got.pending_len == sizeof staged &&
		  memcmp(got.pending_account, staged, sizeof staged) == 0,
	      "the staged account is read back", "%zu", got.pending_len);
	seed_session(m->id, false);
	uint64_t v = version_of(m->id);
	uint8_t fresh[] = "fresh account";
	CHECK_ERR(pg_store_reset_confirm(st, &h2, fresh, sizeof fresh, -2, NOW + 7),
		  COFFER_ERR_INVALID_INPUT, "completing with a step below -1");
	CHECK_ERR(pg_store_reset_confirm(st, &h2, fresh, sizeof fresh, 77, NOW + 7200),
		  COFFER_ERR_NOT_FOUND, "completing an expired reset");
	CHECK_ERR(pg_store_reset_confirm(st, &h2, fresh, sizeof fresh, 77, NOW + 7), COFFER_OK,
		  "completing the reset");
	struct user_record *u = calloc(1, sizeof *u);
	CHECK_ERR(pg_store_user_get(st, m->id, u), COFFER_OK, "the member after the reset");
	check(u->account_version == v + 1 && u->password_changed_at == NOW + 7 &&
		  u->totp_last_step == 77 && !u->reset_pending && u->account_len == sizeof fresh &&
		  memcmp(u->account, fresh, sizeof fresh) == 0 && sessions_of(m->id) == 0 &&
		  value("SELECT pending_account FROM resets WHERE token_hash = $1",
			PG_ARGS(pg_bytea(h2.bytes, 32)))[0] == '\0',
	      "new account and step, no reset pending, no session, the staged account dropped",
	      "version %llu", (unsigned long long)u->account_version);
	CHECK_ERR(pg_store_reset_confirm(st, &h2, fresh, sizeof fresh, 78, NOW + 8),
		  COFFER_ERR_NOT_FOUND, "completing it twice");
	CHECK_ERR(pg_store_reset_get(st, &h2, NOW + 8, &got), COFFER_ERR_NOT_FOUND,
		  "a completed reset is not found");
	free(u);
	free(admin);
	free(m);
	free(pend);
}

/* --- races: many nodes at once -------------------------------------------------------------- */

/* One call per thread, all started together. */
struct race {
	pthread_barrier_t start;
	enum coffer_err (*call)(struct race *rc, int i);
	enum coffer_err result[THREADS];
	int threads;
	/* What the calls work on. */
	struct token_hash h;
	struct token_hash hashes[THREADS];
	struct user_record *users[THREADS];
	const char *org_id;
	const char *user_ids[THREADS];
	uint64_t based_on;
	uint64_t versions[THREADS];
	struct reset_record reset;
};

struct racer {
	struct race *rc;
	int i;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(&r->rc->start);
	r->rc->result[r->i] = r->rc->call(r->rc, r->i);
	return NULL;
}

/* Runs CALL on THREADS threads at once; the number that returned WANT. */
static int race_run(struct race *rc, int threads, enum coffer_err want)
{
	pthread_t t[THREADS];
	struct racer r[THREADS];
	rc->threads = threads;
	pthread_barrier_init(&rc->start, NULL, (unsigned)threads);
	for (int i = 0; i < threads; i++) {
		r[i] = (struct racer){rc, i};
		pthread_create(&t[i], NULL, racer_main, &r[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&rc->start);
	int n = 0;
	for (int i = 0; i < threads; i++)
		n += rc->result[i] == want;
	return n;
}

/* Whether every result is one of A and B. */
static bool race_only(const struct race *rc, enum coffer_err a, enum coffer_err b)
{
	for (int i = 0; i < rc->threads; i++)
		if (rc->result[i] != a && rc->result[i] != b)
			return false;
	return true;
}

static enum coffer_err call_accept_active(struct race *rc, int i)
{
	return pg_store_invite_accept(st, &rc->h, rc->users[i], STORE_ACCEPT_ACTIVE, NOW);
}

static enum coffer_err call_accept_pending(struct race *rc, int i)
{
	return pg_store_invite_accept(st, &rc->h, rc->users[i], STORE_ACCEPT_PENDING, NOW);
}

static enum coffer_err call_demote(struct race *rc, int i)
{
	uint8_t acct[] = "demoted";
	return pg_store_membership_set(st, rc->user_ids[i], rc->org_id, "member", "public", acct,
				       sizeof acct, rc->versions[i], NOW + 1);
}

static enum coffer_err call_set_same_version(struct race *rc, int i)
{
	uint8_t acct[16];
	int len = snprintf((char *)acct, sizeof acct, "version-%d", i);
	return pg_store_membership_set(st, rc->user_ids[0], rc->org_id, "member", "restricted",
				       acct, (size_t)len, rc->based_on, NOW + 1);
}

static enum coffer_err call_totp(struct race *rc, int i)
{
	(void)i;
	return pg_store_totp_step_use(st, rc->user_ids[0], 1000);
}

static enum coffer_err call_reset_confirm(struct race *rc, int i)
{
	uint8_t acct[] = "after reset";
	return pg_store_reset_confirm(st, &rc->h, acct, sizeof acct, 10 + i, NOW + 2);
}

static enum coffer_err call_reset_add(struct race *rc, int i)
{
	return pg_store_reset_add(st, &rc->hashes[i], &rc->reset, NOW + 1);
}

static void scenario_races(void)
{
	char org[UUID_TEXT_LEN + 1], email[EMAIL_MAX + 1];
	new_org(org);
	struct race *rc = calloc(1, sizeof *rc);
	rc->org_id = org;

	/* One invite accepted as active by every node at once: one user. */
	new_email(email, "race.active");
	rc->h = new_hash();
	seed_invite(&rc->h, email, "org_admin", org, NOW + 3600);
	for (int i = 0; i < THREADS; i++) {
		rc->users[i] = new_user(email, "raced");
		add_org(rc->users[i], org, "org_admin");
	}
	rc->call = call_accept_active;
	int ok = race_run(rc, THREADS, COFFER_OK);
	check(ok == 1 && race_only(rc, COFFER_OK, COFFER_ERR_NOT_FOUND) &&
		  value_int("SELECT count(*) FROM users WHERE email = $1",
			    PG_ARGS(pg_text(email))) == 1,
	      "one invite accepted by eight nodes at once: one succeeds, the others find it used",
	      "%d succeeded", ok);
	for (int i = 0; i < THREADS; i++)
		free(rc->users[i]);

	/* Pending acceptances (reloads) at once: each replaces the one before; one user left,
	 * the one the invite names. */
	new_email(email, "race.pending");
	rc->h = new_hash();
	seed_invite(&rc->h, email, "member", org, NOW + 3600);
	for (int i = 0; i < THREADS; i++) {
		rc->users[i] = new_user(email, "pending");
		add_org(rc->users[i], org, "member");
	}
	rc->call = call_accept_pending;
	ok = race_run(rc, THREADS, COFFER_OK);
	char named[UUID_TEXT_LEN + 1];
	snprintf(named, sizeof named, "%s",
		 value("SELECT user_id FROM invites WHERE token_hash = $1",
		       PG_ARGS(pg_bytea(rc->h.bytes, 32))));
	check(ok == THREADS &&
		  value_int("SELECT count(*) FROM users WHERE email = $1",
			    PG_ARGS(pg_text(email))) == 1 &&
		  strcmp(named, value("SELECT id FROM users WHERE email = $1",
				      PG_ARGS(pg_text(email)))) == 0,
	      "eight pending acceptances at once: each succeeds, one user is left, the invite's",
	      "%d succeeded", ok);
	for (int i = 0; i < THREADS; i++)
		free(rc->users[i]);

	/* Two org_admins demoting each other at once, ten times: never both. */
	int both = 0, one = 0;
	for (int round = 0; round < 10; round++) {
		char o[UUID_TEXT_LEN + 1];
		new_org(o);
		struct user_record *x = active_user("rx", o, "org_admin");
		struct user_record *y = active_user("ry", o, "org_admin");
		rc->org_id = o;
		rc->user_ids[0] = x->id;
		rc->user_ids[1] = y->id;
		rc->versions[0] = version_of(x->id);
		rc->versions[1] = version_of(y->id);
		rc->call = call_demote;
		ok = race_run(rc, 2, COFFER_OK);
		size_t admins = 0;
		if (pg_store_org_active_admins(st, o, &admins) != COFFER_OK)
			admins = 99;
		if (ok == 1 && race_only(rc, COFFER_OK, COFFER_ERR_LAST_ADMIN) && admins == 1)
			one++;
		if (ok == 2)
			both++;
		free(x);
		free(y);
	}
	check(one == 10 && both == 0,
	      "the last two org_admins demoted at once: one succeeds, one is the last (10 rounds)",
	      "%d rounds right, %d lost every admin", one, both);
	rc->org_id = org;

	/* Eight changes made from the same account version: one lands. */
	struct user_record *target_user = active_user("cas", org, "member");
	rc->user_ids[0] = target_user->id;
	rc->based_on = version_of(target_user->id);
	rc->call = call_set_same_version;
	ok = race_run(rc, THREADS, COFFER_OK);
	check(ok == 1 && race_only(rc, COFFER_OK, COFFER_ERR_VERSION_CONFLICT) &&
		  version_of(target_user->id) == rc->based_on + 1,
	      "eight changes from one account version: one lands, seven conflict", "%d succeeded",
	      ok);

	/* One TOTP code checked on eight nodes at once: accepted once. */
	rc->call = call_totp;
	ok = race_run(rc, THREADS, COFFER_OK);
	check(ok == 1 && race_only(rc, COFFER_OK, COFFER_ERR_VERSION_CONFLICT),
	      "one TOTP step used on eight nodes at once: accepted once", "%d succeeded", ok);

	/* Resets added at once: one usable left. Then one completed at once: once. */
	struct user_record *radmin = active_user("race.radmin", org, "org_admin");
	rc->reset = reset_for(target_user->id, org, radmin->id);
	for (int i = 0; i < THREADS; i++)
		rc->hashes[i] = new_hash();
	rc->call = call_reset_add;
	ok = race_run(rc, THREADS, COFFER_OK);
	check(ok == THREADS && value_int("SELECT count(*) FROM resets WHERE user_id = $1 AND "
					 "used_at IS NULL",
					 PG_ARGS(pg_text(target_user->id))) == 1,
	      "eight resets added at once: one usable left", "%d succeeded", ok);
	struct reset_record got;
	for (int i = 0; i < THREADS; i++)
		if (pg_store_reset_get(st, &rc->hashes[i], NOW + 1, &got) == COFFER_OK)
			rc->h = rc->hashes[i];
	uint64_t v = version_of(target_user->id);
	rc->call = call_reset_confirm;
	ok = race_run(rc, THREADS, COFFER_OK);
	check(ok == 1 && race_only(rc, COFFER_OK, COFFER_ERR_NOT_FOUND) &&
		  version_of(target_user->id) == v + 1,
	      "one reset completed on eight nodes at once: once", "%d succeeded", ok);
	free(target_user);
	free(radmin);
	free(rc);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: pg_people_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_INFO);
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"users", scenario_users},
	    {"members", scenario_members},
	    {"resets", scenario_resets},
	    {"races", scenario_races},
	};
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			open_store();
			scenarios[i].run();
			close_store();
			printf("done: %d failed\n", failures);
			return failures ? 1 : 0;
		}
	}
	fprintf(stderr, "unknown scenario %s\n", argv[1]);
	return 2;
}
