/* test_store_people.c — an organisation's people in the system store: account versions and the
 * writes that move them, session tickets, last sign-in and password change times, founding and
 * charters, the member list and active org_admin count, membership changes and removals (with
 * member login policies; refused when made from a stale account version, or when they would leave
 * a founded organisation without an active org_admin), organisation metadata for sysadmins (member
 * count, bytes on disk), the email look-up, and the schema upgrade from a deployed step-3 database.
 * Resets: test_store_resets.c; notices: test_store_notices.c. */
#include "test_store_people.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/audit_rows.h"
#include "test_audit_signer.h"

static const uint8_t account2[150] = {2};

/* --- account versions, session tickets, sign-in and password times ------------------------- */

/* Every write that replaces a user's account moves account_version on by one; writes that do not
 * replace it leave it. */
static void test_account_versions(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], org2[STORE_ID_MAX + 1];
	struct user_record u, pending, got;
	struct token_hash ih;
	make_org(e, "Acme", org);
	make_org(e, "Beta", org2);
	make_member(e, &u, "ann@example.org", org, "member");
	assert_int_equal(account_version(e, u.id), 1);

	/* Table: each write, and the version after it. */
	assert_int_equal(
	    store_user_set_account(e->st, u.id, account2, sizeof account2, NULL, T0 + 1),
	    COFFER_OK);
	assert_int_equal(account_version(e, u.id), 2);
	assert_int_equal(join_org(e, &u, org2, "member", 3, T0 + 2), COFFER_OK);
	assert_int_equal(account_version(e, u.id), 3);
	assert_int_equal(store_membership_set(e->st, u.id, org2, "member", "restricted", account2,
					      sizeof account2, 3, T0 + 3),
			 COFFER_OK);
	assert_int_equal(account_version(e, u.id), 4);
	assert_int_equal(
	    store_membership_remove(e->st, u.id, org2, account2, sizeof account2, 4, T0 + 4),
	    COFFER_OK);
	assert_int_equal(account_version(e, u.id), 5);
	/* Not account writes: status, TOTP step, sessions. */
	assert_int_equal(store_user_set_status(e->st, u.id, "disabled", T0 + 5), COFFER_OK);
	assert_int_equal(store_user_set_status(e->st, u.id, "active", T0 + 6), COFFER_OK);
	assert_int_equal(store_totp_step_use(e->st, u.id, 7), COFFER_OK);
	struct token_hash s;
	make_session(e, u.id, T0 + 7, 5, &s);
	assert_int_equal(account_version(e, u.id), 5);

	/* Refused writes leave it: no longer a member (made from the current version), or made
	 * from an account that is not the current one. */
	assert_int_equal(store_membership_set(e->st, u.id, org2, "member", "public", account2,
					      sizeof account2, 5, T0 + 8),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(
	    store_membership_remove(e->st, u.id, org2, account2, sizeof account2, 5, T0),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_membership_set(e->st, u.id, org, "member", "public", account2,
					      sizeof account2, 4, T0 + 8),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(join_org(e, &u, org, "member", 4, T0 + 9), COFFER_ERR_EXISTS);
	assert_int_equal(account_version(e, u.id), 5);

	/* A confirmed enrolment replaces the pending account: 1, then 2. */
	make_user(e, &pending, "bob@example.org", org, "member", STORE_ACCEPT_PENDING, T0, &ih);
	assert_int_equal(account_version(e, pending.id), 1);
	assert_int_equal(
	    store_invite_confirm(e->st, &ih, pending.id, account2, sizeof account2, 5, T0 + 10),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, pending.id, &got), COFFER_OK);
	assert_int_equal(got.account_version, 2);
	/* Lists carry it too. */
	struct user_record *list = NULL;
	size_t n = 0;
	assert_int_equal(store_users_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].account_version, 5);
	assert_int_equal(list[1].account_version, 2);
	free(list);
}

static void test_session_ticket(void **state)
{
	struct env *e = *state;
	struct user_record u;
	struct token_hash h, gone;
	struct session_record s;
	uint8_t ticket[STORE_TICKET_MAX];
	char token[TOKEN_TEXT_LEN + 1];
	memset(ticket, 0x33, sizeof ticket);
	make_member(e, &u, "cat@example.org", NULL, NULL);
	make_session(e, u.id, T0, 0, &h);
	assert_int_equal(store_session_get(e->st, &h, T0 + 1, 1800, &s), COFFER_OK);
	assert_int_equal(s.account_version, 0);

	assert_int_equal(store_session_set_ticket(e->st, &h, ticket, sizeof ticket, 7), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 1, 1800, &s), COFFER_OK);
	assert_int_equal(s.account_version, 7);
	assert_int_equal(s.ticket_len, sizeof ticket);
	assert_memory_equal(s.ticket, ticket, sizeof ticket);
	assert_int_equal(s.last_seen, T0); /* a new ticket is not a use */
	/* An empty ticket is kept as empty. */
	assert_int_equal(store_session_set_ticket(e->st, &h, NULL, 0, 8), COFFER_OK);
	assert_int_equal(store_session_get(e->st, &h, T0 + 1, 1800, &s), COFFER_OK);
	assert_int_equal(s.ticket_len, 0);
	assert_int_equal(s.account_version, 8);

	/* Bad input; a session that is gone. */
	assert_int_equal(store_session_set_ticket(e->st, &h, ticket, STORE_TICKET_MAX + 1, 9),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_session_set_ticket(e->st, &h, NULL, 5, 9), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_session_set_ticket(e->st, &h, ticket, 5, (uint64_t)INT64_MAX + 1),
			 COFFER_ERR_INVALID_INPUT);
	token_generate(token, &gone);
	assert_int_equal(store_session_set_ticket(e->st, &gone, ticket, 5, 9),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_session_delete(e->st, &h), COFFER_OK);
	assert_int_equal(store_session_set_ticket(e->st, &h, ticket, 5, 9), COFFER_ERR_NOT_FOUND);
	/* A version past INT64_MAX cannot be stored with a session either. */
	struct session_record big;
	memset(&big, 0, sizeof big);
	token_generate(token, &big.token);
	memcpy(big.user_id, u.id, sizeof big.user_id);
	strcpy(big.csrf_token, "x");
	uuid_generate(big.public_id);
	big.expires_at = T0 + DAY;
	big.account_version = UINT64_MAX;
	assert_int_equal(store_session_add(e->st, &big, T0), COFFER_ERR_INVALID_INPUT);
}

static void test_sign_in_times(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	struct user_record u, pending, got;
	struct token_hash h, ih;
	make_org(e, "Acme", org);
	make_member(e, &u, "dan@example.org", org, "member");
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.last_login_at, 0);
	assert_int_equal(got.password_changed_at, T0);
	assert_false(got.reset_pending);

	make_session(e, u.id, T0 + 100, 1, &h);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.last_login_at, T0 + 100);
	make_session(e, u.id, T0 + 200, 1, &h);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.last_login_at, T0 + 200);
	/* A refused session (a reused token) records nothing. */
	struct session_record s;
	assert_int_equal(store_session_get(e->st, &h, T0 + 201, 1800, &s), COFFER_OK);
	s.created_at = s.authenticated_at = T0 + 300;
	assert_int_equal(store_session_add(e->st, &s, T0 + 300), COFFER_ERR_EXISTS);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.last_login_at, T0 + 200);

	/* A password change, and not a membership change, moves password_changed_at. */
	assert_int_equal(
	    store_user_set_account(e->st, u.id, account2, sizeof account2, NULL, T0 + 400),
	    COFFER_OK);
	assert_int_equal(store_membership_set(e->st, u.id, org, "member", "public", account2,
					      sizeof account2, account_version(e, u.id), T0 + 500),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.password_changed_at, T0 + 400);

	/* An enrolment: at acceptance, then at confirmation. */
	make_user(e, &pending, "eve@example.org", org, "member", STORE_ACCEPT_PENDING, T0 + 10,
		  &ih);
	assert_int_equal(store_user_get(e->st, pending.id, &got), COFFER_OK);
	assert_int_equal(got.password_changed_at, T0 + 10);
	assert_int_equal(
	    store_invite_confirm(e->st, &ih, pending.id, account2, sizeof account2, 5, T0 + 20),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, pending.id, &got), COFFER_OK);
	assert_int_equal(got.password_changed_at, T0 + 20);
	assert_int_equal(got.last_login_at, 0);
}

/* --- founding and charters ----------------------------------------------------------------- */

/* How a user comes to hold a membership, and whether the organisation is founded by it. */
enum route { ACTIVE_INVITE, PENDING_INVITE, CONFIRMED_INVITE, JOINED, PROMOTED, PROMOTED_PENDING };

struct founding_case {
	const char *what;
	enum route route;
	const char *role;
	bool founded;
};

// clang-format off
static const struct founding_case founding_cases[] = {
	{"org_admin accepted at once",		ACTIVE_INVITE,	  "org_admin", true},
	{"member accepted at once",		ACTIVE_INVITE,	  "member",    false},
	{"org_admin still waiting for TOTP",	PENDING_INVITE,	  "org_admin", false},
	{"org_admin confirmed",			CONFIRMED_INVITE, "org_admin", true},
	{"member confirmed",			CONFIRMED_INVITE, "member",    false},
	{"active user joins as org_admin",	JOINED,		  "org_admin", true},
	{"active user joins as member",		JOINED,		  "member",    false},
	{"active member promoted",		PROMOTED,	  "org_admin", true},
	{"active member re-cleared",		PROMOTED,	  "member",    false},
	{"pending member promoted",		PROMOTED_PENDING, "org_admin", false},
};
// clang-format on

static void test_founding(void **state)
{
	struct env *e = *state;
	for (size_t i = 0; i < ARRAY_LEN(founding_cases); i++) {
		const struct founding_case *c = &founding_cases[i];
		char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], name[64], email[64];
		struct user_record u;
		struct token_hash ih;
		print_message("founding: %s\n", c->what);
		snprintf(name, sizeof name, "Org %zu", i);
		snprintf(email, sizeof email, "u%zu@example.org", i);
		make_org(e, name, org);
		snprintf(name, sizeof name, "Other %zu", i);
		make_org(e, name, other);
		assert_int_equal(founded_at(e, org), 0);
		const int64_t when = T0 + 100 * (int64_t)i;
		switch (c->route) {
		case ACTIVE_INVITE:
			make_user(e, &u, email, org, c->role, STORE_ACCEPT_ACTIVE, when, NULL);
			break;
		case PENDING_INVITE:
			make_user(e, &u, email, org, c->role, STORE_ACCEPT_PENDING, when, NULL);
			break;
		case CONFIRMED_INVITE:
			make_user(e, &u, email, org, c->role, STORE_ACCEPT_PENDING, when - 5, &ih);
			assert_int_equal(founded_at(e, org), 0);
			assert_int_equal(store_invite_confirm(e->st, &ih, u.id, account2,
							      sizeof account2, 1, when),
					 COFFER_OK);
			break;
		case JOINED:
			make_user(e, &u, email, other, "member", STORE_ACCEPT_ACTIVE, when - 5,
				  NULL);
			assert_int_equal(join_org(e, &u, org, c->role, 2, when), COFFER_OK);
			break;
		case PROMOTED:
		case PROMOTED_PENDING:
			make_user(e, &u, email, org, "member",
				  c->route == PROMOTED ? STORE_ACCEPT_ACTIVE : STORE_ACCEPT_PENDING,
				  when - 5, NULL);
			assert_int_equal(founded_at(e, org), 0);
			assert_int_equal(
			    store_membership_set(e->st, u.id, org, c->role, "restricted", account2,
						 sizeof account2, account_version(e, u.id), when),
			    COFFER_OK);
			break;
		}
		assert_int_equal(founded_at(e, org), c->founded ? when : 0);
		assert_int_equal(founded_at(e, other), 0); /* never another organisation */
	}
}

/* Founding happens once: later org_admins do not move it; a disabled org_admin enabled again
 * founds an organisation that was not (one upgraded without an active admin). */
static void test_founding_once(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	struct user_record a, b;
	make_org(e, "Acme", org);
	make_user(e, &a, "ann@example.org", org, "org_admin", STORE_ACCEPT_ACTIVE, T0, NULL);
	assert_int_equal(founded_at(e, org), T0);
	make_user(e, &b, "bea@example.org", org, "org_admin", STORE_ACCEPT_ACTIVE, T0 + 50, NULL);
	assert_int_equal(store_membership_set(e->st, a.id, org, "org_admin", "public", account2,
					      sizeof account2, account_version(e, a.id), T0 + 60),
			 COFFER_OK);
	assert_int_equal(store_user_set_status(e->st, a.id, "disabled", T0 + 70), COFFER_OK);
	assert_int_equal(store_user_set_status(e->st, a.id, "active", T0 + 80), COFFER_OK);
	assert_int_equal(founded_at(e, org), T0);

	raw_exec(e, "UPDATE orgs SET founded_at = NULL");
	assert_int_equal(store_user_set_status(e->st, a.id, "disabled", T0 + 90), COFFER_OK);
	assert_int_equal(founded_at(e, org), 0);
	assert_int_equal(store_user_set_status(e->st, a.id, "active", T0 + 100), COFFER_OK);
	assert_int_equal(founded_at(e, org), T0 + 100);
}

static void test_charter(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], bare[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1];
	uint8_t charter[STORE_CHARTER_MAX + 1];
	struct org_key_record k = {.version = 1, .master_version = 1};
	struct org_record o;
	memset(charter, 0xc4, sizeof charter);
	uuid_generate(org);
	assert_int_equal(store_org_create(e->st, org, "Acme", charter, STORE_CHARTER_MAX, &k, T0),
			 COFFER_OK);
	assert_int_equal(store_org_get(e->st, org, &o), COFFER_OK);
	assert_int_equal(o.charter_len, STORE_CHARTER_MAX);
	assert_memory_equal(o.charter, charter, STORE_CHARTER_MAX);
	assert_int_equal(o.founded_at, 0);
	assert_int_equal(o.created_at, T0);
	/* Without one; too long; NULL with a length: refused, and nothing is created. */
	make_org(e, "Bare", bare);
	assert_int_equal(store_org_get(e->st, bare, &o), COFFER_OK);
	assert_int_equal(o.charter_len, 0);
	uuid_generate(unknown);
	assert_int_equal(store_org_create(e->st, unknown, "Long", charter, sizeof charter, &k, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_create(e->st, unknown, "Null", NULL, 5, &k, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_get(e->st, unknown, &o), COFFER_ERR_NOT_FOUND);

	/* Replaced; refused when empty or too long, or for no such organisation. */
	assert_int_equal(store_org_charter_set(e->st, bare, account2, 33), COFFER_OK);
	assert_int_equal(store_org_get(e->st, bare, &o), COFFER_OK);
	assert_int_equal(o.charter_len, 33);
	assert_memory_equal(o.charter, account2, 33);
	assert_int_equal(store_org_charter_set(e->st, bare, charter, 0), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_charter_set(e->st, bare, NULL, 3), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_charter_set(e->st, bare, charter, sizeof charter),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_charter_set(e->st, unknown, charter, 3), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_get(e->st, bare, &o), COFFER_OK);
	assert_int_equal(o.charter_len, 33);
}

/* --- members ------------------------------------------------------------------------------- */

static void test_members(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], empty[STORE_ID_MAX + 1];
	char unknown[STORE_ID_MAX + 1];
	struct user_record zed, amy, max, pat, out;
	struct member_row *rows = NULL;
	struct token_hash h;
	size_t n = 99;
	make_org(e, "Acme", org);
	make_org(e, "Other", other);
	make_org(e, "Empty", empty);
	make_member(e, &zed, "zed@example.org", org, "org_admin");
	make_member(e, &amy, "amy@example.org", org, "member");
	make_user(e, &pat, "pat@example.org", org, "org_admin", STORE_ACCEPT_PENDING, T0, NULL);
	make_member(e, &max, "max@example.org", org, "org_admin");
	make_member(e, &out, "out@example.org", other, "org_admin");
	assert_int_equal(store_user_set_status(e->st, max.id, "disabled", T0 + 1), COFFER_OK);
	make_session(e, amy.id, T0 + 50, 1, &h);

	assert_int_equal(store_org_members(e->st, org, &rows, &n), COFFER_OK);
	assert_int_equal(n, 4);
	// clang-format off
	static const struct { const char *email, *role, *status; } want[] = {
		{"amy@example.org", "member",	 "active"},
		{"max@example.org", "org_admin", "disabled"},
		{"pat@example.org", "org_admin", "invited"},
		{"zed@example.org", "org_admin", "active"},
	};
	// clang-format on
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(rows[i].email, want[i].email);
		assert_string_equal(rows[i].role, want[i].role);
		assert_string_equal(rows[i].status, want[i].status);
		assert_string_equal(rows[i].clearance, "internal");
		assert_false(rows[i].reset_pending);
	}
	assert_string_equal(rows[0].user_id, amy.id);
	assert_int_equal(rows[0].last_login_at, T0 + 50);
	assert_int_equal(rows[3].last_login_at, 0);
	free(rows);

	/* Active org_admins: zed only (max is disabled, pat still invited). */
	assert_int_equal(store_org_active_admins(e->st, org, &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_user_set_status(e->st, max.id, "active", T0 + 2), COFFER_OK);
	assert_int_equal(store_org_active_admins(e->st, org, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_org_active_admins(e->st, empty, &n), COFFER_OK);
	assert_int_equal(n, 0);

	rows = (void *)1;
	assert_int_equal(store_org_members(e->st, empty, &rows, &n), COFFER_OK);
	assert_int_equal(n, 0);
	assert_null(rows);
	uuid_generate(unknown);
	assert_int_equal(store_org_members(e->st, unknown, &rows, &n), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_active_admins(e->st, unknown, &n), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_org_members(e->st, "' OR 1=1 --", &rows, &n), COFFER_ERR_NOT_FOUND);
}

static void test_membership_set(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1];
	struct user_record u, got;
	struct token_hash h;
	make_org(e, "Acme", org);
	make_org(e, "Other", other);
	make_member(e, &u, "fay@example.org", org, "member");
	make_session(e, u.id, T0 + 1, 1, &h);

	assert_int_equal(store_membership_set(e->st, u.id, org, "org_admin", "restricted", account2,
					      sizeof account2, 1, T0 + 5),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 1);
	assert_string_equal(got.orgs[0].role, "org_admin");
	assert_string_equal(got.orgs[0].clearance, "restricted");
	assert_int_equal(got.account_len, sizeof account2);
	assert_memory_equal(got.account, account2, sizeof account2);
	/* The session stays, its ticket now stale. */
	struct session_record s;
	assert_int_equal(store_session_get(e->st, &h, T0 + 6, 1800, &s), COFFER_OK);
	assert_true(s.account_version < got.account_version);

	// clang-format off
	static const struct { const char *role, *clearance; enum coffer_err err; } bad[] = {
		{"sysadmin",  "public",	     COFFER_ERR_INVALID_INPUT},
		{"",	      "public",	     COFFER_ERR_INVALID_INPUT},
		{"Member",    "public",	     COFFER_ERR_INVALID_INPUT},
		{"member",    "secret",	     COFFER_ERR_INVALID_INPUT},
		{"member",    "",	     COFFER_ERR_INVALID_INPUT},
		{"member",    "' OR 1=1 --", COFFER_ERR_INVALID_INPUT},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(store_membership_set(e->st, u.id, org, bad[i].role,
						      bad[i].clearance, account2, sizeof account2,
						      2, T0 + 7),
				 bad[i].err);
	assert_int_equal(
	    store_membership_set(e->st, u.id, org, "member", "public", account2, 0, 2, T0 + 7),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_membership_set(e->st, u.id, org, "member", "public", NULL, 5, 2, T0 + 7),
	    COFFER_ERR_INVALID_INPUT);
	uuid_generate(unknown);
	assert_int_equal(store_membership_set(e->st, u.id, other, "member", "public", account2,
					      sizeof account2, 2, T0 + 7),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_membership_set(e->st, unknown, org, "member", "public", account2,
					      sizeof account2, 1, T0 + 7),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_string_equal(got.orgs[0].role, "org_admin");
	assert_string_equal(got.orgs[0].clearance, "restricted");
	assert_int_equal(got.account_version, 2);
}

/* Removing a membership takes the member's login policy there with it, and nothing else. */
static void test_membership_remove(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], json[STORE_POLICY_MAX + 1];
	struct user_record u, v, got;
	struct token_hash h;
	make_org(e, "Acme", org);
	make_org(e, "Other", other);
	make_member(e, &u, "gus@example.org", org, "member");
	make_member(e, &v, "hal@example.org", org, "member");
	assert_int_equal(join_org(e, &u, other, "member", 2, T0 + 1), COFFER_OK);
	assert_int_equal(store_member_policy_put(e->st, org, u.id, "{\"a\":1}", T0 + 2), COFFER_OK);
	assert_int_equal(store_member_policy_put(e->st, other, u.id, "{\"b\":2}", T0 + 2),
			 COFFER_OK);
	assert_int_equal(store_member_policy_put(e->st, org, v.id, "{\"c\":3}", T0 + 2), COFFER_OK);
	make_session(e, u.id, T0 + 3, 2, &h);

	assert_int_equal(account_version(e, u.id), 2); /* joined OTHER */
	assert_int_equal(
	    store_membership_remove(e->st, u.id, org, account2, sizeof account2, 2, T0 + 4),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 1);
	assert_string_equal(got.orgs[0].org_id, other);
	assert_memory_equal(got.account, account2, sizeof account2);
	assert_true(session_alive(e, &h, T0 + 5));
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_member_policy_get(e->st, other, u.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"b\":2}");
	assert_int_equal(store_member_policy_get(e->st, org, v.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"c\":3}");

	/* Twice; never a member; a bad account (nothing removed). */
	assert_int_equal(
	    store_membership_remove(e->st, u.id, org, account2, sizeof account2, 3, T0 + 6),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(
	    store_membership_remove(e->st, v.id, other, account2, sizeof account2, 1, T0),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_membership_remove(e->st, v.id, org, account2, 0, 1, T0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_user_get(e->st, v.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 1);
	assert_int_equal(got.account_version, 1);
	/* Joining again starts from the organisation's policy. */
	assert_int_equal(join_org(e, &u, org, "member", 5, T0 + 7), COFFER_OK);
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json),
			 COFFER_ERR_NOT_FOUND);
}

static size_t active_admins(const struct env *e, const char *org_id)
{
	size_t n = 0;
	assert_int_equal(store_org_active_admins(e->st, org_id, &n), COFFER_OK);
	return n;
}

/* A membership change names the account version it was made from (BASED_ON): once the account
 * has moved on (a password change, another membership change), the change is refused and
 * writes nothing, so it never undoes what happened meanwhile. */
static void test_membership_version_conflict(void **state)
{
	struct env *e = *state;
	static const uint8_t account3[120] = {3};
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], json[STORE_POLICY_MAX + 1];
	struct user_record u, before;
	make_org(e, "Acme", org);
	make_org(e, "Other", other);
	make_member(e, &u, "kim@example.org", org, "member");
	assert_int_equal(join_org(e, &u, other, "member", 2, T0 + 1), COFFER_OK);
	assert_int_equal(store_member_policy_put(e->st, org, u.id, "{\"a\":1}", T0 + 2), COFFER_OK);
	const uint64_t read =
	    account_version(e, u.id); /* what an org_admin's change is made from */
	assert_int_equal(read, 2);

	/* A password change meanwhile. */
	assert_int_equal(
	    store_user_set_account(e->st, u.id, account3, sizeof account3, NULL, T0 + 3),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &before), COFFER_OK);
	assert_int_equal(before.account_version, 3);
	assert_memory_equal(before.account, account3, sizeof account3);

	/* Made from an older account, or from one never reached: refused, nothing written. */
	const uint64_t stale[] = {read, read - 1, 0, before.account_version + 1, UINT64_MAX};
	for (size_t i = 0; i < ARRAY_LEN(stale); i++) {
		print_message("based on %" PRIu64 "\n", stale[i]);
		assert_int_equal(store_membership_set(e->st, u.id, org, "org_admin", "restricted",
						      account2, sizeof account2, stale[i], T0 + 4),
				 COFFER_ERR_VERSION_CONFLICT);
		assert_int_equal(store_membership_set(e->st, u.id, org, "member", "restricted",
						      account2, sizeof account2, stale[i], T0 + 4),
				 COFFER_ERR_VERSION_CONFLICT);
		assert_int_equal(store_membership_remove(e->st, u.id, org, account2,
							 sizeof account2, stale[i], T0 + 4),
				 COFFER_ERR_VERSION_CONFLICT);
		assert_user_unchanged(e, &before);
	}
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"a\":1}");
	assert_int_equal(founded_at(e, org), 0); /* the refused promotion founded nothing */
	assert_int_equal(active_admins(e, org), 0);

	/* Another membership change meanwhile: the one made from before it is refused. */
	assert_int_equal(store_membership_set(e->st, u.id, other, "member", "confidential",
					      account2, sizeof account2, 3, T0 + 5),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, u.id, &before), COFFER_OK);
	assert_int_equal(before.account_version, 4);
	assert_int_equal(
	    store_membership_remove(e->st, u.id, org, account3, sizeof account3, 3, T0 + 6),
	    COFFER_ERR_VERSION_CONFLICT);
	assert_int_equal(store_membership_set(e->st, u.id, other, "member", "public", account3,
					      sizeof account3, 3, T0 + 6),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_user_unchanged(e, &before);

	/* Made from the current account, each goes through and moves the version on. */
	assert_int_equal(store_membership_set(e->st, u.id, org, "org_admin", "restricted", account3,
					      sizeof account3, 4, T0 + 7),
			 COFFER_OK);
	assert_int_equal(
	    store_membership_remove(e->st, u.id, other, account2, sizeof account2, 5, T0 + 8),
	    COFFER_OK);
	struct user_record got;
	assert_int_equal(store_user_get(e->st, u.id, &got), COFFER_OK);
	assert_int_equal(got.account_version, 6);
	assert_memory_equal(got.account, account2, sizeof account2);
	assert_int_equal(got.n_orgs, 1);
	assert_string_equal(got.orgs[0].org_id, org);
	assert_string_equal(got.orgs[0].role, "org_admin");
	assert_string_equal(got.orgs[0].clearance, "restricted");
}

/* An organisation that has an active org_admin keeps one: demoting or removing the last is
 * refused (LAST_ADMIN) and writes nothing; disabled and still-invited org_admins do not count.
 * With two, one may go, and then not the other. */
static void test_membership_last_admin(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], json[STORE_POLICY_MAX + 1];
	struct user_record a, b, m, off, pend, before, got;
	make_org(e, "Acme", org);
	make_member(e, &a, "ada@example.org", org, "org_admin");
	make_member(e, &m, "mo@example.org", org, "member");
	make_member(e, &off, "off@example.org", org, "org_admin");
	assert_int_equal(store_user_set_status(e->st, off.id, "disabled", T0 + 1), COFFER_OK);
	make_user(e, &pend, "pen@example.org", org, "org_admin", STORE_ACCEPT_PENDING, T0, NULL);
	assert_int_equal(store_member_policy_put(e->st, org, a.id, "{\"a\":1}", T0 + 1), COFFER_OK);
	assert_int_equal(founded_at(e, org), T0);
	assert_int_equal(active_admins(e, org), 1);

	/* The only active org_admin: neither demoted (whatever the clearance) nor removed. */
	assert_int_equal(store_user_get(e->st, a.id, &before), COFFER_OK);
	const char *const clearances[] = {"public", "internal", "restricted"};
	for (size_t i = 0; i < ARRAY_LEN(clearances); i++)
		assert_int_equal(store_membership_set(e->st, a.id, org, "member", clearances[i],
						      account2, sizeof account2,
						      before.account_version, T0 + 2),
				 COFFER_ERR_LAST_ADMIN);
	assert_int_equal(store_membership_remove(e->st, a.id, org, account2, sizeof account2,
						 before.account_version, T0 + 2),
			 COFFER_ERR_LAST_ADMIN);
	assert_user_unchanged(e, &before);
	assert_int_equal(store_member_policy_get(e->st, org, a.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"a\":1}");
	assert_int_equal(active_admins(e, org), 1);

	/* Staying org_admin with another clearance is no demotion; the others change and go
	 * freely, the disabled and the invited org_admins too. */
	assert_int_equal(store_membership_set(e->st, a.id, org, "org_admin", "public", account2,
					      sizeof account2, before.account_version, T0 + 3),
			 COFFER_OK);
	assert_int_equal(store_membership_set(e->st, m.id, org, "member", "restricted", account2,
					      sizeof account2, account_version(e, m.id), T0 + 3),
			 COFFER_OK);
	assert_int_equal(store_membership_set(e->st, off.id, org, "member", "public", account2,
					      sizeof account2, account_version(e, off.id), T0 + 3),
			 COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, pend.id, org, account2, sizeof account2,
						 account_version(e, pend.id), T0 + 3),
			 COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, m.id, org, account2, sizeof account2,
						 account_version(e, m.id), T0 + 3),
			 COFFER_OK);
	assert_int_equal(active_admins(e, org), 1);

	/* Two active org_admins: one is demoted, then the other is the last. */
	make_member(e, &b, "bo@example.org", org, "org_admin");
	assert_int_equal(active_admins(e, org), 2);
	assert_int_equal(store_membership_set(e->st, a.id, org, "member", "internal", account2,
					      sizeof account2, account_version(e, a.id), T0 + 4),
			 COFFER_OK);
	assert_int_equal(active_admins(e, org), 1);
	assert_int_equal(store_user_get(e->st, b.id, &before), COFFER_OK);
	assert_int_equal(store_membership_set(e->st, b.id, org, "member", "internal", account2,
					      sizeof account2, before.account_version, T0 + 5),
			 COFFER_ERR_LAST_ADMIN);
	assert_int_equal(store_membership_remove(e->st, b.id, org, account2, sizeof account2,
						 before.account_version, T0 + 5),
			 COFFER_ERR_LAST_ADMIN);
	assert_user_unchanged(e, &before);
	assert_int_equal(active_admins(e, org), 1);

	/* Two again: one is removed, then the other is the last. */
	assert_int_equal(store_membership_set(e->st, a.id, org, "org_admin", "internal", account2,
					      sizeof account2, account_version(e, a.id), T0 + 6),
			 COFFER_OK);
	assert_int_equal(active_admins(e, org), 2);
	assert_int_equal(store_membership_remove(e->st, b.id, org, account2, sizeof account2,
						 before.account_version, T0 + 7),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, b.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 0);
	assert_int_equal(active_admins(e, org), 1);
	assert_int_equal(store_user_get(e->st, a.id, &before), COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, a.id, org, account2, sizeof account2,
						 before.account_version, T0 + 8),
			 COFFER_ERR_LAST_ADMIN);
	assert_user_unchanged(e, &before);
	assert_int_equal(active_admins(e, org), 1);
	assert_int_equal(founded_at(e, org), T0);
}

/* Only an organisation that has an active org_admin is held to keep one: in one never founded,
 * or one whose org_admins are all disabled, memberships (org_admins' too) change and go
 * freely. */
static void test_membership_no_active_admin(void **state)
{
	struct env *e = *state;
	char never[STORE_ID_MAX + 1], lapsed[STORE_ID_MAX + 1];
	struct user_record m1, m2, pend, g1, g2, got;
	size_t n = 0;
	make_org(e, "Never", never);
	make_org(e, "Lapsed", lapsed);

	/* Never founded: members, and an org_admin still invited. */
	make_member(e, &m1, "m1@example.org", never, "member");
	make_member(e, &m2, "m2@example.org", never, "member");
	make_user(e, &pend, "pen@example.org", never, "org_admin", STORE_ACCEPT_PENDING, T0, NULL);
	assert_int_equal(active_admins(e, never), 0);
	assert_int_equal(store_membership_set(e->st, m1.id, never, "member", "restricted", account2,
					      sizeof account2, account_version(e, m1.id), T0 + 1),
			 COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, m2.id, never, account2, sizeof account2,
						 account_version(e, m2.id), T0 + 2),
			 COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, pend.id, never, account2, sizeof account2,
						 account_version(e, pend.id), T0 + 3),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, m1.id, &got), COFFER_OK);
	assert_string_equal(got.orgs[0].clearance, "restricted");
	struct member_row *rows = NULL;
	assert_int_equal(store_org_members(e->st, never, &rows, &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].user_id, m1.id);
	free(rows);
	assert_int_equal(founded_at(e, never), 0);

	/* Founded, then both its org_admins disabled: no active one before the change. */
	make_member(e, &g1, "g1@example.org", lapsed, "org_admin");
	make_member(e, &g2, "g2@example.org", lapsed, "org_admin");
	assert_int_equal(founded_at(e, lapsed), T0);
	assert_int_equal(store_user_set_status(e->st, g1.id, "disabled", T0 + 4), COFFER_OK);
	assert_int_equal(store_user_set_status(e->st, g2.id, "disabled", T0 + 4), COFFER_OK);
	assert_int_equal(active_admins(e, lapsed), 0);
	assert_int_equal(store_membership_set(e->st, g1.id, lapsed, "member", "public", account2,
					      sizeof account2, account_version(e, g1.id), T0 + 5),
			 COFFER_OK);
	assert_int_equal(store_membership_remove(e->st, g2.id, lapsed, account2, sizeof account2,
						 account_version(e, g2.id), T0 + 6),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, g1.id, &got), COFFER_OK);
	assert_string_equal(got.orgs[0].role, "member");
	assert_int_equal(store_user_get(e->st, g2.id, &got), COFFER_OK);
	assert_int_equal(got.n_orgs, 0);
	assert_int_equal(founded_at(e, lapsed), T0); /* founding is never undone */
}

static void test_member_policy(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1];
	char json[STORE_POLICY_MAX + 1], small[8];
	static char big[STORE_POLICY_MAX + 2];
	struct user_record u;
	make_org(e, "Acme", org);
	make_org(e, "Other", other);
	make_member(e, &u, "ida@example.org", org, "member");
	uuid_generate(unknown);

	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_member_policy_put(e->st, org, u.id, "{\"hours\":[9,17]}", T0),
			 COFFER_OK);
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"hours\":[9,17]}");
	assert_int_equal(store_member_policy_put(e->st, org, u.id, "{}", T0 + 1), COFFER_OK);
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{}");
	assert_int_equal(raw_int(e, "SELECT updated_at FROM member_policies"), T0 + 1);
	assert_int_equal(store_member_policy_get(e->st, org, u.id, small, 2), COFFER_ERR_TOO_LARGE);

	/* Only for a member. */
	assert_int_equal(store_member_policy_put(e->st, other, u.id, "{}", T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_member_policy_put(e->st, org, unknown, "{}", T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_member_policy_get(e->st, other, u.id, json, sizeof json),
			 COFFER_ERR_NOT_FOUND);
	/* The largest, and one byte more. */
	memset(big, 'x', STORE_POLICY_MAX);
	assert_int_equal(store_member_policy_put(e->st, org, u.id, big, T0), COFFER_OK);
	assert_int_equal(store_member_policy_get(e->st, org, u.id, json, sizeof json), COFFER_OK);
	assert_int_equal(strlen(json), STORE_POLICY_MAX);
	big[STORE_POLICY_MAX] = 'x';
	assert_int_equal(store_member_policy_put(e->st, org, u.id, big, T0), COFFER_ERR_TOO_LARGE);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM member_policies"), 1);
}

/* --- organisation metadata and look-ups ----------------------------------------------------- */

static void test_org_metadata(void **state)
{
	struct env *e = *state;
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1];
	struct user_record u1, u2, u3;
	struct org_record *list = NULL, o;
	size_t n = 0;
	make_org(e, "B org", b);
	make_org(e, "A org", a);
	make_member(e, &u1, "jo@example.org", a, "org_admin");
	make_member(e, &u2, "ken@example.org", a, "member");
	make_user(e, &u3, "liv@example.org", a, "member", STORE_ACCEPT_PENDING, T0, NULL);
	assert_int_equal(store_user_set_status(e->st, u2.id, "disabled", T0 + 1), COFFER_OK);

	assert_int_equal(store_orgs_list(e->st, &list, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, a);
	assert_int_equal(list[0].member_count, 3); /* whatever their status */
	assert_int_equal(list[0].founded_at, T0);
	assert_string_equal(list[1].id, b);
	assert_int_equal(list[1].member_count, 0);
	assert_int_equal(list[1].founded_at, 0);
	free(list);
	assert_int_equal(store_membership_remove(e->st, u2.id, a, account2, sizeof account2,
						 account_version(e, u2.id), T0),
			 COFFER_OK);
	assert_int_equal(store_org_get(e->st, a, &o), COFFER_OK);
	assert_int_equal(o.member_count, 2);
}

static void write_file(const char *path, size_t len)
{
	static const uint8_t zero[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (len > 0) {
		size_t k = len < sizeof zero ? len : sizeof zero;
		assert_int_equal(write(fd, zero, k), (ssize_t)k);
		len -= k;
	}
	close(fd);
}

static void test_storage_bytes(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1], path[PATH_MAX], rel[128];
	uint64_t bytes = 0;
	uuid_generate(org);
	uuid_generate(other);
	assert_int_equal(store_org_storage_bytes(e->tmp->dir, org, &bytes), COFFER_ERR_NOT_FOUND);

	/* The database's own files, then its blobs (a temporary one too). */
	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open(e->tmp->dir, org, true, &odb), COFFER_OK);
	store_org_db_close(odb);
	snprintf(rel, sizeof rel, "orgs/%s", org);
	path_in(e->tmp, rel, path);
	struct stat st;
	uint64_t db_bytes = 0;
	const char *const db_files[] = {"org.db", "org.db-wal", "org.db-shm"};
	for (size_t i = 0; i < ARRAY_LEN(db_files); i++) {
		snprintf(rel, sizeof rel, "orgs/%s/%s", org, db_files[i]);
		path_in(e->tmp, rel, path);
		if (stat(path, &st) == 0)
			db_bytes += (uint64_t)st.st_size;
	}
	assert_true(db_bytes > 0);
	assert_int_equal(store_org_storage_bytes(e->tmp->dir, org, &bytes), COFFER_OK);
	assert_int_equal(bytes, db_bytes);

	snprintf(rel, sizeof rel, "orgs/%s/blobs", org);
	path_in(e->tmp, rel, path);
	assert_int_equal(mkdir(path, 0700), 0);
	const size_t sizes[] = {0, 1, 65552, 200000};
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		char id[STORE_ID_MAX + 1];
		uuid_generate(id);
		snprintf(rel, sizeof rel, "orgs/%s/blobs/%s%s", org, i == 3 ? ".tmp-" : "", id);
		path_in(e->tmp, rel, path);
		write_file(path, sizes[i]);
	}
	/* Neither a link (to a file outside) nor a directory counts, nor anything below one. */
	snprintf(rel, sizeof rel, "orgs/%s/blobs/link", org);
	path_in(e->tmp, rel, path);
	char target[PATH_MAX];
	path_in(e->tmp, "system.db", target);
	assert_int_equal(symlink(target, path), 0);
	snprintf(rel, sizeof rel, "orgs/%s/blobs/sub", org);
	path_in(e->tmp, rel, path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(rel, sizeof rel, "orgs/%s/blobs/sub/deep", org);
	path_in(e->tmp, rel, path);
	write_file(path, 999);
	assert_int_equal(store_org_storage_bytes(e->tmp->dir, org, &bytes), COFFER_OK);
	assert_int_equal(bytes, db_bytes + 1 + 65552 + 200000);

	/* An organisation directory that is a link is not followed. */
	snprintf(rel, sizeof rel, "orgs/%s", org);
	path_in(e->tmp, rel, target);
	snprintf(rel, sizeof rel, "orgs/%s", other);
	path_in(e->tmp, rel, path);
	assert_int_equal(symlink(target, path), 0);
	bytes = 7;
	assert_int_not_equal(store_org_storage_bytes(e->tmp->dir, other, &bytes), COFFER_OK);
	assert_int_equal(bytes, 7);
	/* Ids that are not UUIDs never become paths. */
	assert_int_equal(store_org_storage_bytes(e->tmp->dir, "..", &bytes),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_storage_bytes(e->tmp->dir, "../orgs", &bytes),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_org_storage_bytes(NULL, org, &bytes), COFFER_ERR_INVALID_INPUT);
}

static void test_user_email(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1], email[EMAIL_MAX + 1];
	struct user_record u;
	make_org(e, "Acme", org);
	make_member(e, &u, "名前@例え.jp", org, "member");
	assert_int_equal(store_user_email(e->st, u.id, email), COFFER_OK);
	assert_string_equal(email, "名前@例え.jp");
	uuid_generate(unknown);
	strcpy(email, "untouched");
	assert_int_equal(store_user_email(e->st, unknown, email), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_email(e->st, "' OR 1=1 --", email), COFFER_ERR_NOT_FOUND);
	assert_string_equal(email, "untouched");
}

/* --- schema upgrade ------------------------------------------------------------------------ */

/* Steps 1 to 3 of the system schema as deployments have them. */
static const char step3_schema[] =
    "PRAGMA journal_mode=WAL;"
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
    "ALTER TABLE invites ADD COLUMN sealed BLOB"
    " CHECK (sealed IS NULL OR length(sealed) BETWEEN 1 AND 512);"
    "ALTER TABLE invites ADD COLUMN created_by TEXT"
    " CHECK (created_by IS NULL OR length(created_by) = 36);"
    "ALTER TABLE invites ADD COLUMN user_id TEXT REFERENCES users (id) ON DELETE SET NULL;"
    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY CHECK (length(id) = 36),"
    " email TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),"
    " role TEXT NOT NULL CHECK (role IN ('sysadmin', 'user')),"
    " status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),"
    " account BLOB NOT NULL CHECK (length(account) BETWEEN 1 AND 4096),"
    " totp_last_step INTEGER NOT NULL DEFAULT -1 CHECK (totp_last_step >= -1),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX invites_by_user ON invites (user_id);"
    "CREATE TABLE memberships ("
    " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " org_id TEXT NOT NULL REFERENCES orgs (id),"
    " role TEXT NOT NULL CHECK (role IN ('member', 'org_admin')),"
    " clearance TEXT NOT NULL"
    "   CHECK (clearance IN ('public', 'internal', 'confidential', 'restricted')),"
    " PRIMARY KEY (user_id, org_id)"
    ") STRICT;"
    "CREATE INDEX memberships_by_org ON memberships (org_id);"
    "CREATE TABLE sessions ("
    " token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
    " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
    " csrf_token TEXT NOT NULL CHECK (length(csrf_token) BETWEEN 1 AND 43),"
    " ticket BLOB NOT NULL CHECK (length(ticket) <= 4096),"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1))"
    ") STRICT;"
    "CREATE INDEX sessions_by_user ON sessions (user_id);"
    "CREATE INDEX sessions_by_expiry ON sessions (expires_at);"
    "CREATE TABLE throttle_accounts ("
    " account TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL CHECK (failures >= 1),"
    " last_failure INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX throttle_accounts_by_time ON throttle_accounts (last_failure);"
    "CREATE TABLE throttle_addresses ("
    " address TEXT NOT NULL,"
    " time INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX throttle_addresses_by_address ON throttle_addresses (address, time);"
    "CREATE INDEX throttle_addresses_by_time ON throttle_addresses (time);"
    "CREATE TABLE policies ("
    " scope TEXT PRIMARY KEY CHECK (scope = 'system' OR length(scope) = 36),"
    " json TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL"
    ") STRICT;" AUDIT_ROWS_TABLE_SQL "PRAGMA user_version = 3;";

#define ORG_A "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" /* founded: an active org_admin */
#define ORG_B "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb" /* its org_admin disabled */
#define ORG_C "cccccccc-cccc-4ccc-8ccc-cccccccccccc" /* members only */
#define ADMIN "11111111-1111-4111-8111-111111111111"
#define GONE  "22222222-2222-4222-8222-222222222222"
#define MEMB  "33333333-3333-4333-8333-333333333333"

/* A deployed step-3 database with organisations, users, memberships, a session and a policy is
 * upgraded on open: everything is kept, the new columns read as their defaults, and the
 * organisations that had an active org_admin are founded (at their creation). */
static void test_schema_upgrade(void **state)
{
	struct env *e = *state;
	char path[PATH_MAX];
	store_close(e->st);
	e->st = NULL;
	const char *const files[] = {"system.db", "system.db-wal", "system.db-shm"};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		path_in(e->tmp, files[i], path);
		(void)remove(path);
	}
	raw_exec(e, step3_schema);
	raw_exec(e, "INSERT INTO orgs VALUES ('" ORG_A "', 'A', 100), ('" ORG_B "', 'B', 200),"
		    " ('" ORG_C "', 'C', 300);"
		    "INSERT INTO users VALUES"
		    " ('" ADMIN "', 'admin@example.org', 'user', 'active', x'01', 5, 110, 120),"
		    " ('" GONE "', 'gone@example.org', 'user', 'disabled', x'02', -1, 210, 220),"
		    " ('" MEMB "', 'memb@example.org', 'user', 'active', x'03', -1, 310, 320);"
		    "INSERT INTO memberships VALUES"
		    " ('" ADMIN "', '" ORG_A "', 'org_admin', 'restricted'),"
		    " ('" MEMB "', '" ORG_A "', 'member', 'public'),"
		    " ('" GONE "', '" ORG_B "', 'org_admin', 'internal'),"
		    " ('" MEMB "', '" ORG_C "', 'member', 'internal');"
		    "INSERT INTO sessions VALUES (zeroblob(32), '" MEMB "', 'csrf', x'abcd',"
		    " 1700000000, 1700000000, 1800000000, 0);"
		    "INSERT INTO policies VALUES ('system', '{\"x\":1}', 5);");
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(raw_int(e, "PRAGMA user_version"), 9);

	struct user_record u;
	assert_int_equal(store_user_get(e->st, ADMIN, &u), COFFER_OK);
	assert_string_equal(u.email, "admin@example.org");
	assert_int_equal(u.totp_last_step, 5);
	assert_int_equal(u.account_len, 1);
	assert_int_equal(u.account_version, 1);
	assert_int_equal(u.last_login_at, 0);
	assert_int_equal(u.password_changed_at, 0);
	assert_false(u.reset_pending);
	assert_int_equal(u.n_orgs, 1);
	assert_string_equal(u.orgs[0].clearance, "restricted");

	struct org_record o;
	assert_int_equal(store_org_get(e->st, ORG_A, &o), COFFER_OK);
	assert_int_equal(o.founded_at, 100);
	assert_int_equal(o.member_count, 2);
	assert_int_equal(o.charter_len, 0);
	assert_int_equal(founded_at(e, ORG_B), 0);
	assert_int_equal(founded_at(e, ORG_C), 0);

	/* The old session is still found, as version 0: its ticket is stale. */
	struct token_hash zero = {{0}};
	struct session_record s;
	assert_int_equal(store_session_get(e->st, &zero, 1700000001, 1800, &s), COFFER_OK);
	assert_string_equal(s.user_id, MEMB);
	assert_int_equal(s.account_version, 0);
	assert_int_equal(s.ticket_len, 2);
	/* It got a public id, its authentication is its sign-in, and its user sees it with no
	 * address or browser (never recorded). */
	assert_true(uuid_valid(s.public_id));
	assert_int_equal(s.authenticated_at, 1700000000);
	struct session_summary *listed = NULL;
	size_t n_listed = 0;
	assert_int_equal(store_sessions_list(e->st, MEMB, 1700000001, 1800, &listed, &n_listed),
			 COFFER_OK);
	assert_int_equal(n_listed, 1);
	assert_string_equal(listed[0].public_id, s.public_id);
	assert_string_equal(listed[0].address, "");
	assert_string_equal(listed[0].browser, "");
	free(listed);
	char json[64];
	assert_int_equal(store_policy_get(e->st, "system", json, sizeof json), COFFER_OK);
	assert_string_equal(json, "{\"x\":1}");

	/* The new tables work on the upgraded database. */
	assert_int_equal(store_member_policy_put(e->st, ORG_C, MEMB, "{}", T0), COFFER_OK);
	assert_int_equal(store_notice_add(e->st, ORG_C, "recovered", "", T0), COFFER_OK);
	struct notice_record nr[2];
	size_t n = 0;
	assert_int_equal(store_notices_unseen(e->st, MEMB, nr, 2, &n), COFFER_OK);
	assert_int_equal(n, 1);
	/* Enabling ORG_B's admin founds it. */
	assert_int_equal(store_user_set_status(e->st, GONE, "active", T0), COFFER_OK);
	assert_int_equal(founded_at(e, ORG_B), T0);

	/* Opened again: nothing to do. */
	store_close(e->st);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(raw_int(e, "PRAGMA user_version"), 9);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM users"), 3);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_account_versions, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_session_ticket, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_sign_in_times, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_founding, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_founding_once, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_charter, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_members, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_set, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_remove, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_version_conflict, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_last_admin, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_membership_no_active_admin, env_setup,
					    env_teardown),
	    cmocka_unit_test_setup_teardown(test_member_policy, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_org_metadata, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_storage_bytes, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_user_email, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_schema_upgrade, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
