/* json_body.h — strict JSON request bodies: parsed with jansson, checked against a declarative
 * field table before any handler sees them.
 *
 * Design points:
 * - Unknown fields, missing required fields, wrong types, values out of range, duplicate keys,
 *   bad UTF-8, NUL characters and over-deep nesting are all refused with a message that names
 *   the field ("field 'login.timezone': …"), never echoing the offending value.
 * - String lengths are counted in Unicode code points, the unit a person means by "characters".
 */
#ifndef COFFER_JSON_BODY_H
#define COFFER_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum json_field_type {
	JSON_FIELD_STRING,
	JSON_FIELD_INTEGER,
	JSON_FIELD_BOOLEAN,
	JSON_FIELD_OBJECT,	  /* checked against .object */
	JSON_FIELD_STRING_ARRAY,  /* each element checked like a STRING field */
	JSON_FIELD_INTEGER_ARRAY, /* each element checked like an INTEGER field (min, max) */
};

struct json_schema;

struct json_field {
	const char *name;
	enum json_field_type type;
	bool required;
	bool single_line;	   /* STRING: no control characters (tab, newline included) */
	size_t min_len, max_len;   /* STRING: code points; ARRAY: elements (max 0 = no limit) */
	long long min, max;	   /* INTEGER, INTEGER_ARRAY's elements: inclusive range */
	const char *const *one_of; /* STRING: allowed values, NULL-terminated; NULL = any */
	const struct json_schema *object; /* OBJECT: its fields */
	const struct json_field *element; /* STRING_ARRAY: rules for each element */
};

struct json_schema {
	const struct json_field *fields;
	size_t n_fields;
};

#define JSON_SCHEMA(array)                                                                         \
	{                                                                                          \
		(array), sizeof(array) / sizeof((array)[0])                                        \
	}
#define JSON_BODY_MAX_DEPTH 8

/* Parses LEN bytes of BUF and validates the result against SCHEMA (the top level must be an
 * object). On success *OUT holds a new reference. On failure writes a message for the client to
 * MSG and returns COFFER_ERR_INVALID_INPUT. */
COFFER_MUST_CHECK enum coffer_err json_body_parse(const char *buf, size_t len,
						  const struct json_schema *schema, json_t **out,
						  char *msg, size_t msglen);

/* Validates an already-parsed VALUE (an object) against SCHEMA. */
COFFER_MUST_CHECK enum coffer_err
json_body_validate(json_t *value, const struct json_schema *schema, char *msg, size_t msglen);

#endif
