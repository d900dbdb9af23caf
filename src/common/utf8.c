/* utf8.c — counting the characters of UTF-8 text, and finding the ones that reorder it
 * (utf8.h). */
#include "common/utf8.h"

size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

bool utf8_has_bidi_control(const char *s, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++) {
		const unsigned char *c = (const unsigned char *)s + i;
		if (c[0] != 0xe2)
			continue;
		if (c[1] == 0x80 && c[2] >= 0xaa && c[2] <= 0xae)
			return true; /* U+202A..U+202E: E2 80 AA..AE */
		if (c[1] == 0x81 && c[2] >= 0xa6 && c[2] <= 0xa9)
			return true; /* U+2066..U+2069: E2 81 A6..A9 */
	}
	return false;
}
