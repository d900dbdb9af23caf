/* test_aead.c — AES-256-GCM: known answers from the GCM specification (McGrew & Viega, test
 * cases 13, 14 and 16), round trips, refusal of every kind of tampering, and OpenSSL allocation
 * failures (each one fails the call and leaves its output zeroed). */
#include "test_util.h"

#include <openssl/crypto.h>
#include <sodium.h>

#include "crypto/aead.h"

/* OpenSSL's allocator for this process: while fail_after >= 0, that many allocations succeed
 * and the next one fails. Installed in main, before OpenSSL allocates anything. */
static long fail_after = -1;

static bool fail_now(void)
{
	if (fail_after < 0)
		return false;
	if (fail_after == 0)
		return true;
	fail_after--;
	return false;
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now() ? NULL : malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now() ? NULL : realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t len = 0;
	assert_int_equal(sodium_hex2bin(out, max, hex, strlen(hex), NULL, &len, NULL), 0);
	return len;
}

struct kat {
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

// clang-format off
static const struct kat kats[] = {
	{"0000000000000000000000000000000000000000000000000000000000000000",
	 "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
	{"0000000000000000000000000000000000000000000000000000000000000000",
	 "000000000000000000000000", "", "00000000000000000000000000000000",
	 "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
	{"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	 "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e"
	 "2449a6b525b16aedf5aa0de657ba637b39",
	 "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b"
	 "1056828838c5f61e6393ba7a0abcc9f662",
	 "76fc6ece0f4e1768cddf8853bb2d551b"},
};
// clang-format on

static void test_known_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(kats); i++) {
		uint8_t key[32], iv[12], aad[64], pt[128], ct[128], tag[16];
		uint8_t out[128], out_tag[16], back[128];
		unhex(kats[i].key, key, sizeof key);
		unhex(kats[i].iv, iv, sizeof iv);
		size_t aad_len = unhex(kats[i].aad, aad, sizeof aad);
		size_t pt_len = unhex(kats[i].pt, pt, sizeof pt);
		size_t ct_len = unhex(kats[i].ct, ct, sizeof ct);
		unhex(kats[i].tag, tag, sizeof tag);
		assert_int_equal(pt_len, ct_len);
		assert_int_equal(
		    aead_seal_detached(key, iv, aad, aad_len, pt, pt_len, out, out_tag), COFFER_OK);
		assert_memory_equal(out, ct, ct_len);
		assert_memory_equal(out_tag, tag, 16);
		assert_int_equal(aead_open_detached(key, iv, aad, aad_len, ct, ct_len, tag, back),
				 COFFER_OK);
		assert_memory_equal(back, pt, pt_len);
	}
}

static void test_round_trip_and_fresh_nonces(void **state)
{
	(void)state;
	uint8_t key[32], msg[1000], a[1000 + AEAD_OVERHEAD], b[1000 + AEAD_OVERHEAD], back[1000];
	const uint8_t aad[] = "org=1|record|id=7|v=1|confidential";
	randombytes_buf(key, sizeof key);
	randombytes_buf(msg, sizeof msg);
	assert_int_equal(aead_seal(key, aad, sizeof aad, msg, sizeof msg, a), COFFER_OK);
	assert_int_equal(aead_seal(key, aad, sizeof aad, msg, sizeof msg, b), COFFER_OK);
	/* The same message twice: different nonces, so different ciphertexts. */
	assert_memory_not_equal(a, b, AEAD_NONCE_BYTES);
	assert_memory_not_equal(a + AEAD_NONCE_BYTES, b + AEAD_NONCE_BYTES, sizeof msg);
	assert_int_equal(aead_open(key, aad, sizeof aad, a, sizeof a, back), COFFER_OK);
	assert_memory_equal(back, msg, sizeof msg);
}

static void test_tampering_refused(void **state)
{
	(void)state;
	uint8_t key[32], other[32], msg[64], sealed[64 + AEAD_OVERHEAD], back[64];
	const uint8_t aad[] = "org=1|record|id=7|v=1|internal";
	const uint8_t aad2[] = "org=1|record|id=8|v=1|internal";
	randombytes_buf(key, sizeof key);
	randombytes_buf(other, sizeof other);
	memset(msg, 'x', sizeof msg);
	assert_int_equal(aead_seal(key, aad, sizeof aad, msg, sizeof msg, sealed), COFFER_OK);
	/* Every single-bit flip anywhere (nonce, ciphertext, tag) is caught. */
	for (size_t bit = 0; bit < sizeof sealed * 8; bit++) {
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(back, 0xAA, sizeof back);
		assert_int_equal(aead_open(key, aad, sizeof aad, sealed, sizeof sealed, back),
				 COFFER_ERR_CRYPTO);
		/* A failed open leaves no plaintext behind. */
		for (size_t i = 0; i < sizeof back; i++)
			assert_int_equal(back[i], 0);
		sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Another context (object id), another key, a truncated input: all refused. */
	assert_int_equal(aead_open(key, aad2, sizeof aad2, sealed, sizeof sealed, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(aead_open(other, aad, sizeof aad, sealed, sizeof sealed, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(aead_open(key, aad, sizeof aad, sealed, sizeof sealed - 1, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(aead_open(key, aad, sizeof aad, sealed, AEAD_OVERHEAD - 1, back),
			 COFFER_ERR_CRYPTO);
	/* And the untouched original still opens. */
	assert_int_equal(aead_open(key, aad, sizeof aad, sealed, sizeof sealed, back), COFFER_OK);
	assert_memory_equal(back, msg, sizeof msg);
}

/* Fails OpenSSL's first allocation, then its second, and so on until the call succeeds: every
 * failure, not only a bad tag, must leave the output zeroed (0xAA is written there first). */
static void test_allocation_failure_zeroes_output(void **state)
{
	(void)state;
	uint8_t key[32], msg[64], sealed[64 + AEAD_OVERHEAD], back[64];
	const uint8_t aad[] = "org=1|record|id=7|v=1|internal";
	randombytes_buf(key, sizeof key);
	memset(msg, 'x', sizeof msg);
	/* Also fetches the cipher, once, with nothing failing. */
	assert_int_equal(aead_seal(key, aad, sizeof aad, msg, sizeof msg, sealed), COFFER_OK);
	long failures = 0;
	enum coffer_err err = COFFER_ERR_CRYPTO;
	for (long n = 0; n < 1000 && err != COFFER_OK; n++) {
		memset(back, 0xAA, sizeof back);
		fail_after = n;
		err = aead_open(key, aad, sizeof aad, sealed, sizeof sealed, back);
		fail_after = -1;
		if (err != COFFER_OK) {
			failures++;
			assert_true(all_zero(back, sizeof back));
		}
	}
	assert_int_equal(err, COFFER_OK);
	assert_memory_equal(back, msg, sizeof msg);
	assert_true(failures > 0);
	/* Sealing the same way: a failed seal leaves neither ciphertext nor tag. */
	uint8_t out[64], tag[16];
	const uint8_t nonce[AEAD_NONCE_BYTES] = {0};
	err = COFFER_ERR_CRYPTO;
	for (long n = 0; n < 1000 && err != COFFER_OK; n++) {
		memset(out, 0xAA, sizeof out);
		memset(tag, 0xAA, sizeof tag);
		fail_after = n;
		err = aead_seal_detached(key, nonce, aad, sizeof aad, msg, sizeof msg, out, tag);
		fail_after = -1;
		if (err != COFFER_OK) {
			assert_true(all_zero(out, sizeof out));
			assert_true(all_zero(tag, sizeof tag));
		}
	}
	assert_int_equal(err, COFFER_OK);
}

int main(void)
{
	/* Refused once OpenSSL has allocated anything, so first. */
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1)
		return 1;
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_round_trip_and_fresh_nonces),
	    cmocka_unit_test(test_tampering_refused),
	    cmocka_unit_test(test_allocation_failure_zeroes_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
