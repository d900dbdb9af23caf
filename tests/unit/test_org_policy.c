/* test_org_policy.c — policies from JSON and back: the defaults, every field's
 * refusal naming the field, the system policy's TOTP rule, a canonical round trip, the
 * login decision by address (IPv4, IPv6, mapped) and by day and hour in the policy's zone, the
 * maximum password age, a member's own login policy, and the lock-out check of a policy being
 * saved. */
#include "test_util.h"

#include <time.h>

#include "signin/org_policy.h"

static const char *const default_json =
    "{\"require_totp\": true, \"second_factor\": \"either\","
    " \"password\": {\"min_length\": 12, \"require_punctuation\": false, \"reject_common\": true,"
    "  \"max_password_age_days\": 0},"
    " \"login\": {\"allowed_cidrs\": [\"0.0.0.0/0\", \"::/0\"],"
    "  \"allowed_days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],"
    "  \"allowed_hours\": {\"from\": \"00:00\", \"to\": \"24:00\"},"
    "  \"timezone\": \"Europe/London\"}}";

static json_t *load(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

/* Parses DEFAULT_JSON with PATH (a dotted path to a field) set to VALUE (JSON text). */
static enum coffer_err parse_with(const char *path, const char *value, bool system,
				  struct org_policy *out, char *msg, size_t msglen)
{
	json_t *j = load(default_json);
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *parent = j;
	char *dot, *key = buf;
	while ((dot = strchr(key, '.')) != NULL) {
		*dot = '\0';
		parent = json_object_get(parent, key);
		assert_non_null(parent);
		key = dot + 1;
	}
	json_t *v = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
	if (value != NULL)
		assert_non_null(v);
	if (v != NULL)
		json_object_set_new(parent, key, v);
	else
		json_object_del(parent, key);
	enum coffer_err err = org_policy_from_json(j, system, out, msg, msglen);
	json_decref(j);
	return err;
}

static void test_defaults_round_trip(void **state)
{
	(void)state;
	struct org_policy d, parsed;
	char msg[256] = "";
	org_policy_default(&d);
	json_t *j = org_policy_to_json(&d);
	json_t *expected = load(default_json);
	assert_true(json_equal(j, expected));
	assert_int_equal(org_policy_from_json(j, true, &parsed, msg, sizeof msg), COFFER_OK);
	assert_true(parsed.require_totp);
	assert_int_equal(parsed.password.min_length, 12);
	assert_int_equal(parsed.max_password_age_days, 0);
	assert_int_equal(parsed.login.n_cidrs, 2);
	assert_int_equal(parsed.login.hours.days, LOGIN_ALL_DAYS);
	assert_int_equal(parsed.login.hours.to, 1440);
	json_decref(j);
	json_decref(expected);
}

static void test_refusals_name_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *path, *value, *field;
	} cases[] = {
	    {"password.min_length", "7", "password.min_length"},
	    {"password.min_length", "8", "password.min_length"},
	    {"password.min_length", "11", "password.min_length"},
	    {"password.min_length", "129", "password.min_length"},
	    {"password.min_length", "257", "password.min_length"},
	    {"password.min_length", "\"12\"", "password.min_length"},
	    {"password.reject_common", NULL, "password.reject_common"},
	    {"require_totp", "1", "require_totp"},
	    {"login.allowed_cidrs", "[\"10.0.0.1/8\"]", "login.allowed_cidrs"},
	    {"login.allowed_cidrs", "[\"10.0.0.0/33\"]", "login.allowed_cidrs"},
	    {"login.allowed_cidrs", "[\"fe80::/129\"]", "login.allowed_cidrs"},
	    {"login.allowed_cidrs", "[\"not an address\"]", "login.allowed_cidrs"},
	    {"login.allowed_days", "[\"monday\"]", "login.allowed_days"},
	    {"login.allowed_days", "[\"Mon\"]", "login.allowed_days"},
	    {"login.allowed_days", "[\"mon\", \"mon\"]", "login.allowed_days"},
	    {"login.allowed_hours.from", "\"9:00\"", "login.allowed_hours.from"},
	    {"login.allowed_hours.from", "\"24:00\"", "login.allowed_hours.from"},
	    {"login.allowed_hours.to", "\"25:00\"", "login.allowed_hours.to"},
	    {"login.allowed_hours.to", "\"00:00\"", "login.allowed_hours"},
	    {"login.timezone", "\"Europe/Atlantis\"", "login.timezone"},
	    {"login.timezone", "\"../../etc/passwd\"", "login.timezone"},
	    {"login.unknown", "1", "login.unknown"},
	    {"password.max_password_age_days", "-1", "password.max_password_age_days"},
	    {"password.max_password_age_days", "3651", "password.max_password_age_days"},
	    {"password.max_password_age_days", "\"90\"", "password.max_password_age_days"},
	    {"password.max_password_age_days", "90.5", "password.max_password_age_days"},
	    {"password.max_password_age_days", "null", "password.max_password_age_days"},
	    {"max_password_age_days", "90", "max_password_age_days"}, /* it is a password rule */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct org_policy p;
		char msg[256] = "";
		enum coffer_err err =
		    parse_with(cases[i].path, cases[i].value, false, &p, msg, sizeof msg);
		if (err != COFFER_ERR_INVALID_INPUT || strstr(msg, cases[i].field) == NULL)
			fail_msg("case %zu (%s = %s): err %d, message '%s'", i, cases[i].path,
				 cases[i].value ? cases[i].value : "(absent)", err, msg);
	}
}

/* The policy DEFAULT_JSON with min_length N, read back as the store would. */
static enum coffer_err stored_with_min_length(int n, struct org_policy *out)
{
	json_t *j = load(default_json);
	json_object_set_new(json_object_get(j, "password"), "min_length", json_integer(n));
	char msg[256] = "";
	enum coffer_err err = org_policy_from_stored_json(j, false, out, msg, sizeof msg);
	json_decref(j);
	return err;
}

static void test_stored_policies_of_wider_bounds_still_load(void **state)
{
	(void)state;
	static const struct {
		int stored;
		uint32_t read;
	} cases[] = {{8, 12}, {11, 12}, {12, 12}, {40, 40}, {128, 128}, {129, 128}, {256, 128}};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct org_policy p;
		assert_int_equal(stored_with_min_length(cases[i].stored, &p), COFFER_OK);
		assert_int_equal(p.password.min_length, cases[i].read);
	}
	/* What was never storable is damage, not a policy. */
	struct org_policy p;
	assert_int_equal(stored_with_min_length(7, &p), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(stored_with_min_length(257, &p), COFFER_ERR_INVALID_INPUT);
}

static void test_system_policy_requires_totp(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	assert_int_equal(parse_with("require_totp", "false", true, &p, msg, sizeof msg),
			 COFFER_ERR_INVALID_INPUT);
	assert_non_null(strstr(msg, "require_totp"));
	assert_int_equal(parse_with("require_totp", "false", false, &p, msg, sizeof msg),
			 COFFER_OK);
	assert_false(p.require_totp);
}

static int64_t utc(int year, int month, int day, int hour, int minute)
{
	struct tm tm = {.tm_year = year - 1900,
			.tm_mon = month - 1,
			.tm_mday = day,
			.tm_hour = hour,
			.tm_min = minute};
	return (int64_t)timegm(&tm);
}

static struct netaddr addr(const char *text)
{
	struct netaddr a;
	assert_true(netaddr_parse(text, &a));
	return a;
}

static void test_login_by_address(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	assert_int_equal(parse_with("login.allowed_cidrs", "[\"192.0.2.0/24\", \"2001:db8::/32\"]",
				    false, &p, msg, sizeof msg),
			 COFFER_OK);
	int64_t now = utc(2026, 11, 23, 12, 0);
	struct netaddr in4 = addr("192.0.2.77"), out4 = addr("198.51.100.1");
	struct netaddr in6 = addr("2001:db8::1"), out6 = addr("2001:db9::1");
	struct netaddr mapped = addr("::ffff:192.0.2.5");
	assert_true(org_policy_login_allowed(&p, &in4, now));
	assert_true(org_policy_login_allowed(&p, &mapped, now));
	assert_true(org_policy_login_allowed(&p, &in6, now));
	assert_false(org_policy_login_allowed(&p, &out4, now));
	assert_false(org_policy_login_allowed(&p, &out6, now));
	/* An empty list admits nobody. */
	assert_int_equal(parse_with("login.allowed_cidrs", "[]", false, &p, msg, sizeof msg),
			 COFFER_OK);
	assert_false(org_policy_login_allowed(&p, &in4, now));
	/* The canonical form shows blocks as written. */
	assert_int_equal(parse_with("login.allowed_cidrs", "[\"10.1.0.0/16\", \"fd00::/8\"]", false,
				    &p, msg, sizeof msg),
			 COFFER_OK);
	json_t *j = org_policy_to_json(&p);
	json_t *cidrs = json_object_get(json_object_get(j, "login"), "allowed_cidrs");
	assert_string_equal(json_string_value(json_array_get(cidrs, 0)), "10.1.0.0/16");
	assert_string_equal(json_string_value(json_array_get(cidrs, 1)), "fd00::/8");
	json_decref(j);
}

static void test_login_by_day_and_hour(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	json_t *j = load(default_json);
	json_t *login = json_object_get(j, "login");
	json_object_set_new(login, "allowed_days",
			    json_pack("[s,s,s,s,s]", "mon", "tue", "wed", "thu", "fri"));
	json_object_set_new(login, "allowed_hours",
			    json_pack("{s:s,s:s}", "from", "09:00", "to", "17:30"));
	json_object_set_new(login, "timezone", json_string("America/New_York"));
	assert_int_equal(org_policy_from_json(j, false, &p, msg, sizeof msg), COFFER_OK);
	json_decref(j);
	struct netaddr a = addr("203.0.113.9");
	/* Monday 23 November 2026: New York is UTC-5. */
	assert_true(org_policy_login_allowed(&p, &a, utc(2026, 11, 23, 14, 0)));   /* 09:00 */
	assert_false(org_policy_login_allowed(&p, &a, utc(2026, 11, 23, 13, 59))); /* 08:59 */
	assert_true(org_policy_login_allowed(&p, &a, utc(2026, 11, 23, 22, 29)));  /* 17:29 */
	assert_false(org_policy_login_allowed(&p, &a, utc(2026, 11, 23, 22, 30))); /* 17:30 */
	/* Saturday 28 November, noon in New York. */
	assert_false(org_policy_login_allowed(&p, &a, utc(2026, 11, 28, 17, 0)));
}

static void test_password_age(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	/* Left out: 0, never; shown as 0. */
	assert_int_equal(
	    parse_with("password.max_password_age_days", NULL, false, &p, msg, sizeof msg),
	    COFFER_OK);
	assert_int_equal(p.max_password_age_days, 0);
	json_t *j = org_policy_to_json(&p);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "password"),
							    "max_password_age_days")),
			 0);
	json_decref(j);
	int64_t changed = utc(2026, 1, 1, 12, 0), day = ORG_POLICY_SECONDS_PER_DAY;
	assert_false(org_policy_password_expired(&p, changed, changed + 20 * 365 * day));
	/* 3650 is the ceiling, and round-trips. */
	assert_int_equal(
	    parse_with("password.max_password_age_days", "3650", false, &p, msg, sizeof msg),
	    COFFER_OK);
	assert_int_equal(p.max_password_age_days, 3650);
	j = org_policy_to_json(&p);
	struct org_policy again;
	assert_int_equal(org_policy_from_json(j, false, &again, msg, sizeof msg), COFFER_OK);
	assert_int_equal(again.max_password_age_days, 3650);
	json_decref(j);
	/* 90 days: expired only once the age passes 90 whole days. */
	assert_int_equal(
	    parse_with("password.max_password_age_days", "90", false, &p, msg, sizeof msg),
	    COFFER_OK);
	assert_false(org_policy_password_expired(&p, changed, changed + 90 * day));
	assert_true(org_policy_password_expired(&p, changed, changed + 90 * day + 1));
	/* A change time not known (0) never expires. */
	assert_false(org_policy_password_expired(&p, 0, changed + 1000 * day));
	/* The system policy may have one too. */
	assert_int_equal(
	    parse_with("password.max_password_age_days", "30", true, &p, msg, sizeof msg),
	    COFFER_OK);
	assert_true(org_policy_password_expired(&p, changed, changed + 31 * day));
}

static const char *const member_json =
    "{\"allowed_cidrs\": [\"0.0.0.0/0\", \"::/0\"],"
    " \"allowed_days\": [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"],"
    " \"allowed_hours\": {\"from\": \"00:00\", \"to\": \"24:00\"},"
    " \"timezone\": \"Europe/London\", \"require_totp\": false}";

/* Parses MEMBER_JSON with KEY (a top-level field, or "allowed_hours.from"/".to") set to VALUE
 * (JSON text; NULL removes it). */
static enum coffer_err member_with(const char *key, const char *value, struct member_policy *out,
				   char *msg, size_t msglen)
{
	json_t *j = load(member_json);
	json_t *parent = j;
	if (strncmp(key, "allowed_hours.", 14) == 0) {
		parent = json_object_get(j, "allowed_hours");
		key += 14;
	}
	if (value != NULL)
		json_object_set_new(parent, key, json_loads(value, JSON_DECODE_ANY, NULL));
	else
		json_object_del(parent, key);
	enum coffer_err err = member_policy_from_json(j, out, msg, msglen);
	json_decref(j);
	return err;
}

static void test_member_policy(void **state)
{
	(void)state;
	struct member_policy d, p;
	char msg[256] = "";
	member_policy_default(&d);
	assert_false(d.require_totp);
	json_t *j = member_policy_to_json(&d);
	json_t *expected = load(member_json);
	assert_true(json_equal(j, expected));
	json_decref(expected);
	assert_int_equal(member_policy_from_json(j, &p, msg, sizeof msg), COFFER_OK);
	json_decref(j);
	assert_int_equal(p.login.n_cidrs, 2);
	/* require_totp may be left out (false) or given as a boolean, nothing else. */
	assert_int_equal(member_with("require_totp", NULL, &p, msg, sizeof msg), COFFER_OK);
	assert_false(p.require_totp);
	assert_int_equal(member_with("require_totp", "true", &p, msg, sizeof msg), COFFER_OK);
	assert_true(p.require_totp);
	j = member_policy_to_json(&p);
	assert_true(json_is_true(json_object_get(j, "require_totp")));
	json_decref(j);
	static const struct {
		const char *key, *value, *field;
	} refused[] = {
	    {"require_totp", "1", "'require_totp'"},
	    {"require_totp", "\"true\"", "'require_totp'"},
	    {"require_totp", "null", "'require_totp'"},
	    {"allowed_cidrs", "[\"10.0.0.1/8\"]", "'allowed_cidrs'"},
	    {"allowed_cidrs", NULL, "'allowed_cidrs'"},
	    {"allowed_days", "[\"mon\", \"mon\"]", "'allowed_days'"},
	    {"allowed_days", "[\"Monday\"]", "'allowed_days'"},
	    {"allowed_hours.from", "\"9:00\"", "'allowed_hours.from'"},
	    {"allowed_hours.to", "\"24:01\"", "'allowed_hours.to'"},
	    {"allowed_hours.to", "\"00:00\"", "'allowed_hours'"},
	    {"timezone", "\"Nowhere/Special\"", "'timezone'"},
	    {"timezone", NULL, "'timezone'"},
	    {"login", "{}", "'login'"}, /* the member's body is the login part itself */
	    {"require_password", "true", "'require_password'"},
	};
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		member_policy_default(&p);
		p.require_totp = true; /* a refusal leaves *OUT alone */
		enum coffer_err err =
		    member_with(refused[i].key, refused[i].value, &p, msg, sizeof msg);
		if (err != COFFER_ERR_INVALID_INPUT || strstr(msg, refused[i].field) == NULL ||
		    strstr(msg, "login.") != NULL || !p.require_totp)
			fail_msg("case %zu (%s = %s): err %d, message '%s'", i, refused[i].key,
				 refused[i].value ? refused[i].value : "(absent)", err, msg);
	}
}

static void test_member_rules_decide_alone(void **state)
{
	(void)state;
	struct member_policy p;
	char msg[256] = "";
	json_t *j = load(member_json);
	json_object_set_new(j, "allowed_cidrs", json_pack("[s]", "198.51.100.0/24"));
	json_object_set_new(j, "allowed_days", json_pack("[s]", "mon"));
	json_object_set_new(j, "allowed_hours",
			    json_pack("{s:s,s:s}", "from", "22:00", "to", "06:00"));
	json_object_set_new(j, "timezone", json_string("Asia/Tokyo"));
	assert_int_equal(member_policy_from_json(j, &p, msg, sizeof msg), COFFER_OK);
	json_decref(j);
	struct netaddr in = addr("198.51.100.4"), out = addr("198.51.101.4");
	/* Monday 23 November 2026 23:30 in Tokyo (UTC+9) is 14:30 UTC: inside, overnight. */
	int64_t mon_2330 = utc(2026, 11, 23, 14, 30);
	assert_true(login_rules_allow(&p.login, &in, mon_2330));
	assert_false(login_rules_allow(&p.login, &out, mon_2330));
	/* Monday 12:00 in Tokyo: outside the hours. Tuesday 01:00: not an allowed day. */
	assert_false(login_rules_allow(&p.login, &in, utc(2026, 11, 23, 3, 0)));
	assert_false(login_rules_allow(&p.login, &in, utc(2026, 11, 23, 16, 0)));
	/* Monday 05:59 in Tokyo is inside (the window is judged by the local day); 06:00 is not. */
	assert_true(login_rules_allow(&p.login, &in, utc(2026, 11, 22, 20, 59)));
	assert_false(login_rules_allow(&p.login, &in, utc(2026, 11, 22, 21, 0)));
}

static void test_lock_out(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	struct netaddr me = addr("192.0.2.10");
	assert_int_equal(
	    parse_with("login.allowed_cidrs", "[\"10.0.0.0/8\"]", false, &p, msg, sizeof msg),
	    COFFER_OK);
	assert_true(login_rules_lock_out(&p.login, &me, "login.", msg, sizeof msg));
	assert_non_null(strstr(msg, "'login.allowed_cidrs'"));
	assert_non_null(strstr(msg, "192.0.2.10"));
	assert_int_equal(parse_with("login.allowed_cidrs", "[\"10.0.0.0/8\", \"192.0.2.0/28\"]",
				    false, &p, msg, sizeof msg),
			 COFFER_OK);
	assert_false(login_rules_lock_out(&p.login, &me, "login.", msg, sizeof msg));
	/* No day at all locks everyone out for good; hours outside the present only until they
	 * open. */
	assert_int_equal(parse_with("login.allowed_days", "[]", false, &p, msg, sizeof msg),
			 COFFER_OK);
	assert_true(login_rules_lock_out(&p.login, &me, "", msg, sizeof msg));
	assert_non_null(strstr(msg, "'allowed_days'"));
	assert_int_equal(parse_with("login.allowed_hours",
				    "{\"from\": \"03:00\", \"to\": \"03:01\"}", false, &p, msg,
				    sizeof msg),
			 COFFER_OK);
	assert_false(login_rules_lock_out(&p.login, &me, "", msg, sizeof msg));
}

/* second_factor: the three names, anything else refused naming the field, and left out (a
 * policy stored before passkeys) either; the stricter of two is a passkey over TOTP over
 * either. */
static void test_second_factor(void **state)
{
	(void)state;
	struct org_policy p;
	char msg[256] = "";
	static const struct {
		const char *value;
		uint8_t want;
	} cases[] = {
	    {"\"totp\"", SECOND_FACTOR_TOTP},
	    {"\"passkey\"", SECOND_FACTOR_PASSKEY},
	    {"\"either\"", SECOND_FACTOR_EITHER},
	    {NULL, SECOND_FACTOR_EITHER},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(
		    parse_with("second_factor", cases[i].value, false, &p, msg, sizeof msg),
		    COFFER_OK);
		assert_int_equal(p.second_factor, cases[i].want);
		json_t *j = org_policy_to_json(&p);
		assert_string_equal(json_string_value(json_object_get(j, "second_factor")),
				    org_policy_second_factor_name(cases[i].want));
		json_decref(j);
	}
	static const char *const refused[] = {"\"sms\"", "\"\"", "\"PASSKEY\"",
					      "1",	 "null", "true"};
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		msg[0] = '\0';
		assert_int_equal(
		    parse_with("second_factor", refused[i], false, &p, msg, sizeof msg),
		    COFFER_ERR_INVALID_INPUT);
		assert_non_null(strstr(msg, "second_factor"));
	}
	assert_int_equal(
	    org_policy_second_factor_stricter(SECOND_FACTOR_EITHER, SECOND_FACTOR_TOTP),
	    SECOND_FACTOR_TOTP);
	assert_int_equal(
	    org_policy_second_factor_stricter(SECOND_FACTOR_TOTP, SECOND_FACTOR_PASSKEY),
	    SECOND_FACTOR_PASSKEY);
	assert_int_equal(
	    org_policy_second_factor_stricter(SECOND_FACTOR_EITHER, SECOND_FACTOR_EITHER),
	    SECOND_FACTOR_EITHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_round_trip),
	    cmocka_unit_test(test_second_factor),
	    cmocka_unit_test(test_refusals_name_the_field),
	    cmocka_unit_test(test_stored_policies_of_wider_bounds_still_load),
	    cmocka_unit_test(test_system_policy_requires_totp),
	    cmocka_unit_test(test_login_by_address),
	    cmocka_unit_test(test_login_by_day_and_hour),
	    cmocka_unit_test(test_password_age),
	    cmocka_unit_test(test_member_policy),
	    cmocka_unit_test(test_member_rules_decide_alone),
	    cmocka_unit_test(test_lock_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
