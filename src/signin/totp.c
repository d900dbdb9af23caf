/* totp.c — RFC 6238 codes from liboath, checked in constant time with replay refusal (see
 * totp.h). */
#include "signin/totp.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "common/email.h"

/* The steps are multiplied back into time_t instants for oath_totp_generate. */
_Static_assert(sizeof(time_t) >= sizeof(int64_t), "time_t must hold 64-bit Unix times");

#define URI_PREFIX    "otpauth://totp/coffer:"
#define URI_SECRET    "?secret="
#define URI_SUFFIX    "&issuer=coffer&algorithm=SHA1&digits=6&period=30"
#define URI_FIXED_LEN (sizeof URI_PREFIX - 1 + sizeof URI_SECRET - 1 + sizeof URI_SUFFIX - 1)
/* The longest email, every byte percent-encoded, with the secret and the NUL. */
_Static_assert(URI_FIXED_LEN + 3 * EMAIL_MAX + TOTP_BASE32_LEN + 1 <= TOTP_URI_MAX,
	       "TOTP_URI_MAX too small for the longest email");

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* oath_init sets up liboath's crypto backend; it must run once before any other call, and
 * pthread_once makes the first call safe from any thread. */
static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = OATH_CRYPTO_ERROR;

static void init_oath(void)
{
	oath_init_rc = oath_init();
}

void totp_secret_generate(uint8_t secret[TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, TOTP_SECRET_BYTES);
}

/* One 5-bit value as its base32 character, without a table look-up or a branch on the secret
 * value (the same care libsodium takes in its base64): 'A'..'Z' for 0..25, '2'..'7' for 26..31. */
static char base32_char(unsigned int v)
{
	unsigned int above_z = (25u - v) >> 31; /* 1 if v > 25: the subtraction wraps */
	return (char)('A' + v - (above_z * ('A' + 26 - '2')));
}

void totp_secret_base32(const uint8_t secret[TOTP_SECRET_BYTES], char out[TOTP_BASE32_LEN + 1])
{
	_Static_assert(TOTP_SECRET_BYTES % 5 == 0 && TOTP_BASE32_LEN == TOTP_SECRET_BYTES / 5 * 8,
		       "whole 5-byte groups: no padding");
	/* Each 5 bytes (40 bits) become 8 characters of 5 bits each, most significant first. */
	for (size_t g = 0; g < TOTP_SECRET_BYTES / 5; g++) {
		uint64_t bits = 0;
		for (size_t i = 0; i < 5; i++)
			bits = (bits << 8) | secret[g * 5 + i];
		for (size_t i = 0; i < 8; i++)
			out[g * 8 + i] = base32_char((unsigned int)(bits >> (35 - 5 * i)) & 31u);
		sodium_memzero(&bits, sizeof bits);
	}
	out[TOTP_BASE32_LEN] = '\0';
}

bool totp_code_valid(const char *code)
{
	if (code == NULL)
		return false;
	for (size_t i = 0; i < TOTP_DIGITS; i++) {
		if (code[i] < '0' || code[i] > '9') /* also stops at the NUL of a short code */
			return false;
	}
	return code[TOTP_DIGITS] == '\0';
}

enum coffer_err totp_verify(const uint8_t secret[TOTP_SECRET_BYTES], const char *code, int64_t now,
			    int64_t last_used_step, int64_t *step)
{
	/* The latest candidate instant is at most NOW + TOTP_WINDOW steps: keep it in range. */
	if (now < 0 || now > INT64_MAX - TOTP_STEP_SECONDS * TOTP_WINDOW)
		return COFFER_ERR_INVALID_INPUT;
	if (!totp_code_valid(code))
		return COFFER_ERR_INVALID_CREDENTIALS;
	pthread_once(&oath_once, init_oath);
	if (oath_init_rc != OATH_OK)
		return COFFER_ERR_CRYPTO;

	/* We generate each candidate ourselves rather than call oath_totp_validate*: those stop at
	 * the first match (in the order s, s+1, s-1), compare with strcmp, and would look at step
	 * 2^64-1 as the step before step 0. Every candidate is generated and compared, matched or
	 * not, so the time taken does not depend on which step (if any) the code is for. */
	int64_t current = now / TOTP_STEP_SECONDS;
	int64_t matched = TOTP_STEP_NONE;
	enum coffer_err err = COFFER_OK;
	char expected[TOTP_DIGITS + 1];
	for (int64_t s = current - TOTP_WINDOW; s <= current + TOTP_WINDOW; s++) {
		if (s < 0) /* before the epoch: there is no such step */
			continue;
		if (oath_totp_generate((const char *)secret, TOTP_SECRET_BYTES,
				       (time_t)(s * TOTP_STEP_SECONDS), TOTP_STEP_SECONDS,
				       OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS,
				       expected) != OATH_OK) {
			err = COFFER_ERR_CRYPTO;
			break;
		}
		bool same = sodium_memcmp(expected, code, TOTP_DIGITS) == 0;
		/* Ascending order: a later matching step replaces an earlier one. */
		if (same && s > last_used_step)
			matched = s;
	}
	sodium_memzero(expected, sizeof expected);
	if (err != COFFER_OK)
		return err;
	if (matched == TOTP_STEP_NONE)
		return COFFER_ERR_INVALID_CREDENTIALS;
	*step = matched;
	return COFFER_OK;
}

/* Appends to OUT (CAP bytes) at *LEN, keeping room for the NUL; false if it does not fit. */
static bool append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (n >= cap - *len)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return true;
}

/* RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~" stand for themselves. */
static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static bool append_percent_encoded(char *out, size_t cap, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF"; /* RFC 3986 §2.1: upper case is preferred */
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		bool ok = unreserved(*p) ? append(out, cap, len, (const char *)p, 1)
					 : append(out, cap, len, enc, sizeof enc);
		if (!ok)
			return false;
	}
	return true;
}

enum coffer_err totp_uri(const char *email, const char base32[TOTP_BASE32_LEN + 1], char *out,
			 size_t cap)
{
	if (email == NULL || email[0] == '\0' || base32 == NULL ||
	    strnlen(base32, TOTP_BASE32_LEN + 1) != TOTP_BASE32_LEN ||
	    strspn(base32, base32_alphabet) != TOTP_BASE32_LEN)
		return COFFER_ERR_INVALID_INPUT;
	if (cap == 0)
		return COFFER_ERR_TOO_LARGE;
	size_t len = 0;
	out[0] = '\0';
	if (append(out, cap, &len, URI_PREFIX, sizeof URI_PREFIX - 1) &&
	    append_percent_encoded(out, cap, &len, email) &&
	    append(out, cap, &len, URI_SECRET, sizeof URI_SECRET - 1) &&
	    append(out, cap, &len, base32, TOTP_BASE32_LEN) &&
	    append(out, cap, &len, URI_SUFFIX, sizeof URI_SUFFIX - 1))
		return COFFER_OK;
	/* Part of the secret may have been written: wipe all of it, not just the first byte. */
	sodium_memzero(out, cap);
	return COFFER_ERR_TOO_LARGE;
}
