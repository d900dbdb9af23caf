/* stream.h — the segmented AEAD format for files: 64 KiB segments, each sealed on its own, so a
 * file is encrypted and decrypted in constant memory and every segment is checked on its own.
 *
 * Design points (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár):
 * - nonce = random 7-byte prefix || 32-bit big-endian segment counter || last-segment flag, so
 *   reordering (counter), truncation and extension (flag) and splicing between files (a data
 *   key and a prefix of its own per file) all fail to decrypt.
 * - Every segment's AAD is the file header followed by the object's context AAD, binding the
 *   segments to the header and to the organisation, object, version and level.
 * - Decryption stops at the first segment that fails; a caller must discard what it has not yet
 *   released and must treat a stream without a final segment as truncated.
 * The byte layout, with test vectors, is in docs/FORMAT.md.
 */
#ifndef COFFER_STREAM_H
#define COFFER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/aead.h"

#define STREAM_MAGIC		    "CFS1"
#define STREAM_SEGMENT_BYTES	    65536u
#define STREAM_PREFIX_BYTES	    7
#define STREAM_HEADER_BYTES	    16 /* magic (4) | segment size (4, BE) | prefix (7) | reserved (1) */
#define STREAM_SEALED_SEGMENT_BYTES (STREAM_SEGMENT_BYTES + AEAD_TAG_BYTES)
#define STREAM_AAD_MAX		    256

struct stream_state {
	uint8_t key[AEAD_KEY_BYTES];
	uint8_t header[STREAM_HEADER_BYTES];
	uint8_t aad[STREAM_HEADER_BYTES + STREAM_AAD_MAX]; /* header || context */
	size_t aad_len;
	uint32_t counter;
	bool finished; /* the last segment has been sealed or opened */
};

/* Starts encrypting under KEY with context CTX. Writes the header to HEADER. The state holds a
 * copy of the key: keep it in guarded memory and end with stream_wipe. */
COFFER_MUST_CHECK enum coffer_err stream_seal_init(struct stream_state *s,
						   const uint8_t key[AEAD_KEY_BYTES],
						   const uint8_t *ctx, size_t ctx_len,
						   uint8_t header[STREAM_HEADER_BYTES]);

/* Seals one segment of LEN bytes (exactly STREAM_SEGMENT_BYTES unless LAST; the last may be
 * 0..STREAM_SEGMENT_BYTES) into OUT (LEN + AEAD_TAG_BYTES). */
COFFER_MUST_CHECK enum coffer_err stream_seal_segment(struct stream_state *s, const uint8_t *in,
						      size_t len, bool last, uint8_t *out);

/* Starts decrypting a stream whose HEADER was read from storage. */
COFFER_MUST_CHECK enum coffer_err stream_open_init(struct stream_state *s,
						   const uint8_t key[AEAD_KEY_BYTES],
						   const uint8_t *ctx, size_t ctx_len,
						   const uint8_t header[STREAM_HEADER_BYTES]);

/* Opens one sealed segment of LEN bytes (AEAD_TAG_BYTES..STREAM_SEALED_SEGMENT_BYTES) into OUT
 * (LEN - AEAD_TAG_BYTES). LAST says whether the storage holds nothing after it; a segment whose
 * flag disagrees fails, which is how truncation and extension are caught. */
COFFER_MUST_CHECK enum coffer_err stream_open_segment(struct stream_state *s, const uint8_t *in,
						      size_t len, bool last, uint8_t *out);

/* Wipes the key and state. */
void stream_wipe(struct stream_state *s);

/* The size of the sealed stream for a plaintext of PLAIN bytes (header and tags included). */
uint64_t stream_sealed_size(uint64_t plain);

#endif
