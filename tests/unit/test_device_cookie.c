/* test_device_cookie.c — the device cookie's value: made and read back; refused when tampered
 * with anywhere, made for another user, under another key, expired, or in any form but the
 * one (leading zeros, padding, non-canonical base64, stray bytes); and its Set-Cookie. */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "api/device_cookie.h"

static const int64_t NOW = 1700000000;
static const char USER[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
static const char OTHER[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

static void key_of(uint8_t key[DEVICE_KEY_BYTES], uint8_t fill)
{
	memset(key, fill, DEVICE_KEY_BYTES);
}

/* A cookie for USER under KEY, expiring at NOW + TTL. */
static void make(const uint8_t key[DEVICE_KEY_BYTES], const char *user, int64_t ttl,
		 char value[DEVICE_COOKIE_VALUE_MAX + 1], struct device_cookie *dc)
{
	assert_int_equal(device_cookie_make(key, user, NOW + ttl, value, dc), COFFER_OK);
}

static void test_made_and_read_back(void **state)
{
	(void)state;
	uint8_t key[DEVICE_KEY_BYTES];
	char value[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie made, read;
	key_of(key, 7);
	make(key, USER, DEVICE_COOKIE_TTL_S, value, &made);
	/* 1.USER.EXPIRES.NONCE.MAC, nothing else */
	char want[64];
	snprintf(want, sizeof want, "1.%s.%lld.", USER, (long long)(NOW + DEVICE_COOKIE_TTL_S));
	assert_memory_equal(value, want, strlen(want));
	assert_int_equal(strlen(value), strlen(want) + 22 + 1 + 43);
	assert_true(device_cookie_parse(key, value, NOW, &read));
	assert_string_equal(read.user_id, USER);
	assert_int_equal(read.expires_at, NOW + DEVICE_COOKIE_TTL_S);
	assert_memory_equal(read.nonce, made.nonce, DEVICE_NONCE_BYTES);
	/* Each cookie has its own nonce: its own failure count. */
	char again[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie second;
	make(key, USER, DEVICE_COOKIE_TTL_S, again, &second);
	assert_string_not_equal(value, again);
	assert_memory_not_equal(made.nonce, second.nonce, DEVICE_NONCE_BYTES);
}

static void test_any_tampering_is_refused(void **state)
{
	(void)state;
	uint8_t key[DEVICE_KEY_BYTES];
	char value[DEVICE_COOKIE_VALUE_MAX + 1], copy[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie dc, out;
	key_of(key, 9);
	make(key, USER, 3600, value, &dc);
	size_t len = strlen(value);
	/* Every character changed to every other base64url character or a dot: refused, and
	 * OUT untouched. */
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	for (size_t i = 0; i < len; i++) {
		for (const char *c = alphabet; *c != '\0'; c++) {
			if (*c == value[i])
				continue;
			memcpy(copy, value, len + 1);
			copy[i] = *c;
			memset(&out, 0xAA, sizeof out);
			if (device_cookie_parse(key, copy, NOW, &out))
				fail_msg("accepted with byte %zu changed to '%c': %s", i, *c, copy);
			for (size_t k = 0; k < sizeof out; k++)
				assert_int_equal(((uint8_t *)&out)[k], 0xAA);
		}
	}
}

static void test_another_user_key_or_time_is_refused(void **state)
{
	(void)state;
	uint8_t key[DEVICE_KEY_BYTES], other_key[DEVICE_KEY_BYTES];
	char value[DEVICE_COOKIE_VALUE_MAX + 1], swapped[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie dc, out;
	key_of(key, 1);
	key_of(other_key, 2);
	make(key, USER, 3600, value, &dc);
	/* Another key (another deployment): refused. */
	assert_false(device_cookie_parse(other_key, value, NOW, &out));
	/* The other user's id under this MAC: refused. */
	memcpy(swapped, value, sizeof swapped);
	memcpy(swapped + 2, OTHER, UUID_TEXT_LEN);
	assert_false(device_cookie_parse(key, swapped, NOW, &out));
	/* A later expiry under this MAC: refused. */
	memcpy(swapped, value, sizeof swapped);
	swapped[2 + UUID_TEXT_LEN + 1] = '9';
	assert_false(device_cookie_parse(key, swapped, NOW, &out));
	/* Expired: good until the second before its expiry, not at it. */
	assert_true(device_cookie_parse(key, value, NOW + 3599, &out));
	assert_false(device_cookie_parse(key, value, NOW + 3600, &out));
	assert_false(device_cookie_parse(key, value, NOW + 100000000, &out));
	/* The other user's own cookie reads as theirs (login.c then compares the user). */
	make(key, OTHER, 3600, swapped, &dc);
	assert_true(device_cookie_parse(key, swapped, NOW, &out));
	assert_string_equal(out.user_id, OTHER);
}

/* VALUE with its MAC made right for its signed part under KEY: only the form can refuse it. */
static void sign(const uint8_t key[DEVICE_KEY_BYTES], const char *signed_part, char *out,
		 size_t outlen)
{
	uint8_t mac[MAC_BYTES];
	char mac_text[64];
	assert_int_equal(mac_sha256(key, signed_part, strlen(signed_part), mac), COFFER_OK);
	sodium_bin2base64(mac_text, sizeof mac_text, mac, sizeof mac,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_true(snprintf(out, outlen, "%s.%s", signed_part, mac_text) < (int)outlen);
}

static void test_only_the_one_form_is_read(void **state)
{
	(void)state;
	uint8_t key[DEVICE_KEY_BYTES];
	char value[512];
	struct device_cookie out;
	key_of(key, 3);
	/* Well signed, well formed: accepted (the checks below differ in one thing each). */
	sign(key, "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAA", value,
	     sizeof value);
	assert_true(device_cookie_parse(key, value, NOW, &out));
	static const char *const bad[] = {
	    /* another version */
	    "2.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAA",
	    /* an upper-case or malformed user id */
	    "1.0F8FAD5B-D9CB-469F-A165-70867728950E.1800000000.AAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950.1800000000.AAAAAAAAAAAAAAAAAAAAAAA",
	    /* an expiry with a leading zero, a sign, a space, no digits, too many digits */
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.01800000000.AAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.+1800000000.AAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e. 1800000000.AAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e..AAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1000000000000.AAAAAAAAAAAAAAAAAAAAAA",
	    /* a nonce too short, too long, padded, with non-zero left-over bits, non-base64url */
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAAA",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAA==",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAB",
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAA+/",
	    /* a field too many */
	    "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAA.x",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		sign(key, bad[i], value, sizeof value);
		if (device_cookie_parse(key, value, NOW, &out))
			fail_msg("accepted: %s", value);
	}
	/* Nothing, short, long, stray bytes. */
	assert_false(device_cookie_parse(key, NULL, NOW, &out));
	assert_false(device_cookie_parse(key, "", NOW, &out));
	assert_false(device_cookie_parse(key, "1.", NOW, &out));
	sign(key, "1.0f8fad5b-d9cb-469f-a165-70867728950e.1800000000.AAAAAAAAAAAAAAAAAAAAAA", value,
	     sizeof value);
	char longer[600];
	snprintf(longer, sizeof longer, "%s=", value);
	assert_false(device_cookie_parse(key, longer, NOW, &out));
	snprintf(longer, sizeof longer, " %s", value);
	assert_false(device_cookie_parse(key, longer, NOW, &out));
	value[strlen(value) - 5] = (char)0xC3;
	assert_false(device_cookie_parse(key, value, NOW, &out));
}

static void test_making_refuses_bad_input(void **state)
{
	(void)state;
	uint8_t key[DEVICE_KEY_BYTES];
	char value[DEVICE_COOKIE_VALUE_MAX + 1];
	struct device_cookie dc;
	key_of(key, 4);
	assert_int_equal(device_cookie_make(key, "not-a-uuid", NOW, value, &dc),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(device_cookie_make(key, USER, 0, value, &dc), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(device_cookie_make(key, USER, 1000000000000LL, value, &dc),
			 COFFER_ERR_INVALID_INPUT);
	/* The longest expiry there is fits the longest value. */
	assert_int_equal(device_cookie_make(key, USER, 999999999999LL, value, &dc), COFFER_OK);
	assert_int_equal(strlen(value), DEVICE_COOKIE_VALUE_MAX);
	struct device_cookie out;
	assert_true(device_cookie_parse(key, value, NOW, &out));
}

static void test_set_cookie(void **state)
{
	(void)state;
	char header[256];
	assert_true(device_cookie_format("VALUE", DEVICE_COOKIE_TTL_S, header, sizeof header));
	assert_string_equal(header, "__Host-coffer_device=VALUE; Max-Age=15552000; "
				    "Path=/; HttpOnly; Secure; SameSite=Strict");
	assert_false(device_cookie_format("VALUE", 1, header, 20));
	/* The longest value fits the request's slot for it. */
	char value[DEVICE_COOKIE_VALUE_MAX + 1];
	memset(value, 'x', DEVICE_COOKIE_VALUE_MAX);
	value[DEVICE_COOKIE_VALUE_MAX] = '\0';
	struct request rq;
	assert_true(device_cookie_format(value, DEVICE_COOKIE_TTL_S, rq.set_cookie2,
					 sizeof rq.set_cookie2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_made_and_read_back),
	    cmocka_unit_test(test_any_tampering_is_refused),
	    cmocka_unit_test(test_another_user_key_or_time_is_refused),
	    cmocka_unit_test(test_only_the_one_form_is_read),
	    cmocka_unit_test(test_making_refuses_bad_input),
	    cmocka_unit_test(test_set_cookie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
