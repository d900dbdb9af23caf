/* log_event.c — log lines with fields a caller built as a jansson object (log.h): the web
 * process's request and event logs. keyd never calls this. */
#include "common/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void log_event(enum log_level level, const char *event, json_t *fields)
{
	char *text = NULL;
	if (!log_enabled(level))
		goto out;
	/* JSON_ENSURE_ASCII keeps the line plain ASCII whatever a field holds. */
	if (fields != NULL)
		text = json_dumps(fields, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(6));
	size_t len = text != NULL ? strlen(text) : 0;
	if (fields == NULL)
		log_line(level, event, NULL, 0);
	else if (len >= 2 && text[0] == '{') /* the members, without the braces */
		log_line(level, event, text + 1, len - 2);
out:
	free(text);
	json_decref(fields);
}
