/* email.c — a deliberately narrow email syntax: what real addresses use, nothing that could
 * confuse a log, a header or a URL. */
#include "common/email.h"

#include <ctype.h>
#include <string.h>

static bool valid_domain(const char *d)
{
	size_t label = 0, labels = 0;
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			labels++;
			label = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (label == 0 && *p == '-')
			return false;
		label++;
	}
	return labels >= 1;
}

bool email_normalize(const char *in, char out[EMAIL_MAX + 1])
{
	size_t len = strnlen(in, EMAIL_MAX + 1);
	if (len < 3 || len > EMAIL_MAX)
		return false;
	const char *at = strchr(in, '@');
	if (at == NULL || at == in || strchr(at + 1, '@') != NULL || (size_t)(at - in) > 64)
		return false;
	for (const char *p = in; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c) != NULL)
			return false;
	}
	if (in[0] == '.' || at[-1] == '.' || strstr(in, "..") != NULL)
		return false;
	if (!valid_domain(at + 1))
		return false;
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	return true;
}
