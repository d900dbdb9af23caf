/* test_store_people.h — helpers for the tests of an organisation's people (test_store_people.c,
 * test_store_resets.c, test_store_notices.c): users made through invites as the web makes
 * them, memberships joined, sessions, and sealed blobs of recognisable bytes. */
#ifndef COFFER_TEST_STORE_PEOPLE_H
#define COFFER_TEST_STORE_PEOPLE_H

#include "test_store.h"

#include "crypto/token.h"

#define T0  1700000000 /* "now" in these tests */
#define DAY 86400

static inline void add_invite(const struct env *e, const char *email, const char *role,
			      const char *org_id, const char *clearance, struct token_hash *h)
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
	inv.expires_at = T0 + DAY;
	inv.sealed_len = 48;
	memset(inv.sealed, 0x5e, inv.sealed_len);
	assert_int_equal(store_invite_add(e->st, h, &inv), COFFER_OK);
}

/* A user record (not stored) with a fresh id, EMAIL and an account of FILL bytes; a member of
 * ORG (when not NULL) as ROLE with clearance "internal". */
static inline void new_user(struct user_record *u, const char *email, const char *org,
			    const char *role, uint8_t fill)
{
	memset(u, 0, sizeof *u);
	uuid_generate(u->id);
	snprintf(u->email, sizeof u->email, "%s", email);
	snprintf(u->role, sizeof u->role, "%s", org != NULL ? "user" : "sysadmin");
	u->totp_last_step = -1;
	u->account_len = 100 + fill;
	memset(u->account, fill, u->account_len);
	if (org != NULL) {
		struct membership_record *m = &u->orgs[u->n_orgs++];
		snprintf(m->org_id, sizeof m->org_id, "%s", org);
		snprintf(m->role, sizeof m->role, "%s", role);
		snprintf(m->clearance, sizeof m->clearance, "internal");
	}
}

/* A user of EMAIL who is ROLE in ORG (or a sysadmin when ORG is NULL), made by accepting an
 * invite at NOW in MODE (STORE_ACCEPT_ACTIVE or STORE_ACCEPT_PENDING); the invite's hash in
 * *H when H is not NULL. */
static inline void make_user(const struct env *e, struct user_record *u, const char *email,
			     const char *org, const char *role, enum store_accept mode, int64_t now,
			     struct token_hash *h)
{
	struct token_hash ih;
	add_invite(e, email, org != NULL ? role : "sysadmin", org != NULL ? org : "",
		   org != NULL ? "internal" : "", &ih);
	new_user(u, email, org, role, 1);
	assert_int_equal(store_invite_accept(e->st, &ih, u, mode, now), COFFER_OK);
	if (h != NULL)
		*h = ih;
}

static inline void make_member(const struct env *e, struct user_record *u, const char *email,
			       const char *org, const char *role)
{
	make_user(e, u, email, org, role, STORE_ACCEPT_ACTIVE, T0, NULL);
}

/* Active user U joins ORG as ROLE through an invite accepted at NOW (its account replaced by
 * FILL bytes); the result of the acceptance. */
static inline enum coffer_err join_org(const struct env *e, const struct user_record *u,
				       const char *org, const char *role, uint8_t fill, int64_t now)
{
	struct token_hash h;
	struct user_record join;
	add_invite(e, u->email, role, org, "public", &h);
	new_user(&join, u->email, org, role, fill);
	memcpy(join.id, u->id, sizeof join.id);
	return store_invite_accept(e->st, &h, &join, STORE_ACCEPT_JOIN, now);
}

/* A session of USER_ID created at CREATED (lasting a day) for account version VERSION. */
static inline void make_session(const struct env *e, const char *user_id, int64_t created,
				uint64_t version, struct token_hash *h)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct session_record s;
	memset(&s, 0, sizeof s);
	token_generate(token, h);
	s.token = *h;
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	snprintf(s.csrf_token, sizeof s.csrf_token, "%.43s", token);
	s.ticket_len = 64;
	memset(s.ticket, 0x7a, s.ticket_len);
	uuid_generate(s.public_id);
	s.created_at = s.last_seen = s.authenticated_at = created;
	s.expires_at = created + DAY;
	s.account_version = version;
	assert_int_equal(store_session_add(e->st, &s, created), COFFER_OK);
}

static inline bool session_alive(const struct env *e, const struct token_hash *h, int64_t now)
{
	struct session_record s;
	enum coffer_err err = store_session_get(e->st, h, now, 1800, &s);
	assert_true(err == COFFER_OK || err == COFFER_ERR_NOT_FOUND);
	return err == COFFER_OK;
}

static inline uint64_t account_version(const struct env *e, const char *user_id)
{
	struct user_record u;
	assert_int_equal(store_user_get(e->st, user_id, &u), COFFER_OK);
	return u.account_version;
}

/* Asserts that the user BEFORE was read as (store_user_get) is unchanged: status, account bytes
 * and version, reset mark, and every membership's role and clearance. A refused write wrote
 * nothing. */
static inline void assert_user_unchanged(const struct env *e, const struct user_record *before)
{
	struct user_record now;
	assert_int_equal(store_user_get(e->st, before->id, &now), COFFER_OK);
	assert_string_equal(now.status, before->status);
	assert_int_equal(now.account_version, before->account_version);
	assert_int_equal(now.password_changed_at, before->password_changed_at);
	assert_int_equal(now.account_len, before->account_len);
	assert_memory_equal(now.account, before->account, before->account_len);
	assert_int_equal(now.reset_pending, before->reset_pending);
	assert_int_equal(now.n_orgs, before->n_orgs);
	for (size_t i = 0; i < now.n_orgs; i++) {
		assert_string_equal(now.orgs[i].org_id, before->orgs[i].org_id);
		assert_string_equal(now.orgs[i].role, before->orgs[i].role);
		assert_string_equal(now.orgs[i].clearance, before->orgs[i].clearance);
	}
}

static inline int64_t founded_at(const struct env *e, const char *org_id)
{
	struct org_record o;
	assert_int_equal(store_org_get(e->st, org_id, &o), COFFER_OK);
	return o.founded_at;
}

#endif
