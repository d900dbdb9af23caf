/* fuzz_file_seal.c — the sealed file stream (file_opener_*, and file_sealer_* behind it) on
 * arbitrary input. The first byte chooses one of two modes:
 *
 * - Even: the rest is a sealed stream, opened under a fixed key and context with the plaintext
 *   size its length implies, and read to the end in pieces. A stream that opens whole must be
 *   exactly what sealing its plaintext again (with the same header) writes: nothing that was
 *   not sealed by the key is ever released.
 * - Odd: the rest describes a plaintext, which is sealed in pieces, then changed (one bit flipped,
 *   bytes cut or added at the end, two segments swapped, another context, key or size), then
 *   opened. Unchanged, it must come back whole with the SHA-256 and size the sealer reported;
 *   changed, the opener must fail, having released only a prefix of the true plaintext.
 * In both, a failure is sticky and a read at the wrong position is refused without harm.
 *
 * libsodium's random generator is replaced by a deterministic one (reset for every input), so
 * that an input always seals to the same bytes: the header's random prefix is the only random
 * value the format holds.
 */
#include <openssl/sha.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/file_seal.h"
#include "fuzz_util.h"

#define SEG	   STREAM_SEGMENT_BYTES
#define SEALED_SEG STREAM_SEALED_SEGMENT_BYTES
#define WHOLE	   ((size_t)4 * SEG) /* a read or push size that takes everything at once */

static const uint8_t ctx[] = "org=o1|file|id=f1|v=1|confidential";
static const uint8_t other_ctx[] = "org=o1|file|id=f2|v=1|confidential";
static uint8_t key[AEAD_KEY_BYTES], other_key[AEAD_KEY_BYTES];

/* --- a deterministic libsodium random generator ------------------------------------------ */

static uint64_t rng_state;
static uint8_t forced_prefix[STREAM_PREFIX_BYTES]; /* the next header prefix, when set */
static bool prefix_forced;

static uint64_t splitmix64(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static const char *rng_name(void)
{
	return "fuzz-deterministic";
}

static uint32_t rng_random(void)
{
	return (uint32_t)splitmix64();
}

static void rng_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	if (prefix_forced && size == STREAM_PREFIX_BYTES) {
		memcpy(p, forced_prefix, size);
		prefix_forced = false;
		return;
	}
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)splitmix64();
}

static randombytes_implementation deterministic = {
    .implementation_name = rng_name, .random = rng_random, .buf = rng_buf};

/* --- memory sink and source ------------------------------------------------------------------ */

struct sink {
	uint8_t *data;
	size_t len, cap;
};

static enum coffer_err sink_append(void *c, const uint8_t *data, size_t len)
{
	struct sink *s = c;
	if (s->len + len > s->cap) {
		size_t cap = (s->len + len) * 2;
		uint8_t *p = realloc(s->data, cap);
		check(p != NULL, "realloc");
		s->data = p;
		s->cap = cap;
	}
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return COFFER_OK;
}

struct source {
	const uint8_t *data;
	size_t len;
};

static enum coffer_err source_read(void *c, uint64_t offset, uint8_t *buf, size_t len)
{
	const struct source *s = c;
	/* The opener asks only for bytes the size check says are there. */
	check(offset <= s->len && len <= s->len - offset, "the opener read past the stream");
	memcpy(buf, s->data + offset, len);
	return COFFER_OK;
}

/* --- helpers --------------------------------------------------------------------------------- */

/* The plaintext size a sealed stream of LEN bytes holds, if any length holds it. */
static bool plain_size_of(size_t len, uint64_t *plain)
{
	if (len < STREAM_HEADER_BYTES + AEAD_TAG_BYTES)
		return false;
	uint64_t body = len - STREAM_HEADER_BYTES;
	uint64_t segments = (body + SEALED_SEG - 1) / SEALED_SEG;
	uint64_t p = body - segments * AEAD_TAG_BYTES;
	if (stream_sealed_size(p) != len)
		return false;
	*plain = p;
	return true;
}

/* Seals PLAIN (LEN bytes) pushed PIECE bytes at a time; checks what the sealer reports. */
static struct sink seal(const uint8_t *plain, size_t len, size_t piece)
{
	struct sink out = {NULL, 0, 0};
	struct file_sealer *s = NULL;
	uint8_t sha[FILE_SHA256_BYTES], want[SHA256_DIGEST_LENGTH];
	uint64_t size = 0;
	check(file_sealer_new(key, ctx, sizeof ctx, sink_append, &out, &s) == COFFER_OK,
	      "file_sealer_new");
	for (size_t at = 0; at < len;) {
		size_t n = len - at < piece ? len - at : piece;
		check(file_sealer_push(s, plain + at, n) == COFFER_OK, "file_sealer_push");
		at += n;
	}
	check(file_sealer_finish(s, sha, &size) == COFFER_OK, "file_sealer_finish");
	check(file_sealer_finish(s, sha, &size) != COFFER_OK, "finish twice accepted");
	file_sealer_free(s);
	SHA256(plain, len, want);
	check(size == len && memcmp(sha, want, sizeof want) == 0, "sealer's size or SHA-256");
	check(out.len == stream_sealed_size(len), "sealed length");
	return out;
}

/* Opens SEALED as PLAIN_SIZE bytes under K and C, reading MAX bytes at a time into OUT (room for
 * PLAIN_SIZE). Returns the first error, COFFER_OK at the end; *RELEASED counts bytes released. */
static enum coffer_err open_all(const uint8_t *k, const uint8_t *c, size_t c_len,
				const uint8_t *sealed, size_t sealed_len, uint64_t plain_size,
				size_t max, uint8_t *out, size_t *released)
{
	struct source src = {sealed, sealed_len};
	struct file_opener *o = NULL;
	*released = 0;
	enum coffer_err err =
	    file_opener_new(k, c, c_len, source_read, &src, sealed_len, plain_size, &o);
	if (err != COFFER_OK)
		return err;
	uint8_t *buf = malloc(max);
	check(buf != NULL, "malloc");
	for (int reads = 0;; reads++) {
		size_t n = 0;
		if (reads == 1) { /* once, a read out of place: refused, harmless */
			check(file_opener_read(o, *released + 1, buf, max, &n) ==
				  COFFER_ERR_INVALID_INPUT,
			      "a read at the wrong position accepted");
			check(file_opener_read(o, *released, buf, 0, &n) ==
				  COFFER_ERR_INVALID_INPUT,
			      "a read of 0 bytes accepted");
		}
		err = file_opener_read(o, *released, buf, max, &n);
		if (err != COFFER_OK) {
			check(file_opener_read(o, *released, buf, max, &n) == err,
			      "failure not sticky");
			break;
		}
		if (n == 0)
			break;
		check(n <= max && *released + n <= plain_size, "released more than asked or held");
		memcpy(out + *released, buf, n);
		*released += n;
	}
	free(buf);
	file_opener_free(o);
	check(err != COFFER_OK || *released == plain_size, "ended before the plaintext size");
	return err;
}

// clang-format off
static const size_t piece_sizes[8] = {
    7, 1000, 4096, SEG - 1, SEG, SEG + 1, 2 * SEG + 3, WHOLE,
};
// clang-format on

/* --- the two modes --------------------------------------------------------------------------- */

static void open_given(const uint8_t *sealed, size_t len, size_t max)
{
	uint64_t plain_size;
	size_t released = 0;
	if (!plain_size_of(len, &plain_size)) {
		/* No plaintext size fits this length: refused before any read. */
		uint64_t guess = len > STREAM_HEADER_BYTES + AEAD_TAG_BYTES
				     ? len - STREAM_HEADER_BYTES - AEAD_TAG_BYTES
				     : 0;
		check(open_all(key, ctx, sizeof ctx, sealed, len, guess, max, NULL, &released) ==
			  COFFER_ERR_CRYPTO,
		      "a stream of impossible length accepted");
		return;
	}
	uint8_t *plain = malloc(plain_size ? plain_size : 1);
	check(plain != NULL, "malloc");
	enum coffer_err err =
	    open_all(key, ctx, sizeof ctx, sealed, len, plain_size, max, plain, &released);
	check(err == COFFER_OK || err == COFFER_ERR_CRYPTO, "an error other than CRYPTO");
	if (err == COFFER_OK) {
		/* Opened whole: sealing the plaintext again under the same prefix gives it back. */
		memcpy(forced_prefix, sealed + 8, STREAM_PREFIX_BYTES);
		prefix_forced = true;
		struct sink again = seal(plain, plain_size, WHOLE);
		check(again.len == len && memcmp(again.data, sealed, len) == 0,
		      "an accepted stream is not the sealing of what it released");
		free(again.data);
	}
	free(plain);
}

enum tamper {
	TAMPER_NONE,
	TAMPER_FLIP,	 /* one bit, anywhere */
	TAMPER_TRUNCATE, /* 1..N bytes cut from the end */
	TAMPER_EXTEND,	 /* 1..N bytes added at the end */
	TAMPER_SWAP,	 /* the first two segments exchanged */
	TAMPER_CONTEXT,	 /* opened with another object's context */
	TAMPER_KEY,	 /* opened with another key */
	TAMPER_SIZE,	 /* opened as one byte more than it holds */
	TAMPER_KINDS
};

static void seal_and_open(const uint8_t *in, size_t size)
{
	if (size < 8)
		return;
	/* Plaintext length: 0..3 whole segments, then -32768..32767 bytes from there. */
	int64_t len = (int64_t)(in[0] % 4) * SEG + (int16_t)(in[1] << 8 | in[2]);
	if (len < 0)
		len = -len;
	size_t push = piece_sizes[in[3] % 8], max = piece_sizes[in[4] % 8];
	enum tamper tamper = (enum tamper)(in[5] % TAMPER_KINDS);
	size_t amount = (size_t)(in[6] << 8 | in[7]);
	const uint8_t *pattern = in + 8;
	size_t pattern_len = size - 8;

	uint8_t *plain = malloc((size_t)len + 1), *got = malloc((size_t)len + 2);
	check(plain != NULL && got != NULL, "malloc");
	for (int64_t i = 0; i < len; i++)
		plain[i] = pattern_len ? pattern[(size_t)i % pattern_len] : (uint8_t)i;
	struct sink s = seal(plain, (size_t)len, push);

	const uint8_t *k = key, *c = ctx;
	size_t c_len = sizeof ctx;
	uint64_t plain_size = (uint64_t)len;
	bool changed = tamper != TAMPER_NONE;
	switch (tamper) {
	case TAMPER_NONE: break;
	case TAMPER_FLIP: s.data[amount * s.len / 65536] ^= (uint8_t)(1u << (in[5] >> 5)); break;
	case TAMPER_TRUNCATE: s.len -= 1 + amount % s.len; break;
	case TAMPER_EXTEND:
		for (size_t i = 0; i <= amount % 256; i++)
			check(sink_append(&s, &in[i % size], 1) == COFFER_OK, "extend");
		break;
	case TAMPER_SWAP:
		if (len <= SEG) {
			changed = false; /* one segment: nothing to swap */
			break;
		}
		uint8_t *first = s.data + STREAM_HEADER_BYTES, *second = first + SEALED_SEG;
		size_t n = s.len - STREAM_HEADER_BYTES - SEALED_SEG < SEALED_SEG
			       ? s.len - STREAM_HEADER_BYTES - SEALED_SEG
			       : SEALED_SEG;
		for (size_t i = 0; i < n; i++) {
			uint8_t t = first[i];
			first[i] = second[i];
			second[i] = t;
		}
		break;
	case TAMPER_CONTEXT:
		c = other_ctx;
		c_len = sizeof other_ctx;
		break;
	case TAMPER_KEY: k = other_key; break;
	case TAMPER_SIZE: plain_size++; break;
	case TAMPER_KINDS: break;
	}
	/* A stream cut or extended is opened at the size its new length implies, if any, so that
	 * the segments' own checks are reached rather than only the size check. */
	if (tamper == TAMPER_TRUNCATE || tamper == TAMPER_EXTEND) {
		uint64_t implied;
		if (plain_size_of(s.len, &implied) && implied <= (uint64_t)len + 1)
			plain_size = implied;
	}

	size_t released = 0;
	enum coffer_err err = open_all(k, c, c_len, s.data, s.len, plain_size, max, got, &released);
	check(released <= (size_t)len && memcmp(got, plain, released) == 0,
	      "released bytes that are not the plaintext");
	if (changed) {
		check(err == COFFER_ERR_CRYPTO,
		      "a changed stream opened, or failed without CRYPTO");
	} else {
		check(err == COFFER_OK && released == (size_t)len, "an unchanged stream failed");
	}
	free(s.data);
	free(plain);
	free(got);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	check(randombytes_set_implementation(&deterministic) == 0, "set the generator");
	check(sodium_init() >= 0, "sodium_init");
	for (size_t i = 0; i < AEAD_KEY_BYTES; i++) {
		key[i] = (uint8_t)(0x40 + i);
		other_key[i] = (uint8_t)(0x41 + i);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rng_state = 0;
	prefix_forced = false;
	if (size < 1)
		return 0;
	if (data[0] & 1)
		seal_and_open(data + 1, size - 1);
	else
		open_given(data + 1, size - 1, piece_sizes[(data[0] >> 1) % 8]);
	return 0;
}
