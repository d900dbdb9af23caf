/* totp.h — time-based one-time passwords (RFC 6238) for the second sign-in factor: the secret,
 * its base32 and otpauth:// forms for authenticator apps, and the check of a code.
 *
 * Design points:
 * - The parameters are the ones every authenticator app supports and the otpauth:// URI states:
 *   HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch. SHA-1 is sound here:
 *   HOTP needs only HMAC's PRF property, which collisions do not touch (RFC 6238 §1.2).
 * - The codes come from liboath (oath-toolkit), never from our own HMAC; only the comparison is
 *   ours, so that it is constant-time (liboath compares with strcmp).
 * - Clock skew: a code is accepted from the step of NOW or one step either side, never ±2.
 * - Replay: a step's code is accepted at most once per user. The caller keeps the last step
 *   accepted (TOTP_STEP_NONE at enrolment) and stores the step totp_verify reports; a code is
 *   accepted only for a step strictly after it. So a code seen on the wire is useless once used,
 *   and a code for step s is refused after one for step s+1 (time does not run backwards).
 * - Every refusal of a code (malformed, wrong, replayed, too old) is the same
 *   COFFER_ERR_INVALID_CREDENTIALS, so the answer tells an attacker nothing about which.
 * - The secret is 160 bits (RFC 4226 §4's recommended length), shown as 32 base32 characters,
 *   upper case, without padding (20 bytes fill 32 characters exactly).
 */
#ifndef COFFER_TOTP_H
#define COFFER_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_BASE32_LEN	  32 /* 20 bytes = 160 bits = 32 five-bit characters */
#define TOTP_DIGITS	  6
#define TOTP_STEP_SECONDS 30
#define TOTP_WINDOW	  1    /* steps accepted either side of the current one */
#define TOTP_STEP_NONE	  (-1) /* LAST_USED_STEP of a user who has never signed in with a code */

/* otpauth://totp/coffer:EMAIL?secret=...&issuer=coffer&algorithm=SHA1&digits=6&period=30 with
 * every byte of an EMAIL_MAX-long email percent-encoded (3 characters each), plus the NUL. */
#define TOTP_URI_MAX 900

/* Fills SECRET with fresh random bytes (libsodium's RNG). */
void totp_secret_generate(uint8_t secret[TOTP_SECRET_BYTES]);

/* SECRET in base32 (RFC 4648 §6, upper case, no padding), NUL-terminated. Cannot fail. */
void totp_secret_base32(const uint8_t secret[TOTP_SECRET_BYTES], char out[TOTP_BASE32_LEN + 1]);

/* Whether CODE is exactly TOTP_DIGITS ASCII digits: no sign, no spaces, no more, no less.
 * NULL is not a code. */
COFFER_MUST_CHECK bool totp_code_valid(const char *code);

/* Accepts CODE if it is SECRET's code for the step of NOW (Unix seconds) or one step either side,
 * and that step is after LAST_USED_STEP (TOTP_STEP_NONE if none); sets *STEP to that step, which
 * the caller must store as the user's new last used step. If the code matches more than one such
 * step (two steps' codes collide one time in a million), the latest is taken: a step is never
 * left usable for a code that has been seen.
 * Returns COFFER_ERR_INVALID_CREDENTIALS for a malformed, wrong or replayed code (NULL included),
 * COFFER_ERR_INVALID_INPUT if NOW is negative or so large that the next step overflows, and
 * COFFER_ERR_CRYPTO if liboath fails. *STEP is set only on success. */
COFFER_MUST_CHECK enum coffer_err totp_verify(const uint8_t secret[TOTP_SECRET_BYTES],
					      const char *code, int64_t now, int64_t last_used_step,
					      int64_t *step);

/* The otpauth:// URI that enrols SECRET (as BASE32, from totp_secret_base32) for EMAIL in an
 * authenticator app, NUL-terminated in OUT (CAP bytes; TOTP_URI_MAX is always enough). EMAIL is
 * percent-encoded in the label: everything but RFC 3986's unreserved characters, so "a+b@x.org"
 * becomes "a%2Bb%40x.org" ('+' would otherwise read as a space in some apps).
 * Returns COFFER_ERR_INVALID_INPUT for an empty EMAIL or a BASE32 that is not 32 base32
 * characters, COFFER_ERR_TOO_LARGE if CAP is too small (OUT is then all zero).
 * The URI holds the secret: wipe OUT (sodium_memzero) once it is sent, and never log it. */
COFFER_MUST_CHECK enum coffer_err
totp_uri(const char *email, const char base32[TOTP_BASE32_LEN + 1], char *out, size_t cap);

#endif
