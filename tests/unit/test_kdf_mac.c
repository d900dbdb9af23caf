/* test_kdf_mac.c — crypto/kdf.h (HKDF-SHA256, no salt, info = label) and crypto/mac.h
 * (HMAC-SHA256 with a 32-byte key, constant-time verify): known answers computed outside this
 * code, label separation, and verification refusing any single flipped bit of tag or data. */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "crypto/kdf.h"
#include "crypto/mac.h"
#include "keyd/ticket.h"

static void hex_to(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 5869 appendix A.3: IKM = 22 × 0x0b, no salt, no info, L = 42. */
static void test_hkdf_rfc5869_case3(void **state)
{
	(void)state;
	uint8_t ikm[22], okm[42], want[42];
	memset(ikm, 0x0b, sizeof ikm);
	hex_to("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	       "9d201395faa4b61a96c8",
	       want, sizeof want);
	assert_int_equal(kdf_derive(ikm, sizeof ikm, "", okm, sizeof okm), COFFER_OK);
	assert_memory_equal(okm, want, sizeof want);
	/* A shorter output is a prefix of the longer one (HKDF-Expand's T(1) | T(2) ...). */
	uint8_t short_okm[20];
	assert_int_equal(kdf_derive(ikm, sizeof ikm, "", short_okm, sizeof short_okm), COFFER_OK);
	assert_memory_equal(short_okm, want, sizeof short_okm);
}

/* The ticket key label over IKM = 00 01 .. 1f, 32 bytes. Expected value made with Python's
 * hmac/hashlib (HKDF written out: PRK = HMAC(32 zero bytes, IKM), T(1) = HMAC(PRK, info | 01)):
 *   /usr/bin/python3 -c 'import hmac,hashlib; prk=hmac.new(bytes(32),bytes(range(32)),
 *     hashlib.sha256).digest(); print(hmac.new(prk,b"coffer/keyd/session-ticket/v1\x01",
 *     hashlib.sha256).hexdigest())' */
static void test_hkdf_ticket_label_known_answer(void **state)
{
	(void)state;
	uint8_t ikm[32], out[32], want[32];
	for (size_t i = 0; i < sizeof ikm; i++)
		ikm[i] = (uint8_t)i;
	hex_to("9b8a9e7298d5b23da4b4dddab3331501870baecbc60cdc74204845e5375b4c2e", want,
	       sizeof want);
	assert_string_equal(TICKET_KEY_LABEL, "coffer/keyd/session-ticket/v1");
	assert_int_equal(kdf_derive(ikm, sizeof ikm, TICKET_KEY_LABEL, out, sizeof out), COFFER_OK);
	assert_memory_equal(out, want, sizeof want);
}

static void test_hkdf_labels_and_keys_separate(void **state)
{
	(void)state;
	static const char *const labels[] = {
	    "",
	    "a",
	    "b",
	    "coffer/keyd/session-ticket/v1",
	    "coffer/keyd/session-ticket/v2",
	    "coffer/keyd/session-ticket/v1 ",
	};
	uint8_t ikm[32], out[ARRAY_LEN(labels)][32], again[32];
	randombytes_buf(ikm, sizeof ikm);
	for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
		assert_int_equal(kdf_derive(ikm, sizeof ikm, labels[i], out[i], 32), COFFER_OK);
		/* Deterministic. */
		assert_int_equal(kdf_derive(ikm, sizeof ikm, labels[i], again, 32), COFFER_OK);
		assert_memory_equal(again, out[i], 32);
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(out[i], out[j], 32);
	}
	/* Another key, same label: another output. */
	ikm[31] ^= 1;
	assert_int_equal(kdf_derive(ikm, sizeof ikm, labels[3], again, 32), COFFER_OK);
	assert_memory_not_equal(again, out[3], 32);
}

static void test_hkdf_output_too_long_refused(void **state)
{
	(void)state;
	/* HKDF-SHA256 gives at most 255 × 32 bytes; asking more fails and leaves zeros. */
	static uint8_t out[255 * 32 + 1];
	uint8_t ikm[32] = {1};
	memset(out, 0xee, sizeof out);
	assert_int_equal(kdf_derive(ikm, sizeof ikm, "x", out, sizeof out), COFFER_ERR_CRYPTO);
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(kdf_derive(ikm, sizeof ikm, "x", out, sizeof out - 1), COFFER_OK);
}

/* HMAC-SHA256 known answers. The first two are RFC 4231 test cases 1 and 2 (HMAC pads a short
 * key with zeros to the block size, so those keys padded to 32 bytes give the same MAC). The
 * rest were made with Python's hmac/hashlib:
 *   /usr/bin/python3 -c 'import hmac,hashlib; print(hmac.new(bytes(range(32)), DATA,
 *     hashlib.sha256).hexdigest())'
 * with DATA = b"", b"coffer", b"The quick brown fox jumps over the lazy dog", bytes(range(256))*4;
 * and hmac.new(b"\xaa"*32, b"\xdd"*50, hashlib.sha256). */
static void test_hmac_known_answers(void **state)
{
	(void)state;
	static uint8_t long_data[1024];
	static uint8_t dd[50];
	for (size_t i = 0; i < sizeof long_data; i++)
		long_data[i] = (uint8_t)i;
	memset(dd, 0xdd, sizeof dd);
	static const char quick[] = "The quick brown fox jumps over the lazy dog";
	static const struct {
		int key; /* 0: RFC 4231 #1, 1: #2, 2: 00..1f, 3: 32 × aa */
		const void *data;
		size_t len;
		const char *mac;
	} cases[] = {
	    {0, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {1, "what do ya want for nothing?", 28,
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {2, "", 0, "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb"},
	    {2, "coffer", 6, "f705eae0a0e783943a165fdc3b05d0ed3be95fb038959bf4d9b301230f47b5d5"},
	    {2, quick, sizeof quick - 1,
	     "f87ad256151fc7b4c5dffa4adb3ebe911a8eeb8a8ebdee3c2a4a8e5f5ec02c32"},
	    {2, long_data, sizeof long_data,
	     "b7461b582e6d4e287bcc2f9f853344bc3fcbf7dd4e5c87e4fab2b4fcd50c7c05"},
	    {3, dd, sizeof dd, "cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t key[MAC_KEY_BYTES] = {0}, tag[MAC_BYTES], want[MAC_BYTES];
		switch (cases[i].key) {
		case 0: memset(key, 0x0b, 20); break;
		case 1: memcpy(key, "Jefe", 4); break;
		case 2:
			for (size_t k = 0; k < sizeof key; k++)
				key[k] = (uint8_t)k;
			break;
		default: memset(key, 0xaa, sizeof key); break;
		}
		hex_to(cases[i].mac, want, sizeof want);
		assert_int_equal(mac_sha256(key, cases[i].data, cases[i].len, tag), COFFER_OK);
		assert_memory_equal(tag, want, MAC_BYTES);
		assert_true(mac_sha256_verify(key, cases[i].data, cases[i].len, want));
	}
}

static void test_hmac_verify_rejects_every_flipped_bit(void **state)
{
	(void)state;
	uint8_t key[MAC_KEY_BYTES], data[40], tag[MAC_BYTES];
	randombytes_buf(key, sizeof key);
	randombytes_buf(data, sizeof data);
	assert_int_equal(mac_sha256(key, data, sizeof data, tag), COFFER_OK);
	assert_true(mac_sha256_verify(key, data, sizeof data, tag));
	for (size_t bit = 0; bit < 8 * MAC_BYTES; bit++) {
		tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(mac_sha256_verify(key, data, sizeof data, tag));
		tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 8 * sizeof data; bit++) {
		data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(mac_sha256_verify(key, data, sizeof data, tag));
		data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 8 * MAC_KEY_BYTES; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(mac_sha256_verify(key, data, sizeof data, tag));
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Shorter or longer data under the same tag. */
	assert_false(mac_sha256_verify(key, data, sizeof data - 1, tag));
	assert_false(mac_sha256_verify(key, data, 0, tag));
	/* An all-zero tag (what a failed mac_sha256 leaves) never verifies. */
	const uint8_t zero[MAC_BYTES] = {0};
	assert_false(mac_sha256_verify(key, data, sizeof data, zero));
	/* Unchanged after all that. */
	assert_true(mac_sha256_verify(key, data, sizeof data, tag));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hkdf_rfc5869_case3),
	    cmocka_unit_test(test_hkdf_ticket_label_known_answer),
	    cmocka_unit_test(test_hkdf_labels_and_keys_separate),
	    cmocka_unit_test(test_hkdf_output_too_long_refused),
	    cmocka_unit_test(test_hmac_known_answers),
	    cmocka_unit_test(test_hmac_verify_rejects_every_flipped_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
