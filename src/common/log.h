/* log.h — structured logging: one JSON object per line on stderr.
 *
 * Design points:
 * - Each line is built whole and written with one write(2), so lines from different threads
 *   never interleave.
 * - Nothing here knows what is secret: callers must never pass a header value, cookie, token,
 *   password, key or content. Request logs carry the route pattern, never the raw path.
 */
#ifndef COFFER_LOG_H
#define COFFER_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* Parses "debug", "info", "warn" or "error". Returns false for anything else. */
bool log_level_parse(const char *name, enum log_level *out);

/* Emits FIELDS (stolen; may be NULL) with "time", "level" and "event" added. */
void log_event(enum log_level level, const char *event, json_t *fields);

/* Emits {"event": EVENT, "msg": printf(FMT, ...)}. */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
