/* utf8.c — counting the characters of UTF-8 text (utf8.h). */
#include "common/utf8.h"

size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}
