/* fuzz_framing.c — the framing checks (http/framing.h) on arbitrary header lists.
 *
 * Input: header lines separated by '\n', each cut at its first ':' into name and value, the
 * value's leading spaces and tabs dropped as libmicrohttpd does (a line without ':' is a name
 * with no value). Bytes are kept as they are, NUL included, and sizes passed alongside. The
 * verdict (accepted or refused) is checked against a plain reference that joins every
 * Transfer-Encoding into one list and reads it element by element.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "http/framing.h"

struct reference {
	bool bad;
	unsigned int hosts, lengths;
	bool te;
	char *codings; /* every Transfer-Encoding value, joined with ',' */
	size_t codings_len;
};

static bool ref_name_ok(const char *s, size_t n)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
				    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0' || memchr(tchar, s[i], sizeof tchar - 1) == NULL)
			return false;
	}
	return true;
}

static bool ref_value_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f || (c < 0x20 && c != '\t'))
			return false;
	}
	return true;
}

static bool ref_length_ok(const char *s, size_t n)
{
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static bool named(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

static void ref_add(struct reference *r, const char *name, size_t name_size, const char *value,
		    size_t value_size)
{
	if (!ref_name_ok(name, name_size) || !ref_value_ok(value, value_size)) {
		r->bad = true;
		return;
	}
	if (named(name, name_size, "Host"))
		r->hosts++;
	else if (named(name, name_size, "Content-Length")) {
		r->lengths++;
		r->bad |= !ref_length_ok(value, value_size);
	} else if (named(name, name_size, "Transfer-Encoding")) {
		char *more = realloc(r->codings, r->codings_len + value_size + 2);
		if (more == NULL)
			abort();
		r->codings = more;
		if (r->te)
			r->codings[r->codings_len++] = ',';
		memcpy(r->codings + r->codings_len, value, value_size);
		r->codings_len += value_size;
		r->codings[r->codings_len] = '\0';
		r->te = true;
	}
}

/* Exactly one element, "chunked" in any case, with only spaces and tabs around it. */
static bool ref_codings_ok(const struct reference *r)
{
	unsigned int n = 0;
	const char *p = r->codings, *end = r->codings + r->codings_len;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		const char *a = p;
		while (a < e && (*a == ' ' || *a == '\t'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!named(a, (size_t)(e - a), "chunked"))
			return false;
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return n == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct framing f;
	struct reference ref;
	memset(&ref, 0, sizeof ref);
	framing_start(&f);
	char *p = text, *end = text + size;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line_end = nl ? nl : end;
		*line_end = '\0';
		char *colon = memchr(p, ':', (size_t)(line_end - p));
		char *value = line_end;
		size_t name_size = (size_t)(line_end - p);
		if (colon != NULL) {
			*colon = '\0';
			name_size = (size_t)(colon - p);
			value = colon + 1;
			while (*value == ' ' || *value == '\t')
				value++;
		}
		size_t value_size = (size_t)(line_end - value);
		framing_add(&f, p, name_size, value, value_size);
		ref_add(&ref, p, name_size, value, value_size);
		p = line_end + 1;
	}
	bool want_ok = !ref.bad && ref.hosts <= 1 && ref.lengths <= 1 &&
		       !(ref.te && ref.lengths > 0) && (!ref.te || ref_codings_ok(&ref));
	const char *why = framing_verdict(&f);
	check((why == NULL) == want_ok, "framing_verdict agrees with the reference");
	free(ref.codings);
	free(text);
	return 0;
}
