/* content_disposition.c — an upload's file name from its Content-Disposition header
 * (content_disposition.h). */
#include "http/content_disposition.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"

/* The bytes of the header still to read. */
struct cursor {
	const char *p, *end;
};

/* A `filename` parameter as written: its bytes (between the quotes, for a quoted-string), and
 * whether they can be taken as a name as they are (plain_ascii). */
struct plain_name {
	const char *text;
	size_t len;
	bool plain_ascii;
};

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 8187 attr-char: what filename* may carry without percent-encoding. */
static bool is_attr_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_word(const char *text, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(text, word, len) == 0;
}

static void skip_ows(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* The token at the cursor (its length; 0 when there is none), the cursor moved past it. */
static size_t take_token(struct cursor *c, const char **start)
{
	*start = c->p;
	while (c->p < c->end && is_tchar((unsigned char)*c->p))
		c->p++;
	return (size_t)(c->p - *start);
}

/* filename*'s ext-value (RFC 8187 §3.2.1): charset "'" [ language ] "'" value-chars. Its bytes
 * run to the next space, tab or ';', none of which it may hold; they are decoded into NAME
 * (room for DISPOSITION_MAX bytes, which the decoded bytes never exceed: each takes at least one
 * byte of the header). */
static enum disposition_verdict take_ext_value(struct cursor *c, char *name, size_t *name_len)
{
	const char *s = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != ';')
		c->p++;
	size_t n = (size_t)(c->p - s);
	/* RFC 6266 §4.1: an ext-value is never a quoted-string. */
	const char *quote1 = memchr(s, '\'', n);
	if (n == 0 || s[0] == '"' || quote1 == NULL || quote1 == s)
		return DISPOSITION_MALFORMED;
	if (!is_word(s, (size_t)(quote1 - s), "UTF-8"))
		return DISPOSITION_CHARSET;
	const char *lang = quote1 + 1;
	const char *quote2 = memchr(lang, '\'', (size_t)(s + n - lang));
	if (quote2 == NULL || (size_t)(quote2 - lang) > DISPOSITION_LANGUAGE_MAX)
		return DISPOSITION_MALFORMED;
	for (const char *l = lang; l < quote2; l++) {
		if (!is_alnum((unsigned char)*l) && *l != '-')
			return DISPOSITION_MALFORMED;
	}
	size_t len = 0;
	for (const char *v = quote2 + 1; v < s + n; v++) {
		unsigned char byte = (unsigned char)*v;
		if (byte == '%') {
			if (s + n - v < 3 || hex_digit((unsigned char)v[1]) < 0 ||
			    hex_digit((unsigned char)v[2]) < 0)
				return DISPOSITION_BAD_ESCAPE;
			byte = (unsigned char)(hex_digit((unsigned char)v[1]) << 4 |
					       hex_digit((unsigned char)v[2]));
			v += 2;
			if (byte == '\0')
				return DISPOSITION_NUL;
		} else if (!is_attr_char(byte)) {
			return DISPOSITION_BAD_ESCAPE;
		}
		name[len++] = (char)byte;
	}
	for (size_t i = 0, step = 0; i < len; i += step) {
		if (utf8_next((const unsigned char *)name + i, len - i, &step) < 0)
			return DISPOSITION_NOT_UTF8;
	}
	*name_len = len;
	return DISPOSITION_OK;
}

/* filename's value: a token, or a quoted-string (RFC 9110 §5.6.4). */
static enum disposition_verdict take_plain_value(struct cursor *c, struct plain_name *out)
{
	if (c->p == c->end || *c->p != '"') {
		out->len = take_token(c, &out->text);
		out->plain_ascii = true;
		return out->len > 0 ? DISPOSITION_OK : DISPOSITION_MALFORMED;
	}
	c->p++;
	out->text = c->p;
	out->plain_ascii = true;
	while (c->p < c->end && *c->p != '"') {
		unsigned char byte = (unsigned char)*c->p;
		if (byte == '\\') {
			/* A quoted-pair: some user agents take the backslash literally. */
			out->plain_ascii = false;
			c->p++;
			if (c->p == c->end)
				return DISPOSITION_MALFORMED;
			byte = (unsigned char)*c->p;
		}
		if ((byte < 0x20 && byte != '\t') || byte == 0x7f)
			return DISPOSITION_MALFORMED;
		if (byte < 0x20 || byte >= 0x80)
			out->plain_ascii = false; /* a tab, or obs-text in no agreed charset */
		c->p++;
	}
	if (c->p == c->end)
		return DISPOSITION_MALFORMED; /* no closing quote */
	out->len = (size_t)(c->p - out->text);
	c->p++;
	return DISPOSITION_OK;
}

enum disposition_verdict content_disposition_filename(const char *value, size_t len, char *out,
						      size_t cap, size_t *name_len)
{
	char ext[DISPOSITION_MAX];
	size_t ext_len = 0, word_len = 0;
	bool have_ext = false, have_plain = false;
	struct plain_name plain = {.text = NULL};
	struct cursor c = {value, value + len};
	const char *word = NULL;
	enum disposition_verdict v = DISPOSITION_OK;

	if (len > DISPOSITION_MAX) {
		v = DISPOSITION_TOO_LONG;
		goto out;
	}
	if (memchr(value, '\0', len) != NULL) {
		v = DISPOSITION_NUL;
		goto out;
	}
	skip_ows(&c);
	word_len = take_token(&c, &word);
	if (word_len == 0 || !is_word(word, word_len, "attachment")) {
		v = word_len == 0 ? DISPOSITION_MALFORMED : DISPOSITION_NOT_ATTACHMENT;
		goto out;
	}
	for (;;) {
		skip_ows(&c);
		if (c.p == c.end)
			break;
		if (*c.p != ';') {
			v = DISPOSITION_MALFORMED;
			goto out;
		}
		c.p++;
		skip_ows(&c);
		word_len = take_token(&c, &word);
		skip_ows(&c);
		if (word_len == 0 || c.p == c.end || *c.p != '=') {
			v = DISPOSITION_MALFORMED;
			goto out;
		}
		c.p++;
		skip_ows(&c);
		if (is_word(word, word_len, "filename*")) {
			v = have_ext ? DISPOSITION_PARAMETER_TWICE
				     : take_ext_value(&c, ext, &ext_len);
			have_ext = true;
		} else if (is_word(word, word_len, "filename")) {
			v = have_plain ? DISPOSITION_PARAMETER_TWICE : take_plain_value(&c, &plain);
			have_plain = true;
		} else {
			v = DISPOSITION_UNKNOWN_PARAMETER;
		}
		if (v != DISPOSITION_OK)
			goto out;
	}
	/* RFC 6266 §4.3: filename* wins; filename is then only the fallback for old recipients. */
	if (!have_ext && !have_plain)
		v = DISPOSITION_NO_NAME;
	else if (!have_ext && !plain.plain_ascii)
		v = DISPOSITION_AMBIGUOUS;
	else if ((have_ext ? ext_len : plain.len) > cap)
		v = DISPOSITION_NAME_TOO_LONG;
	if (v == DISPOSITION_OK) {
		*name_len = have_ext ? ext_len : plain.len;
		memcpy(out, have_ext ? ext : plain.text, *name_len);
		out[*name_len] = '\0';
	}
out:
	sodium_memzero(ext, sizeof ext); /* a file's name is sealed content */
	return v;
}

/* What content_disposition_of learns from the request's headers. */
struct found {
	unsigned int count;
	const char *value;
	size_t size;
};

static enum MHD_Result take(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			    const char *value, size_t value_size)
{
	struct found *f = cls;
	(void)kind;
	if (is_word(key, key_size, MHD_HTTP_HEADER_CONTENT_DISPOSITION) && f->count++ == 0) {
		f->value = value != NULL ? value : "";
		f->size = value != NULL ? value_size : 0;
	}
	return MHD_YES;
}

enum disposition_verdict content_disposition_of(struct request *rq, char *out, size_t cap,
						size_t *name_len)
{
	struct found f = {.count = 0};
	MHD_get_connection_values_n(rq->conn, MHD_HEADER_KIND, take, &f);
	if (f.count == 0)
		return DISPOSITION_ABSENT;
	if (f.count > 1)
		return DISPOSITION_HEADER_TWICE;
	return content_disposition_filename(f.value, f.size, out, cap, name_len);
}

_Static_assert(DISPOSITION_MAX == 2048, "DISPOSITION_TOO_LONG's message gives the limit");

// clang-format off
static const char *const messages[] = {
	[DISPOSITION_OK] = "",
	[DISPOSITION_ABSENT] = "header 'Content-Disposition' is required.",
	[DISPOSITION_HEADER_TWICE] = "header 'Content-Disposition' is given more than once.",
	[DISPOSITION_TOO_LONG] = "header 'Content-Disposition' is longer than 2048 bytes.",
	[DISPOSITION_MALFORMED] = "header 'Content-Disposition' is malformed: send attachment; "
		"filename*=UTF-8''NAME, the name percent-encoded (RFC 6266, RFC 8187).",
	[DISPOSITION_NOT_ATTACHMENT] = "header 'Content-Disposition': the type must be 'attachment'.",
	[DISPOSITION_UNKNOWN_PARAMETER] = "header 'Content-Disposition': a parameter other than "
		"filename* and filename.",
	[DISPOSITION_PARAMETER_TWICE] = "header 'Content-Disposition': a parameter is given more "
		"than once.",
	[DISPOSITION_CHARSET] = "header 'Content-Disposition': filename* must be UTF-8 "
		"(filename*=UTF-8''NAME).",
	[DISPOSITION_BAD_ESCAPE] = "header 'Content-Disposition': filename* holds a malformed "
		"percent escape, or a character that must be percent-encoded.",
	[DISPOSITION_NUL] = "header 'Content-Disposition': the file name holds a NUL character.",
	[DISPOSITION_NOT_UTF8] = "header 'Content-Disposition': filename* is not UTF-8 once "
		"decoded.",
	[DISPOSITION_NAME_TOO_LONG] = "header 'Content-Disposition': the file name is too long.",
	[DISPOSITION_NO_NAME] = "header 'Content-Disposition': filename* is required "
		"(attachment; filename*=UTF-8''NAME).",
	[DISPOSITION_AMBIGUOUS] = "header 'Content-Disposition': a filename without filename* "
		"must be printable ASCII without a backslash; send filename*=UTF-8''NAME, the name "
		"percent-encoded.",
};
// clang-format on

const char *content_disposition_message(enum disposition_verdict v)
{
	if ((size_t)v < sizeof messages / sizeof messages[0] && messages[v] != NULL)
		return messages[v];
	return "header 'Content-Disposition' is not acceptable.";
}
