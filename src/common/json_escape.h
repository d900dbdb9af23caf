/* json_escape.h — the two-character escapes of JSON strings, as jansson writes them: shared by
 * the log lines (log.c) and the replies written straight (http/json_text.c), which both promise
 * jansson's text byte for byte. */
#ifndef COFFER_JSON_ESCAPE_H
#define COFFER_JSON_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/* The escape of code point C when JSON has a short one ("\n", "\""…), or NULL: other control
 * characters are written \u00XX. */
static inline const char *json_short_escape(int32_t c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

#endif
