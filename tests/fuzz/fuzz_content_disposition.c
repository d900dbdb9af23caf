/* fuzz_content_disposition.c — the upload's file name from Content-Disposition
 * (http/content_disposition.h) on arbitrary headers.
 *
 * Input: one byte choosing what the rest is, then the rest.
 * - 0: the whole header value. Whatever it is: a refusal writes nothing; a value longer than
 *   DISPOSITION_MAX is refused; an accepted name fits, ends in a NUL, holds none, is UTF-8,
 *   and, written back as filename*=UTF-8''<encoded>, is read
 *   back the same.
 * - 1: the value-chars of `attachment; filename*=UTF-8''<rest>`, judged against a plain
 *   reference decoder (attr-char or %HH, no %00, UTF-8 as jansson sees it, at most the cap).
 * - 2: a name, percent-encoded the way a client does it (every byte outside attr-char), in one
 *   of a few header shapes: accepted, and the same bytes, exactly when it is UTF-8 without a NUL
 *   and fits.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/content_disposition.h"

#define CAP 255 /* FILE_NAME_MAX: what files.c passes */

static bool ref_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

static int ref_hex(unsigned char c)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	const char *at = c != '\0' ? strchr(digits, c) : NULL;
	if (at == NULL)
		return -1;
	return at - digits < 16 ? (int)(at - digits) : (int)(at - digits) - 6;
}

/* Jansson's own check, independent of coffer's UTF-8 decoder. */
static bool ref_utf8(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	json_decref(j);
	return j != NULL;
}

/* NAME as filename*'s value-chars: every byte outside attr-char as %XX. OUT has room for
 * 3 * LEN + 1 bytes. */
static size_t encode(const char *name, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (ref_attr_char(c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, 4, "%%%02X", c);
	}
	out[n] = '\0';
	return n;
}

static enum disposition_verdict parse(const char *value, size_t len, char out[CAP + 1],
				      size_t *name_len)
{
	char before[CAP + 1];
	memset(out, 0x5a, CAP + 1);
	memcpy(before, out, sizeof before);
	*name_len = 4242;
	enum disposition_verdict v = content_disposition_filename(value, len, out, CAP, name_len);
	check(v >= DISPOSITION_OK && v <= DISPOSITION_AMBIGUOUS, "a verdict of the enum");
	check(content_disposition_message(v) != NULL, "every verdict has a message");
	if (v != DISPOSITION_OK) {
		check(*name_len == 4242 && memcmp(out, before, sizeof before) == 0,
		      "a refusal writes nothing");
		return v;
	}
	check(*name_len <= CAP, "the name fits");
	check(out[*name_len] == '\0', "the name ends in a NUL");
	check(memchr(out, '\0', *name_len) == NULL, "the name holds no NUL");
	return v;
}

/* Mode 0: anything at all. */
static void any_header(const char *value, size_t len)
{
	char out[CAP + 1], again[CAP + 1], header[64 + 3 * CAP];
	size_t n = 0, m = 0;
	enum disposition_verdict v = parse(value, len, out, &n);
	if (len > DISPOSITION_MAX)
		check(v == DISPOSITION_TOO_LONG, "an over-long header is refused");
	if (v != DISPOSITION_OK)
		return;
	/* filename* is checked as UTF-8; a filename alone is taken only as printable ASCII. */
	check(ref_utf8(out, n), "an accepted name is UTF-8");
	int k = snprintf(header, sizeof header, "attachment; filename*=UTF-8''");
	encode(out, n, header + k);
	check(parse(header, strlen(header), again, &m) == DISPOSITION_OK, "an accepted name, "
									  "encoded, is accepted");
	check(m == n && memcmp(again, out, n) == 0, "and read back the same");
}

/* Mode 1: the value-chars of a filename*, against the reference decoder. */
static void value_chars(const char *chars, size_t len)
{
	static const char prefix[] = "attachment; filename*=UTF-8''";
	if (memchr(chars, ' ', len) || memchr(chars, '\t', len) || memchr(chars, ';', len) ||
	    memchr(chars, '\0', len))
		return; /* those end the value, or the header: mode 0's business */
	size_t total = sizeof prefix - 1 + len;
	char *header = malloc(total), want[DISPOSITION_MAX], out[CAP + 1];
	if (header == NULL)
		abort();
	memcpy(header, prefix, sizeof prefix - 1);
	memcpy(header + sizeof prefix - 1, chars, len);

	enum disposition_verdict ref = DISPOSITION_OK;
	size_t w = 0;
	if (total > DISPOSITION_MAX)
		ref = DISPOSITION_TOO_LONG;
	for (size_t i = 0; ref == DISPOSITION_OK && i < len; i++) {
		unsigned char c = (unsigned char)chars[i];
		if (c == '%') {
			if (len - i < 3 || ref_hex((unsigned char)chars[i + 1]) < 0 ||
			    ref_hex((unsigned char)chars[i + 2]) < 0) {
				ref = DISPOSITION_BAD_ESCAPE;
				break;
			}
			c = (unsigned char)(ref_hex((unsigned char)chars[i + 1]) * 16 +
					    ref_hex((unsigned char)chars[i + 2]));
			i += 2;
			if (c == 0)
				ref = DISPOSITION_NUL;
		} else if (!ref_attr_char(c)) {
			ref = DISPOSITION_BAD_ESCAPE;
		}
		want[w++] = (char)c;
	}
	if (ref == DISPOSITION_OK && !ref_utf8(want, w))
		ref = DISPOSITION_NOT_UTF8;
	if (ref == DISPOSITION_OK && w > CAP)
		ref = DISPOSITION_NAME_TOO_LONG;

	size_t n = 0;
	enum disposition_verdict v = parse(header, total, out, &n);
	check(v == ref, "filename*'s value-chars are judged as the reference judges them");
	if (v == DISPOSITION_OK)
		check(n == w && memcmp(out, want, w) == 0, "and decoded as it decodes them");
	free(header);
}

/* Mode 2: a name as a client sends it. */
static void client_name(const char *name, size_t len, uint8_t shape)
{
	/* What comes before the encoded name, and after it. */
	static const char *const shapes[][2] = {
	    {"attachment; filename*=UTF-8''", ""},
	    {"Attachment;filename*=utf-8'en'", ""},
	    {"attachment; filename=\"fallback.bin\"; filename*=UTF-8''", ""},
	    {"attachment; filename*= UTF-8''", " ; filename=_"},
	};
	const char *const *around = shapes[shape % (sizeof shapes / sizeof shapes[0])];
	if (len > CAP + 8)
		return;
	char encoded[3 * (CAP + 8) + 1], header[3 * (CAP + 8) + 128], out[CAP + 1];
	encode(name, len, encoded);
	snprintf(header, sizeof header, "%s%s%s", around[0], encoded, around[1]);
	size_t n = 0;
	enum disposition_verdict v = parse(header, strlen(header), out, &n);
	bool nul = memchr(name, '\0', len) != NULL;
	bool want_ok = !nul && len <= CAP && ref_utf8(name, len);
	check((v == DISPOSITION_OK) == want_ok,
	      "a client's encoding is accepted exactly when the name is UTF-8, has no NUL, fits");
	if (nul)
		check(v == DISPOSITION_NUL, "an encoded NUL is named as one");
	if (v == DISPOSITION_OK)
		check(n == len && memcmp(out, name, len) == 0, "the name read is the name sent");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* A copy of exactly the rest, so that ASan sees any read past the length given. */
	size_t len = size - 1;
	char *rest = malloc(len > 0 ? len : 1);
	if (rest == NULL)
		return 0;
	memcpy(rest, data + 1, len);
	switch (data[0] % 3) {
	case 0: any_header(rest, len); break;
	case 1: value_chars(rest, len); break;
	default: client_name(rest, len, (uint8_t)(data[0] / 3)); break;
	}
	free(rest);
	return 0;
}
