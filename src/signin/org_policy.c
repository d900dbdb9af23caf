/* org_policy.c — parsing, checking and applying policies (org_policy.h). */
#include "signin/org_policy.h"

#include <stdio.h>
#include <string.h>

#include "http/json_body.h"

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const struct json_field text_element = {
    .type = JSON_FIELD_STRING, .single_line = true, .min_len = 1, .max_len = 64};

// clang-format off
static const struct json_field password_fields[] = {
	/* The stored bounds: a client's policy is held to the floor and ceiling after. */
	{.name = "min_length", .type = JSON_FIELD_INTEGER, .required = true,
	 .min = PASSWORD_MIN_LENGTH_STORED_FLOOR, .max = PASSWORD_MIN_LENGTH_STORED_CEILING},
	{.name = "require_punctuation", .type = JSON_FIELD_BOOLEAN, .required = true},
	{.name = "reject_common", .type = JSON_FIELD_BOOLEAN, .required = true},
	{.name = "max_password_age_days", .type = JSON_FIELD_INTEGER, .required = false,
	 .min = 0, .max = ORG_POLICY_PASSWORD_AGE_MAX},
};
// clang-format on
static const struct json_schema password_schema = JSON_SCHEMA(password_fields);

// clang-format off
static const struct json_field hours_fields[] = {
	{.name = "from", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 5, .max_len = 5},
	{.name = "to", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 5, .max_len = 5},
};
// clang-format on
static const struct json_schema hours_schema = JSON_SCHEMA(hours_fields);

/* The `login` fields; a member's policy has the same four, and require_totp. */
// clang-format off
#define ALLOWED_CIDRS_FIELD \
	{.name = "allowed_cidrs", .type = JSON_FIELD_STRING_ARRAY, .required = true, \
	 .max_len = ORG_POLICY_CIDRS_MAX, .element = &text_element}
#define ALLOWED_DAYS_FIELD \
	{.name = "allowed_days", .type = JSON_FIELD_STRING_ARRAY, .required = true, .max_len = 7, \
	 .element = &text_element}
#define ALLOWED_HOURS_FIELD \
	{.name = "allowed_hours", .type = JSON_FIELD_OBJECT, .required = true, \
	 .object = &hours_schema}
#define TIMEZONE_FIELD \
	{.name = "timezone", .type = JSON_FIELD_STRING, .required = true, .single_line = true, \
	 .min_len = 1, .max_len = TZ_NAME_MAX}

static const struct json_field login_fields[] = {
	ALLOWED_CIDRS_FIELD, ALLOWED_DAYS_FIELD, ALLOWED_HOURS_FIELD, TIMEZONE_FIELD,
};
static const struct json_field member_fields[] = {
	ALLOWED_CIDRS_FIELD, ALLOWED_DAYS_FIELD, ALLOWED_HOURS_FIELD, TIMEZONE_FIELD,
	{.name = "require_totp", .type = JSON_FIELD_BOOLEAN, .required = false},
};
// clang-format on
static const struct json_schema login_schema = JSON_SCHEMA(login_fields);
const struct json_schema member_policy_schema = JSON_SCHEMA(member_fields);

static const char *const second_factors[] = {"totp", "passkey", "either", NULL};

// clang-format off
static const struct json_field policy_fields[] = {
	{.name = "require_totp", .type = JSON_FIELD_BOOLEAN, .required = true},
	{.name = "second_factor", .type = JSON_FIELD_STRING, .required = false,
	 .one_of = second_factors},
	{.name = "password", .type = JSON_FIELD_OBJECT, .required = true, .object = &password_schema},
	{.name = "login", .type = JSON_FIELD_OBJECT, .required = true, .object = &login_schema},
};
// clang-format on
const struct json_schema org_policy_schema = JSON_SCHEMA(policy_fields);

static void login_rules_default(struct login_rules *r)
{
	memset(r, 0, sizeof *r);
	/* 0.0.0.0/0 and ::/0: every address (IPv4 is held IPv4-mapped, see netaddr.h). */
	if (!cidr_parse("0.0.0.0/0", &r->cidrs[0]) || !cidr_parse("::/0", &r->cidrs[1]))
		return; /* cannot happen: literals */
	r->n_cidrs = 2;
	r->hours.days = LOGIN_ALL_DAYS;
	r->hours.from = 0;
	r->hours.to = LOGIN_MINUTES_PER_DAY;
	snprintf(r->hours.timezone, sizeof r->hours.timezone, "Europe/London");
}

void org_policy_default(struct org_policy *p)
{
	memset(p, 0, sizeof *p);
	p->require_totp = true;
	p->second_factor = SECOND_FACTOR_EITHER; /* a passkey registered is a passkey usable */
	p->password.min_length = PASSWORD_MIN_LENGTH_FLOOR;
	p->password.require_punctuation = false;
	p->password.reject_common = true;
	p->max_password_age_days = 0;
	login_rules_default(&p->login);
}

void member_policy_default(struct member_policy *p)
{
	memset(p, 0, sizeof *p);
	p->require_totp = false;
	login_rules_default(&p->login);
}

/* Names FIELD (after PREFIX, "login." or "") in MSG. */
static enum coffer_err refuse(char *msg, size_t msglen, const char *prefix, const char *field,
			      const char *why)
{
	snprintf(msg, msglen, "field '%s%s': %s", prefix, field, why);
	return COFFER_ERR_INVALID_INPUT;
}

/* Reads the login fields of LOGIN (validated by the schema), naming them after PREFIX. */
static enum coffer_err login_from_json(json_t *login, const char *prefix, struct login_rules *out,
				       char *msg, size_t msglen)
{
	struct login_rules r;
	memset(&r, 0, sizeof r);
	json_t *hours = json_object_get(login, "allowed_hours");
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(login, "allowed_cidrs"), i, v)
	{
		if (r.n_cidrs >= ORG_POLICY_CIDRS_MAX)
			return refuse(msg, msglen, prefix, "allowed_cidrs", "too many entries");
		if (!cidr_parse(json_string_value(v), &r.cidrs[r.n_cidrs]))
			return refuse(msg, msglen, prefix, "allowed_cidrs",
				      "each entry must be an IPv4 or IPv6 address or CIDR block "
				      "with zero host bits");
		r.n_cidrs++;
	}
	json_array_foreach(json_object_get(login, "allowed_days"), i, v)
	{
		int bit;
		if (!login_day_parse(json_string_value(v), &bit))
			return refuse(
			    msg, msglen, prefix, "allowed_days",
			    "each entry must be one of mon, tue, wed, thu, fri, sat, sun");
		if (r.hours.days & (1u << bit))
			return refuse(msg, msglen, prefix, "allowed_days", "a day is listed twice");
		r.hours.days |= (uint8_t)(1u << bit);
	}
	if (!login_time_parse(json_string_value(json_object_get(hours, "from")), false,
			      &r.hours.from))
		return refuse(msg, msglen, prefix, "allowed_hours.from",
			      "must be HH:MM, 00:00 to 23:59");
	if (!login_time_parse(json_string_value(json_object_get(hours, "to")), true, &r.hours.to))
		return refuse(msg, msglen, prefix, "allowed_hours.to",
			      "must be HH:MM, 00:01 to 24:00");
	const char *tz = json_string_value(json_object_get(login, "timezone"));
	if (!tz_name_valid(tz) || strlen(tz) > TZ_NAME_MAX)
		return refuse(msg, msglen, prefix, "timezone", "not a time zone this server knows");
	memcpy(r.hours.timezone, tz, strlen(tz) + 1);
	if (login_hours_validate(&r.hours) != COFFER_OK)
		return refuse(msg, msglen, prefix, "allowed_hours",
			      "'from' and 'to' must differ, and the time zone must exist");
	*out = r;
	return COFFER_OK;
}

/* Where a policy comes from: a client is held to today's bounds; the store may hold older. */
enum policy_origin { POLICY_FROM_CLIENT, POLICY_FROM_STORE };

/* MIN_LENGTH (within the stored bounds) as ORIGIN allows it: refused, or raised or lowered. */
static enum coffer_err min_length_bounded(uint32_t *min_length, enum policy_origin origin,
					  char *msg, size_t msglen)
{
	if (*min_length >= PASSWORD_MIN_LENGTH_FLOOR && *min_length <= PASSWORD_MIN_LENGTH_CEILING)
		return COFFER_OK;
	if (origin == POLICY_FROM_CLIENT) {
		snprintf(msg, msglen, "field 'password.min_length': must be from %d to %d",
			 PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MIN_LENGTH_CEILING);
		return COFFER_ERR_INVALID_INPUT;
	}
	*min_length = *min_length < PASSWORD_MIN_LENGTH_FLOOR ? PASSWORD_MIN_LENGTH_FLOOR
							      : PASSWORD_MIN_LENGTH_CEILING;
	return COFFER_OK;
}

static enum coffer_err policy_from_json(json_t *json, bool system, enum policy_origin origin,
					struct org_policy *out, char *msg, size_t msglen)
{
	enum coffer_err err = json_body_validate(json, &org_policy_schema, msg, msglen);
	if (err != COFFER_OK)
		return err;
	struct org_policy p;
	memset(&p, 0, sizeof p);
	json_t *pw = json_object_get(json, "password");
	p.require_totp = json_is_true(json_object_get(json, "require_totp"));
	if (system && !p.require_totp)
		return refuse(msg, msglen, "", "require_totp",
			      "the system policy always requires TOTP");
	/* Absent (a policy stored before passkeys, or a client that does not know them): TOTP,
	 * as before. The schema allows only the three names. */
	const char *sf = json_string_value(json_object_get(json, "second_factor"));
	/* Left out (and in policies stored before passkeys): either factor. */
	p.second_factor = sf != NULL && strcmp(sf, "totp") == 0	     ? SECOND_FACTOR_TOTP
			  : sf != NULL && strcmp(sf, "passkey") == 0 ? SECOND_FACTOR_PASSKEY
								     : SECOND_FACTOR_EITHER;
	p.password.min_length = (uint32_t)json_integer_value(json_object_get(pw, "min_length"));
	err = min_length_bounded(&p.password.min_length, origin, msg, msglen);
	if (err != COFFER_OK)
		return err;
	p.password.require_punctuation = json_is_true(json_object_get(pw, "require_punctuation"));
	p.password.reject_common = json_is_true(json_object_get(pw, "reject_common"));
	/* Absent: 0, never (json_integer_value of NULL). The schema bounds it. */
	p.max_password_age_days =
	    (uint32_t)json_integer_value(json_object_get(pw, "max_password_age_days"));
	err = login_from_json(json_object_get(json, "login"), "login.", &p.login, msg, msglen);
	if (err != COFFER_OK)
		return err;
	*out = p;
	return COFFER_OK;
}

enum coffer_err org_policy_from_json(json_t *json, bool system, struct org_policy *out, char *msg,
				     size_t msglen)
{
	return policy_from_json(json, system, POLICY_FROM_CLIENT, out, msg, msglen);
}

enum coffer_err org_policy_from_stored_json(json_t *json, bool system, struct org_policy *out,
					    char *msg, size_t msglen)
{
	return policy_from_json(json, system, POLICY_FROM_STORE, out, msg, msglen);
}

enum coffer_err member_policy_from_json(json_t *json, struct member_policy *out, char *msg,
					size_t msglen)
{
	enum coffer_err err = json_body_validate(json, &member_policy_schema, msg, msglen);
	if (err != COFFER_OK)
		return err;
	struct member_policy p;
	memset(&p, 0, sizeof p);
	p.require_totp = json_is_true(json_object_get(json, "require_totp"));
	err = login_from_json(json, "", &p.login, msg, msglen);
	if (err != COFFER_OK)
		return err;
	*out = p;
	return COFFER_OK;
}

static json_t *time_text(uint16_t minutes)
{
	char buf[8];
	snprintf(buf, sizeof buf, "%02u:%02u", (unsigned int)(minutes / 60),
		 (unsigned int)(minutes % 60));
	return json_string(buf);
}

/* The login fields of R as a new object; NULL when out of memory. */
static json_t *login_to_json(const struct login_rules *r)
{
	json_t *cidrs = json_array(), *days = json_array();
	for (size_t i = 0; cidrs != NULL && i < r->n_cidrs; i++) {
		char addr[46], text[64];
		netaddr_format(&r->cidrs[i].addr, addr);
		/* IPv4 blocks are held mapped into IPv6: show them as the client wrote them. */
		bool v4 = strchr(addr, ':') == NULL;
		unsigned int prefix = r->cidrs[i].prefix;
		if (v4)
			prefix = prefix >= 96 ? prefix - 96 : 0;
		snprintf(text, sizeof text, "%s/%u", addr, prefix);
		json_array_append_new(cidrs, json_string(text));
	}
	for (int d = 0; days != NULL && d < 7; d++) {
		if (r->hours.days & (1u << d))
			json_array_append_new(days, json_string(day_names[d]));
	}
	return json_pack("{s:o*,s:o*,s:{s:o*,s:o*},s:s}", "allowed_cidrs", cidrs, "allowed_days",
			 days, "allowed_hours", "from", time_text(r->hours.from), "to",
			 time_text(r->hours.to), "timezone", r->hours.timezone);
}

const char *org_policy_second_factor_name(uint8_t f)
{
	return f == SECOND_FACTOR_PASSKEY  ? "passkey"
	       : f == SECOND_FACTOR_EITHER ? "either"
					   : "totp";
}

uint8_t org_policy_second_factor_stricter(uint8_t a, uint8_t b)
{
	if (a == SECOND_FACTOR_PASSKEY || b == SECOND_FACTOR_PASSKEY)
		return SECOND_FACTOR_PASSKEY;
	if (a == SECOND_FACTOR_TOTP || b == SECOND_FACTOR_TOTP)
		return SECOND_FACTOR_TOTP;
	return SECOND_FACTOR_EITHER;
}

json_t *org_policy_to_json(const struct org_policy *p)
{
	return json_pack("{s:b,s:s,s:{s:I,s:b,s:b,s:I},s:o*}", "require_totp", p->require_totp,
			 "second_factor", org_policy_second_factor_name(p->second_factor),
			 "password", "min_length", (json_int_t)p->password.min_length,
			 "require_punctuation", p->password.require_punctuation, "reject_common",
			 p->password.reject_common, "max_password_age_days",
			 (json_int_t)p->max_password_age_days, "login", login_to_json(&p->login));
}

json_t *member_policy_to_json(const struct member_policy *p)
{
	json_t *j = login_to_json(&p->login);
	if (j != NULL &&
	    json_object_set_new(j, "require_totp", json_boolean(p->require_totp)) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

bool login_rules_allow(const struct login_rules *r, const struct netaddr *addr, int64_t now)
{
	bool in_block = false, in_hours = false;
	for (size_t i = 0; i < r->n_cidrs && !in_block; i++)
		in_block = cidr_contains(&r->cidrs[i], addr);
	if (!in_block)
		return false;
	return login_hours_allow(&r->hours, now, &in_hours) == COFFER_OK && in_hours;
}

bool login_rules_lock_out(const struct login_rules *r, const struct netaddr *addr,
			  const char *prefix, char *msg, size_t msglen)
{
	bool in_block = false;
	for (size_t i = 0; i < r->n_cidrs && !in_block; i++)
		in_block = cidr_contains(&r->cidrs[i], addr);
	if (!in_block) {
		char text[46];
		netaddr_format(addr, text);
		snprintf(msg, msglen,
			 "field '%sallowed_cidrs': your own address (%s) is in none of these "
			 "blocks, so saving this would lock you out",
			 prefix, text);
		return true;
	}
	if (r->hours.days == 0) {
		snprintf(msg, msglen,
			 "field '%sallowed_days': with no day allowed, saving this would lock you "
			 "out",
			 prefix);
		return true;
	}
	return false;
}

bool org_policy_login_allowed(const struct org_policy *p, const struct netaddr *addr, int64_t now)
{
	return login_rules_allow(&p->login, addr, now);
}

bool org_policy_password_expired(const struct org_policy *p, int64_t changed_at, int64_t now)
{
	if (p->max_password_age_days == 0 || changed_at <= 0)
		return false;
	int64_t max_age = (int64_t)p->max_password_age_days * ORG_POLICY_SECONDS_PER_DAY;
	return now - changed_at > max_age;
}
