/* device_cookie.c — making, reading and handing out device cookies (device_cookie.h). */
#include "api/device_cookie.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "common/log.h"
#include "common/timefmt.h"

#define NONCE_TEXT_LEN	  22 /* base64url of 16 bytes, no padding */
#define MAC_TEXT_LEN	  43 /* base64url of 32 bytes, no padding */
#define EXPIRES_MAX_LEN	  12
#define COOKIE_ATTRIBUTES "; Path=" DEVICE_COOKIE_PATH "; HttpOnly; Secure; SameSite=Strict"

/* Decodes exactly LEN characters of base64url at TEXT into exactly OUTLEN bytes. libsodium
 * refuses non-zero left-over bits, so each byte string has one text form. */
static bool b64url_exact(const char *text, size_t len, uint8_t *out, size_t outlen)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t got = 0;
	const char *end = NULL;
	/* The alphabet is checked here: libsodium 1.0.18 reads high bytes as '_'. */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0' || strchr(alphabet, text[i]) == NULL)
			return false;
	}
	return sodium_base642bin(out, outlen, text, len, NULL, &got, &end,
				 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	       got == outlen && end == text + len;
}

/* The signed part of a cookie: "1.USER_ID.EXPIRES.NONCE". Its length, or 0 when it does not
 * fit OUTLEN. */
static size_t signed_part(const char *user_id, int64_t expires_at,
			  const uint8_t nonce[DEVICE_NONCE_BYTES], char *out, size_t outlen)
{
	char nonce_text[NONCE_TEXT_LEN + 1];
	sodium_bin2base64(nonce_text, sizeof nonce_text, nonce, DEVICE_NONCE_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf(out, outlen, "1.%s.%lld.%s", user_id, (long long)expires_at, nonce_text);
	return n > 0 && (size_t)n < outlen ? (size_t)n : 0;
}

enum coffer_err device_cookie_make(const uint8_t key[DEVICE_KEY_BYTES], const char *user_id,
				   int64_t expires_at, char value[DEVICE_COOKIE_VALUE_MAX + 1],
				   struct device_cookie *out)
{
	struct device_cookie dc;
	uint8_t mac[MAC_BYTES];
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	if (!uuid_valid(user_id) || expires_at <= 0 || expires_at > 999999999999LL)
		goto out;
	memcpy(dc.user_id, user_id, sizeof dc.user_id);
	dc.expires_at = expires_at;
	randombytes_buf(dc.nonce, sizeof dc.nonce);
	size_t n = signed_part(user_id, expires_at, dc.nonce, value, DEVICE_COOKIE_VALUE_MAX + 1);
	if (n == 0 || n + 1 + MAC_TEXT_LEN > DEVICE_COOKIE_VALUE_MAX)
		goto out;
	if ((err = mac_sha256(key, value, n, mac)) != COFFER_OK)
		goto out;
	value[n] = '.';
	sodium_bin2base64(value + n + 1, MAC_TEXT_LEN + 1, mac, sizeof mac,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	*out = dc;
out:
	sodium_memzero(mac, sizeof mac);
	return err;
}

/* Reads the decimal expiry of LEN digits at S: no sign, no leading zero. */
static bool parse_expiry(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	if (len == 0 || len > EXPIRES_MAX_LEN || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0'); /* 12 digits fit an int64_t */
	}
	*out = v;
	return true;
}

bool device_cookie_parse(const uint8_t key[DEVICE_KEY_BYTES], const char *value, int64_t now,
			 struct device_cookie *out)
{
	struct device_cookie dc;
	uint8_t mac[MAC_BYTES];
	if (value == NULL)
		return false;
	size_t len = strnlen(value, DEVICE_COOKIE_VALUE_MAX + 1);
	/* The shortest form has a one-digit expiry. */
	if (len > DEVICE_COOKIE_VALUE_MAX ||
	    len < 2 + UUID_TEXT_LEN + 1 + 1 + 1 + NONCE_TEXT_LEN + 1 + MAC_TEXT_LEN)
		return false;
	/* The fixed parts first: the version, the user id, the MAC at the end. */
	const char *p = value;
	if (p[0] != '1' || p[1] != '.' || p[2 + UUID_TEXT_LEN] != '.')
		return false;
	memcpy(dc.user_id, p + 2, UUID_TEXT_LEN);
	dc.user_id[UUID_TEXT_LEN] = '\0';
	if (!uuid_valid(dc.user_id))
		return false;
	size_t signed_len = len - MAC_TEXT_LEN - 1;
	if (value[signed_len] != '.' ||
	    !b64url_exact(value + signed_len + 1, MAC_TEXT_LEN, mac, sizeof mac))
		return false;
	/* Between them: EXPIRES "." NONCE. */
	const char *exp = p + 2 + UUID_TEXT_LEN + 1;
	size_t exp_len = (size_t)(value + signed_len - exp);
	if (exp_len < 1 + 1 + NONCE_TEXT_LEN)
		return false;
	exp_len -= 1 + NONCE_TEXT_LEN;
	if (exp[exp_len] != '.' || !parse_expiry(exp, exp_len, &dc.expires_at) ||
	    !b64url_exact(exp + exp_len + 1, NONCE_TEXT_LEN, dc.nonce, sizeof dc.nonce))
		return false;
	/* Only now is the MAC checked (in constant time), and only then the expiry believed. */
	if (!mac_sha256_verify(key, value, signed_len, mac) || dc.expires_at <= now)
		return false;
	*out = dc;
	return true;
}

bool device_cookie_format(const char *value, int64_t max_age, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, DEVICE_COOKIE "=%s; Max-Age=%lld" COOKIE_ATTRIBUTES, value,
			 (long long)max_age);
	return n >= 0 && (size_t)n < outlen;
}

/* The deployment's device key, made on first use. */
static enum coffer_err device_key(struct request *rq, uint8_t key[DEVICE_KEY_BYTES])
{
	uint8_t fresh[DEVICE_KEY_BYTES];
	randombytes_buf(fresh, sizeof fresh);
	enum coffer_err err = store_device_key(rq->app->store, fresh, time_now(), key);
	sodium_memzero(fresh, sizeof fresh);
	return err;
}

bool device_cookie_of_request(struct request *rq, const char *user_id, struct device_cookie *out)
{
	uint8_t key[DEVICE_KEY_BYTES];
	struct device_cookie dc;
	const char *value = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, DEVICE_COOKIE);
	bool ok = false;
	if (value == NULL)
		return false;
	if (device_key(rq, key) != COFFER_OK) {
		log_msg(LOG_ERROR, "login", "request %s: could not read the device key", rq->id);
		goto out;
	}
	ok = device_cookie_parse(key, value, time_now(), &dc) && strcmp(dc.user_id, user_id) == 0;
	if (ok)
		*out = dc;
out:
	sodium_memzero(key, sizeof key);
	return ok;
}

void device_cookie_issue(struct request *rq, const char *user_id)
{
	uint8_t key[DEVICE_KEY_BYTES];
	char value[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie dc;
	enum coffer_err err = device_key(rq, key);
	if (err == COFFER_OK)
		err =
		    device_cookie_make(key, user_id, time_now() + DEVICE_COOKIE_TTL_S, value, &dc);
	if (err == COFFER_OK && !device_cookie_format(value, DEVICE_COOKIE_TTL_S, rq->set_cookie2,
						      sizeof rq->set_cookie2))
		err = COFFER_ERR_INTERNAL;
	if (err != COFFER_OK) {
		rq->set_cookie2[0] = '\0';
		log_msg(LOG_ERROR, "login", "request %s: could not make a device cookie", rq->id);
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(value, sizeof value);
}
