/* test_org_policy.c — policies from JSON and back: the defaults, every field's
 * refusal naming the field, the system policy's TOTP rule, a canonical round trip, and the
 * login decision by address (IPv4, IPv6, mapped) and by day and hour in the policy's zone. */
#include "test_util.h"

#include <time.h>

#include "signin/org_policy.h"

static const char *const default_json =
    "{\"require_totp\": true,"
    " \"password\": {\"min_length\": 8, \"require_punctuation\": false, \"reject_common\": true},"
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
	assert_int_equal(parsed.password.min_length, 8);
	assert_int_equal(parsed.n_cidrs, 2);
	assert_int_equal(parsed.hours.days, LOGIN_ALL_DAYS);
	assert_int_equal(parsed.hours.to, 1440);
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
	    {"password.min_length", "257", "password.min_length"},
	    {"password.min_length", "\"8\"", "password.min_length"},
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_round_trip),
	    cmocka_unit_test(test_refusals_name_the_field),
	    cmocka_unit_test(test_system_policy_requires_totp),
	    cmocka_unit_test(test_login_by_address),
	    cmocka_unit_test(test_login_by_day_and_hour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
