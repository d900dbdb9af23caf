/* device_cookie.h — the device cookie: what a browser that once signed in to an account carries
 * so that a stranger's failed guesses at that account do not keep its owner out (OWASP's "Slow
 * Down Online Guessing Attacks with Device Cookies"; signin/throttle.h says what it buys).
 *
 * The value is "1.USER_ID.EXPIRES.NONCE.MAC": the user's id, the expiry (seconds since the
 * epoch, decimal), a 128-bit random nonce that names this cookie for its own failure count
 * (base64url) and HMAC-SHA256 of everything before the last dot under the deployment's device
 * key (base64url). It is handed out on every successful sign-in (a fresh nonce each time),
 * HttpOnly, Secure, SameSite=Strict; only the login route reads it.
 *
 * Design points:
 * - The key (store_device_key) lives in the system database, so every server checks the same
 *   cookies and a restart changes nothing. The web process can read it, so a compromised web
 *   process could forge cookies; a forged cookie buys only guesses, which signin/throttle.h
 *   bounds per account (THROTTLE_DEVICES_MAX). docs/SECURITY.md weighs the alternatives.
 * - The parser is strict (one form, every length fixed or bounded, no leading zeros) and checks
 *   the MAC in constant time before it believes any field. It never logs the value: a cookie is
 *   a credential of sorts, like the session token.
 */
#ifndef COFFER_API_DEVICE_COOKIE_H
#define COFFER_API_DEVICE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/uuid.h"
#include "crypto/mac.h"
#include "http/request.h"
#include "store/store.h"

/* __Host-: a browser takes the cookie only from a secure origin, for that host alone (no
 * Domain) and for the whole site (Path=/), so no other host or path can set one in its place. */
#define DEVICE_COOKIE	    "__Host-coffer_device"
#define DEVICE_COOKIE_TTL_S (180 * 86400)
#define DEVICE_COOKIE_PATH  "/"
#define DEVICE_NONCE_BYTES  STORE_DEVICE_ID_BYTES
#define DEVICE_KEY_BYTES    MAC_KEY_BYTES
/* "1." UUID "." up to 12 digits "." 22 "." 43, and the NUL */
#define DEVICE_COOKIE_VALUE_MAX (2 + UUID_TEXT_LEN + 1 + 12 + 1 + 22 + 1 + 43)

struct device_cookie {
	char user_id[UUID_TEXT_LEN + 1];
	int64_t expires_at;
	uint8_t nonce[DEVICE_NONCE_BYTES];
};

/* Makes a fresh cookie for USER_ID (a UUID) expiring at EXPIRES_AT, with a random nonce: its
 * value to VALUE (NUL-terminated) and its fields to OUT. */
COFFER_MUST_CHECK enum coffer_err device_cookie_make(const uint8_t key[DEVICE_KEY_BYTES],
						     const char *user_id, int64_t expires_at,
						     char value[DEVICE_COOKIE_VALUE_MAX + 1],
						     struct device_cookie *out);

/* Reads VALUE: true when it has exactly the form above, its MAC under KEY is right and it has
 * not expired at NOW; then its fields go to OUT (untouched otherwise). Pure: no I/O. */
bool device_cookie_parse(const uint8_t key[DEVICE_KEY_BYTES], const char *value, int64_t now,
			 struct device_cookie *out);

/* The Set-Cookie value that gives the browser VALUE for MAX_AGE seconds. False when OUTLEN is
 * too small. */
bool device_cookie_format(const char *value, int64_t max_age, char *out, size_t outlen);

/* The device cookie RQ carries for USER_ID, when it is a valid one: true, with its fields in
 * OUT. False when there is none, it is not valid or not USER_ID's, or the key cannot be read
 * (logged): the client is then untrusted, which is always safe. */
bool device_cookie_of_request(struct request *rq, const char *user_id, struct device_cookie *out);

/* Hands RQ's client a fresh device cookie for USER_ID (a second Set-Cookie beside the
 * session's). A failure is logged, not answered: the sign-in itself succeeded. */
void device_cookie_issue(struct request *rq, const char *user_id);

#endif
