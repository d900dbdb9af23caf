/* keywrap.h — the envelope: wrapping organisation keys under the master key and data keys under
 * an organisation key, with the context bound in as AAD.
 *
 * AAD encodings (every field length-prefixed, so no two contexts encode alike):
 *   org key:  "coffer/orgkey/v1" | u16 len | org id | u32 BE key version
 *   data key and content:
 *             "coffer/object/v1" | u16 len | org id | u16 len | kind | u16 len | object id |
 *             u32 BE object version | u8 level
 * A wrapped key is aead_seal's output: nonce (12) | encrypted key (32) | tag (16).
 */
#ifndef COFFER_KEYWRAP_H
#define COFFER_KEYWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/level.h"
#include "crypto/aead.h"

#define KEYWRAP_BYTES	(AEAD_KEY_BYTES + AEAD_OVERHEAD)
#define KEYWRAP_ID_MAX	64
#define KEYWRAP_AAD_MAX 256

struct object_ctx {
	const char *org_id; /* 1..KEYWRAP_ID_MAX bytes each */
	const char *kind;   /* "record", "file" */
	const char *object_id;
	uint32_t version;
	enum level level;
};

/* Encodes the AAD of version VERSION of ORG_ID's key; its length, or 0 as below. */
size_t keywrap_org_aad(const char *org_id, uint32_t version, uint8_t out[KEYWRAP_AAD_MAX]);
/* Encodes the AAD of an object; returns its length, or 0 if a field is empty or too long. */
size_t keywrap_object_aad(const struct object_ctx *ctx, uint8_t out[KEYWRAP_AAD_MAX]);

/* Wraps ORG_KEY (version VERSION of ORG_ID's key) under MASTER. */
COFFER_MUST_CHECK enum coffer_err keywrap_org_key(const uint8_t master[AEAD_KEY_BYTES],
						  const char *org_id, uint32_t version,
						  const uint8_t org_key[AEAD_KEY_BYTES],
						  uint8_t out[KEYWRAP_BYTES]);
COFFER_MUST_CHECK enum coffer_err keyunwrap_org_key(const uint8_t master[AEAD_KEY_BYTES],
						    const char *org_id, uint32_t version,
						    const uint8_t wrapped[KEYWRAP_BYTES],
						    uint8_t org_key[AEAD_KEY_BYTES]);

/* Wraps a data key for the object CTX under ORG_KEY. */
COFFER_MUST_CHECK enum coffer_err keywrap_data_key(const uint8_t org_key[AEAD_KEY_BYTES],
						   const struct object_ctx *ctx,
						   const uint8_t data_key[AEAD_KEY_BYTES],
						   uint8_t out[KEYWRAP_BYTES]);
COFFER_MUST_CHECK enum coffer_err keyunwrap_data_key(const uint8_t org_key[AEAD_KEY_BYTES],
						     const struct object_ctx *ctx,
						     const uint8_t wrapped[KEYWRAP_BYTES],
						     uint8_t data_key[AEAD_KEY_BYTES]);

#endif
