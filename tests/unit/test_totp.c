/* test_totp.c — TOTP: RFC 6238 vectors, the ±1 step window, replay refusal, the strict code
 * form, base32 of the secret, the otpauth:// URI, and agreement with oathtool. */
#include "test_util.h"

#include <inttypes.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "signin/totp.h"

/* RFC 6238 Appendix B's SHA-1 seed: the ASCII string "12345678901234567890", 20 bytes. */
static const uint8_t rfc_secret[TOTP_SECRET_BYTES] = "12345678901234567890";

/* The reference code of SECRET for STEP, from liboath directly (as the test's own oracle). */
static void code_at(const uint8_t secret[TOTP_SECRET_BYTES], int64_t step,
		    char code[TOTP_DIGITS + 1])
{
	assert_int_equal(oath_totp_generate((const char *)secret, TOTP_SECRET_BYTES,
					    (time_t)(step * TOTP_STEP_SECONDS), TOTP_STEP_SECONDS,
					    0, TOTP_DIGITS, code),
			 OATH_OK);
}

/* totp_verify's answer, and the step it reports (-99 when it reports none). */
static enum coffer_err verify(const uint8_t secret[TOTP_SECRET_BYTES], const char *code,
			      int64_t now, int64_t last_used, int64_t *step)
{
	*step = -99;
	return totp_verify(secret, code, now, last_used, step);
}

/* RFC 6238 Appendix B, SHA-1 column: the last 6 digits of the 8-digit codes (dynamic truncation
 * takes the value modulo 10^digits, so the 6-digit code is the 8-digit one's tail). */
static void test_rfc6238_vectors(void **state)
{
	(void)state;
	static const struct {
		int64_t time;
		const char *code8;
	} cases[] = {
	    {59, "94287082"},	      {1111111109, "07081804"}, {1111111111, "14050471"},
	    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *code = cases[i].code8 + 2;
		int64_t step;
		if (verify(rfc_secret, code, cases[i].time, TOTP_STEP_NONE, &step) != COFFER_OK)
			fail_msg("vector %zu: %s at %" PRId64 " refused", i, code, cases[i].time);
		/* Matched for the step of TIME itself, not a neighbour. */
		assert_int_equal(step, cases[i].time / TOTP_STEP_SECONDS);
		/* The code with any one digit off is refused at that time: each digit counts. */
		for (size_t k = 0; k < TOTP_DIGITS; k++) {
			char wrong[TOTP_DIGITS + 1];
			memcpy(wrong, code, sizeof wrong);
			wrong[k] = (char)('0' + (wrong[k] - '0' + 1) % 10);
			assert_int_equal(
			    verify(rfc_secret, wrong, cases[i].time, TOTP_STEP_NONE, &step),
			    COFFER_ERR_INVALID_CREDENTIALS);
			assert_int_equal(step, -99);
		}
	}
}

/* Codes of steps s-1, s, s+1 are accepted at any instant of step s; s-2 and s+2 are not. */
static void test_window(void **state)
{
	(void)state;
	static const int64_t nows[] = {1111111111, 1700000000, 1700000010, 2000000000};
	for (size_t i = 0; i < ARRAY_LEN(nows); i++) {
		int64_t cur = nows[i] / TOTP_STEP_SECONDS;
		char codes[5][TOTP_DIGITS + 1]; /* steps cur-2 .. cur+2 */
		for (int k = 0; k < 5; k++)
			code_at(rfc_secret, cur - 2 + k, codes[k]);
		/* The ±2 refusals mean something only if those codes differ from the window's. */
		for (int k = 1; k < 4; k++) {
			assert_string_not_equal(codes[0], codes[k]);
			assert_string_not_equal(codes[4], codes[k]);
		}
		/* Both ends of step cur: its first and its last second. */
		int64_t instants[] = {cur * TOTP_STEP_SECONDS, cur * TOTP_STEP_SECONDS + 29};
		for (size_t t = 0; t < ARRAY_LEN(instants); t++) {
			int64_t step;
			for (int k = 1; k < 4; k++) {
				assert_int_equal(verify(rfc_secret, codes[k], instants[t],
							TOTP_STEP_NONE, &step),
						 COFFER_OK);
				assert_int_equal(step, cur - 2 + k);
			}
			assert_int_equal(
			    verify(rfc_secret, codes[0], instants[t], TOTP_STEP_NONE, &step),
			    COFFER_ERR_INVALID_CREDENTIALS);
			assert_int_equal(
			    verify(rfc_secret, codes[4], instants[t], TOTP_STEP_NONE, &step),
			    COFFER_ERR_INVALID_CREDENTIALS);
			assert_int_equal(step, -99);
		}
	}
}

/* Step 0 has no step before it; times outside 0..INT64_MAX-30 are refused as input errors. */
static void test_time_limits(void **state)
{
	(void)state;
	char c0[TOTP_DIGITS + 1], c1[TOTP_DIGITS + 1], c2[TOTP_DIGITS + 1];
	int64_t step;
	code_at(rfc_secret, 0, c0);
	code_at(rfc_secret, 1, c1);
	code_at(rfc_secret, 2, c2);
	for (int64_t now = 0; now < TOTP_STEP_SECONDS; now += 29) {
		assert_int_equal(verify(rfc_secret, c0, now, TOTP_STEP_NONE, &step), COFFER_OK);
		assert_int_equal(step, 0);
		assert_int_equal(verify(rfc_secret, c1, now, TOTP_STEP_NONE, &step), COFFER_OK);
		assert_int_equal(step, 1);
		assert_int_equal(verify(rfc_secret, c2, now, TOTP_STEP_NONE, &step),
				 COFFER_ERR_INVALID_CREDENTIALS);
	}
	assert_int_equal(verify(rfc_secret, c0, -1, TOTP_STEP_NONE, &step),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(verify(rfc_secret, c0, INT64_MIN, TOTP_STEP_NONE, &step),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(verify(rfc_secret, c0, INT64_MAX, TOTP_STEP_NONE, &step),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(
	    verify(rfc_secret, c0, INT64_MAX - TOTP_STEP_SECONDS + 1, TOTP_STEP_NONE, &step),
	    COFFER_ERR_INVALID_INPUT);
	assert_int_equal(step, -99);
	/* The latest time accepted still works, with its next step's code too (no overflow). */
	int64_t late = INT64_MAX - TOTP_STEP_SECONDS;
	char cl[TOTP_DIGITS + 1];
	code_at(rfc_secret, late / TOTP_STEP_SECONDS + 1, cl);
	assert_int_equal(verify(rfc_secret, cl, late, TOTP_STEP_NONE, &step), COFFER_OK);
	assert_int_equal(step, late / TOTP_STEP_SECONDS + 1);
}

/* Each step's code is accepted once: never for a step at or before the last one used. */
static void test_replay(void **state)
{
	(void)state;
	uint8_t secret[TOTP_SECRET_BYTES];
	totp_secret_generate(secret);
	const int64_t now = 1700000000;
	const int64_t s = now / TOTP_STEP_SECONDS;
	char prev[TOTP_DIGITS + 1], cur[TOTP_DIGITS + 1], next[TOTP_DIGITS + 1];
	code_at(secret, s - 1, prev);
	code_at(secret, s, cur);
	code_at(secret, s + 1, next);
	if (strcmp(prev, cur) == 0 || strcmp(cur, next) == 0 || strcmp(prev, next) == 0)
		skip(); /* a one-in-a-million collision of random codes: nothing to tell apart */

	int64_t step, last = TOTP_STEP_NONE;
	assert_int_equal(verify(secret, cur, now, last, &step), COFFER_OK);
	assert_int_equal(step, s);
	last = step;
	/* The same code again, in the same step or the next one: refused. */
	assert_int_equal(verify(secret, cur, now, last, &step), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(verify(secret, cur, now + TOTP_STEP_SECONDS, last, &step),
			 COFFER_ERR_INVALID_CREDENTIALS);
	/* An older code, though still in the window: refused. */
	assert_int_equal(verify(secret, prev, now, last, &step), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(step, -99);
	/* The next step's code (the user's clock runs ahead): accepted once... */
	assert_int_equal(verify(secret, next, now, last, &step), COFFER_OK);
	assert_int_equal(step, s + 1);
	last = step;
	assert_int_equal(verify(secret, next, now, last, &step), COFFER_ERR_INVALID_CREDENTIALS);
	/* ...after which the current step's code, never used itself, is refused too. */
	assert_int_equal(verify(secret, cur, now, last, &step), COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(verify(secret, cur, now + TOTP_STEP_SECONDS, last, &step),
			 COFFER_ERR_INVALID_CREDENTIALS);

	/* The boundary is strict: LAST_USED_STEP = s - 1 still lets step s in. */
	assert_int_equal(verify(secret, cur, now, s - 1, &step), COFFER_OK);
	assert_int_equal(step, s);
	assert_int_equal(verify(secret, cur, now, s, &step), COFFER_ERR_INVALID_CREDENTIALS);
	sodium_memzero(secret, sizeof secret);
}

/* Two adjacent steps can share a code. With the RFC seed, steps 57766335 and 57766336 (found by
 * search) both give 251166: the code is taken for the later step, so it cannot be replayed. */
static void test_collision_takes_latest(void **state)
{
	(void)state;
	const int64_t s = 57766335;
	char a[TOTP_DIGITS + 1], b[TOTP_DIGITS + 1];
	code_at(rfc_secret, s, a);
	code_at(rfc_secret, s + 1, b);
	assert_string_equal(a, "251166");
	assert_string_equal(b, "251166");

	int64_t step;
	for (int64_t now = s * TOTP_STEP_SECONDS; now < (s + 2) * TOTP_STEP_SECONDS; now += 29) {
		assert_int_equal(verify(rfc_secret, "251166", now, TOTP_STEP_NONE, &step),
				 COFFER_OK);
		assert_int_equal(step, s + 1);
		assert_int_equal(verify(rfc_secret, "251166", now, step, &step),
				 COFFER_ERR_INVALID_CREDENTIALS);
	}
	/* With step s + 1 out of the window, the code stands for step s alone. */
	assert_int_equal(
	    verify(rfc_secret, "251166", (s - 1) * TOTP_STEP_SECONDS, TOTP_STEP_NONE, &step),
	    COFFER_OK);
	assert_int_equal(step, s);
}

static void test_code_form(void **state)
{
	(void)state;
	static const char *const good[] = {"000000", "123456", "999999", "012345"};
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		assert_true(totp_code_valid(good[i]));
	static const char *const bad[] = {
	    "",
	    "1",
	    "12345",
	    "1234567",
	    "12345a",
	    "a12345",
	    " 123456",
	    "123456 ",
	    "+12345",
	    "-12345",
	    "12 345",
	    "123456\n",
	    "12345\n",
	    "\t12345",
	    "0x1234",
	    "12345\x7f",
	    "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc"
	    "\x96", /* full-width
		       123456 */
	    "123\xc3\xa9",
	    "1234567890",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (totp_code_valid(bad[i]))
			fail_msg("'%s' taken for a code", bad[i]);
	}
	assert_false(totp_code_valid(NULL));
}

/* A malformed code is refused even when it holds the right code: a prefix, a sign or space, a
 * trailing digit or newline. */
static void test_malformed_refused(void **state)
{
	(void)state;
	const int64_t now = 1234567890;
	char code[TOTP_DIGITS + 1];
	code_at(rfc_secret, now / TOTP_STEP_SECONDS, code);
	int64_t step;
	assert_int_equal(verify(rfc_secret, code, now, TOTP_STEP_NONE, &step), COFFER_OK);

	static const struct {
		const char *before;
		size_t take; /* digits of the code kept */
		const char *after;
	} cases[] = {
	    {"", 6, "7"}, {" ", 6, ""},	 {"", 6, " "},	{"+", 6, ""}, {"", 6, "\n"},
	    {"0", 6, ""}, {"", 5, ""},	 {"", 5, " "},	{"", 5, "x"}, {"", 0, ""},
	    {"-", 6, ""}, {"", 6, "\r"}, {"", 6, "\t"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[32];
		snprintf(text, sizeof text, "%s%.*s%s", cases[i].before, (int)cases[i].take, code,
			 cases[i].after);
		if (verify(rfc_secret, text, now, TOTP_STEP_NONE, &step) !=
		    COFFER_ERR_INVALID_CREDENTIALS)
			fail_msg("case %zu ('%s') not refused", i, text);
		assert_int_equal(step, -99);
	}
	assert_int_equal(verify(rfc_secret, NULL, now, TOTP_STEP_NONE, &step),
			 COFFER_ERR_INVALID_CREDENTIALS);
}

static void test_secret_generate(void **state)
{
	(void)state;
	uint8_t a[TOTP_SECRET_BYTES], b[TOTP_SECRET_BYTES];
	static const uint8_t zero[TOTP_SECRET_BYTES];
	totp_secret_generate(a);
	totp_secret_generate(b);
	assert_memory_not_equal(a, b, TOTP_SECRET_BYTES);
	assert_memory_not_equal(a, zero, TOTP_SECRET_BYTES);
}

/* RFC 4648 §10's vectors, adapted to 20 bytes: "fooba" encodes to "MZXW6YTB" on its own (5 bytes
 * are 8 whole characters), so four of it give four of that. */
static void test_base32_known(void **state)
{
	(void)state;
	static const struct {
		uint8_t bytes[TOTP_SECRET_BYTES];
		const char *base32;
	} cases[] = {
	    {"foobafoobafoobafooba", "MZXW6YTBMZXW6YTBMZXW6YTBMZXW6YTB"},
	    {"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
	    {{0}, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	     "77777777777777777777777777777777"},
	    {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
	     "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"},
	    /* The 5-bit values 0, 1, ..., 31 in order: every character of the alphabet once. */
	    {{0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf,
	      0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf},
	     "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[TOTP_BASE32_LEN + 2];
		memset(out, '#', sizeof out);
		totp_secret_base32(cases[i].bytes, out);
		assert_string_equal(out, cases[i].base32);
		assert_int_equal(out[TOTP_BASE32_LEN + 1], '#'); /* nothing written past the NUL */
	}
}

/* Random secrets: our encoding is liboath's (which pads, but 20 bytes need none) and decodes back
 * to the secret through liboath's decoder, the one oathtool uses. */
static void test_base32_liboath(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		uint8_t secret[TOTP_SECRET_BYTES];
		char ours[TOTP_BASE32_LEN + 1];
		totp_secret_generate(secret);
		totp_secret_base32(secret, ours);

		char *theirs = NULL, *back = NULL;
		size_t theirs_len = 0, back_len = 0;
		assert_int_equal(
		    oath_base32_encode((const char *)secret, sizeof secret, &theirs, &theirs_len),
		    OATH_OK);
		assert_int_equal(theirs_len, TOTP_BASE32_LEN);
		assert_string_equal(ours, theirs);
		assert_int_equal(oath_base32_decode(ours, TOTP_BASE32_LEN, &back, &back_len),
				 OATH_OK);
		assert_int_equal(back_len, TOTP_SECRET_BYTES);
		assert_memory_equal(back, secret, TOTP_SECRET_BYTES);
		free(theirs);
		free(back);
	}
}

#define B32    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define PARAMS "&issuer=coffer&algorithm=SHA1&digits=6&period=30"

static void test_uri(void **state)
{
	(void)state;
	static const struct {
		const char *email;
		const char *uri;
	} cases[] = {
	    {"alice@example.com", "otpauth://totp/coffer:alice%40example.com?secret=" B32 PARAMS},
	    {"a+b@example.com", "otpauth://totp/coffer:a%2Bb%40example.com?secret=" B32 PARAMS},
	    /* Unreserved characters stay; everything else is escaped, bytes above 0x7f too. */
	    {"A.z-0_9~@x.org", "otpauth://totp/coffer:A.z-0_9~%40x.org?secret=" B32 PARAMS},
	    {"o'brien&co=1?#/:%@x.org", "otpauth://totp/coffer:o%27brien%26co%3D1%3F%23%2F%3A%25"
					"%40x.org?secret=" B32 PARAMS},
	    {"j\xc3\xa9 x@x.org", "otpauth://totp/coffer:j%C3%A9%20x%40x.org?secret=" B32 PARAMS},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[TOTP_URI_MAX];
		assert_int_equal(totp_uri(cases[i].email, B32, out, sizeof out), COFFER_OK);
		assert_string_equal(out, cases[i].uri);

		/* A buffer of exactly the right size is enough; one byte less is not, and is
		 * left all zero (it held part of the secret). */
		size_t need = strlen(cases[i].uri) + 1;
		char *exact = malloc(need);
		assert_non_null(exact);
		assert_int_equal(totp_uri(cases[i].email, B32, exact, need), COFFER_OK);
		assert_string_equal(exact, cases[i].uri);
		memset(exact, 'x', need);
		assert_int_equal(totp_uri(cases[i].email, B32, exact, need - 1),
				 COFFER_ERR_TOO_LARGE);
		for (size_t k = 0; k < need - 1; k++)
			assert_int_equal(exact[k], 0);
		free(exact);
	}
	char out[TOTP_URI_MAX];
	assert_int_equal(totp_uri("a@b.c", B32, out, 0), COFFER_ERR_TOO_LARGE);
}

/* The URI's secret is the secret: decoded by liboath it gives back the 20 bytes. */
static void test_uri_secret_round_trip(void **state)
{
	(void)state;
	uint8_t secret[TOTP_SECRET_BYTES];
	char b32[TOTP_BASE32_LEN + 1], uri[TOTP_URI_MAX];
	totp_secret_generate(secret);
	totp_secret_base32(secret, b32);
	assert_int_equal(totp_uri("alice@example.com", b32, uri, sizeof uri), COFFER_OK);
	const char *p = strstr(uri, "?secret=");
	assert_non_null(p);
	p += strlen("?secret=");
	size_t n = strcspn(p, "&");
	assert_int_equal(n, TOTP_BASE32_LEN);
	char *back = NULL;
	size_t back_len = 0;
	assert_int_equal(oath_base32_decode(p, n, &back, &back_len), OATH_OK);
	assert_int_equal(back_len, TOTP_SECRET_BYTES);
	assert_memory_equal(back, secret, TOTP_SECRET_BYTES);
	free(back);
}

static void test_uri_refused(void **state)
{
	(void)state;
	char out[TOTP_URI_MAX];
	static const char *const bad_b32[] = {
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ",	 /* 31 */
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQA", /* 33 */
	    "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",	 /* lower case */
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ=",	 /* padding */
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",	 /* 1 is not base32 */
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ0",	 /* nor 0 */
	    "GEZDGNBVGY3TQOJQ&EZDGNBVGY3TQOJQ",	 /* would inject a parameter */
	    "",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad_b32); i++) {
		if (totp_uri("a@b.c", bad_b32[i], out, sizeof out) != COFFER_ERR_INVALID_INPUT)
			fail_msg("base32 '%s' accepted", bad_b32[i]);
	}
	assert_int_equal(totp_uri("", B32, out, sizeof out), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(totp_uri(NULL, B32, out, sizeof out), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(totp_uri("a@b.c", NULL, out, sizeof out), COFFER_ERR_INVALID_INPUT);

	/* TOTP_URI_MAX holds the longest email even when every byte must be escaped. */
	char email[254 + 1];
	memset(email, '+', sizeof email - 1);
	email[sizeof email - 1] = '\0';
	assert_int_equal(totp_uri(email, B32, out, sizeof out), COFFER_OK);
	assert_int_equal(strlen(out), strlen("otpauth://totp/coffer:") + 3 * 254 +
					  strlen("?secret=" B32 PARAMS));
}

/* An independent client: oathtool (oath-toolkit's command line) computes the code from the
 * base32 text, as an authenticator app would from the URI, and totp_verify accepts it. */
static void test_oathtool_agrees(void **state)
{
	(void)state;
	static const char oathtool[] = "/usr/bin/oathtool";
	if (access(oathtool, X_OK) != 0) {
		print_message("[   NOTE   ] %s not found (Debian package oathtool)\n", oathtool);
		skip();
	}
	uint8_t secret[TOTP_SECRET_BYTES];
	char b32[TOTP_BASE32_LEN + 1];
	totp_secret_generate(secret);
	totp_secret_base32(secret, b32);
	const int64_t instants[] = {
	    0, 59, 1111111109, 1234567890, (int64_t)time(NULL), 2000000000, 20000000000};
	for (size_t i = 0; i < ARRAY_LEN(instants); i++) {
		char cmd[256], line[64] = "";
		snprintf(cmd, sizeof cmd, "%s --totp -b %s --now '@%" PRId64 "'", oathtool, b32,
			 instants[i]);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		bool got = fgets(line, sizeof line, p) != NULL;
		assert_int_equal(pclose(p), 0);
		assert_true(got);
		line[strcspn(line, "\n")] = '\0';
		assert_true(totp_code_valid(line));
		int64_t step;
		if (verify(secret, line, instants[i], TOTP_STEP_NONE, &step) != COFFER_OK)
			fail_msg("oathtool's %s at @%" PRId64 " refused", line, instants[i]);
		assert_int_equal(step, instants[i] / TOTP_STEP_SECONDS);
	}
	/* The RFC seed through its base32 form gives the RFC's code. */
	char line[64] = "";
	FILE *p = popen("/usr/bin/oathtool --totp -b " B32 " --now '@59'", "r");
	assert_non_null(p);
	bool got = fgets(line, sizeof line, p) != NULL;
	assert_int_equal(pclose(p), 0);
	assert_true(got);
	assert_string_equal(line, "287082\n");
	sodium_memzero(secret, sizeof secret);
}

int main(void)
{
	/* The tests call liboath directly as their reference, before totp.c has initialised it. */
	if (sodium_init() < 0 || oath_init() != OATH_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc6238_vectors),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_time_limits),
	    cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_collision_takes_latest),
	    cmocka_unit_test(test_code_form),
	    cmocka_unit_test(test_malformed_refused),
	    cmocka_unit_test(test_secret_generate),
	    cmocka_unit_test(test_base32_known),
	    cmocka_unit_test(test_base32_liboath),
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_uri_secret_round_trip),
	    cmocka_unit_test(test_uri_refused),
	    cmocka_unit_test(test_oathtool_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
