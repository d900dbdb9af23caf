/* test_json_body.c — JSON body validation: every field type, every refusal, no echoed values. */
#include "test_util.h"

#include <stdio.h>

#include "http/json_body.h"

/* --- the schema: one of every field type, nested two levels ------------------------------ */

static const char *const levels[] = {"public", "internal", "confidential", "restricted", NULL};

// clang-format off
static const struct json_field hours_fields[] = {
    {.name = "from",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 5,
     .max_len = 5},
    {.name = "to", .type = JSON_FIELD_STRING, .single_line = true, .min_len = 5, .max_len = 5},
};
// clang-format on
static const struct json_schema hours_schema = JSON_SCHEMA(hours_fields);

static const struct json_field cidr_element = {
    .name = "cidr", .type = JSON_FIELD_STRING, .single_line = true, .min_len = 2, .max_len = 43};

// clang-format off
static const struct json_field login_fields[] = {
    {.name = "timezone",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 1,
     .max_len = 64},
    {.name = "allowed_cidrs",
     .type = JSON_FIELD_STRING_ARRAY,
     .min_len = 1,
     .max_len = 3,
     .element = &cidr_element},
    {.name = "hours", .type = JSON_FIELD_OBJECT, .object = &hours_schema},
};
// clang-format on
static const struct json_schema login_schema = JSON_SCHEMA(login_fields);

static const struct json_field tag_element = {
    .name = "tag", .type = JSON_FIELD_STRING, .single_line = true, .min_len = 1, .max_len = 20};

// clang-format off
static const struct json_field top_fields[] = {
    {.name = "title",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 1,
     .max_len = 200},
    {.name = "body", .type = JSON_FIELD_STRING}, /* multi-line, no length limit */
    {.name = "level", .type = JSON_FIELD_STRING, .required = true, .one_of = levels},
    {.name = "version", .type = JSON_FIELD_INTEGER, .min = 1, .max = 1000},
    {.name = "offset", .type = JSON_FIELD_INTEGER, .min = -5, .max = 5},
    {.name = "pinned", .type = JSON_FIELD_BOOLEAN},
    {.name = "login", .type = JSON_FIELD_OBJECT, .object = &login_schema},
    {.name = "tags", .type = JSON_FIELD_STRING_ARRAY, .max_len = 3, .element = &tag_element},
    {.name = "names", .type = JSON_FIELD_STRING_ARRAY, .min_len = 2, .element = &tag_element},
};
// clang-format on
static const struct json_schema schema = JSON_SCHEMA(top_fields);

/* A node that may hold itself: lets the depth limit be reached through the schema. */
static const struct json_schema node_schema;
static const struct json_field node_fields[] = {
    {.name = "child", .type = JSON_FIELD_OBJECT, .object = &node_schema},
    {.name = "name", .type = JSON_FIELD_STRING},
};
static const struct json_schema node_schema = JSON_SCHEMA(node_fields);

#define MSGLEN 512
#define LIT(s) (s), sizeof(s) - 1 /* a literal with its embedded NULs */
#define BASE   "\"title\":\"t\",\"level\":\"public\""

/* Parses TEXT (LEN bytes, or strlen) against S; checks the contract common to every call: on
 * success *OUT is an object; on failure *OUT is untouched and MSG is a non-empty string. */
static enum coffer_err parse_s(const struct json_schema *s, const char *text, size_t len,
			       char msg[MSGLEN])
{
	json_t *out = NULL;
	memset(msg, 0, MSGLEN);
	enum coffer_err err = json_body_parse(text, len ? len : strlen(text), s, &out, msg, MSGLEN);
	if (err == COFFER_OK) {
		if (out == NULL || !json_is_object(out))
			fail_msg("OK without an object for '%s'", text);
		json_decref(out);
	} else {
		if (err != COFFER_ERR_INVALID_INPUT)
			fail_msg("error %d (not INVALID_INPUT) for '%s'", (int)err, text);
		if (out != NULL)
			fail_msg("*out written on failure for '%s'", text);
		if (msg[0] == '\0')
			fail_msg("empty message for '%s'", text);
	}
	return err;
}

struct body_case {
	const char *json;
	size_t len;	  /* 0: strlen */
	const char *want; /* NULL: accepted; else a substring of the message */
};

// clang-format off
static const struct body_case cases[] = {
    /* accepted */
    {"{" BASE "}", 0, NULL},
    {" \n\t{" BASE "}\r\n ", 0, NULL},
    {"{\"level\":\"restricted\",\"title\":\"x\"}", 0, NULL},
    {"{" BASE ",\"body\":\"line 1\\nline 2\\ttab\\u0085nel\"}", 0, NULL},
    {"{" BASE ",\"body\":\"\"}", 0, NULL},
    {"{" BASE ",\"version\":1}", 0, NULL},
    {"{" BASE ",\"version\":1000}", 0, NULL},
    {"{" BASE ",\"offset\":-5}", 0, NULL},
    {"{" BASE ",\"offset\":0}", 0, NULL},
    {"{" BASE ",\"pinned\":true}", 0, NULL},
    {"{" BASE ",\"pinned\":false}", 0, NULL},
    {"{" BASE ",\"tags\":[]}", 0, NULL},
    {"{" BASE ",\"tags\":[\"a\",\"b\",\"c\"]}", 0, NULL},
    {"{" BASE ",\"names\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 0, NULL}, /* max 0: no limit */
    {"{" BASE ",\"login\":{\"timezone\":\"Europe/London\"}}", 0, NULL},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"allowed_cidrs\":[\"0.0.0.0/0\",\"::/0\"],"
     "\"hours\":{\"from\":\"00:00\",\"to\":\"24:00\"}}}",
     0, NULL},
    {"{\"level\":\"public\",\"title\":\"caf\\u00e9\\u00a0\\u2028\"}", 0, NULL}, /* not Cc */
    {"{\"title\":\"\xf0\x9f\x98\x80\",\"level\":\"public\"}", 0, NULL},
    /* unknown fields, named with their full path */
    {"{" BASE ",\"bogus\":1}", 0, "field 'bogus': unknown field"},
    {"{\"bogus\":1}", 0, "field 'bogus': unknown field"}, /* before required ones */
    {"{" BASE ",\"Title\":\"t\"}", 0, "field 'Title': unknown field"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"bogus\":1}}", 0,
     "field 'login.bogus': unknown field"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"hours\":{\"from\":\"00:00\",\"x\":1}}}", 0,
     "field 'login.hours.x': unknown field"},
    {"{" BASE ",\"a\\nb\":1}", 0, "field 'a?b': unknown field"}, /* controls masked */
    {"{" BASE ",\"\":1}", 0, "field '': unknown field"},
    /* missing required fields */
    {"{}", 0, "field 'title': is required"},
    {"{\"title\":\"t\"}", 0, "field 'level': is required"},
    {"{" BASE ",\"login\":{}}", 0, "field 'login.timezone': is required"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"hours\":{\"to\":\"10:00\"}}}", 0,
     "field 'login.hours.from': is required"},
    /* wrong types, null included */
    {"{\"title\":5,\"level\":\"public\"}", 0, "field 'title': must be a string"},
    {"{\"title\":null,\"level\":\"public\"}", 0, "field 'title': must be a string"},
    {"{\"title\":[\"t\"],\"level\":\"public\"}", 0, "field 'title': must be a string"},
    {"{\"title\":{},\"level\":\"public\"}", 0, "field 'title': must be a string"},
    {"{\"title\":true,\"level\":\"public\"}", 0, "field 'title': must be a string"},
    {"{" BASE ",\"version\":\"1\"}", 0, "field 'version': must be an integer"},
    {"{" BASE ",\"version\":1.0}", 0, "field 'version': must be an integer"},
    {"{" BASE ",\"version\":1e2}", 0, "field 'version': must be an integer"},
    {"{" BASE ",\"version\":null}", 0, "field 'version': must be an integer"},
    {"{" BASE ",\"version\":true}", 0, "field 'version': must be an integer"},
    {"{" BASE ",\"pinned\":1}", 0, "field 'pinned': must be true or false"},
    {"{" BASE ",\"pinned\":\"true\"}", 0, "field 'pinned': must be true or false"},
    {"{" BASE ",\"pinned\":null}", 0, "field 'pinned': must be true or false"},
    {"{" BASE ",\"login\":\"UTC\"}", 0, "field 'login': must be an object"},
    {"{" BASE ",\"login\":[]}", 0, "field 'login': must be an object"},
    {"{" BASE ",\"login\":null}", 0, "field 'login': must be an object"},
    {"{" BASE ",\"tags\":\"a\"}", 0, "field 'tags': must be an array of strings"},
    {"{" BASE ",\"tags\":{}}", 0, "field 'tags': must be an array of strings"},
    {"{" BASE ",\"tags\":[1]}", 0, "field 'tags[0]': must be a string"},
    {"{" BASE ",\"tags\":[\"a\",null]}", 0, "field 'tags[1]': must be a string"},
    {"{" BASE ",\"tags\":[[\"a\"]]}", 0, "field 'tags[0]': must be a string"},
    /* integer ranges */
    {"{" BASE ",\"version\":0}", 0, "field 'version': must be from 1 to 1000"},
    {"{" BASE ",\"version\":1001}", 0, "field 'version': must be from 1 to 1000"},
    {"{" BASE ",\"version\":-1}", 0, "field 'version': must be from 1 to 1000"},
    {"{" BASE ",\"offset\":-6}", 0, "field 'offset': must be from -5 to 5"},
    {"{" BASE ",\"version\":9223372036854775807}", 0, "must be from 1 to 1000"},
    {"{" BASE ",\"version\":99999999999999999999}", 0, "malformed JSON"},
    /* string lengths (code points) */
    {"{\"title\":\"\",\"level\":\"public\"}", 0, "field 'title': must be 1 to 200 characters"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"hours\":{\"from\":\"0:00\"}}}", 0,
     "field 'login.hours.from': must be 5 to 5 characters"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"hours\":{\"from\":\"00:000\"}}}", 0,
     "field 'login.hours.from': must be 5 to 5 characters"},
    /* single_line: C0 controls, DEL and C1 controls (U+0080..U+009F) are refused */
    {"{\"title\":\"a\\nb\",\"level\":\"public\"}", 0,
     "field 'title': must not contain control characters"},
    {"{\"title\":\"a\\rb\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"a\\tb\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"\\u0001\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"\\u001f\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"\\u007f\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"a\\u0085b\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"\\u0080\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"\\u009f\",\"level\":\"public\"}", 0, "must not contain control characters"},
    {"{\"title\":\"a\xc2\x85"
     "b\",\"level\":\"public\"}",
     0, "must not contain control"},
    {"{" BASE ",\"tags\":[\"ok\",\"a\\nb\"]}", 0,
     "field 'tags[1]': must not contain control characters"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\\n\"}}", 0,
     "field 'login.timezone': must not contain control characters"},
    /* one_of */
    {"{\"title\":\"t\",\"level\":\"secret\"}", 0,
     "field 'level': must be one of: public, internal, confidential, restricted"},
    {"{\"title\":\"t\",\"level\":\"Public\"}", 0, "field 'level': must be one of"},
    {"{\"title\":\"t\",\"level\":\"public \"}", 0, "field 'level': must be one of"},
    {"{\"title\":\"t\",\"level\":\"\"}", 0, "field 'level': must be one of"},
    {"{\"title\":\"t\",\"level\":1}", 0, "field 'level': must be a string"},
    /* array counts */
    {"{" BASE ",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", 0, "field 'tags': must have 0 to 3 elements"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"allowed_cidrs\":[]}}", 0,
     "field 'login.allowed_cidrs': must have 1 to 3 elements"},
    {"{" BASE ",\"tags\":[\"\"]}", 0, "field 'tags[0]': must be 1 to 20 characters"},
    {"{" BASE ",\"tags\":[\"123456789012345678901\"]}", 0, "field 'tags[0]': must be 1 to 20"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"allowed_cidrs\":[\"::/0\",\"x\"]}}", 0,
     "field 'login.allowed_cidrs[1]': must be 2 to 43 characters"},
    /* refused by the parser: duplicates, bad UTF-8, NUL, structure */
    {"{\"title\":\"a\",\"title\":\"b\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{" BASE ",\"login\":{\"timezone\":\"UTC\",\"timezone\":\"UTC\"}}", 0, "malformed JSON"},
    {"{\"title\":\"\xff\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"title\":\"\xc3\",\"level\":\"public\"}", 0, "malformed JSON"},
    /* an overlong '/', an encoded surrogate, a code point above U+10FFFF */
    {"{\"title\":\"\xc0\xaf\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"title\":\"\xed\xa0\x80\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"title\":\"\xf4\x90\x80\x80\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"t\xffitle\":\"t\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"title\":\"a\\u0000b\",\"level\":\"public\"}", 0, "malformed JSON"},
    {"{\"title\":\"\\ud800\",\"level\":\"public\"}", 0, "malformed JSON"}, /* lone surrogate */
    {"{\"title\":\"\\udc00\\ud800\",\"level\":\"public\"}", 0, "malformed JSON"},
    {LIT("{\"title\":\"t\",\"level\":\"public\"}\0"), "malformed JSON"}, /* NUL after it */
    {LIT("{\"title\":\"t\0\",\"level\":\"public\"}"), "malformed JSON"}, /* raw NUL inside */
    {"{\"title\":\"a\nb\",\"level\":\"public\"}", 0, "malformed JSON"},	 /* raw newline */
    {"[]", 0, "the body must be a JSON object"},
    {"[{" BASE "}]", 0, "the body must be a JSON object"},
    {"\"t\"", 0, "malformed JSON"},
    {"1", 0, "malformed JSON"},
    {"null", 0, "malformed JSON"},
    {"", 0, "malformed JSON"},
    {"   ", 0, "malformed JSON"},
    {"{", 0, "malformed JSON"},
    {"{" BASE, 0, "malformed JSON"},
    {"{" BASE "}x", 0, "malformed JSON"},
    {"{" BASE "}{}", 0, "malformed JSON"},
    {"{" BASE "},", 0, "malformed JSON"},
    {"{" BASE ",}", 0, "malformed JSON"},
    {"{'title':'t'}", 0, "malformed JSON"},
    {"{title:\"t\"}", 0, "malformed JSON"},
    {"{" BASE ",\"version\":01}", 0, "malformed JSON"},
    {"{" BASE ",\"version\":NaN}", 0, "malformed JSON"},
    {"{" BASE ",\"version\":Infinity}", 0, "malformed JSON"},
    {"{" BASE ",\"body\":\"\\x41\"}", 0, "malformed JSON"},
    {"\xef\xbb\xbf{" BASE "}", 0, "malformed JSON"}, /* a byte-order mark */
    {"{" BASE "} // comment", 0, "malformed JSON"},
};
// clang-format on

static void test_body_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char msg[MSGLEN];
		enum coffer_err err = parse_s(&schema, cases[i].json, cases[i].len, msg);
		if (cases[i].want == NULL) {
			if (err != COFFER_OK)
				fail_msg("case %zu '%s' refused: %s", i, cases[i].json, msg);
		} else {
			if (err == COFFER_OK)
				fail_msg("case %zu '%s' accepted", i, cases[i].json);
			if (strstr(msg, cases[i].want) == NULL)
				fail_msg("case %zu '%s': message '%s' lacks '%s'", i, cases[i].json,
					 msg, cases[i].want);
			if (!test_utf8_valid(msg, strlen(msg)))
				fail_msg("case %zu: message is not valid UTF-8", i);
		}
	}
}

/* An array of integers: each element an integer in the field's range, the count in its
 * limits, and the element named in the message. */
static const struct json_field ids_fields[] = {
    {.name = "ids",
     .type = JSON_FIELD_INTEGER_ARRAY,
     .required = true,
     .min_len = 1,
     .max_len = 3,
     .min = 1,
     .max = 100},
};
static const struct json_schema ids_schema = JSON_SCHEMA(ids_fields);

static void test_integer_array(void **state)
{
	(void)state;
	static const struct {
		const char *json, *want; /* WANT NULL: accepted */
	} ids_cases[] = {
	    {"{\"ids\":[1]}", NULL},
	    {"{\"ids\":[1,100,7]}", NULL},
	    {"{\"ids\":[]}", "field 'ids': must have 1 to 3 elements"},
	    {"{\"ids\":[1,2,3,4]}", "field 'ids': must have 1 to 3 elements"},
	    {"{\"ids\":[0]}", "field 'ids[0]': must be from 1 to 100"},
	    {"{\"ids\":[1,101]}", "field 'ids[1]': must be from 1 to 100"},
	    {"{\"ids\":[1,\"2\"]}", "field 'ids[1]': must be an integer"},
	    {"{\"ids\":[1.0]}", "field 'ids[0]': must be an integer"},
	    {"{\"ids\":[null]}", "field 'ids[0]': must be an integer"},
	    {"{\"ids\":[[1]]}", "field 'ids[0]': must be an integer"},
	    {"{\"ids\":1}", "field 'ids': must be an array of integers"},
	    {"{\"ids\":{\"a\":1}}", "field 'ids': must be an array of integers"},
	    {"{}", "field 'ids': is required"},
	};
	for (size_t i = 0; i < ARRAY_LEN(ids_cases); i++) {
		char msg[MSGLEN];
		enum coffer_err err = parse_s(&ids_schema, ids_cases[i].json, 0, msg);
		if (ids_cases[i].want == NULL) {
			if (err != COFFER_OK)
				fail_msg("'%s' refused: %s", ids_cases[i].json, msg);
		} else if (err == COFFER_OK || strcmp(msg, ids_cases[i].want) != 0) {
			fail_msg("'%s': '%s', not '%s'", ids_cases[i].json, msg, ids_cases[i].want);
		}
	}
}

/* Appends N copies of UNIT to B (sized by the caller). */
static size_t repeat(char *b, size_t at, const char *unit, size_t n)
{
	size_t ulen = strlen(unit);
	for (size_t i = 0; i < n; i++, at += ulen)
		memcpy(b + at, unit, ulen);
	b[at] = '\0';
	return at;
}

/* Lengths are code points: 200 'é' (400 bytes) fit a max of 200, 201 do not; likewise 4-byte
 * characters, raw or written as \u surrogate-pair escapes. */
static void test_length_in_code_points(void **state)
{
	(void)state;
	static const struct {
		const char *unit;
		size_t n;
		bool ok;
	} cases_l[] = {
	    {"a", 200, true},
	    {"a", 201, false},
	    {"\xc3\xa9", 200, true}, /* é */
	    {"\xc3\xa9", 201, false},
	    {"\\u00e9", 200, true},
	    {"\\u00e9", 201, false},
	    {"\xe2\x82\xac", 200, true}, /* € */
	    {"\xe2\x82\xac", 201, false},
	    {"\xf0\x9f\x98\x80", 200, true}, /* 😀 */
	    {"\xf0\x9f\x98\x80", 201, false},
	    {"\\ud83d\\ude00", 200, true},
	    {"\\ud83d\\ude00", 201, false},
	    {"e\xcc\x81", 100, true}, /* e + combining acute: two code points each */
	    {"e\xcc\x81", 101, false},
	};
	char *buf = malloc(64 + 201 * 12);
	assert_non_null(buf);
	for (size_t i = 0; i < ARRAY_LEN(cases_l); i++) {
		char msg[MSGLEN];
		size_t at = (size_t)snprintf(buf, 64, "{\"level\":\"public\",\"title\":\"");
		at = repeat(buf, at, cases_l[i].unit, cases_l[i].n);
		memcpy(buf + at, "\"}", 3);
		enum coffer_err err = parse_s(&schema, buf, 0, msg);
		if ((err == COFFER_OK) != cases_l[i].ok)
			fail_msg("%zu x '%s': got %d (%s)", cases_l[i].n, cases_l[i].unit, (int)err,
				 msg);
		if (!cases_l[i].ok)
			assert_non_null(strstr(msg, "field 'title': must be 1 to 200 characters"));
	}
	free(buf);
}

/* A nested object is checked at any depth the schema allows, up to JSON_BODY_MAX_DEPTH. */
static void test_schema_depth_limit(void **state)
{
	(void)state;
	for (int depth = 0; depth <= JSON_BODY_MAX_DEPTH + 3; depth++) {
		char buf[512], msg[MSGLEN];
		size_t at = 0;
		for (int i = 0; i < depth; i++)
			at += (size_t)snprintf(buf + at, sizeof buf - at, "{\"child\":");
		at += (size_t)snprintf(buf + at, sizeof buf - at, "{\"name\":\"leaf\"}");
		for (int i = 0; i < depth; i++)
			buf[at++] = '}';
		buf[at] = '\0';
		enum coffer_err err = parse_s(&node_schema, buf, 0, msg);
		bool want_ok = depth <= JSON_BODY_MAX_DEPTH;
		if ((err == COFFER_OK) != want_ok)
			fail_msg("depth %d: got %d (%s)", depth, (int)err, msg);
		if (!want_ok)
			assert_non_null(strstr(msg, "nested too deeply"));
	}
}

/* Input nested far deeper than any schema is refused by the parser, without blowing the stack. */
static void test_parser_depth_limit(void **state)
{
	(void)state;
	enum { DEEP = 100000, BUFSZ = 2 * DEEP + 16 };
	char *buf = malloc(BUFSZ);
	char msg[MSGLEN];
	assert_non_null(buf);
	/* {"a":[[[[…]]]]} */
	size_t at = (size_t)snprintf(buf, BUFSZ, "{\"a\":");
	memset(buf + at, '[', DEEP);
	memset(buf + at + DEEP, ']', DEEP);
	at += 2 * DEEP;
	memcpy(buf + at, "}", 2);
	assert_int_equal(parse_s(&schema, buf, 0, msg), COFFER_ERR_INVALID_INPUT);
	assert_non_null(strstr(msg, "malformed JSON"));
	/* {"child":{"child":…}} under the recursive schema */
	at = 0;
	for (int i = 0; i < 20000; i++)
		at += (size_t)snprintf(buf + at, BUFSZ - at, "{\"a\":");
	buf[at++] = '1';
	memset(buf + at, '}', 20000);
	buf[at + 20000] = '\0';
	assert_int_equal(parse_s(&node_schema, buf, 0, msg), COFFER_ERR_INVALID_INPUT);
	/* A top-level array nested deeply is refused too. */
	memset(buf, '[', DEEP);
	memset(buf + DEEP, ']', DEEP);
	buf[2 * DEEP] = '\0';
	assert_int_equal(parse_s(&schema, buf, 0, msg), COFFER_ERR_INVALID_INPUT);
	free(buf);
}

/* The message names fields but never echoes a value from the input, even though jansson's own
 * messages quote the text near an error ("invalid token near 's3cr3t'"). */
static void test_no_value_echo(void **state)
{
	(void)state;
	static const char *const bodies[] = {
	    "{\"password\": 123s3cr3t}",
	    "{\"password\": s3cr3t}",
	    "{\"password\": \"s3cr3t}",
	    "{\"password\": \"s3cr3t\"",
	    "{\"password\": \"s3cr3t\" x}",
	    "{\"password\": \"s3cr3t\"}}",
	    "{\"password\": \"s3cr3t\\q\"}",
	    "{\"password\": \"s3cr3t\\u12\"}",
	    "{\"password\": \"s3cr3t\\ud800\"}",
	    "{\"password\": \"s3cr3t\xff\"}",
	    "{\"password\": \"s3cr3t\\u0000\"}",
	    "{\"password\": \"s3cr3t\x01\"}",
	    "{\"password\": \"s3cr3t\", \"password\": \"s3cr3t\"}",
	    "{\"password\" \"s3cr3t\"}",
	    "{\"password\": [\"s3cr3t\",]}",
	    "{\"password\": 1s3cr3t}",
	    "{\"password\": -s3cr3t}",
	    "{\"password\": ts3cr3t}",
	    "s3cr3t",
	    "[\"s3cr3t\"]",
	    "{\"title\": \"s3cr3t\", \"level\": \"s3cr3t\"}",
	    "{\"title\": \"s3cr3t\\n\", \"level\": \"public\"}",
	    "{\"title\": \"s3cr3t\", \"level\": \"public\", \"version\": \"s3cr3t\"}",
	    "{\"title\": \"s3cr3t\", \"level\": \"public\", \"tags\": [\"s3cr3t\", 1]}",
	    "{\"title\": \"s3cr3t\", \"level\": \"public\", \"tags\": [\"s3cr3t\\n\"]}",
	    "{\"title\": "
	    "\"s3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3"
	    "cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3"
	    "cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3t\", \"level\": \"public\"}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		char msg[MSGLEN];
		assert_int_equal(parse_s(&schema, bodies[i], 0, msg), COFFER_ERR_INVALID_INPUT);
		if (strstr(msg, "s3cr3t") != NULL || strstr(msg, "3cr3") != NULL)
			fail_msg("body %zu echoed the value: '%s'", i, msg);
	}
}

/* A short MSG is truncated but NUL-terminated, and nothing is written past MSGLEN. */
static void test_small_msg(void **state)
{
	(void)state;
	static const char *const bodies[] = {"{\"bogus\":1}", "{x", "[]", "{}"};
	static const size_t lens[] = {1, 2, 8, 20};
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		for (size_t j = 0; j < ARRAY_LEN(lens); j++) {
			char msg[32];
			json_t *out = NULL;
			memset(msg, 'Z', sizeof msg);
			assert_int_equal(json_body_parse(bodies[i], strlen(bodies[i]), &schema,
							 &out, msg, lens[j]),
					 COFFER_ERR_INVALID_INPUT);
			assert_null(out);
			assert_true(strlen(msg) < lens[j]);
			for (size_t k = lens[j]; k < sizeof msg; k++)
				assert_int_equal(msg[k], 'Z');
		}
	}
}

/* The parsed value is handed over intact, and json_body_validate agrees with json_body_parse. */
static void test_out_value_and_validate(void **state)
{
	(void)state;
	static const char text[] = "{" BASE ",\"version\":7,\"tags\":[\"x\",\"y\"],"
				   "\"login\":{\"timezone\":\"UTC\"}}";
	json_t *out = NULL;
	char msg[MSGLEN];
	assert_int_equal(json_body_parse(text, strlen(text), &schema, &out, msg, sizeof msg),
			 COFFER_OK);
	assert_non_null(out);
	assert_string_equal(json_string_value(json_object_get(out, "title")), "t");
	assert_int_equal(json_integer_value(json_object_get(out, "version")), 7);
	assert_int_equal(json_array_size(json_object_get(out, "tags")), 2);
	assert_int_equal(out->refcount, 1); /* a new reference, owned by the caller */
	assert_int_equal(json_body_validate(out, &schema, msg, sizeof msg), COFFER_OK);
	json_object_set_new(out, "extra", json_true());
	assert_int_equal(json_body_validate(out, &schema, msg, sizeof msg),
			 COFFER_ERR_INVALID_INPUT);
	assert_non_null(strstr(msg, "field 'extra': unknown field"));
	json_decref(out);

	json_t *arr = json_array();
	assert_int_equal(json_body_validate(arr, &schema, msg, sizeof msg),
			 COFFER_ERR_INVALID_INPUT);
	assert_string_equal(msg, "the body must be a JSON object");
	json_decref(arr);
}

/* An unknown key is shown truncated to 64 bytes. */
static void test_unknown_key_truncated(void **state)
{
	(void)state;
	char text[400], msg[MSGLEN];
	size_t at = (size_t)snprintf(text, sizeof text, "{\"");
	memset(text + at, 'k', 300);
	at += 300;
	snprintf(text + at, sizeof text - at, "\":1}");
	assert_int_equal(parse_s(&schema, text, 0, msg), COFFER_ERR_INVALID_INPUT);
	const char *k = strstr(msg, "field '");
	assert_non_null(k);
	k += strlen("field '");
	assert_int_equal(strspn(k, "k"), 64);
	assert_non_null(strstr(k, "': unknown field"));
}

/* The message goes into a JSON error reply (reply_error → json_pack "s"), which fails on invalid
 * UTF-8, so the message must stay valid UTF-8 when an unknown key is cut at 64 bytes. */
static void test_unknown_key_cut_inside_utf8(void **state)
{
	(void)state;
	char text[128], msg[MSGLEN];
	size_t at = (size_t)snprintf(text, sizeof text, "{\"");
	memset(text + at, 'k', 63);
	at += 63;
	snprintf(text + at, sizeof text - at, "\xc3\xa9\":1}"); /* é straddles bytes 64 and 65 */
	assert_int_equal(parse_s(&schema, text, 0, msg), COFFER_ERR_INVALID_INPUT);
	if (!test_utf8_valid(msg, strlen(msg)))
		fail_msg("message is not valid UTF-8");
	json_t *reply = json_pack("{s:s}", "message", msg);
	assert_non_null(reply);
	json_decref(reply);
}

/* check_object says it shows unknown keys "without control characters"; C1 controls (U+0080 to
 * U+009F), which single_line refuses as controls, must be masked too. */
static void test_unknown_key_c1_masked(void **state)
{
	(void)state;
	char msg[MSGLEN];
	assert_int_equal(parse_s(&schema, "{\"a\\u0085b\":1}", 0, msg), COFFER_ERR_INVALID_INPUT);
	assert_null(strstr(msg, "\xc2\x85"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_table),
	    cmocka_unit_test(test_integer_array),
	    cmocka_unit_test(test_length_in_code_points),
	    cmocka_unit_test(test_schema_depth_limit),
	    cmocka_unit_test(test_parser_depth_limit),
	    cmocka_unit_test(test_no_value_echo),
	    cmocka_unit_test(test_small_msg),
	    cmocka_unit_test(test_out_value_and_validate),
	    cmocka_unit_test(test_unknown_key_truncated),
	    cmocka_unit_test(test_unknown_key_cut_inside_utf8),
	    cmocka_unit_test(test_unknown_key_c1_masked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
