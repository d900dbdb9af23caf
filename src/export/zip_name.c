/* zip_name.c — safe names for an archive's members (zip_name.h). */
#include "export/zip_name.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The longest extension kept whole when a name is cut. */
#define EXT_KEEP_MAX 16
/* The bytes of a name looked at, at most. */
#define INPUT_MAX 1024

/* The length of the valid UTF-8 sequence at S (at most LEFT bytes) and its code point, or 0
 * when it is not one (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2, v = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, v = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static bool refused(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return true; /* control characters */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return true; /* bidirectional formatting */
	return cp < 0x80 && strchr("/\\:*?\"<>|", (int)cp) != NULL;
}

/* The longest prefix of the LEN bytes at S (valid UTF-8) that ends at a character boundary
 * and is at most MAX bytes. */
static size_t cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Fits the safe name in BUF (LEN bytes, valid UTF-8) into ZIP_NAME_MAX, keeping a short
 * extension. */
static size_t shorten(char *buf, size_t len)
{
	if (len <= ZIP_NAME_MAX)
		return len;
	const char *dot = strrchr(buf, '.');
	size_t ext = dot != NULL ? len - (size_t)(dot - buf) : 0;
	if (ext > EXT_KEEP_MAX || ext == len)
		ext = 0;
	size_t stem = cut(buf, len - ext, ZIP_NAME_MAX - ext);
	memmove(buf + stem, buf + len - ext, ext);
	return stem + ext;
}

/* Appends the safe form of the LEN bytes at S to BUF at *N (each byte of input makes at most
 * one byte of output). */
static void append_safe(const unsigned char *s, size_t len, char *buf, size_t *n)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t k = utf8_seq(s + i, len - i, &cp);
		if (k == 0 || refused(cp)) {
			buf[(*n)++] = '_';
			i += k == 0 ? 1 : k;
			continue;
		}
		memcpy(buf + *n, s + i, k);
		*n += k;
		i += k;
	}
}

void zip_name_safe(const char *name, size_t len, char out[ZIP_NAME_MAX + 1])
{
	/* An uploaded name is at most 255 bytes; a longer input keeps its head and its tail (the
	 * extension), so the work buffer stays bounded. */
	char buf[INPUT_MAX + 1];
	size_t n = 0;
	const unsigned char *s = (const unsigned char *)name;
	if (len <= INPUT_MAX) {
		append_safe(s, len, buf, &n);
	} else {
		append_safe(s, INPUT_MAX - EXT_KEEP_MAX, buf, &n);
		append_safe(s + len - EXT_KEEP_MAX, EXT_KEEP_MAX, buf, &n);
	}
	buf[n] = '\0';
	bool dots_only = n > 0 && strspn(buf, ".") == n;
	if (dots_only)
		memset(buf, '_', n);
	if (n > 0 && buf[0] == ' ')
		buf[0] = '_';
	n = shorten(buf, n);
	buf[n] = '\0';
	if (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '.'))
		buf[n - 1] = '_';
	if (n == 0)
		snprintf(out, ZIP_NAME_MAX + 1, "unnamed");
	else
		memcpy(out, buf, n + 1);
}

void zip_name_variant(const char *safe, unsigned int n, char out[ZIP_NAME_VARIANT_MAX + 1])
{
	const char *dot = strrchr(safe, '.');
	if (dot == NULL || dot == safe)
		dot = safe + strlen(safe);
	snprintf(out, ZIP_NAME_VARIANT_MAX + 1, "%.*s (%u)%s", (int)(dot - safe), safe, n, dot);
}
