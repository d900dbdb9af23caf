/* utf8.c — decoding UTF-8 strictly, counting its characters, and finding the ones that
 * reorder it (utf8.h). */
#include "common/utf8.h"

/* The length of the UTF-8 sequence whose first byte is LEAD: 0 for a byte no sequence starts
 * with (a continuation byte, an overlong lead, a lead beyond U+10FFFF). */
static size_t utf8_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead < 0xc2)
		return 0;
	if (lead < 0xe0)
		return 2;
	if (lead < 0xf0)
		return 3;
	return lead < 0xf5 ? 4 : 0;
}

int32_t utf8_next(const unsigned char *s, size_t left, size_t *len)
{
	static const int32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
	static const unsigned char lead_bits[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	size_t n = utf8_length(s[0]);
	if (n == 0 || n > left)
		return -1;
	int32_t cp = s[0] & lead_bits[n];
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return cp;
}

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
