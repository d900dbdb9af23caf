/* test_user_rules.c — how the policies that apply to a user combine (api/user_rules.h), on a
 * real system store: every organisation's rules and the member's own there must allow a
 * sign-in, a member's policy narrows only that member in that organisation, TOTP is required
 * when an organisation or the member's own policy asks for it, a request is judged by one
 * organisation's rules alone, and the strictest maximum password age of all the user's
 * organisations holds. */
#include "test_store_people.h"

#include <time.h>

#include "api/app.h"
#include "api/user_rules.h"
#include "common/timefmt.h"
#include "http/request.h"
#include "signin/org_policy.h"
#include "test_audit_signer.h"

struct world {
	struct env *e;
	struct coffer_app app;
	struct request rq;
	char org_a[STORE_ID_MAX + 1], org_b[STORE_ID_MAX + 1];
	struct user_record alice, bob, admin; /* alice in A and B, bob in A, admin a sysadmin */
};

static int world_setup(void **state)
{
	void *e = NULL;
	if (env_setup(&e) != 0)
		return -1;
	struct world *w = calloc(1, sizeof *w);
	if (w == NULL)
		return -1;
	w->e = e;
	w->app.store = w->e->st;
	w->rq.app = &w->app;
	make_org(w->e, "A", w->org_a);
	make_org(w->e, "B", w->org_b);
	make_member(w->e, &w->alice, "alice@example.test", w->org_a, "member");
	assert_int_equal(join_org(w->e, &w->alice, w->org_b, "member", 2, T0), COFFER_OK);
	make_member(w->e, &w->bob, "bob@example.test", w->org_a, "member");
	make_user(w->e, &w->admin, "root@example.test", NULL, NULL, STORE_ACCEPT_ACTIVE, T0, NULL);
	/* As the web process reads them: with every membership. */
	assert_int_equal(store_user_get(w->e->st, w->alice.id, &w->alice), COFFER_OK);
	assert_int_equal(store_user_get(w->e->st, w->bob.id, &w->bob), COFFER_OK);
	assert_int_equal(store_user_get(w->e->st, w->admin.id, &w->admin), COFFER_OK);
	assert_int_equal(w->alice.n_orgs, 2);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;
	void *e = w->e;
	free(w);
	return env_teardown(&e);
}

/* The default organisation policy with its `login` part's CIDRS (a JSON array) and
 * REQUIRE_TOTP and MAX_AGE, stored for SCOPE. */
static void put_policy(struct world *w, const char *scope, const char *cidrs, bool require_totp,
		       int max_age)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "{\"require_totp\":%s,\"password\":{\"min_length\":8,"
		 "\"require_punctuation\":false,\"reject_common\":true,"
		 "\"max_password_age_days\":%d},\"login\":{\"allowed_cidrs\":%s,"
		 "\"allowed_days\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],"
		 "\"allowed_hours\":{\"from\":\"00:00\",\"to\":\"24:00\"},"
		 "\"timezone\":\"UTC\"}}",
		 require_totp ? "true" : "false", max_age, cidrs);
	assert_int_equal(store_policy_put(w->e->st, scope, text, T0), COFFER_OK);
}

/* A member policy for USER in ORG: CIDRS, DAYS (JSON arrays), hours FROM-TO in UTC, and
 * REQUIRE_TOTP. */
static void put_member(struct world *w, const char *org, const struct user_record *u,
		       const char *cidrs, const char *days, const char *from, const char *to,
		       bool require_totp)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "{\"allowed_cidrs\":%s,\"allowed_days\":%s,\"allowed_hours\":{\"from\":\"%s\","
		 "\"to\":\"%s\"},\"timezone\":\"UTC\",\"require_totp\":%s}",
		 cidrs, days, from, to, require_totp ? "true" : "false");
	assert_int_equal(store_member_policy_put(w->e->st, org, u->id, text, T0), COFFER_OK);
}

static struct netaddr addr(const char *text)
{
	struct netaddr a;
	assert_true(netaddr_parse(text, &a));
	return a;
}

static void login(struct world *w, const struct user_record *u, const char *from, bool allowed,
		  bool totp)
{
	struct netaddr a = addr(from);
	bool ok = !allowed, need = !totp;
	uint8_t kind = 0;
	assert_int_equal(user_login_allowed(&w->rq, u, &a, &ok, &need, &kind), COFFER_OK);
	if (ok != allowed || need != totp)
		fail_msg("%s from %s: allowed %d (want %d), TOTP %d (want %d)", u->email, from, ok,
			 allowed, need, totp);
	/* The policies here leave second_factor at its default, either; one that asks for no
	 * second factor has no say at all. */
	if (kind != SECOND_FACTOR_EITHER)
		fail_msg("%s from %s: second factor %u", u->email, from, (unsigned int)kind);
}

static void test_defaults_allow_and_require_totp(void **state)
{
	struct world *w = *state;
	login(w, &w->alice, "203.0.113.1", true, true);
	login(w, &w->bob, "2001:db8::1", true, true);
	login(w, &w->admin, "203.0.113.1", true, true);
}

static void test_every_organisation_must_allow_a_sign_in(void **state)
{
	struct world *w = *state;
	put_policy(w, w->org_a, "[\"10.0.0.0/8\"]", false, 0);
	put_policy(w, w->org_b, "[\"10.1.0.0/16\"]", false, 0);
	login(w, &w->alice, "10.1.2.3", true, false);
	login(w, &w->alice, "10.2.2.3", false, false); /* A allows it, B does not */
	login(w, &w->bob, "10.2.2.3", true, false);    /* bob is not in B */
	/* A sysadmin follows the system policy alone, and always needs TOTP. */
	login(w, &w->admin, "10.2.2.3", true, true);
	put_policy(w, STORE_POLICY_SYSTEM, "[\"192.0.2.0/24\"]", true, 0);
	login(w, &w->admin, "10.1.2.3", false, true);
	login(w, &w->admin, "192.0.2.9", true, true);
}

static void test_member_policy_narrows_one_member(void **state)
{
	struct world *w = *state;
	put_policy(w, w->org_a, "[\"0.0.0.0/0\"]", false, 0);
	put_member(w, w->org_a, &w->bob, "[\"198.51.100.0/24\"]",
		   "[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]", "00:00", "24:00",
		   false);
	assert_int_equal(raw_int(w->e, "SELECT count(*) FROM member_policies"), 1);
	login(w, &w->bob, "198.51.100.7", true, false);
	login(w, &w->bob, "203.0.113.7", false, false);
	login(w, &w->alice, "203.0.113.7", true, true); /* B still asks for TOTP (default) */
	/* The member's rules never widen the organisation's. */
	put_policy(w, w->org_a, "[\"203.0.113.0/24\"]", false, 0);
	login(w, &w->bob, "198.51.100.7", false, false);
	login(w, &w->bob, "203.0.113.7", false, false);
	/* A request to A is judged by A's rules and bob's there. */
	struct netaddr in = addr("203.0.113.7");
	bool ok = true;
	assert_int_equal(user_org_allowed(&w->rq, &w->bob, w->org_a, &in, time_now(), &ok),
			 COFFER_OK);
	assert_false(ok);
	assert_int_equal(user_org_allowed(&w->rq, &w->alice, w->org_a, &in, time_now(), &ok),
			 COFFER_OK);
	assert_true(ok);
}

static void test_member_policy_can_require_totp(void **state)
{
	struct world *w = *state;
	put_policy(w, w->org_a, "[\"0.0.0.0/0\", \"::/0\"]", false, 0);
	login(w, &w->bob, "203.0.113.7", true, false);
	put_member(w, w->org_a, &w->bob, "[\"0.0.0.0/0\", \"::/0\"]",
		   "[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]", "00:00", "24:00",
		   true);
	login(w, &w->bob, "203.0.113.7", true, true);
	/* Not for another member of the organisation. */
	put_policy(w, w->org_b, "[\"0.0.0.0/0\", \"::/0\"]", false, 0);
	login(w, &w->alice, "203.0.113.7", true, false);
}

static void test_member_hours_end_access(void **state)
{
	struct world *w = *state;
	/* Monday 23 November 2026, 09:00 to 17:00 UTC, for bob in A. */
	struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_hour = 16, .tm_min = 59};
	int64_t before = (int64_t)timegm(&tm), edge = before + 60;
	put_member(w, w->org_a, &w->bob, "[\"0.0.0.0/0\"]", "[\"mon\"]", "09:00", "17:00", false);
	struct netaddr a = addr("203.0.113.7");
	bool ok = false;
	assert_int_equal(user_org_allowed(&w->rq, &w->bob, w->org_a, &a, before, &ok), COFFER_OK);
	assert_true(ok);
	assert_int_equal(user_org_allowed(&w->rq, &w->bob, w->org_a, &a, edge, &ok), COFFER_OK);
	assert_false(ok);
	/* Alice in the same organisation, at the same instant, is not touched. */
	assert_int_equal(user_org_allowed(&w->rq, &w->alice, w->org_a, &a, edge, &ok), COFFER_OK);
	assert_true(ok);
}

static void test_damaged_member_policy_fails_closed(void **state)
{
	struct world *w = *state;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO member_policies (org_id, user_id, json, updated_at) VALUES "
		 "('%s', '%s', '{\"allowed_cidrs\": 1}', 0)",
		 w->org_a, w->bob.id);
	raw_exec(w->e, sql);
	struct netaddr a = addr("203.0.113.7");
	bool ok = true, totp = false;
	assert_int_equal(user_org_allowed(&w->rq, &w->bob, w->org_a, &a, time_now(), &ok),
			 COFFER_ERR_STORAGE);
	assert_false(ok);
	ok = true;
	uint8_t kind = 0;
	assert_int_equal(user_login_allowed(&w->rq, &w->bob, &a, &ok, &totp, &kind),
			 COFFER_ERR_STORAGE);
	assert_false(ok);
}

static void test_strictest_password_age(void **state)
{
	struct world *w = *state;
	int64_t now = time_now(), day = ORG_POLICY_SECONDS_PER_DAY;
	bool expired = true;
	struct user_record u = w->alice;
	u.password_changed_at = now - 100 * day;
	assert_int_equal(user_password_expired(&w->rq, &u, now, &expired), COFFER_OK);
	assert_false(expired); /* the default: never */
	put_policy(w, w->org_a, "[\"0.0.0.0/0\"]", true, 365);
	put_policy(w, w->org_b, "[\"0.0.0.0/0\"]", true, 90);
	assert_int_equal(user_password_expired(&w->rq, &u, now, &expired), COFFER_OK);
	assert_true(expired); /* B's 90 days hold for alice */
	struct user_record b = w->bob;
	b.password_changed_at = now - 100 * day;
	assert_int_equal(user_password_expired(&w->rq, &b, now, &expired), COFFER_OK);
	assert_false(expired); /* bob is only in A */
	b.password_changed_at = now - 366 * day;
	assert_int_equal(user_password_expired(&w->rq, &b, now, &expired), COFFER_OK);
	assert_true(expired);
	/* A change time not known is never expired. */
	u.password_changed_at = 0;
	assert_int_equal(user_password_expired(&w->rq, &u, now, &expired), COFFER_OK);
	assert_false(expired);
	/* A sysadmin follows the system policy's. */
	struct user_record s = w->admin;
	s.password_changed_at = now - 100 * day;
	assert_int_equal(user_password_expired(&w->rq, &s, now, &expired), COFFER_OK);
	assert_false(expired);
	put_policy(w, STORE_POLICY_SYSTEM, "[\"0.0.0.0/0\"]", true, 30);
	assert_int_equal(user_password_expired(&w->rq, &s, now, &expired), COFFER_OK);
	assert_true(expired);
}

int main(void)
{
	(void)test_audit_signer_install();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults_allow_and_require_totp, world_setup,
					    world_teardown),
	    cmocka_unit_test_setup_teardown(test_every_organisation_must_allow_a_sign_in,
					    world_setup, world_teardown),
	    cmocka_unit_test_setup_teardown(test_member_policy_narrows_one_member, world_setup,
					    world_teardown),
	    cmocka_unit_test_setup_teardown(test_member_policy_can_require_totp, world_setup,
					    world_teardown),
	    cmocka_unit_test_setup_teardown(test_member_hours_end_access, world_setup,
					    world_teardown),
	    cmocka_unit_test_setup_teardown(test_damaged_member_policy_fails_closed, world_setup,
					    world_teardown),
	    cmocka_unit_test_setup_teardown(test_strictest_password_age, world_setup,
					    world_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
