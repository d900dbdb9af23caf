/* json_body.c — the validator behind every JSON request body. */
#include "http/json_body.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

static enum coffer_err fail(char *msg, size_t msglen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum coffer_err fail(char *msg, size_t msglen, const char *path, const char *fmt, ...)
{
	int n = snprintf(msg, msglen, "field '%s': ", path);
	if (n >= 0 && (size_t)n < msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg + n, msglen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return COFFER_ERR_INVALID_INPUT;
}

static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return true;
		/* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			return true;
	}
	return false;
}

static enum coffer_err check_object(json_t *obj, const struct json_schema *schema,
				    const char *prefix, int depth, char *msg, size_t msglen);

static enum coffer_err check_string(const json_t *v, const struct json_field *f, const char *path,
				    char *msg, size_t msglen)
{
	if (!json_is_string(v))
		return fail(msg, msglen, path, "must be a string");
	const char *s = json_string_value(v);
	size_t bytes = json_string_length(v);
	size_t chars = utf8_chars(s, bytes);
	if (chars < f->min_len || (f->max_len != 0 && chars > f->max_len)) {
		if (f->max_len != 0)
			return fail(msg, msglen, path, "must be %zu to %zu characters", f->min_len,
				    f->max_len);
		return fail(msg, msglen, path, "must be at least %zu characters", f->min_len);
	}
	if (f->single_line && has_control(s, bytes))
		return fail(msg, msglen, path, "must not contain control characters");
	if (f->single_line && utf8_has_bidi_control(s, bytes))
		return fail(msg, msglen, path,
			    "must not contain bidirectional formatting characters "
			    "(U+202A–U+202E, U+2066–U+2069)");
	if (f->one_of != NULL) {
		for (const char *const *o = f->one_of; *o != NULL; o++) {
			if (strcmp(*o, s) == 0)
				return COFFER_OK;
		}
		char list[256] = "";
		size_t used = 0;
		for (const char *const *o = f->one_of; *o != NULL && used < sizeof list; o++) {
			int n = snprintf(list + used, sizeof list - used, "%s%s",
					 o == f->one_of ? "" : ", ", *o);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		return fail(msg, msglen, path, "must be one of: %s", list);
	}
	return COFFER_OK;
}

static enum coffer_err check_integer(const json_t *v, const struct json_field *f, const char *path,
				     char *msg, size_t msglen)
{
	if (!json_is_integer(v))
		return fail(msg, msglen, path, "must be an integer");
	if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
		return fail(msg, msglen, path, "must be from %lld to %lld", f->min, f->max);
	return COFFER_OK;
}

static enum coffer_err check_field(json_t *v, const struct json_field *f, const char *path,
				   int depth, char *msg, size_t msglen)
{
	switch (f->type) {
	case JSON_FIELD_STRING: return check_string(v, f, path, msg, msglen);
	case JSON_FIELD_INTEGER: return check_integer(v, f, path, msg, msglen);
	case JSON_FIELD_BOOLEAN:
		if (!json_is_boolean(v))
			return fail(msg, msglen, path, "must be true or false");
		return COFFER_OK;
	case JSON_FIELD_OBJECT:
		if (!json_is_object(v))
			return fail(msg, msglen, path, "must be an object");
		return check_object(v, f->object, path, depth + 1, msg, msglen);
	case JSON_FIELD_STRING_ARRAY:
	case JSON_FIELD_INTEGER_ARRAY: {
		bool strings = f->type == JSON_FIELD_STRING_ARRAY;
		if (!json_is_array(v))
			return fail(msg, msglen, path, "must be an array of %s",
				    strings ? "strings" : "integers");
		size_t n = json_array_size(v);
		if (n < f->min_len || (f->max_len != 0 && n > f->max_len)) {
			if (f->max_len == 0)
				return fail(msg, msglen, path, "must have at least %zu elements",
					    f->min_len);
			return fail(msg, msglen, path, "must have %zu to %zu elements", f->min_len,
				    f->max_len);
		}
		for (size_t i = 0; i < n; i++) {
			char elem[256];
			if (snprintf(elem, sizeof elem, "%s[%zu]", path, i) >= (int)sizeof elem)
				return fail(msg, msglen, path, "nested too deeply");
			json_t *e = json_array_get(v, i);
			enum coffer_err err = strings
						  ? check_string(e, f->element, elem, msg, msglen)
						  : check_integer(e, f, elem, msg, msglen);
			if (err != COFFER_OK)
				return err;
		}
		return COFFER_OK;
	}
	}
	return fail(msg, msglen, path, "unsupported field type");
}

static enum coffer_err check_object(json_t *obj, const struct json_schema *schema,
				    const char *prefix, int depth, char *msg, size_t msglen)
{
	char path[256];
	const char *key;
	json_t *value;

	if (depth > JSON_BODY_MAX_DEPTH)
		return fail(msg, msglen, prefix, "nested too deeply");
	/* Unknown fields first: a misspelt optional field must not pass silently. */
	json_object_foreach(obj, key, value)
	{
		size_t i;
		for (i = 0; i < schema->n_fields; i++) {
			if (strcmp(schema->fields[i].name, key) == 0)
				break;
		}
		if (i == schema->n_fields) {
			/* Name the unknown field, truncated, as printable ASCII: '?' stands for
			 * every other byte, so the message is valid UTF-8 without controls. */
			char shown[65];
			size_t j = 0;
			for (const char *k = key; *k != '\0' && j < sizeof shown - 1; k++) {
				unsigned char c = (unsigned char)*k;
				shown[j++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
			}
			shown[j] = '\0';
			if (snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "",
				     shown) >= (int)sizeof path)
				return fail(msg, msglen, prefix, "nested too deeply");
			return fail(msg, msglen, path, "unknown field");
		}
	}
	for (size_t i = 0; i < schema->n_fields; i++) {
		const struct json_field *f = &schema->fields[i];
		if (snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", f->name) >=
		    (int)sizeof path)
			return fail(msg, msglen, prefix, "nested too deeply");
		json_t *v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->required)
				return fail(msg, msglen, path, "is required");
			continue;
		}
		enum coffer_err err = check_field(v, f, path, depth, msg, msglen);
		if (err != COFFER_OK)
			return err;
	}
	return COFFER_OK;
}

enum coffer_err json_body_validate(json_t *value, const struct json_schema *schema, char *msg,
				   size_t msglen)
{
	if (!json_is_object(value)) {
		snprintf(msg, msglen, "the body must be a JSON object");
		return COFFER_ERR_INVALID_INPUT;
	}
	return check_object(value, schema, "", 0, msg, msglen);
}

enum coffer_err json_body_parse(const char *buf, size_t len, const struct json_schema *schema,
				json_t **out, char *msg, size_t msglen)
{
	json_error_t jerr;
	/* Duplicate keys are refused: two values for one field invite confusion attacks. jansson
	 * refuses invalid UTF-8 and \u0000 by default, and caps nesting depth itself. */
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson's text may quote the input ("near '...'"); show only its first part,
		 * so a password in a broken body is never echoed back. */
		size_t keep = strcspn(jerr.text, "'");
		const char *near = strstr(jerr.text, " near ");
		if (near != NULL && (size_t)(near - jerr.text) < keep)
			keep = (size_t)(near - jerr.text);
		snprintf(msg, msglen, "malformed JSON at line %d column %d: %.*s", jerr.line,
			 jerr.column, (int)(keep > 80 ? 80 : keep), jerr.text);
		return COFFER_ERR_INVALID_INPUT;
	}
	enum coffer_err err = json_body_validate(root, schema, msg, msglen);
	if (err != COFFER_OK) {
		json_decref(root);
		return err;
	}
	*out = root;
	return COFFER_OK;
}
