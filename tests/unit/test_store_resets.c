/* test_store_resets.c — sign-in resets in the system store: adding one ends the member's
 * sessions and blocks new ones, uses up the older resets; reading, staging and completing one
 * (once, before it expires), what completing does to the account, its version and the sessions;
 * a reset voided when its organisation removes the member; and the refusals. */
#include "test_store_people.h"
#include "test_audit_signer.h"

static const uint8_t new_account[300] = {0x4e};

/* A reset of member USER_ID in ORG_ID by BY, made at NOW and good for an hour; its hash in H. */
static enum coffer_err add_reset(const struct env *e, const char *user_id, const char *org_id,
				 const char *by, int64_t now, struct token_hash *h)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct reset_record r;
	memset(&r, 0, sizeof r);
	token_generate(token, h);
	snprintf(r.user_id, sizeof r.user_id, "%s", user_id);
	snprintf(r.org_id, sizeof r.org_id, "%s", org_id);
	snprintf(r.created_by, sizeof r.created_by, "%s", by);
	r.created_at = now;
	r.expires_at = now + 3600;
	r.sealed_len = 77;
	memset(r.sealed, 0x5a, r.sealed_len);
	return store_reset_add(e->st, h, &r, now);
}

struct people {
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1];
	struct user_record admin, member, bystander;
};

static void make_people(const struct env *e, struct people *p)
{
	make_org(e, "Acme", p->org);
	make_org(e, "Other", p->other);
	make_member(e, &p->admin, "admin@example.org", p->org, "org_admin");
	make_member(e, &p->member, "mem@example.org", p->org, "member");
	make_member(e, &p->bystander, "by@example.org", p->org, "member");
}

static void test_reset_add(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash s1, s2, s3, h, h2;
	struct user_record got;
	struct reset_record r;
	make_people(e, &p);
	make_session(e, p.member.id, T0, 1, &s1);
	make_session(e, p.member.id, T0, 1, &s2);
	make_session(e, p.bystander.id, T0, 1, &s3);

	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0 + 10, &h), COFFER_OK);
	assert_false(session_alive(e, &s1, T0 + 11));
	assert_false(session_alive(e, &s2, T0 + 11));
	assert_true(session_alive(e, &s3, T0 + 11));
	assert_int_equal(raw_int(e,
				 "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
				 "WHERE u.email = 'mem@example.org'"),
			 0);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_true(got.reset_pending);
	assert_int_equal(got.account_version, 1); /* the account is not replaced yet */
	struct member_row *rows = NULL;
	size_t n = 0;
	assert_int_equal(store_org_members(e->st, p.org, &rows, &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_string_equal(rows[2].email, "mem@example.org");
	assert_true(rows[2].reset_pending);
	assert_false(rows[0].reset_pending);
	free(rows);
	/* store_session_get itself refuses a session of a user with a reset pending, whose
	 * sessions are deleted anyway (here the mark is set by hand, the session kept). */
	raw_exec(e, "UPDATE users SET reset_pending = 1 WHERE email = 'by@example.org'");
	assert_false(session_alive(e, &s3, T0 + 12));
	raw_exec(e, "UPDATE users SET reset_pending = 0 WHERE email = 'by@example.org'");
	assert_true(session_alive(e, &s3, T0 + 12));

	/* While it is pending, a new session (a login raced the reset) is never found. */
	make_session(e, p.member.id, T0 + 20, 1, &s1);
	assert_false(session_alive(e, &s1, T0 + 21));

	assert_int_equal(store_reset_get(e->st, &h, T0 + 30, &r), COFFER_OK);
	assert_string_equal(r.user_id, p.member.id);
	assert_string_equal(r.org_id, p.org);
	assert_string_equal(r.email, "mem@example.org");
	assert_string_equal(r.created_by, p.admin.id);
	assert_int_equal(r.created_at, T0 + 10);
	assert_int_equal(r.expires_at, T0 + 10 + 3600);
	assert_int_equal(r.sealed_len, 77);
	assert_int_equal(r.sealed[76], 0x5a);
	assert_int_equal(r.pending_len, 0);

	/* A second reset uses up the first. */
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0 + 40, &h2), COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h, T0 + 41, &r), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_reset_get(e->st, &h2, T0 + 41, &r), COFFER_OK);
	assert_int_equal(
	    store_reset_confirm(e->st, &h, new_account, sizeof new_account, 1, T0 + 42),
	    COFFER_ERR_NOT_FOUND);
	/* Expiry: found up to the second before expires_at. */
	assert_int_equal(store_reset_get(e->st, &h2, T0 + 40 + 3599, &r), COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h2, T0 + 40 + 3600, &r), COFFER_ERR_NOT_FOUND);
}

static void test_reset_add_refused(void **state)
{
	struct env *e = *state;
	struct people p;
	struct user_record pending, outsider;
	struct token_hash h, taken;
	char unknown[STORE_ID_MAX + 1];
	make_people(e, &p);
	make_user(e, &pending, "pen@example.org", p.org, "member", STORE_ACCEPT_PENDING, T0, NULL);
	make_member(e, &outsider, "out@example.org", p.other, "member");
	uuid_generate(unknown);

	// clang-format off
	const struct { const char *what, *user, *org, *by; enum coffer_err err; } cases[] = {
		{"not a member of the org",	outsider.id,  p.org,	p.admin.id, COFFER_ERR_NOT_FOUND},
		{"no such user",		unknown,      p.org,	p.admin.id, COFFER_ERR_NOT_FOUND},
		{"no such organisation",	p.member.id,  unknown,	p.admin.id, COFFER_ERR_NOT_FOUND},
		{"a user still invited",	pending.id,   p.org,	p.admin.id, COFFER_ERR_NOT_FOUND},
		{"an id that is not a UUID",	"' OR 1=1 --", p.org,	p.admin.id, COFFER_ERR_INVALID_INPUT},
		{"a creator that is not a UUID", p.member.id, p.org,	"",	    COFFER_ERR_INVALID_INPUT},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		print_message("reset refused: %s\n", cases[i].what);
		assert_int_equal(add_reset(e, cases[i].user, cases[i].org, cases[i].by, T0, &h),
				 cases[i].err);
	}

	/* Bad sealed lengths and lifetimes. */
	struct reset_record r;
	memset(&r, 0, sizeof r);
	memcpy(r.user_id, p.member.id, sizeof r.user_id);
	memcpy(r.org_id, p.org, sizeof r.org_id);
	memcpy(r.created_by, p.admin.id, sizeof r.created_by);
	r.created_at = T0;
	r.expires_at = T0 + 60;
	r.sealed_len = 0;
	assert_int_equal(store_reset_add(e->st, &h, &r, T0), COFFER_ERR_INVALID_INPUT);
	r.sealed_len = STORE_RESET_SEALED_MAX + 1;
	assert_int_equal(store_reset_add(e->st, &h, &r, T0), COFFER_ERR_INVALID_INPUT);
	r.sealed_len = STORE_RESET_SEALED_MAX;
	r.expires_at = T0;
	assert_int_equal(store_reset_add(e->st, &h, &r, T0), COFFER_ERR_INVALID_INPUT);
	/* A hash that is taken: nothing changes, the first reset stays usable. */
	assert_int_equal(add_reset(e, p.bystander.id, p.org, p.admin.id, T0, &taken), COFFER_OK);
	r.expires_at = T0 + 60;
	assert_int_equal(store_reset_add(e->st, &taken, &r, T0), COFFER_ERR_EXISTS);
	struct reset_record got;
	assert_int_equal(store_reset_get(e->st, &taken, T0 + 1, &got), COFFER_OK);
	assert_string_equal(got.user_id, p.bystander.id);

	/* None of the refusals marked anyone. */
	struct user_record u;
	assert_int_equal(store_user_get(e->st, p.member.id, &u), COFFER_OK);
	assert_false(u.reset_pending);
	assert_int_equal(store_user_get(e->st, outsider.id, &u), COFFER_OK);
	assert_false(u.reset_pending);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM resets"), 1);
}

static void test_reset_stage(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash h, unknown_h;
	struct reset_record r;
	uint8_t a1[STORE_ACCOUNT_SEALED_MAX], a2[20];
	char token[TOKEN_TEXT_LEN + 1];
	memset(a1, 0xa1, sizeof a1);
	memset(a2, 0xa2, sizeof a2);
	make_people(e, &p);
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0, &h), COFFER_OK);

	assert_int_equal(store_reset_stage(e->st, &h, a1, sizeof a1, T0 + 1), COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h, T0 + 2, &r), COFFER_OK);
	assert_int_equal(r.pending_len, sizeof a1);
	assert_memory_equal(r.pending_account, a1, sizeof a1);
	/* Replaced by a reload of the page. */
	assert_int_equal(store_reset_stage(e->st, &h, a2, sizeof a2, T0 + 3), COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h, T0 + 4, &r), COFFER_OK);
	assert_int_equal(r.pending_len, sizeof a2);
	assert_memory_equal(r.pending_account, a2, sizeof a2);

	assert_int_equal(store_reset_stage(e->st, &h, a1, 0, T0 + 5), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_reset_stage(e->st, &h, a1, sizeof a1 + 1, T0 + 5),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_reset_stage(e->st, &h, a1, sizeof a1, T0 + 3600),
			 COFFER_ERR_NOT_FOUND);
	token_generate(token, &unknown_h);
	assert_int_equal(store_reset_stage(e->st, &unknown_h, a1, sizeof a1, T0 + 5),
			 COFFER_ERR_NOT_FOUND);
	/* Staging is not completing: the member is still reset. */
	struct user_record u;
	assert_int_equal(store_user_get(e->st, p.member.id, &u), COFFER_OK);
	assert_true(u.reset_pending);
	assert_int_equal(u.account_version, 1);
}

static void test_reset_confirm(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash h, s_old, s_other, s_new;
	struct reset_record r;
	struct user_record got;
	make_people(e, &p);
	make_session(e, p.bystander.id, T0, 1, &s_other);
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0, &h), COFFER_OK);
	assert_int_equal(store_reset_stage(e->st, &h, new_account, sizeof new_account, T0 + 1),
			 COFFER_OK);
	/* A session that got in while the reset was pending (its row exists, never found). */
	make_session(e, p.member.id, T0 + 2, 1, &s_old);

	/* Refused: bad account, bad step, expired. Nothing changes. */
	assert_int_equal(store_reset_confirm(e->st, &h, new_account, 0, 5, T0 + 3),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(store_reset_confirm(e->st, &h, NULL, 5, 5, T0 + 3),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_reset_confirm(e->st, &h, new_account, sizeof new_account, -2, T0 + 3),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    store_reset_confirm(e->st, &h, new_account, sizeof new_account, 5, T0 + 3600),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_true(got.reset_pending);

	assert_int_equal(
	    store_reset_confirm(e->st, &h, new_account, sizeof new_account, 56666667, T0 + 10),
	    COFFER_OK);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_false(got.reset_pending);
	assert_int_equal(got.account_len, sizeof new_account);
	assert_memory_equal(got.account, new_account, sizeof new_account);
	assert_int_equal(got.account_version, 2);
	assert_int_equal(got.password_changed_at, T0 + 10);
	assert_int_equal(got.totp_last_step, 56666667);
	assert_string_equal(got.status, "active");
	assert_int_equal(got.n_orgs, 1);
	/* Every session of the member went; others stay; a new sign-in works again. */
	assert_false(session_alive(e, &s_old, T0 + 11));
	assert_int_equal(raw_int(e,
				 "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
				 "WHERE u.email = 'mem@example.org'"),
			 0);
	assert_true(session_alive(e, &s_other, T0 + 11));
	make_session(e, p.member.id, T0 + 12, 2, &s_new);
	assert_true(session_alive(e, &s_new, T0 + 13));
	/* The step counts as used. */
	assert_int_equal(store_totp_step_use(e->st, p.member.id, 56666667),
			 COFFER_ERR_VERSION_CONFLICT);

	/* Once: the reset is used, its staged account dropped. */
	assert_int_equal(store_reset_get(e->st, &h, T0 + 14, &r), COFFER_ERR_NOT_FOUND);
	assert_int_equal(
	    store_reset_confirm(e->st, &h, new_account, sizeof new_account, 56666668, T0 + 15),
	    COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_reset_stage(e->st, &h, new_account, sizeof new_account, T0 + 15),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM resets WHERE used_at = 1700000010 "
				    "AND pending_account IS NULL"),
			 1);
	assert_int_equal(account_version(e, p.member.id), 2);
	assert_true(session_alive(e, &s_new, T0 + 16));
}

/* A reset of a disabled member can be completed; the member stays disabled. */
static void test_reset_disabled(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash h;
	struct user_record got;
	make_people(e, &p);
	assert_int_equal(store_user_set_status(e->st, p.member.id, "disabled", T0), COFFER_OK);
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0, &h), COFFER_OK);
	assert_int_equal(store_reset_confirm(e->st, &h, new_account, sizeof new_account, 5, T0 + 1),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_string_equal(got.status, "disabled");
	assert_false(got.reset_pending);
}

/* A member removed from an organisation is no longer reset by it: the organisation's unused
 * reset for them is used up (at the removal), and with no other reset under way the member is
 * no longer marked. A reset another organisation made stays. */
static void test_reset_voided_by_removal(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash h, h_other;
	struct reset_record r;
	struct user_record got;
	make_people(e, &p);
	assert_int_equal(join_org(e, &p.member, p.other, "member", 2, T0), COFFER_OK);
	assert_int_equal(join_org(e, &p.bystander, p.other, "member", 3, T0), COFFER_OK);
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0 + 1, &h), COFFER_OK);
	assert_int_equal(add_reset(e, p.bystander.id, p.other, p.admin.id, T0 + 1, &h_other),
			 COFFER_OK);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_true(got.reset_pending);

	assert_int_equal(store_membership_remove(e->st, p.member.id, p.org, new_account,
						 sizeof new_account, got.account_version, T0 + 2),
			 COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h, T0 + 3, &r), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_reset_confirm(e->st, &h, new_account, sizeof new_account, 5, T0 + 3),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(e->st, p.member.id, &got), COFFER_OK);
	assert_false(got.reset_pending);
	assert_int_equal(got.n_orgs, 1);
	assert_int_equal(got.account_version, 3); /* joined, removed; not a completed reset */
	assert_int_equal(raw_int(e,
				 "SELECT count(*) FROM resets r JOIN users u ON u.id = r.user_id "
				 "WHERE u.email = 'mem@example.org' AND r.used_at = 1700000002"),
			 1);

	/* Removed from an organisation that did not make the reset: it stays, and the mark. */
	assert_int_equal(store_membership_remove(e->st, p.bystander.id, p.org, new_account,
						 sizeof new_account,
						 account_version(e, p.bystander.id), T0 + 4),
			 COFFER_OK);
	assert_int_equal(store_reset_get(e->st, &h_other, T0 + 5, &r), COFFER_OK);
	assert_string_equal(r.org_id, p.other);
	assert_int_equal(store_user_get(e->st, p.bystander.id, &got), COFFER_OK);
	assert_true(got.reset_pending);
	assert_int_equal(got.n_orgs, 1);
}

/* A removal refused (a stale account version; the last active org_admin) leaves the member's
 * reset usable and the member marked. */
static void test_reset_kept_by_refused_removal(void **state)
{
	struct env *e = *state;
	struct people p;
	struct token_hash h, h_admin;
	struct reset_record r;
	struct user_record before;
	make_people(e, &p);
	assert_int_equal(add_reset(e, p.member.id, p.org, p.admin.id, T0, &h), COFFER_OK);
	assert_int_equal(add_reset(e, p.admin.id, p.org, p.bystander.id, T0, &h_admin), COFFER_OK);

	assert_int_equal(store_user_get(e->st, p.member.id, &before), COFFER_OK);
	assert_true(before.reset_pending);
	assert_int_equal(store_membership_remove(e->st, p.member.id, p.org, new_account,
						 sizeof new_account, before.account_version - 1,
						 T0 + 1),
			 COFFER_ERR_VERSION_CONFLICT);
	assert_user_unchanged(e, &before);
	assert_int_equal(store_reset_get(e->st, &h, T0 + 2, &r), COFFER_OK);

	assert_int_equal(store_user_get(e->st, p.admin.id, &before), COFFER_OK);
	assert_true(before.reset_pending);
	assert_int_equal(store_membership_remove(e->st, p.admin.id, p.org, new_account,
						 sizeof new_account, before.account_version,
						 T0 + 1),
			 COFFER_ERR_LAST_ADMIN);
	assert_user_unchanged(e, &before);
	assert_int_equal(store_reset_get(e->st, &h_admin, T0 + 2, &r), COFFER_OK);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM resets WHERE used_at IS NULL"), 2);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_add, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_add_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_stage, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_confirm, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_disabled, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_voided_by_removal, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_kept_by_refused_removal, env_setup,
					    env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
