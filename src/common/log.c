/* log.c — JSON-lines logging to stderr, one writev(2) per line (log.h), with the small JSON
 * string writer the lines need. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/json_escape.h"
#include "common/timefmt.h"
#include "common/utf8.h"

#define MSG_MAX 1024 /* log_msg's message, with its NUL */

static volatile enum log_level min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
	min_level = level;
}

bool log_enabled(enum log_level level)
{
	return level >= min_level;
}

bool log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/* A line being built, in a buffer of CAP bytes; FULL once something did not fit. */
struct line {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > l->cap - l->len) {
		l->full = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* \uXXXX for the UTF-16 code unit UNIT, in upper-case hex. */
static void put_u_escape(struct line *l, unsigned int unit)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6] = {'\\', 'u'};
	for (int i = 0; i < 4; i++)
		esc[2 + i] = hex[unit >> (12 - 4 * i) & 15];
	put(l, esc, sizeof esc);
}

/* S as a JSON string as jansson writes it with JSON_ENSURE_ASCII: quoted, with '"', '\\' and
 * the control characters escaped, and everything beyond ASCII as \uXXXX (a surrogate pair above
 * U+FFFF). False, with part of it written, when S is not valid UTF-8. */
static bool put_string(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	put(l, "\"", 1);
	for (size_t left = strlen(s); left > 0; p += n, left -= n) {
		int32_t cp = utf8_next(p, left, &n);
		const char *esc = json_short_escape(cp);
		if (cp < 0) {
			return false;
		} else if (esc != NULL) {
			put(l, esc, 2);
		} else if (cp >= 0x20 && cp < 0x80) {
			put(l, (const char *)p, 1);
		} else if (cp < 0x10000) {
			put_u_escape(l, (unsigned int)cp);
		} else {
			put_u_escape(l, 0xd7c0u + ((unsigned int)cp >> 10));
			put_u_escape(l, 0xdc00u + ((unsigned int)cp & 0x3ffu));
		}
	}
	put(l, "\"", 1);
	return true;
}

/* "KEY":"VALUE", after a comma unless it is the first member; left out, as jansson leaves out
 * a string it cannot hold, when KEY or VALUE is not valid UTF-8. */
static void put_member(struct line *l, bool first, const char *key, const char *value)
{
	const struct line before = *l;
	if (!first)
		put(l, ",", 1);
	bool ok = put_string(l, key);
	put(l, ":", 1);
	if (!ok || !put_string(l, value))
		*l = before;
}

void log_line(enum log_level level, const char *event, const char *members, size_t len)
{
	char head[512], now[TIMEFMT_RFC3339_MS_LEN];
	static char comma[] = ",", close[] = "}\n";
	struct line l = {.buf = head, .cap = sizeof head};
	if (!log_enabled(level))
		return;
	timefmt_rfc3339_ms_now(now);
	put(&l, "{", 1);
	put_member(&l, true, "time", now);
	put_member(&l, false, "level", level_names[level]);
	put_member(&l, false, "event", event);
	if (l.full)
		return;
	/* One writev(2) per line: lines from concurrent threads do not interleave. MEMBERS is only
	 * read; iovec has no const. */
	struct iovec iov[4] = {
	    {head, l.len}, {comma, len > 0 ? 1 : 0}, {(void *)(uintptr_t)members, len}, {close, 2}};
	while (writev(STDERR_FILENO, iov, 4) < 0 && errno == EINTR)
		;
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	/* Escaped, a byte takes at most 6 ("\u001F"). */
	char msg[MSG_MAX], members[sizeof "\"msg\":\"\"" + 6 * MSG_MAX];
	struct line l = {.buf = members, .cap = sizeof members};
	va_list ap;
	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	put_member(&l, true, "msg", msg);
	log_line(level, event, members, l.full ? 0 : l.len);
}

/* F's buffer as a line under construction, and back: a field that does not fit leaves F as
 * it was. */
static void field_done(struct log_fields *f, const struct line *l)
{
	if (!l->full)
		f->len = l->len;
}

static void put_number(struct log_fields *f, const char *key, const char *text);

void log_field_str(struct log_fields *f, const char *key, const char *value)
{
	if (value == NULL) {
		put_number(f, key, "null");
		return;
	}
	struct line l = {.buf = f->buf, .cap = sizeof f->buf, .len = f->len};
	put_member(&l, f->len == 0, key, value);
	field_done(f, &l);
}

/* "KEY":TEXT, TEXT written as it is (a number, or null). */
static void put_number(struct log_fields *f, const char *key, const char *text)
{
	struct line l = {.buf = f->buf, .cap = sizeof f->buf, .len = f->len};
	if (f->len > 0)
		put(&l, ",", 1);
	if (!put_string(&l, key))
		return;
	put(&l, ":", 1);
	put(&l, text, strlen(text));
	field_done(f, &l);
}

void log_field_int(struct log_fields *f, const char *key, long long value)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", value);
	put_number(f, key, text);
}

void log_field_real(struct log_fields *f, const char *key, double value)
{
	char text[40];
	int n = snprintf(text, sizeof text, "%.6g", value);
	if (n <= 0 || (size_t)n >= sizeof text - 2)
		return;
	/* As jansson: a real that prints like an integer gets ".0", and an exponent loses its
	 * '+' and leading zeros (1.5e+08 is 1.5e8). */
	char *e = strchr(text, 'e');
	if (e == NULL && strchr(text, '.') == NULL) {
		memcpy(text + n, ".0", 3);
	} else if (e != NULL) {
		char *digits = e + 1 + (e[1] == '-');
		char *from = e[1] == '+' ? e + 2 : digits;
		while (*from == '0' && from[1] != '\0')
			from++;
		memmove(digits, from, strlen(from) + 1);
	}
	put_number(f, key, text);
}

void log_fields_emit(enum log_level level, const char *event, const struct log_fields *f)
{
	log_line(level, event, f->buf, f->len);
}
