/* test_stream_vectors.c — the published test vectors of docs/FORMAT.md (made by the independent
 * Python implementation tests/vectors/stream_reference.py) against the C implementation. */
#include "test_util.h"

#include <sodium.h>

#include "crypto/keywrap.h"
#include "crypto/stream.h"

static const char ctx_hex[] = "636f666665722f6f626a6563742f763100056f72672d31000466696c65000666"
			      "696c652d310000000102";
static const char key_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t len = 0;
	assert_int_equal(sodium_hex2bin(out, max, hex, strlen(hex), NULL, &len, NULL), 0);
	return len;
}

static void test_context_encoding(void **state)
{
	(void)state;
	uint8_t want[KEYWRAP_AAD_MAX], got[KEYWRAP_AAD_MAX];
	size_t wlen = unhex(ctx_hex, want, sizeof want);
	const struct object_ctx ctx = {"org-1", "file", "file-1", 1, LEVEL_CONFIDENTIAL};
	assert_int_equal(keywrap_object_aad(&ctx, got), wlen);
	assert_memory_equal(got, want, wlen);
}

/* Opens a whole single-segment vector and compares the plaintext. */
static void check_vector(const char *sealed_hex, const uint8_t *plain, size_t plain_len)
{
	uint8_t key[32], ctx[KEYWRAP_AAD_MAX], sealed[512], out[512];
	struct stream_state s;
	unhex(key_hex, key, sizeof key);
	size_t ctx_len = unhex(ctx_hex, ctx, sizeof ctx);
	size_t len = unhex(sealed_hex, sealed, sizeof sealed);
	assert_int_equal(stream_open_init(&s, key, ctx, ctx_len, sealed), COFFER_OK);
	assert_int_equal(stream_open_segment(&s, sealed + STREAM_HEADER_BYTES,
					     len - STREAM_HEADER_BYTES, true, out),
			 COFFER_OK);
	assert_int_equal(len - STREAM_HEADER_BYTES - AEAD_TAG_BYTES, plain_len);
	assert_memory_equal(out, plain, plain_len);
	stream_wipe(&s);
}

static void test_single_segment_vectors(void **state)
{
	(void)state;
	check_vector("4346533100010000a0a1a2a3a4a5a6003a7319fe8ce0ac1362851a8466f2e0e2",
		     (const uint8_t *)"", 0);
	check_vector("4346533100010000a0a1a2a3a4a5a600140e2f78dd74c0b46616ac0fb9ebd82c68792"
		     "12a4596ccbdc4eb98fe569ada2c1515d8",
		     (const uint8_t *)"coffer test vector\n", 19);
}

/* The two-segment vector is published as its header and tags: seal the same plaintext the way
 * FORMAT.md describes and compare them, then open what was sealed with the stream code. */
static void test_two_segment_vector(void **state)
{
	(void)state;
	const size_t len = STREAM_SEGMENT_BYTES + 5;
	uint8_t key[32], ctx[KEYWRAP_AAD_MAX], header[STREAM_HEADER_BYTES], tag0[16], tag1[16];
	uint8_t aad[STREAM_HEADER_BYTES + KEYWRAP_AAD_MAX], nonce[12], t0[16], t1[16];
	uint8_t *plain = malloc(len), *sealed = malloc(len + 64), *back = malloc(len);
	unhex(key_hex, key, sizeof key);
	size_t ctx_len = unhex(ctx_hex, ctx, sizeof ctx);
	unhex("4346533100010000b0b1b2b3b4b5b600", header, sizeof header);
	unhex("fc4c928ab31556014aba68d720810ab5", tag0, sizeof tag0);
	unhex("56bbfa29385e03a476bf6b34efe0b188", tag1, sizeof tag1);
	for (size_t i = 0; i < len; i++)
		plain[i] = (uint8_t)(i % 251);
	memcpy(aad, header, STREAM_HEADER_BYTES);
	memcpy(aad + STREAM_HEADER_BYTES, ctx, ctx_len);
	/* nonce = prefix (header bytes 8..14) | counter (u32 BE) | last flag */
	memcpy(nonce, header + 8, 7);
	memset(nonce + 7, 0, 5);
	uint8_t *p = sealed;
	memcpy(p, header, STREAM_HEADER_BYTES);
	p += STREAM_HEADER_BYTES;
	assert_int_equal(aead_seal_detached(key, nonce, aad, STREAM_HEADER_BYTES + ctx_len, plain,
					    STREAM_SEGMENT_BYTES, p, t0),
			 COFFER_OK);
	assert_memory_equal(t0, tag0, 16);
	memcpy(p + STREAM_SEGMENT_BYTES, t0, 16);
	p += STREAM_SEALED_SEGMENT_BYTES;
	nonce[10] = 1; /* counter 1 */
	nonce[11] = 1; /* last */
	assert_int_equal(aead_seal_detached(key, nonce, aad, STREAM_HEADER_BYTES + ctx_len,
					    plain + STREAM_SEGMENT_BYTES, 5, p, t1),
			 COFFER_OK);
	assert_memory_equal(t1, tag1, 16);
	memcpy(p + 5, t1, 16);

	struct stream_state s;
	assert_int_equal(stream_open_init(&s, key, ctx, ctx_len, sealed), COFFER_OK);
	assert_int_equal(stream_open_segment(&s, sealed + STREAM_HEADER_BYTES,
					     STREAM_SEALED_SEGMENT_BYTES, false, back),
			 COFFER_OK);
	assert_int_equal(
	    stream_open_segment(&s, sealed + STREAM_HEADER_BYTES + STREAM_SEALED_SEGMENT_BYTES,
				5 + 16, true, back + STREAM_SEGMENT_BYTES),
	    COFFER_OK);
	assert_memory_equal(back, plain, len);
	stream_wipe(&s);
	free(plain);
	free(sealed);
	free(back);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_context_encoding),
	    cmocka_unit_test(test_single_segment_vectors),
	    cmocka_unit_test(test_two_segment_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
