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
	{.name = "min_length", .type = JSON_FIELD_INTEGER, .required = true,
	 .min = PASSWORD_MIN_LENGTH_FLOOR, .max = PASSWORD_MIN_LENGTH_CEILING},
	{.name = "require_punctuation", .type = JSON_FIELD_BOOLEAN, .required = true},
	{.name = "reject_common", .type = JSON_FIELD_BOOLEAN, .required = true},
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

// clang-format off
static const struct json_field login_fields[] = {
	{.name = "allowed_cidrs", .type = JSON_FIELD_STRING_ARRAY, .required = true,
	 .max_len = ORG_POLICY_CIDRS_MAX, .element = &text_element},
	{.name = "allowed_days", .type = JSON_FIELD_STRING_ARRAY, .required = true, .max_len = 7,
	 .element = &text_element},
	{.name = "allowed_hours", .type = JSON_FIELD_OBJECT, .required = true,
	 .object = &hours_schema},
	{.name = "timezone", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 1, .max_len = TZ_NAME_MAX},
};
// clang-format on
static const struct json_schema login_schema = JSON_SCHEMA(login_fields);

// clang-format off
static const struct json_field policy_fields[] = {
	{.name = "require_totp", .type = JSON_FIELD_BOOLEAN, .required = true},
	{.name = "password", .type = JSON_FIELD_OBJECT, .required = true, .object = &password_schema},
	{.name = "login", .type = JSON_FIELD_OBJECT, .required = true, .object = &login_schema},
};
// clang-format on
const struct json_schema org_policy_schema = JSON_SCHEMA(policy_fields);

void org_policy_default(struct org_policy *p)
{
	memset(p, 0, sizeof *p);
	p->require_totp = true;
	p->password.min_length = PASSWORD_MIN_LENGTH_FLOOR;
	p->password.require_punctuation = false;
	p->password.reject_common = true;
	/* 0.0.0.0/0 and ::/0: every address (IPv4 is held IPv4-mapped, see netaddr.h). */
	if (!cidr_parse("0.0.0.0/0", &p->cidrs[0]) || !cidr_parse("::/0", &p->cidrs[1]))
		return; /* cannot happen: literals */
	p->n_cidrs = 2;
	p->hours.days = LOGIN_ALL_DAYS;
	p->hours.from = 0;
	p->hours.to = LOGIN_MINUTES_PER_DAY;
	snprintf(p->hours.timezone, sizeof p->hours.timezone, "Europe/London");
}

static enum coffer_err refuse(char *msg, size_t msglen, const char *field, const char *why)
{
	snprintf(msg, msglen, "field '%s': %s", field, why);
	return COFFER_ERR_INVALID_INPUT;
}

enum coffer_err org_policy_from_json(json_t *json, bool system, struct org_policy *out, char *msg,
				     size_t msglen)
{
	enum coffer_err err = json_body_validate(json, &org_policy_schema, msg, msglen);
	if (err != COFFER_OK)
		return err;
	struct org_policy p;
	memset(&p, 0, sizeof p);
	json_t *pw = json_object_get(json, "password"), *login = json_object_get(json, "login");
	json_t *hours = json_object_get(login, "allowed_hours");
	p.require_totp = json_is_true(json_object_get(json, "require_totp"));
	if (system && !p.require_totp)
		return refuse(msg, msglen, "require_totp",
			      "the system policy always requires TOTP");
	p.password.min_length = (uint32_t)json_integer_value(json_object_get(pw, "min_length"));
	p.password.require_punctuation = json_is_true(json_object_get(pw, "require_punctuation"));
	p.password.reject_common = json_is_true(json_object_get(pw, "reject_common"));

	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(login, "allowed_cidrs"), i, v)
	{
		if (!cidr_parse(json_string_value(v), &p.cidrs[p.n_cidrs]))
			return refuse(msg, msglen, "login.allowed_cidrs",
				      "each entry must be an IPv4 or IPv6 address or CIDR block "
				      "with zero host bits");
		p.n_cidrs++;
	}
	json_array_foreach(json_object_get(login, "allowed_days"), i, v)
	{
		int bit;
		if (!login_day_parse(json_string_value(v), &bit))
			return refuse(
			    msg, msglen, "login.allowed_days",
			    "each entry must be one of mon, tue, wed, thu, fri, sat, sun");
		if (p.hours.days & (1u << bit))
			return refuse(msg, msglen, "login.allowed_days", "a day is listed twice");
		p.hours.days |= (uint8_t)(1u << bit);
	}
	if (!login_time_parse(json_string_value(json_object_get(hours, "from")), false,
			      &p.hours.from))
		return refuse(msg, msglen, "login.allowed_hours.from",
			      "must be HH:MM, 00:00 to 23:59");
	if (!login_time_parse(json_string_value(json_object_get(hours, "to")), true, &p.hours.to))
		return refuse(msg, msglen, "login.allowed_hours.to",
			      "must be HH:MM, 00:01 to 24:00");
	const char *tz = json_string_value(json_object_get(login, "timezone"));
	if (!tz_name_valid(tz) || strlen(tz) > TZ_NAME_MAX)
		return refuse(msg, msglen, "login.timezone", "not a time zone this server knows");
	memcpy(p.hours.timezone, tz, strlen(tz) + 1);
	if (login_hours_validate(&p.hours) != COFFER_OK)
		return refuse(msg, msglen, "login.allowed_hours",
			      "'from' and 'to' must differ, and the time zone must exist");
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

json_t *org_policy_to_json(const struct org_policy *p)
{
	json_t *cidrs = json_array(), *days = json_array();
	for (size_t i = 0; cidrs != NULL && i < p->n_cidrs; i++) {
		char addr[46], text[64];
		netaddr_format(&p->cidrs[i].addr, addr);
		/* IPv4 blocks are held mapped into IPv6: show them as the client wrote them. */
		bool v4 = strchr(addr, ':') == NULL;
		unsigned int prefix = p->cidrs[i].prefix;
		if (v4)
			prefix = prefix >= 96 ? prefix - 96 : 0;
		snprintf(text, sizeof text, "%s/%u", addr, prefix);
		json_array_append_new(cidrs, json_string(text));
	}
	for (int d = 0; days != NULL && d < 7; d++) {
		if (p->hours.days & (1u << d))
			json_array_append_new(days, json_string(day_names[d]));
	}
	return json_pack("{s:b,s:{s:I,s:b,s:b},s:{s:o*,s:o*,s:{s:o*,s:o*},s:s}}", "require_totp",
			 p->require_totp, "password", "min_length",
			 (json_int_t)p->password.min_length, "require_punctuation",
			 p->password.require_punctuation, "reject_common",
			 p->password.reject_common, "login", "allowed_cidrs", cidrs, "allowed_days",
			 days, "allowed_hours", "from", time_text(p->hours.from), "to",
			 time_text(p->hours.to), "timezone", p->hours.timezone);
}

bool org_policy_login_allowed(const struct org_policy *p, const struct netaddr *addr, int64_t now)
{
	bool in_block = false, in_hours = false;
	for (size_t i = 0; i < p->n_cidrs && !in_block; i++)
		in_block = cidr_contains(&p->cidrs[i], addr);
	if (!in_block)
		return false;
	return login_hours_allow(&p->hours, now, &in_hours) == COFFER_OK && in_hours;
}
