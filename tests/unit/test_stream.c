/* test_stream.c — the segmented file format: round trips at every size boundary, and detection
 * of truncation, extension, reordering, splicing, bit flips and a wrong context. */
#include "test_util.h"

#include <sodium.h>

#include "crypto/stream.h"

#define SEG	   STREAM_SEGMENT_BYTES
#define SEALED_SEG STREAM_SEALED_SEGMENT_BYTES

static const uint8_t ctx_a[] = "org=o1|file|id=f1|v=1|confidential";
static const uint8_t ctx_b[] = "org=o1|file|id=f2|v=1|confidential";

/* Seals PLAIN into a new buffer laid out as stored: header, then the segments. */
static uint8_t *seal_all(const uint8_t key[32], const uint8_t *ctx, size_t ctx_len,
			 const uint8_t *plain, size_t len, size_t *out_len)
{
	struct stream_state s;
	size_t total = (size_t)stream_sealed_size(len);
	uint8_t *out = malloc(total);
	assert_non_null(out);
	assert_int_equal(stream_seal_init(&s, key, ctx, ctx_len, out), COFFER_OK);
	size_t pos = 0, w = STREAM_HEADER_BYTES;
	do {
		size_t n = len - pos > SEG ? SEG : len - pos;
		bool last = pos + n == len;
		/* A multiple of the segment size ends on a full last segment. */
		assert_int_equal(stream_seal_segment(&s, plain + pos, n, last, out + w), COFFER_OK);
		pos += n;
		w += n + AEAD_TAG_BYTES;
		if (last)
			break;
	} while (1);
	stream_wipe(&s);
	assert_int_equal(w, total);
	*out_len = total;
	return out;
}

/* Opens a stored stream the way a download does: segment by segment, `last` meaning nothing
 * follows in storage. Returns the plaintext bytes released before the first failure, and
 * whether the whole stream verified. */
static bool open_all(const uint8_t key[32], const uint8_t *ctx, size_t ctx_len,
		     const uint8_t *sealed, size_t len, uint8_t *plain, size_t *plain_len)
{
	struct stream_state s;
	*plain_len = 0;
	if (len < STREAM_HEADER_BYTES ||
	    stream_open_init(&s, key, ctx, ctx_len, sealed) != COFFER_OK)
		return false;
	size_t pos = STREAM_HEADER_BYTES;
	bool ok = false;
	for (;;) {
		size_t n = len - pos > SEALED_SEG ? SEALED_SEG : len - pos;
		bool last = pos + n == len;
		if (stream_open_segment(&s, sealed + pos, n, last, plain + *plain_len) != COFFER_OK)
			break;
		*plain_len += n - AEAD_TAG_BYTES;
		pos += n;
		if (last) {
			ok = true;
			break;
		}
	}
	stream_wipe(&s);
	return ok;
}

static void test_round_trip_sizes(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 17};
	uint8_t key[32];
	randombytes_buf(key, sizeof key);
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		size_t len = sizes[i], sealed_len, back_len;
		uint8_t *plain = malloc(len + 1), *back = malloc(len + SEG);
		randombytes_buf(plain, len);
		uint8_t *sealed = seal_all(key, ctx_a, sizeof ctx_a, plain, len, &sealed_len);
		assert_true(
		    open_all(key, ctx_a, sizeof ctx_a, sealed, sealed_len, back, &back_len));
		assert_int_equal(back_len, len);
		assert_memory_equal(back, plain, len);
		free(sealed);
		free(plain);
		free(back);
	}
}

static void test_tampering_detected(void **state)
{
	(void)state;
	const size_t len = 3 * SEG + 100;
	uint8_t key[32], *plain = malloc(len), *back = malloc(len + SEG);
	size_t sealed_len, back_len, other_len;
	randombytes_buf(key, sizeof key);
	randombytes_buf(plain, len);
	uint8_t *sealed = seal_all(key, ctx_a, sizeof ctx_a, plain, len, &sealed_len);
	uint8_t *copy = malloc(sealed_len + SEALED_SEG);

	/* Truncation at a segment boundary: the new last segment was not sealed as last. */
	size_t cut = STREAM_HEADER_BYTES + 2 * SEALED_SEG;
	assert_false(open_all(key, ctx_a, sizeof ctx_a, sealed, cut, back, &back_len));
	assert_int_equal(back_len, SEG); /* stops before the segment that fails */
	/* Truncation inside a segment. */
	assert_false(open_all(key, ctx_a, sizeof ctx_a, sealed, sealed_len - 1, back, &back_len));
	/* Extension: a copy of a segment appended after the last one. */
	memcpy(copy, sealed, sealed_len);
	memcpy(copy + sealed_len, sealed + STREAM_HEADER_BYTES, SEALED_SEG);
	assert_false(
	    open_all(key, ctx_a, sizeof ctx_a, copy, sealed_len + SEALED_SEG, back, &back_len));
	/* Reordering: segments 0 and 1 swapped. */
	memcpy(copy, sealed, sealed_len);
	memcpy(copy + STREAM_HEADER_BYTES, sealed + STREAM_HEADER_BYTES + SEALED_SEG, SEALED_SEG);
	memcpy(copy + STREAM_HEADER_BYTES + SEALED_SEG, sealed + STREAM_HEADER_BYTES, SEALED_SEG);
	assert_false(open_all(key, ctx_a, sizeof ctx_a, copy, sealed_len, back, &back_len));
	assert_int_equal(back_len, 0);
	/* A bit flip in the header, in a segment's body, in its tag. */
	const size_t flips[] = {9, STREAM_HEADER_BYTES + SEALED_SEG + 5,
				STREAM_HEADER_BYTES + SEALED_SEG - 1};
	for (size_t i = 0; i < ARRAY_LEN(flips); i++) {
		memcpy(copy, sealed, sealed_len);
		copy[flips[i]] ^= 0x01;
		assert_false(open_all(key, ctx_a, sizeof ctx_a, copy, sealed_len, back, &back_len));
	}
	/* Another object's context, another key. */
	assert_false(open_all(key, ctx_b, sizeof ctx_b, sealed, sealed_len, back, &back_len));
	uint8_t key2[32];
	randombytes_buf(key2, sizeof key2);
	assert_false(open_all(key2, ctx_a, sizeof ctx_a, sealed, sealed_len, back, &back_len));
	/* Splicing: segment 1 of another file sealed under the same key and context. */
	uint8_t *other = seal_all(key, ctx_a, sizeof ctx_a, plain, len, &other_len);
	memcpy(copy, sealed, sealed_len);
	memcpy(copy + STREAM_HEADER_BYTES + SEALED_SEG, other + STREAM_HEADER_BYTES + SEALED_SEG,
	       SEALED_SEG);
	assert_false(open_all(key, ctx_a, sizeof ctx_a, copy, sealed_len, back, &back_len));
	assert_int_equal(back_len, SEG);
	/* The original still opens whole. */
	assert_true(open_all(key, ctx_a, sizeof ctx_a, sealed, sealed_len, back, &back_len));
	assert_int_equal(back_len, len);
	free(other);
	free(copy);
	free(sealed);
	free(plain);
	free(back);
}

static void test_misuse_refused(void **state)
{
	(void)state;
	struct stream_state s;
	uint8_t key[32] = {0}, header[STREAM_HEADER_BYTES], in[SEG], out[SEALED_SEG];
	memset(in, 0, sizeof in);
	assert_int_equal(stream_seal_init(&s, key, ctx_a, sizeof ctx_a, header), COFFER_OK);
	/* A short segment that is not the last. */
	assert_int_equal(stream_seal_segment(&s, in, 10, false, out), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(stream_seal_segment(&s, in, 10, true, out), COFFER_OK);
	/* Nothing after the last segment. */
	assert_int_equal(stream_seal_segment(&s, in, 10, true, out), COFFER_ERR_INVALID_INPUT);
	stream_wipe(&s);
	/* A header with the wrong magic or segment size. */
	header[0] ^= 1;
	assert_int_equal(stream_open_init(&s, key, ctx_a, sizeof ctx_a, header), COFFER_ERR_CRYPTO);
	header[0] ^= 1;
	header[6] ^= 1;
	assert_int_equal(stream_open_init(&s, key, ctx_a, sizeof ctx_a, header), COFFER_ERR_CRYPTO);
	/* The size formula. */
	assert_int_equal(stream_sealed_size(0), STREAM_HEADER_BYTES + 16);
	assert_int_equal(stream_sealed_size(SEG), STREAM_HEADER_BYTES + SEG + 16);
	assert_int_equal(stream_sealed_size(SEG + 1), STREAM_HEADER_BYTES + SEG + 1 + 32);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_sizes),
	    cmocka_unit_test(test_tampering_detected),
	    cmocka_unit_test(test_misuse_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
