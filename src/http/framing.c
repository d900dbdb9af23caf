/* framing.c — the checks on a request's framing fields (framing.h). */
#include "http/framing.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CONTENT_LENGTH_DIGITS_MAX 19 /* cannot overflow 64 bits */

void framing_start(struct framing *f)
{
	memset(f, 0, sizeof *f);
}

/* RFC 9110 §5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_tchar((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* RFC 9110 §5.5: field-value is VCHAR, obs-text, SP and HTAB; NUL, CR, LF and the other
 * controls are refused rather than replaced. */
static bool is_field_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool is_named(const char *name, size_t name_size, const char *want)
{
	return name_size == strlen(want) && strncasecmp(name, want, name_size) == 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Counts the codings of one Transfer-Encoding value (a comma-separated list); every one must be
 * "chunked", and an empty element is refused. */
static const char *take_codings(struct framing *f, const char *v, size_t n)
{
	size_t i = 0;
	for (;;) {
		while (i < n && is_ows(v[i]))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',' && !is_ows(v[i]))
			i++;
		size_t len = i - start;
		while (i < n && is_ows(v[i]))
			i++;
		if (len == 0 || (i < n && v[i] != ','))
			return "Transfer-Encoding is not a list of codings.";
		if (len != strlen("chunked") || strncasecmp(v + start, "chunked", len) != 0)
			return "Only the chunked transfer coding is accepted.";
		f->codings++;
		if (i == n)
			return NULL;
		i++; /* the comma */
	}
}

void framing_add(struct framing *f, const char *name, size_t name_size, const char *value,
		 size_t value_size)
{
	const char *why = NULL;
	if (value == NULL)
		value_size = 0;
	if (name == NULL || !is_token(name, name_size))
		why = "A header field name is not a token.";
	else if (value_size > 0 && !is_field_value(value, value_size))
		why = "A header field value holds a control character.";
	else if (is_named(name, name_size, "Host")) {
		if (++f->hosts > 1)
			why = "Host is given more than once.";
	} else if (is_named(name, name_size, "Content-Length")) {
		if (++f->content_length > 1)
			why = "Content-Length is given more than once.";
		else if (value_size == 0 || value_size > CONTENT_LENGTH_DIGITS_MAX ||
			 strspn(value, "0123456789") != value_size)
			why = "Content-Length is not a number.";
	} else if (is_named(name, name_size, "Transfer-Encoding")) {
		f->transfer_encoding = true;
		why = take_codings(f, value_size > 0 ? value : "", value_size);
		if (why == NULL && f->codings > 1)
			why = "The chunked transfer coding is given more than once.";
	}
	if (f->why == NULL)
		f->why = why;
}

const char *framing_verdict(const struct framing *f)
{
	if (f->why != NULL)
		return f->why;
	if (f->transfer_encoding && f->content_length > 0)
		return "Content-Length and Transfer-Encoding are both given.";
	return NULL;
}

static enum MHD_Result take(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
			    const char *value, size_t value_size)
{
	(void)kind;
	framing_add(cls, key, key_size, value, value_size);
	return MHD_YES;
}

bool framing_ok(struct request *rq)
{
	struct framing f;
	framing_start(&f);
	MHD_get_connection_values_n(rq->conn, MHD_HEADER_KIND, take, &f);
	const char *why = framing_verdict(&f);
	if (why != NULL)
		snprintf(rq->msg, sizeof rq->msg, "%s", why);
	return why == NULL;
}
