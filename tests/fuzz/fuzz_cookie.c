/* fuzz_cookie.c — the session cookie on the web side: session_cookie_parse on arbitrary cookie
 * values, and session_cookie_format of what it accepts.
 *
 * Input: the cookie's value (a NUL-terminated copy). Checks beyond "no crash, no leak": a
 * refused value leaves the outputs alone; an accepted one is exactly a token's length of
 * base64url, copied whole; the Set-Cookie made from it names the same token (read back, it
 * parses to the same hash), carries every attribute, holds no byte that could end a header, and
 * is refused rather than cut short when the buffer is too small.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/session_cookie.h"
#include "fuzz_util.h"

#define ATTRIBUTES "; Path=/; HttpOnly; Secure; SameSite=Strict"

static bool base64url(const char *s, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	}
	return true;
}

/* Formats into a buffer of exactly CAP bytes (so that an overrun is caught). */
static bool format_exact(const char *token, int64_t max_age, size_t cap, char *out)
{
	char *buf = malloc(cap);
	if (buf == NULL)
		abort();
	memset(buf, 'Z', cap);
	bool ok = session_cookie_format(token, max_age, buf, cap);
	if (ok)
		memcpy(out, buf, strlen(buf) + 1);
	else
		check(cap == 0 || memchr(buf, '\0', cap) != NULL, "a refused format is terminated");
	free(buf);
	return ok;
}

static void check_set_cookie(const char *token, const struct token_hash *hash, int64_t max_age,
			     size_t small)
{
	char header[256], want[256];
	check(format_exact(token, max_age, sizeof header, header), "a token's cookie fits");
	snprintf(want, sizeof want, SESSION_COOKIE "=%s; Max-Age=%lld" ATTRIBUTES, token,
		 (long long)max_age);
	check(strcmp(header, want) == 0, "the cookie is the token with every attribute");
	check(strpbrk(header, "\r\n") == NULL, "no byte that ends a header");

	/* Read back: the value runs from '=' to the first ';'. */
	const char *value = header + strlen(SESSION_COOKIE "=");
	char back[TOKEN_TEXT_LEN + 2];
	size_t vlen = strcspn(value, ";");
	check(vlen == TOKEN_TEXT_LEN, "the value is the whole token");
	memcpy(back, value, vlen);
	back[vlen] = '\0';
	char token2[TOKEN_TEXT_LEN + 1];
	struct token_hash hash2;
	check(session_cookie_parse(back, token2, &hash2), "the cookie set reads back");
	check(memcmp(&hash2, hash, sizeof hash2) == 0, "to the same session");

	size_t len = strlen(header);
	check(!format_exact(token, max_age, small % (len + 1), header),
	      "a buffer too small is refused");
	check(format_exact(token, max_age, len + 1, header), "an exact buffer is enough");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);
	if (value == NULL)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';

	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash, untouched;
	memset(token, 'Q', sizeof token);
	memset(&hash, 0xa5, sizeof hash);
	untouched = hash;
	if (session_cookie_parse(value, token, &hash)) {
		check(strlen(value) == TOKEN_TEXT_LEN, "an accepted value is a token's length");
		check(base64url(value, TOKEN_TEXT_LEN), "an accepted value is base64url");
		check(memcmp(token, value, TOKEN_TEXT_LEN + 1) == 0, "the token is copied whole");
		struct token_hash again;
		check(token_hash_text(value, &again) && memcmp(&again, &hash, sizeof hash) == 0,
		      "the hash is the token's");
		int64_t max_age = size > 0 ? (int64_t)data[0] * 86400 : 0;
		check_set_cookie(token, &hash, max_age, size);
	} else {
		check(memcmp(&hash, &untouched, sizeof hash) == 0,
		      "a refusal leaves the hash alone");
		for (size_t i = 0; i < sizeof token; i++)
			check(token[i] == 'Q', "a refusal leaves the token alone");
	}

	char cleared[128];
	check(format_exact(NULL, 0, sizeof cleared, cleared), "the clearing cookie fits");
	check(strcmp(cleared, SESSION_COOKIE "=; Max-Age=0" ATTRIBUTES) == 0,
	      "the clearing cookie forgets the session");
	free(value);
	return 0;
}
