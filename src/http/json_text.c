/* json_text.c — a reply's JSON written straight into a buffer (json_text.h). */
#include "http/json_text.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_escape.h"
#include "common/utf8.h"

#define FIRST_CAP 2048

/* Room for N more bytes (and the closing NUL): a larger buffer, the old one wiped. */
static bool reserve(struct json_text *t, size_t n)
{
	if (t->failed)
		return false;
	if (n < t->cap - t->len)
		return true;
	size_t cap = t->cap > 0 ? t->cap : FIRST_CAP;
	while (cap - t->len <= n) {
		if (cap > SIZE_MAX / 2) {
			t->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *buf = malloc(cap);
	if (buf == NULL) {
		t->failed = true;
		return false;
	}
	if (t->buf != NULL) {
		memcpy(buf, t->buf, t->len);
		sodium_memzero(t->buf, t->cap);
		free(t->buf);
	}
	t->buf = buf;
	t->cap = cap;
	return true;
}

static void put(struct json_text *t, const char *s, size_t n)
{
	if (!reserve(t, n))
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* The LEN bytes at S, quoted and escaped; false when they are not valid UTF-8. Runs of bytes
 * that need no escape are copied whole: a record's body is mostly such a run. */
static bool put_string(struct json_text *t, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	put(t, "\"", 1);
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && *p < 0x80 && !needs_escape(*p))
			p++;
		put(t, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			size_t n = 0;
			if (utf8_next(p, (size_t)(end - p), &n) < 0)
				return false;
			put(t, (const char *)p, n);
			p += n;
			continue;
		}
		const char *esc = json_short_escape(*p);
		if (esc != NULL) {
			put(t, esc, 2);
		} else {
			char u[7];
			snprintf(u, sizeof u, "\\u%04X", (unsigned int)*p);
			put(t, u, 6);
		}
		p++;
	}
	put(t, "\"", 1);
	return true;
}

void json_text_begin(struct json_text *t)
{
	*t = (struct json_text){.first = true};
	put(t, "{", 1);
}

static void put_key(struct json_text *t, const char *key)
{
	if (!t->first)
		put(t, ",", 1);
	t->first = false;
	put(t, "\"", 1);
	put(t, key, strlen(key));
	put(t, "\":", 2);
}

void json_text_str(struct json_text *t, const char *key, const char *value, size_t len)
{
	put_key(t, key);
	if (!put_string(t, value, len))
		t->failed = true;
}

void json_text_int(struct json_text *t, const char *key, int64_t value)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, value);
	put_key(t, key);
	put(t, num, (size_t)n);
}

void json_text_null(struct json_text *t, const char *key)
{
	put_key(t, key);
	put(t, "null", 4);
}

void json_text_array(struct json_text *t, const char *key)
{
	put_key(t, key);
	put(t, "[", 1);
	t->first = true;
}

void json_text_item(struct json_text *t)
{
	if (!t->first)
		put(t, ",", 1);
	put(t, "{", 1);
	t->first = true;
}

void json_text_item_end(struct json_text *t)
{
	put(t, "}", 1);
	t->first = false;
}

void json_text_array_end(struct json_text *t)
{
	put(t, "]", 1);
	t->first = false;
}

bool json_text_end(struct json_text *t)
{
	put(t, "}", 1);
	if (t->failed) {
		json_text_wipe(t);
		return false;
	}
	t->buf[t->len] = '\0'; /* reserve() keeps room for it */
	return true;
}

void json_text_wipe(struct json_text *t)
{
	if (t->buf != NULL) {
		sodium_memzero(t->buf, t->cap);
		free(t->buf);
	}
	*t = (struct json_text){.failed = true};
}
