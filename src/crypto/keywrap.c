/* keywrap.c — AAD encodings and key wrapping for the envelope (see keywrap.h). */
#include "crypto/keywrap.h"

#include <stdbool.h>
#include <string.h>

static const char org_label[] = "coffer/orgkey/v1";
static const char object_label[] = "coffer/object/v1";

struct aad {
	uint8_t *p;
	size_t len;
	bool bad;
};

static void put(struct aad *a, const void *data, size_t len)
{
	if (a->bad || len > KEYWRAP_AAD_MAX - a->len) {
		a->bad = true;
		return;
	}
	memcpy(a->p + a->len, data, len);
	a->len += len;
}

static void put_str(struct aad *a, const char *s)
{
	size_t len = s ? strnlen(s, KEYWRAP_ID_MAX + 1) : 0;
	if (len == 0 || len > KEYWRAP_ID_MAX) {
		a->bad = true;
		return;
	}
	const uint8_t n[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	put(a, n, 2);
	put(a, s, len);
}

static void put_u32(struct aad *a, uint32_t v)
{
	const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			      (uint8_t)v};
	put(a, b, 4);
}

size_t keywrap_org_aad(const char *org_id, uint32_t version, uint8_t out[KEYWRAP_AAD_MAX])
{
	struct aad a = {out, 0, false};
	put(&a, org_label, sizeof org_label - 1);
	put_str(&a, org_id);
	put_u32(&a, version);
	return a.bad ? 0 : a.len;
}

size_t keywrap_object_aad(const struct object_ctx *ctx, uint8_t out[KEYWRAP_AAD_MAX])
{
	struct aad a = {out, 0, false};
	const uint8_t level = (uint8_t)ctx->level;
	if (ctx->level > LEVEL_RESTRICTED)
		return 0;
	put(&a, object_label, sizeof object_label - 1);
	put_str(&a, ctx->org_id);
	put_str(&a, ctx->kind);
	put_str(&a, ctx->object_id);
	put_u32(&a, ctx->version);
	put(&a, &level, 1);
	return a.bad ? 0 : a.len;
}

/* Wraps (SEAL: IN is a key, OUT gets its KEYWRAP_BYTES wrapped form) or unwraps (IN is a
 * wrapped key, OUT gets the key) under WRAPPING_KEY, with AAD_LEN bytes of AAD (0 when the context
 * did not encode). */
static enum coffer_err wrapping(bool seal, const uint8_t wrapping_key[AEAD_KEY_BYTES],
				const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out)
{
	if (aad_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (seal)
		return aead_seal(wrapping_key, aad, aad_len, in, AEAD_KEY_BYTES, out);
	return aead_open(wrapping_key, aad, aad_len, in, KEYWRAP_BYTES, out);
}

enum coffer_err keywrap_org_key(const uint8_t master[AEAD_KEY_BYTES], const char *org_id,
				uint32_t version, const uint8_t org_key[AEAD_KEY_BYTES],
				uint8_t out[KEYWRAP_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	return wrapping(true, master, aad, keywrap_org_aad(org_id, version, aad), org_key, out);
}

enum coffer_err keyunwrap_org_key(const uint8_t master[AEAD_KEY_BYTES], const char *org_id,
				  uint32_t version, const uint8_t wrapped[KEYWRAP_BYTES],
				  uint8_t org_key[AEAD_KEY_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	return wrapping(false, master, aad, keywrap_org_aad(org_id, version, aad), wrapped,
			org_key);
}

enum coffer_err keywrap_data_key(const uint8_t org_key[AEAD_KEY_BYTES],
				 const struct object_ctx *ctx,
				 const uint8_t data_key[AEAD_KEY_BYTES], uint8_t out[KEYWRAP_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	return wrapping(true, org_key, aad, keywrap_object_aad(ctx, aad), data_key, out);
}

enum coffer_err keyunwrap_data_key(const uint8_t org_key[AEAD_KEY_BYTES],
				   const struct object_ctx *ctx,
				   const uint8_t wrapped[KEYWRAP_BYTES],
				   uint8_t data_key[AEAD_KEY_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	return wrapping(false, org_key, aad, keywrap_object_aad(ctx, aad), wrapped, data_key);
}
