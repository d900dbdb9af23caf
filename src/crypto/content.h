/* content.h — sealing the small fields of an object (a record's title and body, a file's name
 * and hash) under the object's data key.
 *
 * Each field is its own aead_seal (fresh random nonce) with AAD = the object's context
 * (keywrap_object_aad: organisation, kind, id, version, level) followed by one byte naming the
 * field. Ciphertext moved to another object, version, level or organisation fails to open, and
 * so does a title swapped with its own record's body.
 */
#ifndef COFFER_CONTENT_H
#define COFFER_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/keywrap.h"

enum content_field {
	CONTENT_TITLE = 1,
	CONTENT_BODY = 2,
	CONTENT_FILE_META = 3,
};

/* Seals LEN bytes of IN into OUT (LEN + AEAD_OVERHEAD bytes). */
COFFER_MUST_CHECK enum coffer_err content_seal(const uint8_t key[AEAD_KEY_BYTES],
					       const struct object_ctx *ctx,
					       enum content_field field, const uint8_t *in,
					       size_t len, uint8_t *out);

/* Opens LEN sealed bytes of IN into OUT (LEN - AEAD_OVERHEAD bytes): COFFER_ERR_CRYPTO when
 * they were not sealed for this object and field, or were changed. */
COFFER_MUST_CHECK enum coffer_err content_open(const uint8_t key[AEAD_KEY_BYTES],
					       const struct object_ctx *ctx,
					       enum content_field field, const uint8_t *in,
					       size_t len, uint8_t *out);

#endif
