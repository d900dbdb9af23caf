/* log.c — JSON-lines logging to stderr, one write(2) per line. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/timefmt.h"

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

/* One writev(2) per line: lines from concurrent threads do not interleave. */
static void write_line(char *text, size_t len)
{
	static char newline[] = "\n";
	struct iovec iov[2] = {{text, len}, {newline, 1}};
	while (writev(STDERR_FILENO, iov, 2) < 0 && errno == EINTR)
		;
}

void log_event(enum log_level level, const char *event, json_t *fields)
{
	if (!log_enabled(level)) {
		json_decref(fields);
		return;
	}
	json_t *line = json_object();
	char now[TIMEFMT_RFC3339_MS_LEN];
	if (line == NULL)
		goto out;
	timefmt_rfc3339_ms_now(now);
	json_object_set_new(line, "time", json_string(now));
	json_object_set_new(line, "level", json_string(level_names[level]));
	json_object_set_new(line, "event", json_string(event));
	if (fields != NULL)
		json_object_update(line, fields);
	/* JSON_ENSURE_ASCII keeps the line plain ASCII whatever a message holds. */
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
					  JSON_REAL_PRECISION(6));
	if (text != NULL) {
		write_line(text, strlen(text));
		free(text);
	}
out:
	json_decref(line);
	json_decref(fields);
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_event(level, event, json_pack("{s:s}", "msg", msg));
}
