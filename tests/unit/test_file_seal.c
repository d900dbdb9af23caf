/* test_file_seal.c — files sealed and opened as streams: round trips for every size boundary and
 * many push sizes, the SHA-256 against OpenSSL's one-shot, the sealed size, reads of every size,
 * the published vectors of docs/FORMAT.md, and tampering (bit flips, truncation, extension,
 * reordering, splicing, wrong context, key or size) caught before any bad plaintext is released.
 */
#include "test_util.h"

#include <openssl/sha.h>
#include <sodium.h>

#include "crypto/file_seal.h"

#define SEG	   STREAM_SEGMENT_BYTES
#define SEALED_SEG STREAM_SEALED_SEGMENT_BYTES
#define WHOLE	   SIZE_MAX

static const uint8_t ctx_a[] = "org=o1|file|id=f1|v=1|confidential";
static const uint8_t ctx_b[] = "org=o1|file|id=f2|v=1|confidential";

/* --- a sink and a source in memory --------------------------------------------------------- */

struct mem_sink {
	uint8_t *data;
	size_t len, cap;
	size_t calls;
	size_t fail_after; /* calls that succeed before one fails; SIZE_MAX: never */
};

static enum coffer_err sink_append(void *ctx, const uint8_t *data, size_t len)
{
	struct mem_sink *m = ctx;
	if (m->calls++ >= m->fail_after)
		return COFFER_ERR_IO;
	if (m->len + len > m->cap) {
		size_t cap = (m->len + len) * 2;
		uint8_t *p = realloc(m->data, cap);
		assert_non_null(p);
		m->data = p;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return COFFER_OK;
}

struct mem_source {
	const uint8_t *data;
	size_t len;
	size_t reads;
	uint64_t last_offset;
	size_t last_len;
	size_t fail_at_read; /* the read (counted from 0) that fails; SIZE_MAX: none */
};

static enum coffer_err source_read(void *ctx, uint64_t offset, uint8_t *buf, size_t len)
{
	struct mem_source *m = ctx;
	if (m->reads++ == m->fail_at_read)
		return COFFER_ERR_IO;
	m->last_offset = offset;
	m->last_len = len;
	if (offset > m->len || len > m->len - offset)
		return COFFER_ERR_IO;
	memcpy(buf, m->data + offset, len);
	return COFFER_OK;
}

static struct mem_source source_of(const uint8_t *data, size_t len)
{
	struct mem_source m = {.data = data, .len = len, .fail_at_read = SIZE_MAX};
	return m;
}

/* --- helpers -------------------------------------------------------------------------------- */

static uint8_t *random_bytes(size_t len)
{
	uint8_t *p = malloc(len + 1);
	assert_non_null(p);
	randombytes_buf(p, len);
	return p;
}

/* Seals PLAIN pushed in pieces of PIECE bytes (WHOLE: one push); returns the sealed stream. */
static uint8_t *seal(const uint8_t key[32], const uint8_t *ctx, size_t ctx_len,
		     const uint8_t *plain, size_t len, size_t piece, size_t *sealed_len,
		     uint8_t sha[FILE_SHA256_BYTES])
{
	struct mem_sink m = {.fail_after = SIZE_MAX};
	struct file_sealer *s = NULL;
	uint8_t digest[FILE_SHA256_BYTES];
	uint64_t size = 0;
	assert_int_equal(file_sealer_new(key, ctx, ctx_len, sink_append, &m, &s), COFFER_OK);
	for (size_t pos = 0; pos < len;) {
		size_t n = len - pos < piece ? len - pos : piece;
		assert_int_equal(file_sealer_push(s, plain + pos, n), COFFER_OK);
		pos += n;
	}
	assert_int_equal(file_sealer_finish(s, digest, &size), COFFER_OK);
	file_sealer_free(s);
	assert_int_equal(size, len);
	if (sha != NULL)
		memcpy(sha, digest, sizeof digest);
	*sealed_len = m.len;
	return m.data;
}

/* Opens SEALED expecting PLAIN_SIZE bytes, reading MAX bytes at a time into OUT (which holds
 * PLAIN_SIZE bytes at least). Returns the first error (COFFER_OK when the end was reached);
 * *RELEASED is how many bytes were released before it. */
static enum coffer_err open_stream(const uint8_t key[32], const uint8_t *ctx, size_t ctx_len,
				   const uint8_t *sealed, size_t sealed_len, uint64_t plain_size,
				   size_t max, uint8_t *out, size_t *released)
{
	struct mem_source src = source_of(sealed, sealed_len);
	struct file_opener *o = NULL;
	uint8_t *buf = malloc(max);
	assert_non_null(buf);
	*released = 0;
	enum coffer_err err =
	    file_opener_new(key, ctx, ctx_len, source_read, &src, sealed_len, plain_size, &o);
	while (err == COFFER_OK) {
		size_t n = SIZE_MAX;
		err = file_opener_read(o, *released, buf, max, &n);
		if (err != COFFER_OK)
			break;
		assert_true(n <= max);
		assert_true(n <= SEG); /* one verified segment at a time */
		if (n == 0)
			break;
		assert_true(*released + n <= plain_size);
		memcpy(out + *released, buf, n);
		*released += n;
	}
	if (err == COFFER_OK) {
		/* The end stays the end. */
		size_t n = SIZE_MAX;
		assert_int_equal(file_opener_read(o, *released, buf, max, &n), COFFER_OK);
		assert_int_equal(n, 0);
	}
	file_opener_free(o);
	free(buf);
	return err;
}

/* A second decoder straight on stream.h, as a download in test_stream.c does: the sealer's
 * output must be the documented format, not only something its own opener accepts. */
static bool stream_decode(const uint8_t key[32], const uint8_t *ctx, size_t ctx_len,
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

static void from_hex(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned int b;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	*len = n;
}

/* --- tests ---------------------------------------------------------------------------------- */

static const size_t sizes[] = {0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 7};
static const size_t pieces[] = {1, 1000, SEG, 70000, WHOLE};

static void test_round_trip(void **state)
{
	(void)state;
	uint8_t key[32];
	randombytes_buf(key, sizeof key);
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		size_t len = sizes[i];
		uint8_t *plain = random_bytes(len), *back = malloc(len + SEG);
		uint8_t expect[SHA256_DIGEST_LENGTH];
		assert_non_null(back);
		SHA256(plain, len, expect);
		for (size_t j = 0; j < ARRAY_LEN(pieces); j++) {
			size_t sealed_len, back_len;
			uint8_t sha[FILE_SHA256_BYTES];
			print_message("size %zu, pieces of %zu\n", len, pieces[j]);
			uint8_t *sealed =
			    seal(key, ctx_a, sizeof ctx_a, plain, len, pieces[j], &sealed_len, sha);
			assert_int_equal(sealed_len, stream_sealed_size(len));
			assert_memory_equal(sha, expect, sizeof expect);
			memset(back, 0, len + 1);
			assert_int_equal(open_stream(key, ctx_a, sizeof ctx_a, sealed, sealed_len,
						     len, SEG, back, &back_len),
					 COFFER_OK);
			assert_int_equal(back_len, len);
			assert_memory_equal(back, plain, len);
			memset(back, 0, len + 1);
			assert_true(stream_decode(key, ctx_a, sizeof ctx_a, sealed, sealed_len,
						  back, &back_len));
			assert_int_equal(back_len, len);
			assert_memory_equal(back, plain, len);
			free(sealed);
		}
		free(plain);
		free(back);
	}
}

/* A full segment is held back until the next byte or the end says whether it is the last. */
static void test_sealer_holds_back_full_segment(void **state)
{
	(void)state;
	uint8_t key[32], sha[FILE_SHA256_BYTES], *plain = random_bytes(2 * SEG + 1);
	struct mem_sink m = {.fail_after = SIZE_MAX};
	struct file_sealer *s = NULL;
	uint64_t size;
	randombytes_buf(key, sizeof key);
	assert_int_equal(file_sealer_new(key, ctx_a, sizeof ctx_a, sink_append, &m, &s), COFFER_OK);
	assert_int_equal(m.len, STREAM_HEADER_BYTES); /* the header goes out at once */
	assert_int_equal(file_sealer_push(s, plain, SEG), COFFER_OK);
	assert_int_equal(m.len, STREAM_HEADER_BYTES);
	assert_int_equal(file_sealer_push(s, plain + SEG, 1), COFFER_OK);
	assert_int_equal(m.len, STREAM_HEADER_BYTES + SEALED_SEG);
	/* Two segments and one byte in one push: the first goes out, the rest is held. */
	assert_int_equal(file_sealer_push(s, plain + SEG + 1, SEG), COFFER_OK);
	assert_int_equal(m.len, STREAM_HEADER_BYTES + 2 * SEALED_SEG);
	assert_int_equal(file_sealer_finish(s, sha, &size), COFFER_OK);
	assert_int_equal(m.len, stream_sealed_size(2 * SEG + 1));
	assert_int_equal(size, 2 * SEG + 1);
	file_sealer_free(s);
	free(m.data);
	free(plain);
}

/* FIPS 180-2's "abc", pushed a byte at a time, and the empty string. */
static void test_sha256_known_answers(void **state)
{
	(void)state;
	static const char abc_hex[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char empty_hex[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	uint8_t key[32] = {0}, sha[FILE_SHA256_BYTES], expect[32];
	size_t sealed_len, n;
	uint8_t *sealed = seal(key, NULL, 0, (const uint8_t *)"abc", 3, 1, &sealed_len, sha);
	from_hex(abc_hex, expect, &n);
	assert_memory_equal(sha, expect, 32);
	free(sealed);
	sealed = seal(key, NULL, 0, (const uint8_t *)"", 0, WHOLE, &sealed_len, sha);
	from_hex(empty_hex, expect, &n);
	assert_memory_equal(sha, expect, 32);
	assert_int_equal(sealed_len, STREAM_HEADER_BYTES + AEAD_TAG_BYTES);
	free(sealed);
}

static void test_read_max_sizes(void **state)
{
	(void)state;
	static const size_t maxes[] = {1, 7, 1000, SEG - 1, SEG, SEG + 1, 200000, 1 << 20};
	const size_t len = 3 * SEG + 7;
	uint8_t key[32], *plain = random_bytes(len), *back = malloc(len);
	size_t sealed_len, back_len;
	assert_non_null(back);
	randombytes_buf(key, sizeof key);
	uint8_t *sealed = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &sealed_len, NULL);
	for (size_t i = 0; i < ARRAY_LEN(maxes); i++) {
		memset(back, 0, len);
		assert_int_equal(open_stream(key, ctx_a, sizeof ctx_a, sealed, sealed_len, len,
					     maxes[i], back, &back_len),
				 COFFER_OK);
		assert_int_equal(back_len, len);
		assert_memory_equal(back, plain, len);
	}
	free(sealed);
	free(back);
	free(plain);
}

/* The vectors of docs/FORMAT.md, made by an independent implementation. */
static void test_format_vectors(void **state)
{
	(void)state;
	static const char aad_hex[] = "636f666665722f6f626a6563742f763100056f72672d31000466696c6500"
				      "0666696c652d310000000102";
	static const char empty_hex[] =
	    "4346533100010000a0a1a2a3a4a5a6003a7319fe8ce0ac1362851a8466f2e0e2";
	static const char short_hex[] =
	    "4346533100010000a0a1a2a3a4a5a600140e2f78dd74c0b46616ac0fb9ebd82c6879212a4596ccbdc4eb98"
	    "fe569ada2c1515d8";
	uint8_t key[32], aad[64], sealed[128], back[64];
	size_t aad_len, sealed_len, back_len;
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)i;
	from_hex(aad_hex, aad, &aad_len);
	from_hex(short_hex, sealed, &sealed_len);
	assert_int_equal(
	    open_stream(key, aad, aad_len, sealed, sealed_len, 19, 64, back, &back_len), COFFER_OK);
	assert_int_equal(back_len, 19);
	assert_memory_equal(back, "coffer test vector\n", 19);
	/* A bit flipped in the tag: nothing released. */
	sealed[sealed_len - 1] ^= 0x80;
	assert_int_equal(
	    open_stream(key, aad, aad_len, sealed, sealed_len, 19, 64, back, &back_len),
	    COFFER_ERR_CRYPTO);
	assert_int_equal(back_len, 0);
	from_hex(empty_hex, sealed, &sealed_len);
	assert_int_equal(open_stream(key, aad, aad_len, sealed, sealed_len, 0, 64, back, &back_len),
			 COFFER_OK);
	assert_int_equal(back_len, 0);
	/* The end of an empty file is only reported once its one segment has verified. */
	sealed[20] ^= 1;
	assert_int_equal(open_stream(key, aad, aad_len, sealed, sealed_len, 0, 64, back, &back_len),
			 COFFER_ERR_CRYPTO);
}

/* A bit flipped in segment 2 of 4: segments 0 and 1 are released, the read of segment 2 fails,
 * and every later read fails too, wherever it asks. Both the copying path (small reads) and
 * the direct one (reads of a whole segment) are checked. */
static void test_bit_flip_middle_segment(void **state)
{
	(void)state;
	static const size_t maxes[] = {1000, SEG, 2 * SEG};
	const size_t len = 3 * SEG + 7;
	uint8_t key[32], *plain = random_bytes(len), *buf = malloc(2 * SEG);
	size_t sealed_len;
	assert_non_null(buf);
	randombytes_buf(key, sizeof key);
	uint8_t *sealed = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &sealed_len, NULL);
	sealed[STREAM_HEADER_BYTES + 2 * SEALED_SEG + 100] ^= 0x04;
	for (size_t i = 0; i < ARRAY_LEN(maxes); i++) {
		struct mem_source src = source_of(sealed, sealed_len);
		struct file_opener *o = NULL;
		uint64_t pos = 0;
		size_t n;
		assert_int_equal(file_opener_new(key, ctx_a, sizeof ctx_a, source_read, &src,
						 sealed_len, len, &o),
				 COFFER_OK);
		while (pos < 2 * SEG) {
			assert_int_equal(file_opener_read(o, pos, buf, maxes[i], &n), COFFER_OK);
			assert_true(n > 0);
			assert_memory_equal(buf, plain + pos, n);
			pos += n;
		}
		assert_int_equal(pos, 2 * SEG);
		memset(buf, 0xaa, 2 * SEG);
		assert_int_equal(file_opener_read(o, pos, buf, maxes[i], &n), COFFER_ERR_CRYPTO);
		/* Nothing of the bad segment is left in the caller's buffer. */
		size_t shown = maxes[i] < SEG ? maxes[i] : SEG;
		assert_memory_not_equal(buf, plain + pos, shown);
		for (size_t k = 0; k < shown; k++)
			assert_true(buf[k] == 0 || buf[k] == 0xaa);
		assert_int_equal(src.last_offset, STREAM_HEADER_BYTES + 2 * SEALED_SEG);
		size_t reads = src.reads;
		assert_int_equal(file_opener_read(o, pos, buf, maxes[i], &n), COFFER_ERR_CRYPTO);
		assert_int_equal(file_opener_read(o, pos, buf, maxes[i], &n), COFFER_ERR_CRYPTO);
		assert_int_equal(file_opener_read(o, 0, buf, maxes[i], &n), COFFER_ERR_CRYPTO);
		assert_int_equal(src.reads, reads); /* the source is not even asked */
		file_opener_free(o);
	}
	free(sealed);
	free(buf);
	free(plain);
}

/* Every way of rearranging a stream fails: SIZE_ERR for the sizes the opener is told, then
 * RELEASED bytes before the read that fails. */
struct tamper_case {
	const char *what;
	uint8_t *sealed;
	size_t sealed_len;
	uint64_t plain_size;
	const uint8_t *ctx;
	size_t ctx_len;
	const uint8_t *key;
	enum coffer_err new_err;
	size_t released; /* when new succeeds: bytes released before the failing read */
};

static void run_tamper_case(const struct tamper_case *c, const uint8_t *plain)
{
	struct mem_source src = source_of(c->sealed, c->sealed_len);
	struct file_opener *o = NULL;
	uint8_t *buf = malloc(SEG);
	uint64_t pos = 0;
	size_t n;
	enum coffer_err err;
	assert_non_null(buf);
	print_message("%s\n", c->what);
	err = file_opener_new(c->key, c->ctx, c->ctx_len, source_read, &src, c->sealed_len,
			      c->plain_size, &o);
	assert_int_equal(err, c->new_err);
	if (err != COFFER_OK) {
		if (err == COFFER_ERR_CRYPTO && c->sealed_len != stream_sealed_size(c->plain_size))
			assert_int_equal(src.reads, 0); /* sizes are checked before anything */
		free(buf);
		return;
	}
	for (;;) {
		err = file_opener_read(o, pos, buf, SEG, &n);
		if (err != COFFER_OK || n == 0)
			break;
		assert_memory_equal(buf, plain + pos, n);
		pos += n;
	}
	assert_int_equal(err, COFFER_ERR_CRYPTO);
	assert_int_equal(pos, c->released);
	assert_int_equal(file_opener_read(o, pos, buf, SEG, &n), COFFER_ERR_CRYPTO);
	file_opener_free(o);
	free(buf);
}

static void test_tampering(void **state)
{
	(void)state;
	/* Four segments, the last one short; and three full ones for cuts on boundaries. */
	const size_t len = 3 * SEG + 7, full = 3 * SEG;
	uint8_t key[32], key2[32], *plain = random_bytes(len);
	size_t sl, fl, ol;
	randombytes_buf(key, sizeof key);
	randombytes_buf(key2, sizeof key2);
	uint8_t *sealed = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &sl, NULL);
	uint8_t *sealed_full = seal(key, ctx_a, sizeof ctx_a, plain, full, WHOLE, &fl, NULL);
	uint8_t *other = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &ol, NULL);
	uint8_t *appended = malloc(fl + SEALED_SEG), *swapped = malloc(sl), *spliced = malloc(sl);
	uint8_t *bad_magic = malloc(sl), *bad_prefix = malloc(sl);
	assert_true(appended && swapped && spliced && bad_magic && bad_prefix);
	/* A copy of segment 0 appended after the last. */
	memcpy(appended, sealed_full, fl);
	memcpy(appended + fl, sealed_full + STREAM_HEADER_BYTES, SEALED_SEG);
	/* Segments 0 and 1 swapped. */
	memcpy(swapped, sealed, sl);
	memcpy(swapped + STREAM_HEADER_BYTES, sealed + STREAM_HEADER_BYTES + SEALED_SEG,
	       SEALED_SEG);
	memcpy(swapped + STREAM_HEADER_BYTES + SEALED_SEG, sealed + STREAM_HEADER_BYTES,
	       SEALED_SEG);
	/* Segment 1 of another file of the same length, key and context. */
	memcpy(spliced, sealed, sl);
	memcpy(spliced + STREAM_HEADER_BYTES + SEALED_SEG, other + STREAM_HEADER_BYTES + SEALED_SEG,
	       SEALED_SEG);
	memcpy(bad_magic, sealed, sl);
	bad_magic[0] ^= 1;
	memcpy(bad_prefix, sealed, sl);
	bad_prefix[9] ^= 1;

	const struct tamper_case cases[] = {
	    {"last segment truncated, true size", sealed, sl - 1, len, ctx_a, sizeof ctx_a, key,
	     COFFER_ERR_CRYPTO, 0},
	    {"last segment truncated, size to match", sealed, sl - 1, len - 1, ctx_a, sizeof ctx_a,
	     key, COFFER_OK, 3 * SEG},
	    {"last segment dropped, true size", sealed_full, fl - SEALED_SEG, full, ctx_a,
	     sizeof ctx_a, key, COFFER_ERR_CRYPTO, 0},
	    {"last segment dropped, size to match", sealed_full, fl - SEALED_SEG, 2 * SEG, ctx_a,
	     sizeof ctx_a, key, COFFER_OK, SEG},
	    {"segment appended, true size", appended, fl + SEALED_SEG, full, ctx_a, sizeof ctx_a,
	     key, COFFER_ERR_CRYPTO, 0},
	    {"segment appended, size to match", appended, fl + SEALED_SEG, full + SEG, ctx_a,
	     sizeof ctx_a, key, COFFER_OK, 2 * SEG},
	    {"segments 0 and 1 swapped", swapped, sl, len, ctx_a, sizeof ctx_a, key, COFFER_OK, 0},
	    {"segment 1 spliced from another file", spliced, sl, len, ctx_a, sizeof ctx_a, key,
	     COFFER_OK, SEG},
	    {"another object's AAD", sealed, sl, len, ctx_b, sizeof ctx_b, key, COFFER_OK, 0},
	    {"no AAD", sealed, sl, len, NULL, 0, key, COFFER_OK, 0},
	    {"another key", sealed, sl, len, ctx_a, sizeof ctx_a, key2, COFFER_OK, 0},
	    {"plain size one less", sealed, sl, len - 1, ctx_a, sizeof ctx_a, key,
	     COFFER_ERR_CRYPTO, 0},
	    {"plain size one more", sealed, sl, len + 1, ctx_a, sizeof ctx_a, key,
	     COFFER_ERR_CRYPTO, 0},
	    {"plain size absurd", sealed, sl, UINT64_MAX - 40, ctx_a, sizeof ctx_a, key,
	     COFFER_ERR_CRYPTO, 0},
	    {"sealed size zero", sealed, 0, 0, ctx_a, sizeof ctx_a, key, COFFER_ERR_CRYPTO, 0},
	    {"header magic", bad_magic, sl, len, ctx_a, sizeof ctx_a, key, COFFER_ERR_CRYPTO, 0},
	    {"header nonce prefix", bad_prefix, sl, len, ctx_a, sizeof ctx_a, key, COFFER_OK, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		run_tamper_case(&cases[i], plain);

	/* The untouched streams still open, so every failure above is the tampering's. */
	struct tamper_case intact = {"intact",	   sealed, sl,	      len, ctx_a,
				     sizeof ctx_a, key,	   COFFER_OK, 0};
	uint8_t *back = malloc(len);
	size_t back_len;
	assert_non_null(back);
	assert_int_equal(open_stream(intact.key, intact.ctx, intact.ctx_len, sealed, sl, len, SEG,
				     back, &back_len),
			 COFFER_OK);
	assert_int_equal(
	    open_stream(key, ctx_a, sizeof ctx_a, sealed_full, fl, full, SEG, back, &back_len),
	    COFFER_OK);
	assert_int_equal(
	    open_stream(key, ctx_a, sizeof ctx_a, other, ol, len, SEG, back, &back_len), COFFER_OK);
	free(back);
	free(bad_prefix);
	free(bad_magic);
	free(spliced);
	free(swapped);
	free(appended);
	free(other);
	free(sealed_full);
	free(sealed);
	free(plain);
}

static void test_reads_are_sequential(void **state)
{
	(void)state;
	const size_t len = 2 * SEG + 3;
	uint8_t key[32], *plain = random_bytes(len), buf[1000];
	size_t sl, n;
	randombytes_buf(key, sizeof key);
	uint8_t *sealed = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &sl, NULL);
	struct mem_source src = source_of(sealed, sl);
	struct file_opener *o = NULL;
	assert_int_equal(file_opener_new(key, ctx_a, sizeof ctx_a, source_read, &src, sl, len, &o),
			 COFFER_OK);
	assert_int_equal(file_opener_read(o, 1, buf, sizeof buf, &n), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_opener_read(o, 0, buf, sizeof buf, &n), COFFER_OK);
	assert_int_equal(n, sizeof buf);
	assert_memory_equal(buf, plain, n);
	/* Backwards, again from the start, forwards past the end of the last read, no room. */
	assert_int_equal(file_opener_read(o, 999, buf, sizeof buf, &n), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_opener_read(o, 0, buf, sizeof buf, &n), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_opener_read(o, 1001, buf, sizeof buf, &n), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_opener_read(o, SEG, buf, sizeof buf, &n), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_opener_read(o, 1000, buf, 0, &n), COFFER_ERR_INVALID_INPUT);
	/* A refused position does not end the stream: the right one still reads on. */
	assert_int_equal(file_opener_read(o, 1000, buf, sizeof buf, &n), COFFER_OK);
	assert_int_equal(n, sizeof buf);
	assert_memory_equal(buf, plain + 1000, n);
	file_opener_free(o);
	free(sealed);
	free(plain);
}

/* A sink that fails stops the sealer for good; a source that fails stops the opener. */
static void test_sink_and_source_failures(void **state)
{
	(void)state;
	const size_t len = 3 * SEG;
	uint8_t key[32], sha[FILE_SHA256_BYTES], *plain = random_bytes(len), buf[SEG];
	uint64_t size;
	size_t sl, n;
	struct file_sealer *s = NULL;
	randombytes_buf(key, sizeof key);

	struct mem_sink at_header = {.fail_after = 0};
	assert_int_equal(file_sealer_new(key, ctx_a, sizeof ctx_a, sink_append, &at_header, &s),
			 COFFER_ERR_IO);
	free(at_header.data);

	struct mem_sink m = {.fail_after = 2}; /* the header and segment 0 */
	s = NULL;
	assert_int_equal(file_sealer_new(key, ctx_a, sizeof ctx_a, sink_append, &m, &s), COFFER_OK);
	assert_int_equal(file_sealer_push(s, plain, len), COFFER_ERR_IO);
	assert_int_equal(m.len, STREAM_HEADER_BYTES + SEALED_SEG);
	assert_int_equal(file_sealer_push(s, plain, 1), COFFER_ERR_IO);
	assert_int_equal(file_sealer_finish(s, sha, &size), COFFER_ERR_IO);
	file_sealer_free(s);
	free(m.data);

	/* Nothing after finish. */
	uint8_t *sealed = seal(key, ctx_a, sizeof ctx_a, plain, len, WHOLE, &sl, NULL);
	struct mem_sink m2 = {.fail_after = SIZE_MAX};
	assert_int_equal(file_sealer_new(key, ctx_a, sizeof ctx_a, sink_append, &m2, &s),
			 COFFER_OK);
	assert_int_equal(file_sealer_push(s, plain, 10), COFFER_OK);
	assert_int_equal(file_sealer_push(s, NULL, 0), COFFER_OK);
	assert_int_equal(file_sealer_push(s, NULL, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_sealer_finish(s, sha, &size), COFFER_OK);
	assert_int_equal(size, 10);
	assert_int_equal(file_sealer_push(s, plain, 1), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(file_sealer_finish(s, sha, &size), COFFER_ERR_INVALID_INPUT);
	file_sealer_free(s);
	free(m2.data);

	/* The source fails on the header. */
	struct mem_source src = source_of(sealed, sl);
	struct file_opener *o = NULL;
	src.fail_at_read = 0;
	assert_int_equal(file_opener_new(key, ctx_a, sizeof ctx_a, source_read, &src, sl, len, &o),
			 COFFER_ERR_IO);
	/* … on segment 1 (read 2, after the header and segment 0): sticky. */
	src = source_of(sealed, sl);
	src.fail_at_read = 2;
	assert_int_equal(file_opener_new(key, ctx_a, sizeof ctx_a, source_read, &src, sl, len, &o),
			 COFFER_OK);
	assert_int_equal(file_opener_read(o, 0, buf, sizeof buf, &n), COFFER_OK);
	assert_int_equal(n, SEG);
	assert_int_equal(file_opener_read(o, SEG, buf, sizeof buf, &n), COFFER_ERR_IO);
	assert_int_equal(file_opener_read(o, SEG, buf, sizeof buf, &n), COFFER_ERR_IO);
	file_opener_free(o);

	file_sealer_free(NULL);
	file_opener_free(NULL);
	free(sealed);
	free(plain);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_sealer_holds_back_full_segment),
	    cmocka_unit_test(test_sha256_known_answers),
	    cmocka_unit_test(test_read_max_sizes),
	    cmocka_unit_test(test_format_vectors),
	    cmocka_unit_test(test_bit_flip_middle_segment),
	    cmocka_unit_test(test_tampering),
	    cmocka_unit_test(test_reads_are_sequential),
	    cmocka_unit_test(test_sink_and_source_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
