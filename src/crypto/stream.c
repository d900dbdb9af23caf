/* stream.c — sealing and opening files segment by segment (see stream.h and docs/FORMAT.md). */
#include "crypto/stream.h"

#include <sodium.h>
#include <string.h>

static void make_nonce(const struct stream_state *s, bool last, uint8_t nonce[AEAD_NONCE_BYTES])
{
	memcpy(nonce, s->header + 8, STREAM_PREFIX_BYTES);
	nonce[7] = (uint8_t)(s->counter >> 24);
	nonce[8] = (uint8_t)(s->counter >> 16);
	nonce[9] = (uint8_t)(s->counter >> 8);
	nonce[10] = (uint8_t)s->counter;
	nonce[11] = last ? 1 : 0;
}

static enum coffer_err set_context(struct stream_state *s, const uint8_t key[AEAD_KEY_BYTES],
				   const uint8_t *ctx, size_t ctx_len)
{
	if (ctx_len > STREAM_AAD_MAX)
		return COFFER_ERR_INVALID_INPUT;
	memcpy(s->key, key, AEAD_KEY_BYTES);
	memcpy(s->aad, s->header, STREAM_HEADER_BYTES);
	if (ctx_len > 0)
		memcpy(s->aad + STREAM_HEADER_BYTES, ctx, ctx_len);
	s->aad_len = STREAM_HEADER_BYTES + ctx_len;
	s->counter = 0;
	s->finished = false;
	return COFFER_OK;
}

enum coffer_err stream_seal_init(struct stream_state *s, const uint8_t key[AEAD_KEY_BYTES],
				 const uint8_t *ctx, size_t ctx_len,
				 uint8_t header[STREAM_HEADER_BYTES])
{
	memset(s->header, 0, sizeof s->header);
	memcpy(s->header, STREAM_MAGIC, 4);
	s->header[4] = (uint8_t)(STREAM_SEGMENT_BYTES >> 24);
	s->header[5] = (uint8_t)(STREAM_SEGMENT_BYTES >> 16);
	s->header[6] = (uint8_t)(STREAM_SEGMENT_BYTES >> 8);
	s->header[7] = (uint8_t)STREAM_SEGMENT_BYTES;
	randombytes_buf(s->header + 8, STREAM_PREFIX_BYTES);
	enum coffer_err err = set_context(s, key, ctx, ctx_len);
	if (err == COFFER_OK)
		memcpy(header, s->header, STREAM_HEADER_BYTES);
	return err;
}

enum coffer_err stream_open_init(struct stream_state *s, const uint8_t key[AEAD_KEY_BYTES],
				 const uint8_t *ctx, size_t ctx_len,
				 const uint8_t header[STREAM_HEADER_BYTES])
{
	static const uint8_t size_be[4] = {
	    (uint8_t)(STREAM_SEGMENT_BYTES >> 24), (uint8_t)(STREAM_SEGMENT_BYTES >> 16),
	    (uint8_t)(STREAM_SEGMENT_BYTES >> 8), (uint8_t)STREAM_SEGMENT_BYTES};
	if (memcmp(header, STREAM_MAGIC, 4) != 0 || memcmp(header + 4, size_be, 4) != 0 ||
	    header[15] != 0)
		return COFFER_ERR_CRYPTO;
	memcpy(s->header, header, STREAM_HEADER_BYTES);
	return set_context(s, key, ctx, ctx_len);
}

enum coffer_err stream_seal_segment(struct stream_state *s, const uint8_t *in, size_t len,
				    bool last, uint8_t *out)
{
	uint8_t nonce[AEAD_NONCE_BYTES];
	if (s->finished || len > STREAM_SEGMENT_BYTES || (!last && len != STREAM_SEGMENT_BYTES))
		return COFFER_ERR_INVALID_INPUT;
	if (s->counter == UINT32_MAX)
		return COFFER_ERR_TOO_LARGE; /* the counter must never wrap */
	make_nonce(s, last, nonce);
	enum coffer_err err =
	    aead_seal_detached(s->key, nonce, s->aad, s->aad_len, in, len, out, out + len);
	if (err != COFFER_OK)
		return err;
	s->counter++;
	s->finished = last;
	return COFFER_OK;
}

enum coffer_err stream_open_segment(struct stream_state *s, const uint8_t *in, size_t len,
				    bool last, uint8_t *out)
{
	uint8_t nonce[AEAD_NONCE_BYTES];
	if (s->finished || len < AEAD_TAG_BYTES || len > STREAM_SEALED_SEGMENT_BYTES)
		return COFFER_ERR_CRYPTO;
	size_t plain = len - AEAD_TAG_BYTES;
	if (!last && plain != STREAM_SEGMENT_BYTES)
		return COFFER_ERR_CRYPTO;
	if (s->counter == UINT32_MAX)
		return COFFER_ERR_CRYPTO;
	make_nonce(s, last, nonce);
	enum coffer_err err =
	    aead_open_detached(s->key, nonce, s->aad, s->aad_len, in, plain, in + plain, out);
	if (err != COFFER_OK) {
		s->finished = true; /* nothing after a bad segment is ever opened */
		return COFFER_ERR_CRYPTO;
	}
	s->counter++;
	s->finished = last;
	return COFFER_OK;
}

void stream_wipe(struct stream_state *s)
{
	sodium_memzero(s, sizeof *s);
}

uint64_t stream_sealed_size(uint64_t plain)
{
	/* Full segments, then a last one of 0..SEGMENT bytes: a multiple of the segment size
	 * ends with a full last segment, and an empty file is one empty last segment. */
	uint64_t segments =
	    plain == 0 ? 1 : (plain + STREAM_SEGMENT_BYTES - 1) / STREAM_SEGMENT_BYTES;
	return STREAM_HEADER_BYTES + plain + segments * AEAD_TAG_BYTES;
}
