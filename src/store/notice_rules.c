/* notice_rules.c — the checks of notice_rules.h. */
#include "store/notice_rules.h"

#include <string.h>

#include "common/utf8.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)
#define SUBJECT_MAX_CHARS 254 /* the column's CHECK, in characters */

static bool kind_ok(const char *kind)
{
	size_t len = strlen(kind);
	if (len == 0 || len > STORE_NOTICE_KIND_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = kind[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0, n = 0; i < len; i += n) {
		if (utf8_next((const unsigned char *)s + i, len - i, &n) < 0)
			return false;
	}
	return true;
}

bool store_user_notice_valid(const struct user_notice *n)
{
	if (!TERMINATED(n->user_id) || !TERMINATED(n->kind) || !TERMINATED(n->subject) ||
	    !TERMINATED(n->detail) || !TERMINATED(n->address))
		return false;
	size_t subject_len = strlen(n->subject);
	return strlen(n->user_id) == STORE_ID_MAX && kind_ok(n->kind) &&
	       utf8_valid(n->subject, subject_len) &&
	       utf8_chars(n->subject, subject_len) <= SUBJECT_MAX_CHARS && n->created_at >= 0;
}
