/* test_store_notices.c — notices in the system store, to the members of an organisation and to
 * one user: who sees which, in what order, until marked seen; the page bound; the quiet time of
 * personal notices; refusals; the migration that made notices personal. */
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

/* SQL's result code, run on a connection of its own. */
static int raw_rc(const struct env *e, const char *sql)
{
	sqlite3 *db = raw_open(e);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void personal(struct user_notice *n, const char *user_id, const char *kind,
		     const char *subject, int64_t at)
{
	memset(n, 0, sizeof *n);
	snprintf(n->user_id, sizeof n->user_id, "%s", user_id);
	snprintf(n->kind, sizeof n->kind, "%s", kind);
	snprintf(n->subject, sizeof n->subject, "%s", subject);
	snprintf(n->address, sizeof n->address, "198.51.100.7");
	n->created_at = at;
}

/* A user's own notices: listed with the organisations' in one order, to that user only;
 * marked seen by that user only (another's id is skipped); the quiet time per kind. */
static void test_personal_notices(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	struct user_record ann, bob;
	struct user_notice in;
	struct notice_record out[8];
	size_t n = 0;
	int64_t id1 = 0, id2 = 0, id3 = 0, ignored = 0;
	make_org(e, "Acme", org);
	make_member(e, &ann, "ann@example.org", org, "member");
	make_member(e, &bob, "bob@example.org", org, "member");

	personal(&in, ann.id, "password_changed", "", T0 + 10);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id1), COFFER_OK);
	assert_int_equal(store_notice_add(e->st, org, "recovered", "x@example.org", T0 + 20),
			 COFFER_OK);
	personal(&in, ann.id, "membership_changed", "Acme & Söhne", T0 + 30);
	snprintf(in.detail, sizeof in.detail, "org_admin/restricted");
	in.address[0] = '\0';
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id2), COFFER_OK);
	assert_true(id2 > id1);

	assert_int_equal(store_notices_unseen(e->st, ann.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].id, id1);
	assert_true(out[0].personal);
	assert_string_equal(out[0].kind, "password_changed");
	assert_string_equal(out[0].org_id, "");
	assert_string_equal(out[0].org_name, "");
	assert_string_equal(out[0].address, "198.51.100.7");
	assert_string_equal(out[0].detail, "");
	assert_int_equal(out[0].created_at, T0 + 10);
	assert_false(out[1].personal);
	assert_string_equal(out[1].org_id, org);
	assert_string_equal(out[1].address, "");
	assert_int_equal(out[2].id, id2);
	assert_string_equal(out[2].subject, "Acme & Söhne");
	assert_string_equal(out[2].detail, "org_admin/restricted");
	assert_string_equal(out[2].address, "");
	int64_t org_notice = out[1].id;

	/* Bob sees the organisation's notice only, and cannot mark Ann's seen. */
	assert_int_equal(store_notices_unseen(e->st, bob.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, org_notice);
	int64_t anns[] = {id1, id2};
	assert_int_equal(store_notices_mark_seen(e->st, bob.id, anns, 2), COFFER_OK);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 0);
	assert_int_equal(store_notices_unseen(e->st, ann.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 3);
	/* Ann marks hers seen: gone for her; the organisation's stays for Bob. */
	int64_t all[] = {id1, org_notice, id2};
	assert_int_equal(store_notices_mark_seen(e->st, ann.id, all, 3), COFFER_OK);
	assert_int_equal(store_notices_unseen(e->st, ann.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_notices_unseen(e->st, bob.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 1);

	/* The quiet time: the same kind within it is refused, another kind or user is not, and
	 * after it the same kind is added again. */
	personal(&in, ann.id, "totp_wrong", "", T0 + 100);
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &id3), COFFER_OK);
	in.created_at = T0 + 100 + 3599;
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &ignored), COFFER_ERR_EXISTS);
	personal(&in, ann.id, "totp_reused", "", T0 + 200);
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &ignored), COFFER_OK);
	personal(&in, bob.id, "totp_wrong", "", T0 + 200);
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &ignored), COFFER_OK);
	personal(&in, ann.id, "totp_wrong", "", T0 + 100 + 3600);
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &ignored), COFFER_OK);
	/* Seen or not, a notice in the window counts: dismissing does not reopen the flood. */
	assert_int_equal(store_notices_mark_seen(e->st, ann.id, &id3, 1), COFFER_OK);
	in.created_at = T0 + 100 + 3601;
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &ignored), COFFER_ERR_EXISTS);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices WHERE kind = 'totp_wrong' "
				    "AND user_id IS NOT NULL"),
			 3);

	/* A user removed takes their notices with them. */
	raw_exec(e, "PRAGMA foreign_keys = ON; DELETE FROM users WHERE email = 'ann@example.org'");
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices WHERE user_id IS NOT NULL"), 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices WHERE org_id IS NOT NULL"), 1);
}

static void test_personal_notices_refused(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], unknown[STORE_ID_MAX + 1];
	struct user_record u;
	struct user_notice in;
	int64_t id = 0;
	make_org(e, "Acme", org);
	make_member(e, &u, "ann@example.org", org, "member");
	uuid_generate(unknown);

	personal(&in, unknown, "password_changed", "", T0);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_NOT_FOUND);
	assert_int_equal(store_user_notice_add(e->st, &in, 3600, &id), COFFER_ERR_NOT_FOUND);
	// clang-format off
	static const struct { const char *kind, *subject; } bad[] = {
		{"", ""}, {"Password", ""}, {"pass-word", ""}, {"a kind", ""},
		{"k", "\xff"}, {"k", "\xc0\xaf"}, {"k", "\xed\xa0\x80"},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		personal(&in, u.id, bad[i].kind, bad[i].subject, T0);
		assert_int_equal(store_user_notice_add(e->st, &in, 0, &id),
				 COFFER_ERR_INVALID_INPUT);
	}
	/* The subject: 200 characters of four bytes fit (an organisation's longest name), 255
	 * characters do not. */
	personal(&in, u.id, "membership_added", "", T0);
	for (size_t i = 0; i < 200; i++)
		memcpy(in.subject + 4 * i, "\xf0\x9f\x94\x92", 4);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_OK);
	memset(in.subject, 's', 255);
	in.subject[255] = '\0';
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	in.subject[254] = '\0';
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_OK);
	/* Unterminated fields, a short user id, a negative time. */
	personal(&in, u.id, "k", "", T0);
	memset(in.kind, 'k', sizeof in.kind);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	personal(&in, u.id, "k", "", T0);
	memset(in.detail, 'd', sizeof in.detail);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	personal(&in, u.id, "k", "", T0);
	memset(in.address, '1', sizeof in.address);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	personal(&in, u.id, "k", "", T0);
	in.user_id[35] = '\0';
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	personal(&in, u.id, "k", "", -1);
	assert_int_equal(store_user_notice_add(e->st, &in, 0, &id), COFFER_ERR_INVALID_INPUT);
	/* The table refuses a notice with two audiences or none. */
	char sql[256];
	snprintf(sql, sizeof sql,
		 "INSERT INTO notices (org_id, user_id, kind, subject, created_at) "
		 "VALUES ('%s', '%s', 'k', '', 1)",
		 org, u.id);
	assert_int_equal(raw_rc(e, sql), SQLITE_CONSTRAINT);
	assert_int_equal(raw_rc(e, "INSERT INTO notices (kind, subject, created_at) "
				   "VALUES ('k', '', 1)"),
			 SQLITE_CONSTRAINT);
}

/* A database of schema 7, with an organisation's notice seen by one member, is migrated to
 * personal notices: every row kept, the ids too, and notices_seen's key points at the new
 * table. */
static void test_notices_migration(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	struct user_record u;
	struct notice_record out[4];
	size_t n = 0;
	make_org(e, "Acme", org);
	make_member(e, &u, "ann@example.org", org, "member");
	store_close(e->st);
	e->st = NULL;
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "PRAGMA foreign_keys = OFF;"
		 "DROP TABLE notices_seen; DROP TABLE notices;"
		 "CREATE TABLE notices ("
		 " id INTEGER PRIMARY KEY,"
		 " org_id TEXT NOT NULL REFERENCES orgs (id),"
		 " kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 31),"
		 " subject TEXT NOT NULL CHECK (length(subject) <= 254),"
		 " actor TEXT CHECK (actor IS NULL OR length(actor) = 36),"
		 " created_at INTEGER NOT NULL"
		 ") STRICT;"
		 "CREATE INDEX notices_by_org ON notices (org_id, created_at);"
		 "CREATE TABLE notices_seen ("
		 " user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
		 " notice_id INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,"
		 " PRIMARY KEY (user_id, notice_id)"
		 ") STRICT, WITHOUT ROWID;"
		 "CREATE INDEX notices_seen_by_notice ON notices_seen (notice_id);"
		 "INSERT INTO notices VALUES (7, '%s', 'recovered', 'a@example.org', NULL, 100),"
		 " (9, '%s', 'deletion', '', NULL, 200);"
		 "INSERT INTO notices_seen VALUES ('%s', 7);"
		 /* and without step 9's session columns, which come after */
		 "DROP INDEX sessions_by_public_id;"
		 "ALTER TABLE sessions DROP COLUMN public_id;"
		 "ALTER TABLE sessions DROP COLUMN address;"
		 "ALTER TABLE sessions DROP COLUMN browser;"
		 "ALTER TABLE sessions DROP COLUMN authenticated_at;"
		 "PRAGMA user_version = 7;",
		 org, org, u.id);
	raw_exec(e, sql);
	assert_int_equal(store_system_open(e->tmp->dir, &e->st), COFFER_OK);
	assert_int_equal(raw_int(e, "PRAGMA user_version"), 9);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices"), 2);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen WHERE notice_id = 7"), 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM pragma_foreign_key_list('notices_seen') "
				    "WHERE \"table\" = 'notices' AND \"from\" = 'notice_id'"),
			 1);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%_new'"),
			 0);
	assert_int_equal(store_notices_unseen(e->st, u.id, out, ARRAY_LEN(out), &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, 9);
	assert_false(out[0].personal);
	/* The cascade still works through the renamed tables: the notice goes, its seen row too. */
	raw_exec(e, "PRAGMA foreign_keys = ON; DELETE FROM notices WHERE id = 7");
	assert_int_equal(raw_int(e, "SELECT count(*) FROM notices_seen"), 0);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_notices, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_notices_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_personal_notices, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_personal_notices_refused, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_notices_migration, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
