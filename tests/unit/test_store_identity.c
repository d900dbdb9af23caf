/* test_store_identity.c — the identity half of the system store: the schema upgrade from a
 * deployed step-2 database, organisations, invites (fields, acceptance in its three modes,
 * confirmation), users and memberships, status and password changes and what they do to
 * sessions, the TOTP step's compare-and-set, sessions' expiry boundaries, and hostile strings
 * kept as data. Throttling, policies and the audit chain: test_store_system.c. */
#include "test_store.h"

#include <pthread.h>

#include "crypto/token.h"
#include "test_audit_signer.h"

#define T0  1700000000 /* "now" in these tests */
#define DAY 86400

/* The system schema's steps (system.c), as a number and as SQL text. */
#define SYSTEM_SCHEMA_STEPS 9
#define SCHEMA_CURRENT	    "9"
#define SCHEMA_TOO_NEW	    "10"

static void add_invite(const struct env *e, const char *email, const char *role, const char *org_id,
		       const char *clearance, int64_t expires, struct token_hash *h)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct invite_record inv;
	memset(&inv, 0, sizeof inv);
	token_generate(token, h);
	snprintf(inv.email, sizeof inv.email, "%s", email);
	snprintf(inv.role, sizeof inv.role, "%s", role);
	snprintf(inv.org_id, sizeof inv.org_id, "%s", org_id);
	snprintf(inv.clearance, sizeof inv.clearance, "%s", clearance);
	inv.created_at = T0 - 10;
	inv.expires_at = expires;
	inv.sealed_len = 48;
	memset(inv.sealed, 0x5e, inv.sealed_len);
	assert_int_equal(store_invite_add(e->st, h, &inv), COFFER_OK);
}

/* A new user record (not stored) with a fresh id and an account blob of FILL bytes. */
static void new_user(struct user_record *u, const char *email, const char *role, uint8_t fill)
{
	memset(u, 0, sizeof *u);
	uuid_generate(u->id);
	snprintf(u->email, sizeof u->email, "%s", email);
	snprintf(u->role, sizeof u->role, "%s", role);
	u->totp_last_step = -1;
	u->account_len = 100 + fill;
	memset(u->account, fill, u->account_len);
}

static void add_membership(struct user_record *u, const char *org_id, const char *role,
			   const char *clearance)
{
	struct membership_record *m = &u->orgs[u->n_orgs++];
	memset(m, 0, sizeof *m);
	snprintf(m->org_id, sizeof m->org_id, "%s", org_id);
	snprintf(m->role, sizeof m->role, "%s", role);
	snprintf(m->clearance, sizeof m->clearance, "%s", clearance);
}

/* An active user with EMAIL in ORG (when not NULL), through an invite accepted at once. */
static void make_active_user(const struct env *e, struct user_record *u, const char *email,
			     const char *org)
{
	struct token_hash h;
	add_invite(e, email, org ? "member" : "sysadmin", org ? org : "", org ? "internal" : "",
		   T0 + DAY, &h);
	new_user(u, email, org ? "user" : "sysadmin", 1);
	if (org != NULL)
		add_membership(u, org, "member", "internal");
	assert_int_equal(store_invite_accept(e->st, &h, u, STORE_ACCEPT_ACTIVE, T0), COFFER_OK);
}

static void make_session(const struct env *e, const char *user_id, int64_t created, int64_t expires,
			 bool must_change, struct token_hash *h)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct session_record s;
	memset(&s, 0, sizeof s);
	token_generate(token, h);
	s.token = *h;
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	snprintf(s.csrf_token, sizeof s.csrf_token, "%.43s", token);
	s.ticket_len = 300;
	randombytes_buf(s.ticket, s.ticket_len);
	uuid_generate(s.public_id);
	s.created_at = s.last_seen = s.authenticated_at = created;
	s.expires_at = expires;
	s.must_change_password = must_change;
	assert_int_equal(store_session_add(e->st, &s, created), COFFER_OK);
}

static bool session_alive(const struct env *e, const struct token_hash *h, int64_t now)
{
	struct session_record s;
	enum coffer_err err = store_session_get(e->st, h, now, 1800, &s);
	assert_true(err == COFFER_OK || err == COFFER_ERR_NOT_FOUND);
	return err == COFFER_OK;
}

/* --- schema -------------------------------------------------------------------------------- */

/* A database as a deployment at schema step 2 has it (steps 1 and 2 as they were shipped),
 * with one invite, is upgraded on open: the invite keeps its fields and gains empty new ones. */
static void test_schema_upgrade(void **state)
{
	struct env *e = *state;
	char path[PATH_MAX];
	store_close(e->st);
	e->st = NULL;
	path_in(e->tmp, "system.db", path);
	assert_int_equal(remove(path), 0);
	path_in(e->tmp, "system.db-wal", path);
	(void)remove(path);
	path_in(e->tmp, "system.db-shm", path);
	(void)remove(path);
	raw_exec(e, "PRAGMA journal_mode=WAL;"
		    "CREATE TABLE invites ("
		    " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
		    " email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),"
		    " role TEXT NOT NULL CHECK (role IN ('sysadmin', 'member', 'org_admin')),"
		    " org_id TEXT,"
		    " clearance TEXT CHECK (clearance IS NULL OR"
		    "   clearance IN ('public', 'internal', 'confidential', 'restricted')),"
		    " created_at INTEGER NOT NULL,"
		    " expires_at INTEGER NOT NULL,"
		    " used_at INTEGER"
		    ") STRICT;"
		    "CREATE TABLE orgs ("
		    " id TEXT PRIMARY KEY CHECK (length(id) = 36),"
		    " name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 800),"
		    " created_at INTEGER NOT NULL"
		    ") STRICT;"
		    "CREATE TABLE org_keys ("
		    " org_id TEXT NOT NULL REFERENCES orgs (id),"
		    " version INTEGER NOT NULL CHECK (version >= 1),"
		    " master_version INTEGER NOT NULL CHECK (master_version >= 1),"
		    " wrapped BLOB NOT NULL CHECK (length(wrapped) = 60),"
		    " created_at INTEGER NOT NULL,"
		    " PRIMARY KEY (org_id, version)"
		    ") STRICT;"
		    "CREATE INDEX org_keys_by_master ON org_keys (master_version);"
		    "INSERT INTO invites VALUES (zeroblob(32), 'root@example.org', 'sysadmin',"
		    " NULL, NULL, 100, 9999999999, NULL);"
		    "PRAGMA user_version = 2;");
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(raw_int(e, "PRAGMA user_version"), SYSTEM_SCHEMA_STEPS);
	struct token_hash zero = {{0}};
	struct invite_record inv;
	memset(&inv, 0xaa, sizeof inv);
	assert_int_equal(store_invite_get(e->st, &zero, T0, &inv), COFFER_OK);
	assert_string_equal(inv.email, "root@example.org");
	assert_string_equal(inv.role, "sysadmin");
	assert_string_equal(inv.org_id, "");
	assert_string_equal(inv.created_by, "");
	assert_string_equal(inv.user_id, "");
	assert_int_equal(inv.sealed_len, 0);
	/* The old invite is accepted like a new one. */
	struct user_record u;
	new_user(&u, "root@example.org", "sysadmin", 7);
	assert_int_equal(store_invite_accept(e->st, &zero, &u, STORE_ACCEPT_ACTIVE, T0), COFFER_OK);
	/* Opened again (and again): nothing to do, the same version. */
	store_close(e->st);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	store_close(e->st);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(raw_int(e, "PRAGMA user_version"), SYSTEM_SCHEMA_STEPS);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), 1);
	/* A database from a newer coffer is refused. */
	store_close(e->st);
	e->st = NULL;
	raw_exec(e, "PRAGMA user_version = " SCHEMA_TOO_NEW);
	assert_int_not_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	raw_exec(e, "PRAGMA user_version = " SCHEMA_CURRENT);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
}

/* --- organisations and invites ------------------------------------------------------------- */

static void test_orgs(void **state)
{
	struct env *e = *state;
	struct org_record o, *list = NULL;
	size_t n = 99;
	assert_int_equal(store_orgs_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 0);
	free(list);
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1], c[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1];
	make_org(e, "Zebra Trust", a);
	make_org(e, "Acme Legal", b);
	make_org(e, "Ænima Ωmega", c);
	assert_int_equal(store_org_get(e->st, b, &o), COFFER_OK);
	assert_string_equal(o.id, b);
	assert_string_equal(o.name, "Acme Legal");
	assert_int_equal(o.created_at, 1000);
	uuid_generate(other);
	assert_int_equal(store_org_get(e->st, other, &o), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_get(e->st, "' OR '1'='1", &o), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_orgs_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "Acme Legal");
	assert_string_equal(list[1].name, "Zebra Trust");
	assert_string_equal(list[2].name, "Ænima Ωmega"); /* by bytes: UTF-8 after ASCII */
	assert_string_equal(list[2].id, c);
	free(list);
}

static void test_invite_fields(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], token[TOKEN_TEXT_LEN + 1];
	struct token_hash h;
	struct invite_record inv, got;
	make_org(e, "Acme", org);
	memset(&inv, 0, sizeof inv);
	token_generate(token, &h);
	strcpy(inv.email, "ann@example.org");
	strcpy(inv.role, "org_admin");
	strcpy(inv.org_id, org);
	strcpy(inv.clearance, "restricted");
	uuid_generate(inv.created_by);
	inv.created_at = T0;
	inv.expires_at = T0 + 100;
	inv.sealed_len = STORE_INVITE_SEALED_MAX;
	randombytes_buf(inv.sealed, inv.sealed_len);
	assert_int_equal(store_invite_add(e->st, &h, &inv), COFFER_OK);
	assert_int_equal(store_invite_add(e->st, &h, &inv), COFFER_ERR_EXISTS);
	assert_int_equal(store_invite_get(e->st, &h, T0, &got), COFFER_OK);
	assert_string_equal(got.email, inv.email);
	assert_string_equal(got.role, "org_admin");
	assert_string_equal(got.org_id, org);
	assert_string_equal(got.clearance, "restricted");
	assert_string_equal(got.created_by, inv.created_by);
	assert_string_equal(got.user_id, "");
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.expires_at, T0 + 100);
	assert_int_equal(got.sealed_len, STORE_INVITE_SEALED_MAX);
	assert_memory_equal(got.sealed, inv.sealed, inv.sealed_len);
	/* Expiry: found up to the second before expires_at. */
	assert_int_equal(store_invite_get(e->st, &h, T0 + 99, &got), COFFER_OK);
	assert_int_equal(store_invite_get(e->st, &h, T0 + 100, &got), COFFER_ERR_NOT_FOUND);
	/* A seal longer than the field, or a role the schema refuses. */
	token_generate(token, &h);
	inv.sealed_len = STORE_INVITE_SEALED_MAX + 1;
	assert_int_equal(store_invite_add(e->st, &h, &inv), COFFER_ERR_INVALID_INPUT);
	inv.sealed_len = 1;
	strcpy(inv.role, "root");
	assert_int_equal(store_invite_add(e->st, &h, &inv), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_invite_get(e->st, &h, T0, &got), COFFER_ERR_NOT_FOUND);
}

/* --- accepting invites --------------------------------------------------------------------- */

static void check_user(const struct env *e, const struct user_record *want, const char *status)
{
	struct user_record got;
	assert_int_equal(store_user_get(e->st, want->id, &got), COFFER_OK);
	assert_string_equal(got.id, want->id);
	assert_string_equal(got.email, want->email);
	assert_string_equal(got.role, want->role);
	assert_string_equal(got.status, status);
	assert_int_equal(got.account_len, want->account_len);
	assert_memory_equal(got.account, want->account, want->account_len);
	assert_int_equal(got.n_orgs, want->n_orgs);
	for (size_t i = 0; i < want->n_orgs; i++) {
		assert_string_equal(got.orgs[i].org_id, want->orgs[i].org_id);
		assert_string_equal(got.orgs[i].role, want->orgs[i].role);
		assert_string_equal(got.orgs[i].clearance, want->orgs[i].clearance);
	}
	struct user_record by_email;
	assert_int_equal(store_user_by_email(e->st, want->email, &by_email), COFFER_OK);
	assert_string_equal(by_email.id, want->id);
}

/* PENDING twice (the page reloaded): the second pending user replaces the first, memberships
 * and all, and the invite stays open for the confirmation. */
static void test_accept_pending_twice(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	struct token_hash h;
	struct invite_record inv;
	struct user_record u1, u2, got;
	make_org(e, "Acme", org);
	add_invite(e, "bob@example.org", "member", org, "confidential", T0 + DAY, &h);
	new_user(&u1, "bob@example.org", "user", 1);
	add_membership(&u1, org, "member", "confidential");
	assert_int_equal(store_invite_accept(e->st, &h, &u1, STORE_ACCEPT_PENDING, T0), COFFER_OK);
	check_user(e, &u1, "invited");
	assert_int_equal(store_invite_get(e->st, &h, T0, &inv), COFFER_OK);
	assert_string_equal(inv.user_id, u1.id);

	new_user(&u2, "bob@example.org", "user", 2);
	add_membership(&u2, org, "member", "confidential");
	assert_int_equal(store_invite_accept(e->st, &h, &u2, STORE_ACCEPT_PENDING, T0 + 5),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u1.id, &got), COFFER_ERR_NOT_FOUND);
	check_user(e, &u2, "invited");
	assert_int_equal(store_invite_get(e->st, &h, T0 + 5, &inv), COFFER_OK);
	assert_string_equal(inv.user_id, u2.id);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM memberships"), 1);
	/* A pending user cannot log in, or be enabled behind the invite's back. */
	assert_int_equal(store_user_set_status(e->st, u2.id, "active", T0), COFFER_ERR_NOT_FOUND);
}

/* ACTIVE: the user is active and the invite used at once. */
static void test_accept_active(void **state)
{
	struct env *e = *state;
	char org1[STORE_ID_MAX + 1], org2[STORE_ID_MAX + 1];
	struct token_hash h;
	struct invite_record inv;
	struct user_record u, again, got;
	make_org(e, "Beta", org1);
	make_org(e, "Alpha", org2);
	add_invite(e, "cat@example.org", "org_admin", org1, "restricted", T0 + DAY, &h);
	new_user(&u, "cat@example.org", "user", 3);
	add_membership(&u, org1, "org_admin", "restricted");
	add_membership(&u, org2, "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0), COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.status, "active");
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.totp_last_step, -1);
	/* Memberships by organisation name, with the names filled in. */
	assert_int_equal(got.n_orgs, 2);
	assert_string_equal(got.orgs[0].org_name, "Alpha");
	assert_string_equal(got.orgs[0].org_id, org2);
	assert_string_equal(got.orgs[0].clearance, "public");
	assert_string_equal(got.orgs[1].org_name, "Beta");
	assert_string_equal(got.orgs[1].role, "org_admin");
	/* Used: neither found nor accepted again, in any mode. */
	assert_int_equal(store_invite_get(e->st, &h, T0, &inv), COFFER_ERR_NOT_FOUND);
	new_user(&again, "cat@example.org", "user", 4);
	assert_int_equal(store_invite_accept(e->st, &h, &again, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_invite_accept(e->st, &h, &again, STORE_ACCEPT_PENDING, T0),
			 COFFER_ERR_NOT_FOUND);
	memcpy(again.id, u.id, sizeof again.id);
	assert_int_equal(store_invite_accept(e->st, &h, &again, STORE_ACCEPT_JOIN, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(raw_int(e, "SELECT used_at FROM invites"), T0);
}

/* Expired or unknown invites create nothing; a failed acceptance leaves nothing behind. */
static void test_accept_refused(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], unknown_org[STORE_ID_MAX + 1], token[TOKEN_TEXT_LEN + 1];
	struct token_hash h, unknown;
	struct user_record u, existing;
	make_org(e, "Acme", org);
	add_invite(e, "dan@example.org", "member", org, "public", T0 + 60, &h);
	new_user(&u, "dan@example.org", "user", 5);
	add_membership(&u, org, "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0 + 60),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_PENDING, T0 + 61),
			 COFFER_ERR_NOT_FOUND);
	token_generate(token, &unknown);
	assert_int_equal(store_invite_accept(e->st, &unknown, &u, STORE_ACCEPT_PENDING, T0),
			 COFFER_ERR_NOT_FOUND);
	/* An email that is not the invite's. */
	strcpy(u.email, "mallory@example.org");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	memset(u.email, 'd', sizeof u.email); /* no NUL: never read past the field */
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	strcpy(u.email, "dan@example.org");
	memset(u.orgs[0].clearance, 'c', sizeof u.orgs[0].clearance);
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	strcpy(u.orgs[0].clearance, "public");
	/* A membership of an organisation that does not exist: nothing of the user is kept. */
	uuid_generate(unknown_org);
	add_membership(&u, unknown_org, "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_NOT_FOUND);
	u.n_orgs = 1;
	/* Bad records. */
	u.account_len = 0;
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	u.account_len = STORE_ACCOUNT_SEALED_MAX + 1;
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	u.account_len = 10;
	u.n_orgs = STORE_ORGS_MAX + 1;
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	u.n_orgs = 1;
	strcpy(u.orgs[0].clearance, "top-secret");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_INVALID_INPUT);
	strcpy(u.orgs[0].clearance, "public");
	assert_int_equal(store_invite_accept(e->st, &h, &u, (enum store_accept)7, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM invites WHERE user_id IS NOT NULL "
				    "OR used_at IS NOT NULL"),
			 0);

	/* The email already belongs to another user (a second invite to the same address). */
	make_active_user(e, &existing, "dan@example.org", org);
	new_user(&u, "dan@example.org", "user", 6);
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_PENDING, T0),
			 COFFER_ERR_EXISTS);
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0),
			 COFFER_ERR_EXISTS);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), 1);
	struct invite_record inv;
	assert_int_equal(store_invite_get(e->st, &h, T0, &inv), COFFER_OK);
	assert_string_equal(inv.user_id, "");
}

/* JOIN: an active user with the invite's email gains the membership (once). */
static void test_accept_join(void **state)
{
	struct env *e = *state;
	char org1[STORE_ID_MAX + 1], org2[STORE_ID_MAX + 1];
	struct token_hash h, h2, h3;
	struct invite_record inv;
	struct user_record u, join, got, pending;
	make_org(e, "One", org1);
	make_org(e, "Two", org2);
	make_active_user(e, &u, "eve@example.org", org1);

	add_invite(e, "eve@example.org", "org_admin", org2, "confidential", T0 + DAY, &h);
	memset(&join, 0, sizeof join);
	memcpy(join.id, u.id, sizeof join.id);
	join.account_len = 77;
	memset(join.account, 0x77, join.account_len);
	add_membership(&join, org2, "org_admin", "confidential");
	assert_int_equal(store_invite_accept(e->st, &h, &join, STORE_ACCEPT_JOIN, T0 + 1),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 2);
	assert_string_equal(got.orgs[1].org_id, org2);
	assert_string_equal(got.orgs[1].role, "org_admin");
	assert_int_equal(got.account_len, 77);
	assert_memory_equal(got.account, join.account, 77);
	assert_int_equal(store_invite_get(e->st, &h, T0 + 1, &inv), COFFER_ERR_NOT_FOUND);
	assert_string_equal(got.status, "active");

	/* The same membership again, through a second invite: refused, invite left unused. */
	add_invite(e, "eve@example.org", "member", org2, "public", T0 + DAY, &h2);
	assert_int_equal(store_invite_accept(e->st, &h2, &join, STORE_ACCEPT_JOIN, T0 + 2),
			 COFFER_ERR_EXISTS);
	assert_int_equal(store_invite_get(e->st, &h2, T0 + 2, &inv), COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 2);

	/* Only an active user with the invite's email may join. */
	add_invite(e, "fay@example.org", "member", org1, "public", T0 + DAY, &h3);
	assert_int_equal(store_invite_accept(e->st, &h3, &join, STORE_ACCEPT_JOIN, T0),
			 COFFER_ERR_NOT_FOUND); /* eve is not fay */
	new_user(&pending, "fay@example.org", "user", 9);
	assert_int_equal(store_invite_accept(e->st, &h3, &pending, STORE_ACCEPT_PENDING, T0),
			 COFFER_OK);
	memcpy(join.id, pending.id, sizeof join.id);
	join.n_orgs = 0;
	add_membership(&join, org1, "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h3, &join, STORE_ACCEPT_JOIN, T0),
			 COFFER_ERR_NOT_FOUND); /* still invited */
	assert_int_equal(store_user_set_status(e->st, u.id, "disabled", T0), COFFER_OK);
	memcpy(join.id, u.id, sizeof join.id);
	assert_int_equal(store_invite_accept(e->st, &h2, &join, STORE_ACCEPT_JOIN, T0),
			 COFFER_ERR_NOT_FOUND); /* disabled */
}

/* A user belongs to at most STORE_ORGS_MAX organisations (the most a session ticket names). */
static void test_membership_cap(void **state)
{
	struct env *e = *state;
	static char orgs[STORE_ORGS_MAX + 1][STORE_ID_MAX + 1];
	struct user_record u, join, got;
	struct token_hash h;
	char name[32];
	for (int i = 0; i <= STORE_ORGS_MAX; i++) {
		snprintf(name, sizeof name, "Org %02d", i);
		make_org(e, name, orgs[i]);
	}
	add_invite(e, "oli@example.org", "member", orgs[0], "public", T0 + DAY, &h);
	new_user(&u, "oli@example.org", "user", 1);
	for (int i = 0; i < STORE_ORGS_MAX - 1; i++)
		add_membership(&u, orgs[i], "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_ACTIVE, T0), COFFER_OK);
	add_invite(e, "oli@example.org", "member", orgs[STORE_ORGS_MAX - 1], "public", T0 + DAY,
		   &h);
	memset(&join, 0, sizeof join);
	memcpy(join.id, u.id, sizeof join.id);
	join.account_len = 1;
	add_membership(&join, orgs[STORE_ORGS_MAX - 1], "member", "public");
	add_membership(&join, orgs[STORE_ORGS_MAX], "member", "public");
	assert_int_equal(store_invite_accept(e->st, &h, &join, STORE_ACCEPT_JOIN, T0),
			 COFFER_ERR_TOO_LARGE);
	join.n_orgs = 1;
	assert_int_equal(store_invite_accept(e->st, &h, &join, STORE_ACCEPT_JOIN, T0), COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, STORE_ORGS_MAX);
	assert_string_equal(got.orgs[STORE_ORGS_MAX - 1].org_name, "Org 63");
}

static void test_confirm(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1];
	struct token_hash h, h2;
	struct invite_record inv;
	struct user_record u, got;
	uint8_t account[200];
	memset(account, 0xc0, sizeof account);
	make_org(e, "Acme", org);
	add_invite(e, "gus@example.org", "member", org, "internal", T0 + 600, &h);
	/* Not accepted yet. */
	uuid_generate(other);
	assert_int_equal(store_invite_confirm(e->st, &h, other, account, sizeof account, 5, T0),
			 COFFER_ERR_NOT_FOUND);
	new_user(&u, "gus@example.org", "user", 1);
	add_membership(&u, org, "member", "internal");
	assert_int_equal(store_invite_accept(e->st, &h, &u, STORE_ACCEPT_PENDING, T0), COFFER_OK);
	/* Another user id, a bad account, an expired invite. */
	assert_int_equal(store_invite_confirm(e->st, &h, other, account, sizeof account, 5, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_invite_confirm(e->st, &h, u.id, account, 0, 5, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_invite_confirm(e->st, &h, u.id, account, sizeof account, 5, T0 + 600),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.status, "invited");

	assert_int_equal(
	    store_invite_confirm(e->st, &h, u.id, account, sizeof account, 56666667, T0 + 30),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.status, "active");
	assert_int_equal(got.totp_last_step, 56666667);
	assert_int_equal(got.account_len, sizeof account);
	assert_memory_equal(got.account, account, sizeof account);
	assert_int_equal(got.n_orgs, 1);
	assert_int_equal(store_invite_get(e->st, &h, T0 + 30, &inv), COFFER_ERR_NOT_FOUND);
	assert_int_equal(
	    store_invite_confirm(e->st, &h, u.id, account, sizeof account, 56666668, T0 + 31),
	    COFFER_ERR_NOT_FOUND);
	/* The enrolment counted as a use of its step. */
	assert_int_equal(store_totp_step_use(e->st, u.id, 56666667), COFFER_ERR_VERSION_CONFLICT);

	/* An invite accepted by a user who has since become active some other way is not
	 * confirmed again: the user must still be invited. */
	add_invite(e, "hal@example.org", "member", org, "internal", T0 + 600, &h2);
	new_user(&u, "hal@example.org", "user", 2);
	assert_int_equal(store_invite_accept(e->st, &h2, &u, STORE_ACCEPT_PENDING, T0), COFFER_OK);
	raw_exec(e, "UPDATE users SET status = 'disabled' WHERE email = 'hal@example.org'");
	assert_int_equal(store_invite_confirm(e->st, &h2, u.id, account, sizeof account, 1, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_invite_get(e->st, &h2, T0, &inv), COFFER_OK);
	/* Nor is such a user replaced by accepting again: only a pending user is. */
	struct user_record u2;
	new_user(&u2, "hal@example.org", "user", 3);
	assert_int_equal(store_invite_accept(e->st, &h2, &u2, STORE_ACCEPT_PENDING, T0),
			 COFFER_ERR_EXISTS);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.status, "disabled");
}

/* --- users --------------------------------------------------------------------------------- */

static void test_users_list(void **state)
{
	struct env *e = *state;
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1];
	struct user_record u1, u2, u3, *list = NULL, got;
	size_t n = 5;
	assert_int_equal(store_users_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 0);
	free(list);
	make_org(e, "B org", b);
	make_org(e, "A org", a);
	make_active_user(e, &u1, "zed@example.org", b);
	make_active_user(e, &u2, "amy@example.org", NULL);
	make_active_user(e, &u3, "max@example.org", a);
	struct token_hash h;
	struct user_record join;
	add_invite(e, "zed@example.org", "member", "", "", T0 + DAY, &h);
	memset(&join, 0, sizeof join);
	memcpy(join.id, u1.id, sizeof join.id);
	join.account_len = 1;
	add_membership(&join, a, "org_admin", "restricted");
	assert_int_equal(store_invite_accept(e->st, &h, &join, STORE_ACCEPT_JOIN, T0), COFFER_OK);

	assert_int_equal(store_users_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].email, "amy@example.org");
	assert_string_equal(list[0].role, "sysadmin");
	assert_int_equal(list[0].n_orgs, 0);
	assert_string_equal(list[1].email, "max@example.org");
	assert_int_equal(list[1].n_orgs, 1);
	assert_string_equal(list[1].orgs[0].org_name, "A org");
	assert_string_equal(list[2].email, "zed@example.org");
	assert_string_equal(list[2].id, u1.id);
	assert_int_equal(list[2].n_orgs, 2);
	assert_string_equal(list[2].orgs[0].org_name, "A org");
	assert_string_equal(list[2].orgs[0].role, "org_admin");
	assert_string_equal(list[2].orgs[1].org_name, "B org");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(list[i].account_len, 0);
		assert_string_equal(list[i].status, "active");
	}
	free(list);
	assert_int_equal(store_user_by_email(e->st, "nobody@example.org", &got),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, "", &got), COFFER_ERR_NOT_FOUND);
}

/* Disabling ends every session of the user at once, and enabling does not bring them back. */
static void test_disable(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1];
	struct user_record u, other, got;
	struct token_hash s1, s2, s3;
	make_org(e, "Acme", org);
	make_active_user(e, &u, "ida@example.org", org);
	make_active_user(e, &other, "jon@example.org", org);
	make_session(e, u.id, T0, T0 + 43200, false, &s1);
	make_session(e, u.id, T0, T0 + 43200, false, &s2);
	make_session(e, other.id, T0, T0 + 43200, false, &s3);
	assert_true(session_alive(e, &s1, T0 + 10));

	assert_int_equal(store_user_set_status(e->st, u.id, "disabled", T0 + 20), COFFER_OK);
	assert_false(session_alive(e, &s1, T0 + 21));
	assert_false(session_alive(e, &s2, T0 + 21));
	assert_true(session_alive(e, &s3, T0 + 21));
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.status, "disabled");
	/* Disabling twice is fine; enabling does not restore the sessions: they are gone. */
	assert_int_equal(store_user_set_status(e->st, u.id, "disabled", T0 + 21), COFFER_OK);
	assert_int_equal(store_user_set_status(e->st, u.id, "active", T0 + 22), COFFER_OK);
	assert_false(session_alive(e, &s1, T0 + 23));
	assert_false(session_alive(e, &s2, T0 + 23));
	assert_int_equal(raw_int(e, "SELECT count(*) FROM sessions"), 1);
	/* A session of a disabled user is not found even while its row exists. */
	make_session(e, u.id, T0 + 30, T0 + 43200, false, &s1);
	raw_exec(e, "UPDATE users SET status = 'disabled' WHERE email = 'ida@example.org'");
	assert_false(session_alive(e, &s1, T0 + 31));

	uuid_generate(unknown);
	assert_int_equal(store_user_set_status(e->st, unknown, "disabled", T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_status(e->st, u.id, "invited", T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_user_set_status(e->st, u.id, "Active", T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_user_set_status(e->st, u.id, "", T0), COFFER_ERR_INVALID_INPUT);
}

/* A password change keeps only the session it was made from, and clears its must-change flag. */
static void test_set_account(void **state)
{
	struct env *e = *state;
	struct user_record u, other, got;
	struct token_hash s1, s2, s3, s4, unknown_h;
	struct session_record s;
	char unknown[STORE_ID_MAX + 1], token[TOKEN_TEXT_LEN + 1];
	uint8_t account[STORE_ACCOUNT_SEALED_MAX];
	randombytes_buf(account, sizeof account);
	make_active_user(e, &u, "kim@example.org", NULL);
	make_active_user(e, &other, "lee@example.org", NULL);
	make_session(e, u.id, T0, T0 + 43200, true, &s1);
	make_session(e, u.id, T0, T0 + 43200, true, &s2);
	make_session(e, u.id, T0, T0 + 43200, true, &s3);
	make_session(e, other.id, T0, T0 + 43200, true, &s4);

	assert_int_equal(store_user_set_account(e->st, u.id, account, sizeof account, &s2, T0 + 5),
			 COFFER_OK);
	assert_false(session_alive(e, &s1, T0 + 6));
	assert_false(session_alive(e, &s3, T0 + 6));
	assert_int_equal(store_session_get(e->st, &s2, T0 + 6, 1800, &s), COFFER_OK);
	assert_false(s.must_change_password);
	assert_int_equal(store_session_get(e->st, &s4, T0 + 6, 1800, &s), COFFER_OK);
	assert_true(s.must_change_password); /* another user's session is untouched */
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.account_len, sizeof account);
	assert_memory_equal(got.account, account, sizeof account);

	/* KEEP naming another user's session keeps nothing of this user's, and does not touch
	 * that session. */
	assert_int_equal(store_user_set_account(e->st, u.id, account, 10, &s4, T0 + 7), COFFER_OK);
	assert_false(session_alive(e, &s2, T0 + 8));
	assert_int_equal(store_session_get(e->st, &s4, T0 + 8, 1800, &s), COFFER_OK);
	assert_true(s.must_change_password);
	/* KEEP NULL: every session goes. */
	make_session(e, u.id, T0 + 10, T0 + 43200, false, &s1);
	token_generate(token, &unknown_h);
	assert_int_equal(store_user_set_account(e->st, u.id, account, 10, NULL, T0 + 11),
			 COFFER_OK);
	assert_false(session_alive(e, &s1, T0 + 12));
	assert_int_equal(raw_int(e, "SELECT count(*) FROM sessions"), 1);

	uuid_generate(unknown);
	assert_int_equal(store_user_set_account(e->st, unknown, account, 10, NULL, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_account(e->st, u.id, account, 0, NULL, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_user_set_account(e->st, u.id, account, STORE_ACCOUNT_SEALED_MAX + 1, NULL, T0),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.account_len, 10);
}

/* An account sealed again (the same account, a newer format) replaces the stored one only if
 * nothing changed it meanwhile, and ends no session. */
static void test_account_reseal(void **state)
{
	struct env *e = *state;
	struct user_record u, got;
	struct token_hash s1;
	struct session_record s;
	char unknown[STORE_ID_MAX + 1];
	uint8_t account[64];
	randombytes_buf(account, sizeof account);
	make_active_user(e, &u, "reseal@example.org", NULL);
	make_session(e, u.id, T0, T0 + 43200, false, &s1);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	uint64_t v = got.account_version;
	assert_int_equal(store_user_account_reseal(e->st, u.id, account, sizeof account, v, T0 + 1),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.account_version, v + 1);
	assert_int_equal(got.account_len, sizeof account);
	assert_memory_equal(got.account, account, sizeof account);
	assert_int_equal(store_session_get(e->st, &s1, T0 + 2, 1800, &s), COFFER_OK);
	/* Based on a version that moved on: refused, and the stored account stays. */
	account[0] ^= 1;
	assert_int_equal(store_user_account_reseal(e->st, u.id, account, sizeof account, v, T0 + 3),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.account_version, v + 1);
	assert_memory_not_equal(got.account, account, sizeof account);
	uuid_generate(unknown);
	assert_int_equal(store_user_account_reseal(e->st, unknown, account, sizeof account, v, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_account_reseal(e->st, u.id, account, 0, v + 1, T0),
			 COFFER_ERR_INVALID_INPUT);
}

/* --- TOTP steps ---------------------------------------------------------------------------- */

#define RACERS 8

struct racer {
	struct store *st;
	const char *user_id;
	enum coffer_err err;
};

static void *race_step(void *arg)
{
	struct racer *r = arg;
	r->err = store_totp_step_use(r->st, r->user_id, 1000);
	return NULL;
}

static void test_totp_step(void **state)
{
	struct env *e = *state;
	struct user_record u, got;
	char unknown[STORE_ID_MAX + 1];
	make_active_user(e, &u, "mia@example.org", NULL);
	assert_int_equal(store_totp_step_use(e->st, u.id, 0), COFFER_OK); /* after -1 */
	assert_int_equal(store_totp_step_use(e->st, u.id, 100), COFFER_OK);
	assert_int_equal(store_totp_step_use(e->st, u.id, 100), COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_totp_step_use(e->st, u.id, 99), COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_totp_step_use(e->st, u.id, 101), COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.totp_last_step, 101);
	uuid_generate(unknown);
	assert_int_equal(store_totp_step_use(e->st, unknown, 5), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_totp_step_use(e->st, u.id, -1), COFFER_ERR_INVALID_INPUT);

	/* Servers racing to accept the same code: exactly one wins. */
	pthread_t t[RACERS];
	struct racer r[RACERS];
	for (int i = 0; i < RACERS; i++) {
		r[i] = (struct racer){.st = e->st, .user_id = u.id};
		assert_int_equal(pthread_create(&t[i], NULL, race_step, &r[i]), 0);
	}
	int won = 0;
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(r[i].err == COFFER_OK || r[i].err == COFFER_ERR_VERSION_CONFLICT);
		won += r[i].err == COFFER_OK;
	}
	assert_int_equal(won, 1);
}

/* --- sessions ------------------------------------------------------------------------------ */

static void test_sessions(void **state)
{
	struct env *e = *state;
	struct user_record u, pending;
	struct token_hash h, old, unknown_h, ph;
	struct session_record s, got;
	char token[TOKEN_TEXT_LEN + 1];
	make_active_user(e, &u, "ned@example.org", NULL);
	/* Round trip of every field. */
	memset(&s, 0, sizeof s);
	token_generate(token, &h);
	s.token = h;
	memcpy(s.user_id, u.id, sizeof s.user_id);
	memcpy(s.csrf_token, token, STORE_CSRF_MAX);
	s.ticket_len = STORE_TICKET_MAX;
	randombytes_buf(s.ticket, s.ticket_len);
	s.created_at = T0;
	s.last_seen = T0;
	s.authenticated_at = T0 + 5;
	s.expires_at = T0 + 43200;
	s.must_change_password = true;
	uuid_generate(s.public_id);
	snprintf(s.address, sizeof s.address, "2001:db8::1");
	snprintf(s.browser, sizeof s.browser, "Agent/1.0 (test)");
	assert_int_equal(store_session_add(e->st, &s, T0), COFFER_OK);
	assert_int_equal(store_session_add(e->st, &s, T0), COFFER_ERR_EXISTS);
	memset(&got, 0xee, sizeof got);
	assert_int_equal(store_session_get(e->st, &h, T0, 1800, &got), COFFER_OK);
	assert_memory_equal(got.token.bytes, h.bytes, sizeof h.bytes);
	assert_string_equal(got.user_id, u.id);
	assert_string_equal(got.csrf_token, s.csrf_token);
	assert_int_equal(got.ticket_len, STORE_TICKET_MAX);
	assert_memory_equal(got.ticket, s.ticket, STORE_TICKET_MAX);
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.last_seen, T0);
	assert_int_equal(got.expires_at, T0 + 43200);
	assert_true(got.must_change_password);
	assert_string_equal(got.public_id, s.public_id);
	assert_int_equal(got.authenticated_at, T0 + 5);

	/* Idle: found at exactly idle_ttl after the last use, not a second later. */
	assert_true(store_session_get(e->st, &h, T0 + 1800, 1800, &got) == COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 1801, 1800, &got), COFFER_ERR_NOT_FOUND);
	/* A touch moves the idle window (never backwards). */
	assert_int_equal(store_session_touch(e->st, &h, T0 + 1700), COFFER_OK);
	assert_int_equal(store_session_touch(e->st, &h, T0 + 1600), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 3500, 1800, &got), COFFER_OK);
	assert_int_equal(got.last_seen, T0 + 1700);
	assert_int_equal(store_session_get(e->st, &h, T0 + 3501, 1800, &got), COFFER_ERR_NOT_FOUND);
	/* Absolute: found up to the second before expires_at, whatever the idle time. */
	assert_int_equal(store_session_touch(e->st, &h, T0 + 43190), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 43199, 1800, &got), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 43200, 1800, &got),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_session_get(e->st, &h, T0 + 43200, INT64_MAX / 2, &got),
			 COFFER_ERR_NOT_FOUND);

	/* Adding a session sweeps those past their absolute expiry, and only those. */
	make_session(e, u.id, T0, T0 + 100, false, &old);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM sessions"), 2);
	struct token_hash fresh;
	make_session(e, u.id, T0 + 100, T0 + 50000, false, &fresh);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM sessions"), 2); /* old went */
	assert_false(session_alive(e, &old, T0 + 99));
	assert_true(session_alive(e, &fresh, T0 + 101));

	/* Logout, twice. */
	assert_int_equal(store_session_delete(e->st, &h), COFFER_OK);
	assert_int_equal(store_session_delete(e->st, &h), COFFER_OK);
	assert_false(session_alive(e, &h, T0 + 10));
	assert_int_equal(store_session_touch(e->st, &h, T0 + 10), COFFER_ERR_NOT_FOUND);
	token_generate(token, &unknown_h);
	assert_false(session_alive(e, &unknown_h, T0));

	/* A session of an unknown user, or with bad fields, is refused; one of a pending user is
	 * never found. */
	s.token = unknown_h;
	uuid_generate(s.user_id);
	assert_int_equal(store_session_add(e->st, &s, T0), COFFER_ERR_NOT_FOUND);
	memcpy(s.user_id, u.id, sizeof s.user_id);
	s.csrf_token[0] = '\0';
	assert_int_equal(store_session_add(e->st, &s, T0), COFFER_ERR_INVALID_INPUT);
	strcpy(s.csrf_token, "x");
	s.ticket_len = STORE_TICKET_MAX + 1;
	assert_int_equal(store_session_add(e->st, &s, T0), COFFER_ERR_INVALID_INPUT);
	s.ticket_len = 1;
	/* A public id that is no UUID, an authentication before the session, an address or a
	 * browser too long or not printable ASCII. */
	struct session_record bad = s;
	snprintf(bad.public_id, sizeof bad.public_id, "not a uuid");
	assert_int_equal(store_session_add(e->st, &bad, T0), COFFER_ERR_INVALID_INPUT);
	bad = s;
	bad.authenticated_at = bad.created_at - 1;
	assert_int_equal(store_session_add(e->st, &bad, T0), COFFER_ERR_INVALID_INPUT);
	bad = s;
	memset(bad.address, '1', STORE_ADDRESS_MAX + 1);
	assert_int_equal(store_session_add(e->st, &bad, T0), COFFER_ERR_INVALID_INPUT);
	bad = s;
	snprintf(bad.browser, sizeof bad.browser, "tab\there");
	assert_int_equal(store_session_add(e->st, &bad, T0), COFFER_ERR_INVALID_INPUT);
	bad = s;
	snprintf(bad.browser, sizeof bad.browser, "caf\xc3\xa9");
	assert_int_equal(store_session_add(e->st, &bad, T0), COFFER_ERR_INVALID_INPUT);
	add_invite(e, "pat@example.org", "sysadmin", "", "", T0 + DAY, &ph);
	new_user(&pending, "pat@example.org", "sysadmin", 3);
	assert_int_equal(store_invite_accept(e->st, &ph, &pending, STORE_ACCEPT_PENDING, T0),
			 COFFER_OK);
	make_session(e, pending.id, T0, T0 + 43200, false, &h);
	assert_false(session_alive(e, &h, T0 + 1));
}

/* --- hostile strings ----------------------------------------------------------------------- */

// clang-format off
/* store_caller_get for H at T0, about ORG (NULL for none). */
static enum coffer_err caller_get(const struct env *e, const struct token_hash *h, const char *org,
				  struct user_record *u, struct caller_org_read *read)
{
	static char policy[STORE_POLICY_MAX + 1], member_policy[STORE_POLICY_MAX + 1];
	struct session_record s;
	*read = (struct caller_org_read){
	    .org_id = org, .policy = policy, .member_policy = member_policy};
	return store_caller_get(e->st, h, T0, 1800, &s, u, read);
}

/* The caller's read takes the organisation the request names in the same transaction: its
 * policy, the caller's member policy there and its newest key, each as the store's own call
 * for it reads them, and nothing of another organisation. */
static void test_caller_reads_the_organisation(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], none[STORE_ID_MAX + 1];
	make_org(e, "Caller Org", org);
	make_org(e, "Caller Other", other);
	struct user_record *u = calloc(2, sizeof *u);
	assert_non_null(u);
	make_active_user(e, &u[0], "cat@example.org", org);
	struct token_hash h;
	make_session(e, u[0].id, T0, T0 + DAY, false, &h);
	struct caller_org_read read;
	assert_int_equal(caller_get(e, &h, NULL, &u[1], &read), COFFER_OK);
	assert_false(read.read);
	assert_int_equal(caller_get(e, &h, org, &u[1], &read), COFFER_OK);
	assert_true(read.read && !read.has_policy && !read.has_member_policy);
	assert_true(read.has_key && read.key.version == 1);

	struct org_key_record k2 = {.version = 2, .master_version = 1}, newest;
	randombytes_buf(k2.wrapped, sizeof k2.wrapped);
	assert_int_equal(store_org_key_add(e->st, org, &k2, 10), COFFER_OK);
	assert_int_equal(store_policy_put(e->st, org, "{\"p\":1}", 10), COFFER_OK);
	assert_int_equal(store_policy_put(e->st, other, "{\"p\":2}", 10), COFFER_OK);
	assert_int_equal(store_member_policy_put(e->st, org, u[0].id, "{\"m\":1}", 10), COFFER_OK);
	assert_int_equal(caller_get(e, &h, org, &u[1], &read), COFFER_OK);
	assert_int_equal(store_org_key_newest(e->st, org, &newest), COFFER_OK);
	assert_true(read.has_key && read.key.version == 2);
	assert_memory_equal(read.key.wrapped, newest.wrapped, KEYWRAP_BYTES);
	assert_true(read.has_policy && read.has_member_policy);
	assert_string_equal(read.policy, "{\"p\":1}");
	assert_string_equal(read.member_policy, "{\"m\":1}");
	assert_string_equal(u[1].id, u[0].id);
	assert_int_equal(u[1].n_orgs, 1);

	/* Another organisation's: its policy, and no member policy of a non-member. */
	assert_int_equal(caller_get(e, &h, other, &u[1], &read), COFFER_OK);
	assert_true(read.read && read.has_policy && !read.has_member_policy && read.has_key);
	assert_string_equal(read.policy, "{\"p\":2}");
	assert_int_equal(store_org_keys_destroy(e->st, org), COFFER_OK);
	assert_int_equal(caller_get(e, &h, org, &u[1], &read), COFFER_OK);
	assert_true(read.read && !read.has_key);
	uuid_generate(none);
	assert_int_equal(caller_get(e, &h, none, &u[1], &read), COFFER_OK);
	assert_true(read.read && !read.has_policy && !read.has_member_policy && !read.has_key);
	/* No session: nothing is read, the organisation's parts included. */
	struct token_hash gone;
	randombytes_buf(gone.bytes, sizeof gone.bytes);
	assert_int_equal(caller_get(e, &gone, org, &u[1], &read), COFFER_ERR_NOT_FOUND);
	assert_false(read.read);
	free(u);
}

static const char *const hostile[] = {
    "'; DROP TABLE users; --@example.org",
    "robert'); DELETE FROM sessions; --@x.org",
    "\"quoted\"@example.org",
    "%s%n%x@example.org",
    "back\\slash@example.org",
    "zoë.ünïcode@exämple.org",
    "名前@例え.jp",
    "emoji😀@example.org",
};
// clang-format on

/* A user's own sessions: listed live ones only, newest first, capped; ended one by one by
 * public id (never another user's), or all but one; a re-authentication's ticket and time. */
static void test_own_sessions(void **state)
{
	struct env *e = *state;
	struct user_record u, v;
	struct token_hash h1, h2, h3, old, theirs;
	make_active_user(e, &u, "una@example.org", NULL);
	make_active_user(e, &v, "vic@example.org", NULL);
	make_session(e, u.id, T0, T0 + 43200, false, &h1);
	make_session(e, u.id, T0 + 10, T0 + 43200, false, &h2);
	make_session(e, u.id, T0 + 20, T0 + 43200, false, &h3);
	make_session(e, u.id, T0 - 40000, T0 + 100, false, &old); /* idle by T0 + 20 */
	make_session(e, v.id, T0 + 30, T0 + 43200, false, &theirs);
	struct session_summary *rows = NULL;
	size_t n = 0;
	assert_int_equal(store_sessions_list(e->st, u.id, T0 + 30, 1800, &rows, &n), COFFER_OK);
	assert_int_equal(n, 3);
	struct session_record r1, r2, r3, rv;
	assert_int_equal(store_session_get(e->st, &h1, T0 + 30, 1800, &r1), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h2, T0 + 30, 1800, &r2), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h3, T0 + 30, 1800, &r3), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &theirs, T0 + 30, 1800, &rv), COFFER_OK);
	assert_string_equal(rows[0].public_id, r3.public_id);
	assert_string_equal(rows[1].public_id, r2.public_id);
	assert_string_equal(rows[2].public_id, r1.public_id);
	assert_int_equal(rows[0].created_at, T0 + 20);
	assert_int_equal(rows[0].last_seen, T0 + 20);
	assert_string_equal(rows[0].address, ""); /* none recorded */
	assert_string_equal(rows[0].browser, "");
	free(rows);
	/* Someone with none: NULL, 0. */
	struct user_record w;
	make_active_user(e, &w, "wes@example.org", NULL);
	rows = (struct session_summary *)1;
	assert_int_equal(store_sessions_list(e->st, w.id, T0, 1800, &rows, &n), COFFER_OK);
	assert_null(rows);
	assert_int_equal(n, 0);

	/* Another user's session is not found, and stays; the user's own ends. */
	assert_int_equal(store_session_end(e->st, u.id, rv.public_id), COFFER_ERR_NOT_FOUND);
	assert_true(session_alive(e, &theirs, T0 + 30));
	assert_int_equal(store_session_end(e->st, u.id, r2.public_id), COFFER_OK);
	assert_false(session_alive(e, &h2, T0 + 30));
	assert_int_equal(store_session_end(e->st, u.id, r2.public_id), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_session_end(e->st, u.id, "short"), COFFER_ERR_INVALID_INPUT);

	/* A re-authentication: a new ticket and time, read back with the session. */
	uint8_t ticket[40];
	randombytes_buf(ticket, sizeof ticket);
	assert_int_equal(
	    store_session_reauthenticated(e->st, &h1, ticket, sizeof ticket, 3, T0 + 25),
	    COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h1, T0 + 30, 1800, &r1), COFFER_OK);
	assert_int_equal(r1.authenticated_at, T0 + 25);
	assert_int_equal(r1.account_version, 3);
	assert_int_equal(r1.ticket_len, sizeof ticket);
	assert_memory_equal(r1.ticket, ticket, sizeof ticket);
	assert_int_equal(store_session_reauthenticated(e->st, &h2, ticket, sizeof ticket, 3, T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_session_reauthenticated(e->st, &h1, ticket, 0, 3, T0),
			 COFFER_ERR_INVALID_INPUT);

	/* All but one: the old one too (live or not), never another user's. */
	int64_t ended = -1;
	assert_int_equal(store_sessions_end_others(e->st, u.id, &h1, &ended), COFFER_OK);
	assert_int_equal(ended, 2);
	assert_true(session_alive(e, &h1, T0 + 30));
	assert_false(session_alive(e, &h3, T0 + 30));
	assert_true(session_alive(e, &theirs, T0 + 30));
	assert_int_equal(store_sessions_end_others(e->st, u.id, &h1, &ended), COFFER_OK);
	assert_int_equal(ended, 0);

	/* At most STORE_SESSIONS_SHOWN are listed: the newest. */
	struct token_hash many;
	for (int i = 0; i < STORE_SESSIONS_SHOWN + 5; i++)
		make_session(e, w.id, T0 + i, T0 + 43200, false, &many);
	assert_int_equal(store_sessions_list(e->st, w.id, T0 + 200, 1800, &rows, &n), COFFER_OK);
	assert_int_equal(n, STORE_SESSIONS_SHOWN);
	assert_int_equal(rows[0].created_at, T0 + STORE_SESSIONS_SHOWN + 4);
	free(rows);
}

static void test_hostile_strings(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], long_name[STORE_ORG_NAME_MAX * 4 + 1];
	struct org_record o;
	/* An organisation name of 200 four-byte characters, and one that looks like SQL. */
	long_name[0] = '\0';
	for (int i = 0; i < STORE_ORG_NAME_MAX; i++)
		strcat(long_name, "𝄞");
	make_org(e, long_name, org);
	assert_int_equal(store_org_get(e->st, org, &o), COFFER_OK);
	assert_string_equal(o.name, long_name);
	char org2[STORE_ID_MAX + 1];
	make_org(e, "x'); DROP TABLE orgs; --", org2);
	assert_int_equal(store_org_get(e->st, org2, &o), COFFER_OK);
	assert_string_equal(o.name, "x'); DROP TABLE orgs; --");

	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		struct user_record u, got;
		make_active_user(e, &u, hostile[i], org);
		assert_int_equal(store_user_by_email(e->st, hostile[i], &got), COFFER_OK);
		assert_string_equal(got.email, hostile[i]);
		assert_string_equal(got.id, u.id);
		assert_string_equal(got.orgs[0].org_name, long_name);
	}
	/* The longest email the record holds. */
	char longest[EMAIL_MAX + 1];
	memset(longest, 'a', EMAIL_MAX);
	memcpy(longest + EMAIL_MAX - 12, "@example.org", 12);
	longest[EMAIL_MAX] = '\0';
	struct user_record u, got;
	make_active_user(e, &u, longest, NULL);
	assert_int_equal(store_user_by_email(e->st, longest, &got), COFFER_OK);
	assert_string_equal(got.email, longest);
	/* Look-ups by hostile keys find nothing and break nothing. */
	assert_int_equal(store_user_by_email(e->st, "' OR '1'='1", &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, "' OR 1=1 --", &got), COFFER_ERR_NOT_FOUND);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), ARRAY_LEN(hostile) + 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM orgs"), 2);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_upgrade, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_orgs, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_invite_fields, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_accept_pending_twice, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_accept_active, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_accept_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_accept_join, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_cap, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_confirm, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_users_list, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_disable, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_set_account, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_account_reseal, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_totp_step, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_own_sessions, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_caller_reads_the_organisation, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_strings, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
