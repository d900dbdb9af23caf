/* content.c — field sealing under a data key (content.h). */
#include "crypto/content.h"

static size_t field_aad(const struct object_ctx *ctx, enum content_field field,
			uint8_t out[KEYWRAP_AAD_MAX + 1])
{
	size_t n = keywrap_object_aad(ctx, out);
	if (n == 0)
		return 0;
	out[n] = (uint8_t)field;
	return n + 1;
}

enum coffer_err content_seal(const uint8_t key[AEAD_KEY_BYTES], const struct object_ctx *ctx,
			     enum content_field field, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t aad[KEYWRAP_AAD_MAX + 1];
	size_t aad_len = field_aad(ctx, field, aad);
	return aad_len == 0 ? COFFER_ERR_INVALID_INPUT : aead_seal(key, aad, aad_len, in, len, out);
}

/* aead_open refuses IN shorter than AEAD_OVERHEAD (COFFER_ERR_CRYPTO) before it reads it. */
enum coffer_err content_open(const uint8_t key[AEAD_KEY_BYTES], const struct object_ctx *ctx,
			     enum content_field field, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t aad[KEYWRAP_AAD_MAX + 1];
	size_t aad_len = field_aad(ctx, field, aad);
	return aad_len == 0 ? COFFER_ERR_INVALID_INPUT : aead_open(key, aad, aad_len, in, len, out);
}
