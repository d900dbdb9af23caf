/* log.h — structured logging: one JSON object per line on stderr.
 *
 * Design points:
 * - Each line is built whole and written with one writev(2), so lines from different threads
 *   never interleave.
 * - A line is {"time": …, "level": …, "event": …, then the fields}, compact and plain ASCII
 *   (anything else escaped as \uXXXX). log.c writes it without a JSON library, so that keyd,
 *   which logs with log_msg, calls none; log_event (the web process's) dumps its fields with
 *   jansson in log_event.c, and the request line (written for every request) is built with
 *   the log_field_* helpers, without a tree.
 * - Nothing here knows what is secret: callers must never pass a header value, cookie, token,
 *   password, key or content. Request logs carry the route pattern, never the raw path.
 */
#ifndef COFFER_LOG_H
#define COFFER_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

struct json_t; /* jansson's json_t */

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* Parses "debug", "info", "warn" or "error". Returns false for anything else. */
bool log_level_parse(const char *name, enum log_level *out);

/* Emits {"event": EVENT, "msg": printf(FMT, ...)}. A message that is not valid UTF-8 (or is
 * cut to 1023 bytes inside a character) is left out of the line. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Emits FIELDS (a JSON object, stolen; may be NULL), which must hold no "time", "level" or
 * "event". */
void log_event(enum log_level level, const char *event, struct json_t *fields);

/* Emits a line whose fields after time, level and event are the LEN bytes at MEMBERS: JSON
 * object members, encoded already ("a":1,"b":"x"), or none when LEN is 0. */
void log_line(enum log_level level, const char *event, const char *members, size_t len);

/* A line's fields built in place, for lines written on every request (no JSON tree, no heap):
 * strings escaped as log_msg's message is (one not valid UTF-8 is left out, as jansson leaves it
 * out), numbers as jansson writes them. Fields that do not fit in LOG_FIELDS_MAX are dropped
 * whole, never cut. */
#define LOG_FIELDS_MAX 1024
struct log_fields {
	char buf[LOG_FIELDS_MAX];
	size_t len;
};

/* VALUE NULL is written as null. */
void log_field_str(struct log_fields *f, const char *key, const char *value);
void log_field_int(struct log_fields *f, const char *key, long long value);
/* VALUE with 6 significant digits (jansson's JSON_REAL_PRECISION(6)), always as a real. */
void log_field_real(struct log_fields *f, const char *key, double value);
void log_fields_emit(enum log_level level, const char *event, const struct log_fields *f);

#endif
