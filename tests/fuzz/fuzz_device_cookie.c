/* fuzz_device_cookie.c — the device cookie's parser, device_cookie_parse, on arbitrary values.
 *
 * Input: one mode byte, then the text. Mode even: the text is the cookie's value as a browser
 * would send it. Mode odd: the text is taken as the signed part and the right MAC under the
 * fuzzer's key is appended, so that the form checks behind the MAC are reached too (a random
 * MAC never is). Checks beyond "no crash, no leak": a refusal leaves the output alone; an
 * accepted value names a well-formed user id, has not expired, is refused under another key
 * and at its expiry, and is the one text form of its fields (made again from them it is
 * byte for byte the same); its Set-Cookie fits and holds no byte that could end a header.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/device_cookie.h"
#include "fuzz_util.h"

static const int64_t NOW = 1700000000;

/* The value of the cookie with D's fields under KEY, as device_cookie_make writes one. */
static void remake(const uint8_t key[DEVICE_KEY_BYTES], const struct device_cookie *d, char *out,
		   size_t outlen)
{
	char nonce[32], mac_text[64];
	uint8_t mac[MAC_BYTES];
	sodium_bin2base64(nonce, sizeof nonce, d->nonce, sizeof d->nonce,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf(out, outlen, "1.%s.%lld.%s", d->user_id, (long long)d->expires_at, nonce);
	check(n > 0 && (size_t)n < outlen, "the signed part fits");
	check(mac_sha256(key, out, (size_t)n, mac) == COFFER_OK, "the MAC is made");
	sodium_bin2base64(mac_text, sizeof mac_text, mac, sizeof mac,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	check(snprintf(out + n, outlen - (size_t)n, ".%s", mac_text) < (int)(outlen - (size_t)n),
	      "the value fits");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[DEVICE_KEY_BYTES], other[DEVICE_KEY_BYTES];
	memset(key, 0x5c, sizeof key);
	memset(other, 0x36, sizeof other);
	if (size == 0)
		return 0;
	bool sign = data[0] & 1;
	size_t len = size - 1;
	/* Room for the MAC a signed input gets; the parser reads the copy up to its NUL. */
	char *value = malloc(len + 1 + 64);
	if (value == NULL)
		return 0;
	memcpy(value, data + 1, len);
	value[len] = '\0';
	if (sign) {
		uint8_t mac[MAC_BYTES];
		size_t n = strlen(value);
		check(mac_sha256(key, value, n, mac) == COFFER_OK, "the MAC is made");
		value[n] = '.';
		sodium_bin2base64(value + n + 1, 44, mac, sizeof mac,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	}

	struct device_cookie out, untouched;
	memset(&out, 0xa5, sizeof out);
	untouched = out;
	if (device_cookie_parse(key, value, NOW, &out)) {
		check(uuid_valid(out.user_id), "an accepted cookie names a well-formed user id");
		check(out.expires_at > NOW, "an accepted cookie has not expired");
		char again[DEVICE_COOKIE_VALUE_MAX + 64];
		remake(key, &out, again, sizeof again);
		check(strcmp(again, value) == 0, "an accepted value is its fields' one text form");
		check(strlen(value) <= DEVICE_COOKIE_VALUE_MAX,
		      "an accepted value is not too long");
		struct device_cookie back;
		check(!device_cookie_parse(other, value, NOW, &back), "another key refuses it");
		check(!device_cookie_parse(key, value, out.expires_at, &back),
		      "it is refused at its expiry");
		char header[256];
		check(device_cookie_format(value, DEVICE_COOKIE_TTL_S, header, sizeof header),
		      "its Set-Cookie fits");
		check(strpbrk(header, "\r\n") == NULL, "no byte that ends a header");
	} else {
		check(memcmp(&out, &untouched, sizeof out) == 0,
		      "a refusal leaves the output alone");
	}
	free(value);
	return 0;
}
