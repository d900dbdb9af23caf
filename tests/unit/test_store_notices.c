/* test_store_notices.c — notices to the members of an organisation in the system store: who
 * sees which, in what order, until marked seen; the page bound; refusals. */
#include "test_store_people.h"
#include "test_audit_signer.h"

static void test_notices(void **state)
{
	struct env *e = *state;
	char a[STORE_ID_MAX + 1], b[STORE_ID_MAX + 1], c[STORE_ID_MAX + 1];
	struct user_record both, only_b, none;
	struct notice_record out[8];
	size_t n = 99;
	make_org(e, "A org", a);
	make_org(e, "B org", b);
	make_org(e, "C org", c);
	make_member(e, &both, "both@example.org", a, "member");
	assert_int_equal(join_org(e, &both, b, "member", 2, T0), COFFER_OK);
	make_member(e, &only_b, "onlyb@example.org", b, "org_admin");
	make_member(e, &none, "none@example.org", c, "member");

	assert_int_equal(store_notices_unseen(e->st, both.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 0);
	/* Added out of time order: read oldest first. */
	assert_int_equal(store_notice_add(e->st, b, "recovered", "", T0 + 20), COFFER_OK);
	assert_int_equal(store_notice_add(e->st, a, "member_removed", "x@example.org", T0 + 10),
			 COFFER_OK);
	assert_int_equal(store_notice_add(e->st, a, "admin_added", "名前@例え.jp", T0 + 30),
			 COFFER_OK);

	assert_int_equal(store_notices_unseen(e->st, both.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 3);
	// clang-format off
	static const struct { const char *org_name, *kind, *subject; int64_t at; } want[] = {
		{"A org", "member_removed", "x@example.org", T0 + 10},
		{"B org", "recovered",	    "",		     T0 + 20},
		{"A org", "admin_added",    "名前@例え.jp",  T0 + 30},
	};
	// clang-format on
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(out[i].org_name, want[i].org_name);
		assert_string_equal(out[i].kind, want[i].kind);
		assert_string_equal(out[i].subject, want[i].subject);
		assert_int_equal(out[i].created_at, want[i].at);
		assert_true(out[i].id > 0);
	}
	assert_string_equal(out[0].org_id, a);
	assert_string_equal(out[1].org_id, b);
	int64_t ids[3] = {out[0].id, out[1].id, out[2].id};

	/* Members of B only see B's; a member of neither sees nothing. */
	assert_int_equal(store_notices_unseen(e->st, only_b.id, out, ARRAY_LEN(out), &n),
			 COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, ids[1]);
	assert_int_equal(store_notices_unseen(e->st, none.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 0);

	/* The bound: at most MAX, the oldest. */
	assert_int_equal(store_notices_unseen(e->st, both.id, out, 2, &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].id, ids[1]);

	/* Seen by one user is seen by that user only; again is fine; ids of no notice skipped. */
	int64_t mark[] = {ids[1], ids[0], 999999};
	assert_int_equal(store_notices_mark_seen(e->st, both.id, mark, ARRAY_LEN(mark)), COFFER_OK);
	assert_int_equal(store_notices_mark_seen(e->st, both.id, mark, 2), COFFER_OK);
	assert_int_equal(store_notices_mark_seen(e->st, both.id, mark, 0), COFFER_OK);
	assert_int_equal(store_notices_unseen(e->st, both.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, ids[2]);
	assert_int_equal(store_notices_unseen(e->st, only_b.id, out, ARRAY_LEN(out), &n),
			 COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 2);

	/* A member who joins later sees the organisation's earlier notices; one who leaves does not
	 * any more. */
	assert_int_equal(join_org(e, &none, a, "member", 3, T0 + 40), COFFER_OK);
	assert_int_equal(store_notices_unseen(e->st, none.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 2);
	/* ONLY_B is B's only active org_admin: another keeps B administered once ONLY_B leaves. */
	static const uint8_t account[10] = {1};
	struct user_record keeper;
	make_member(e, &keeper, "keeper@example.org", b, "org_admin");
	assert_int_equal(store_membership_remove(e->st, only_b.id, b, account, sizeof account,
						 account_version(e, only_b.id), T0),
			 COFFER_OK);
	assert_int_equal(store_notices_unseen(e->st, only_b.id, out, ARRAY_LEN(out), &n),
			 COFFER_OK);
	assert_int_equal(n, 0);
}

static void test_notices_refused(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1], kind[STORE_NOTICE_KIND_MAX + 2];
	char subject[EMAIL_MAX + 2];
	struct user_record u;
	struct notice_record out[2];
	size_t n = 0;
	make_org(e, "Acme", org);
	make_member(e, &u, "ann@example.org", org, "member");
	uuid_generate(unknown);

	assert_int_equal(store_notice_add(e->st, unknown, "recovered", "", T0),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_notice_add(e->st, org, "", "", T0), COFFER_ERR_INVALID_INPUT);
	memset(kind, 'k', sizeof kind - 1);
	kind[sizeof kind - 1] = '\0';
	assert_int_equal(store_notice_add(e->st, org, kind, "", T0), COFFER_ERR_INVALID_INPUT);
	kind[STORE_NOTICE_KIND_MAX] = '\0';
	memset(subject, 's', sizeof subject - 1);
	subject[sizeof subject - 1] = '\0';
	assert_int_equal(store_notice_add(e->st, org, kind, subject, T0), COFFER_ERR_INVALID_INPUT);
	subject[EMAIL_MAX] = '\0';
	assert_int_equal(store_notice_add(e->st, org, kind, subject, T0), COFFER_OK);
	assert_int_equal(store_notices_unseen(e->st, u.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].kind, kind);
	assert_string_equal(out[0].subject, subject);

	/* An unknown user sees nothing and can mark nothing. */
	assert_int_equal(store_notices_unseen(e->st, unknown, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 0);
	int64_t ids[] = {out[0].id};
	assert_int_equal(store_notices_mark_seen(e->st, unknown, ids, 1), COFFER_ERR_NOT_FOUND);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 0);
	/* A user deleted (the cascade) takes what it had seen with it. */
	assert_int_equal(store_notices_mark_seen(e->st, u.id, ids, 1), COFFER_OK);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 1);
	raw_exec(e, "PRAGMA foreign_keys = ON; DELETE FROM users WHERE email = 'ann@example.org'");
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 0);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_notices, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_notices_refused, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
