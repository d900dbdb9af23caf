/* aead.h — AES-256-GCM, the only cipher coffer uses, from OpenSSL's EVP interface.
 *
 * Design points:
 * - The sealed form is self-contained: nonce (12) || ciphertext || tag (16). aead_seal draws a
 *   fresh random nonce every time, so callers cannot reuse one by mistake. With random 96-bit
 *   nonces a key must seal fewer than 2^32 messages; every key here seals far fewer (one data
 *   key per object; org keys rotate).
 * - The additional authenticated data binds ciphertext to its context (organisation, object,
 *   version, level): ciphertext moved anywhere else fails to open.
 * - A failed open zeroes its output whatever the reason (COFFER_ERR_CRYPTO for a bad tag), never
 *   leaving partial plaintext; a failed seal zeroes its output too.
 */
#ifndef COFFER_AEAD_H
#define COFFER_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define AEAD_KEY_BYTES	 32
#define AEAD_NONCE_BYTES 12
#define AEAD_TAG_BYTES	 16
#define AEAD_OVERHEAD	 (AEAD_NONCE_BYTES + AEAD_TAG_BYTES)

/* Seals IN (LEN bytes) into OUT, which must hold LEN + AEAD_OVERHEAD bytes. */
COFFER_MUST_CHECK enum coffer_err aead_seal(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad,
					    size_t aad_len, const uint8_t *in, size_t len,
					    uint8_t *out);

/* Opens IN (LEN bytes, as made by aead_seal) into OUT, which must hold LEN - AEAD_OVERHEAD. */
COFFER_MUST_CHECK enum coffer_err aead_open(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad,
					    size_t aad_len, const uint8_t *in, size_t len,
					    uint8_t *out);

/* The same with a caller-chosen NONCE and a detached TAG, for the file segment format and
 * known-answer tests.
 * WARNING: a nonce must never repeat under one key; prefer aead_seal. */
COFFER_MUST_CHECK enum coffer_err aead_seal_detached(const uint8_t key[AEAD_KEY_BYTES],
						     const uint8_t nonce[AEAD_NONCE_BYTES],
						     const uint8_t *aad, size_t aad_len,
						     const uint8_t *in, size_t len, uint8_t *out,
						     uint8_t tag[AEAD_TAG_BYTES]);

COFFER_MUST_CHECK enum coffer_err
aead_open_detached(const uint8_t key[AEAD_KEY_BYTES], const uint8_t nonce[AEAD_NONCE_BYTES],
		   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
		   const uint8_t tag[AEAD_TAG_BYTES], uint8_t *out);

#endif
