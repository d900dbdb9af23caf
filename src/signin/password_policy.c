/* password_policy.c — the password rules (see password_policy.h). */
#include "signin/password_policy.h"

#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "signin/common_passwords.h"

/* Punctuation means one of the 32 ASCII punctuation characters: a rule users can read and
 * satisfy on any keyboard. */
static bool has_punctuation(const char *s, size_t len)
{
	static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\0' && strchr(punct, s[i]) != NULL)
			return true;
	}
	return false;
}

unsigned int password_flaws(const struct password_rules *rules, const char *password, size_t len)
{
	unsigned int flaws = 0;
	size_t chars = utf8_chars(password, len);
	uint32_t min = rules->min_length < PASSWORD_MIN_LENGTH_FLOOR ? PASSWORD_MIN_LENGTH_FLOOR
								     : rules->min_length;
	if (chars < min)
		flaws |= PASSWORD_TOO_SHORT;
	if (chars > PASSWORD_MAX_CHARS || len > PASSWORD_MAX_BYTES)
		flaws |= PASSWORD_TOO_LONG;
	if (rules->require_punctuation && !has_punctuation(password, len))
		flaws |= PASSWORD_NEEDS_PUNCTUATION;
	if (rules->reject_common && common_password(password, len))
		flaws |= PASSWORD_COMMON;
	return flaws;
}

size_t password_flaws_message(unsigned int flaws, const struct password_rules *rules, char *out,
			      size_t cap)
{
	char parts[3][96];
	size_t n = 0;
	uint32_t min = rules->min_length < PASSWORD_MIN_LENGTH_FLOOR ? PASSWORD_MIN_LENGTH_FLOOR
								     : rules->min_length;
	if (flaws & PASSWORD_TOO_SHORT)
		snprintf(parts[n++], sizeof parts[0], "be at least %u characters long",
			 (unsigned int)min);
	if (flaws & PASSWORD_TOO_LONG)
		snprintf(parts[n++], sizeof parts[0], "be at most %d characters long",
			 PASSWORD_MAX_CHARS);
	if (flaws & PASSWORD_NEEDS_PUNCTUATION)
		snprintf(parts[n++], sizeof parts[0],
			 "contain a punctuation character (one of "
			 "!\"#$%%&'()*+,-./:;<=>?@[\\]^_`{|}~)");
	if (cap == 0)
		return 0;
	int w = 0;
	if (n == 0)
		w = snprintf(out, cap, "The password is acceptable.");
	else if (n == 1)
		w = snprintf(out, cap, "The password must %s.", parts[0]);
	else if (n == 2)
		w = snprintf(out, cap, "The password must %s and %s.", parts[0], parts[1]);
	else
		w = snprintf(out, cap, "The password must %s, %s and %s.", parts[0], parts[1],
			     parts[2]);
	return w < 0 ? 0 : ((size_t)w < cap ? (size_t)w : cap - 1);
}
