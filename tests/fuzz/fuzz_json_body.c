/* fuzz_json_body.c — json_body_parse on arbitrary bytes against a nested schema.
 *
 * Checks beyond "no crash, no leak": an accepted body is an object that validates again and
 * still validates after a dump and re-parse; a refused body leaves *OUT alone and gets a
 * non-empty, valid UTF-8 message with no control characters.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/json_body.h"

static const char *const levels[] = {"public", "internal", "confidential", "restricted", NULL};
static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};

static const struct json_field day_element = {
    .name = "day", .type = JSON_FIELD_STRING, .one_of = days};
static const struct json_field cidr_element = {
    .name = "cidr", .type = JSON_FIELD_STRING, .single_line = true, .min_len = 2, .max_len = 43};

// clang-format off
static const struct json_field hours_fields[] = {
    {.name = "from",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 5,
     .max_len = 5},
    {.name = "to",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 5,
     .max_len = 5},
};
// clang-format on
static const struct json_schema hours_schema = JSON_SCHEMA(hours_fields);

// clang-format off
static const struct json_field login_fields[] = {
    {.name = "allowed_cidrs",
     .type = JSON_FIELD_STRING_ARRAY,
     .max_len = 64,
     .element = &cidr_element},
    {.name = "allowed_days",
     .type = JSON_FIELD_STRING_ARRAY,
     .min_len = 1,
     .max_len = 7,
     .element = &day_element},
    {.name = "allowed_hours", .type = JSON_FIELD_OBJECT, .object = &hours_schema},
    {.name = "timezone",
     .type = JSON_FIELD_STRING,
     .single_line = true,
     .min_len = 1,
     .max_len = 64},
};
// clang-format on
static const struct json_schema login_schema = JSON_SCHEMA(login_fields);

// clang-format off
static const struct json_field password_fields[] = {
    {.name = "min_length", .type = JSON_FIELD_INTEGER, .min = 8, .max = 128},
    {.name = "require_punctuation", .type = JSON_FIELD_BOOLEAN},
    {.name = "reject_common", .type = JSON_FIELD_BOOLEAN},
};
// clang-format on
static const struct json_schema password_schema = JSON_SCHEMA(password_fields);

/* A node that may hold itself, so the depth limit is reachable through the schema. */
static const struct json_schema node_schema;
static const struct json_field node_fields[] = {
    {.name = "child", .type = JSON_FIELD_OBJECT, .object = &node_schema},
    {.name = "n", .type = JSON_FIELD_INTEGER, .min = -1000000, .max = 1000000},
};
static const struct json_schema node_schema = JSON_SCHEMA(node_fields);

// clang-format off
static const struct json_field top_fields[] = {
    {.name = "title",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 1,
     .max_len = 200},
    {.name = "body", .type = JSON_FIELD_STRING, .max_len = 4096},
    {.name = "level", .type = JSON_FIELD_STRING, .one_of = levels},
    {.name = "version", .type = JSON_FIELD_INTEGER, .min = 1, .max = 9007199254740991LL},
    {.name = "require_totp", .type = JSON_FIELD_BOOLEAN},
    {.name = "password", .type = JSON_FIELD_OBJECT, .object = &password_schema},
    {.name = "login", .type = JSON_FIELD_OBJECT, .object = &login_schema},
    {.name = "node", .type = JSON_FIELD_OBJECT, .object = &node_schema},
    {.name = "ids", .type = JSON_FIELD_INTEGER_ARRAY, .max_len = 8, .min = 1, .max = 1000},
};
// clang-format on
static const struct json_schema schema = JSON_SCHEMA(top_fields);

static bool utf8_valid(const unsigned char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[512];
	json_t *out = NULL;
	memset(msg, 0, sizeof msg);
	enum coffer_err err =
	    json_body_parse((const char *)data, size, &schema, &out, msg, sizeof msg);
	if (err != COFFER_OK) {
		check(err == COFFER_ERR_INVALID_INPUT, "errors are COFFER_ERR_INVALID_INPUT");
		check(out == NULL, "*out untouched on failure");
		size_t len = strnlen(msg, sizeof msg);
		check(len > 0 && len < sizeof msg, "a non-empty, terminated message");
		check(strncmp(msg, "field '", 7) == 0 || strncmp(msg, "malformed JSON", 14) == 0 ||
			  strcmp(msg, "the body must be a JSON object") == 0,
		      "message has a known shape");
		for (size_t i = 0; i < len; i++)
			check((unsigned char)msg[i] >= 0x20 && msg[i] != 0x7f,
			      "no control characters in the message");
		check(utf8_valid((const unsigned char *)msg, len), "message is UTF-8");
		return 0;
	}
	check(out != NULL && json_is_object(out), "OK gives an object");
	json_t *ids = json_object_get(out, "ids");
	for (size_t i = 0; ids != NULL && i < json_array_size(ids); i++) {
		json_t *id = json_array_get(ids, i);
		check(json_is_integer(id) && json_integer_value(id) >= 1 &&
			  json_integer_value(id) <= 1000,
		      "an accepted integer array holds integers in range");
	}
	check(ids == NULL || (json_is_array(ids) && json_array_size(ids) <= 8),
	      "an accepted integer array is within its length");
	check(json_body_validate(out, &schema, msg, sizeof msg) == COFFER_OK,
	      "an accepted value validates again");
	/* What jansson writes back out is accepted as well. */
	char *text = json_dumps(out, JSON_COMPACT);
	if (text != NULL) {
		json_t *again = NULL;
		err = json_body_parse(text, strlen(text), &schema, &again, msg, sizeof msg);
		check(err == COFFER_OK, "the dumped value parses and validates");
		check(json_equal(out, again), "the dumped value is equal");
		json_decref(again);
		free(text);
	}
	json_decref(out);
	return 0;
}
