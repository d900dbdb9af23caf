/* file_seal.h — files encrypted and decrypted as streams (the segment format of stream.h), in
 * constant memory whatever their size.
 *
 * The sealer takes the plaintext in pieces of any size as they arrive from the network, cuts
 * it into STREAM_SEGMENT_BYTES segments, seals each and hands the sealed bytes to a sink (the
 * blob writer), computing the SHA-256 of the plaintext on the way. A full segment is held back
 * until the next byte arrives or the stream ends, because only then is it known whether it is
 * the last (the flag in its nonce). An empty file is one empty final segment.
 *
 * The opener pulls sealed segments from a source (the blob reader) and releases plaintext one
 * verified segment at a time; it stops for good at the first segment that fails, and a stream
 * whose sealed length does not match the expected plaintext size fails before anything is
 * released.
 */
#ifndef COFFER_FILE_SEAL_H
#define COFFER_FILE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/stream.h"

#define FILE_SHA256_BYTES 32

/* Where sealed bytes go: COFFER_OK, or an error that stops the sealer. */
typedef enum coffer_err (*file_sink)(void *ctx, const uint8_t *data, size_t len);
/* Where sealed bytes come from: reads exactly LEN bytes at OFFSET of the sealed stream. */
typedef enum coffer_err (*file_source)(void *ctx, uint64_t offset, uint8_t *buf, size_t len);

struct file_sealer;
struct file_opener;

/* Starts sealing under KEY with the context AAD CTX (keywrap_object_aad); the header goes to
 * SINK at once. The sealer copies the key into guarded memory; wipe KEY when this returns. */
COFFER_MUST_CHECK enum coffer_err file_sealer_new(const uint8_t key[AEAD_KEY_BYTES],
						  const uint8_t *ctx, size_t ctx_len,
						  file_sink sink, void *sink_ctx,
						  struct file_sealer **out);
/* Takes LEN more bytes of plaintext. */
COFFER_MUST_CHECK enum coffer_err file_sealer_push(struct file_sealer *s, const uint8_t *data,
						   size_t len);
/* Seals the final segment; sets the plaintext's SHA256 and SIZE. */
COFFER_MUST_CHECK enum coffer_err
file_sealer_finish(struct file_sealer *s, uint8_t sha256[FILE_SHA256_BYTES], uint64_t *size);
/* Wipes and frees (after finish, or to give up). NULL is allowed. */
void file_sealer_free(struct file_sealer *s);

/* Starts opening a sealed stream of SEALED_SIZE bytes from SOURCE that should hold PLAIN_SIZE
 * bytes of plaintext: COFFER_ERR_CRYPTO if the sizes disagree or the header is not ours. */
COFFER_MUST_CHECK enum coffer_err file_opener_new(const uint8_t key[AEAD_KEY_BYTES],
						  const uint8_t *ctx, size_t ctx_len,
						  file_source source, void *source_ctx,
						  uint64_t sealed_size, uint64_t plain_size,
						  struct file_opener **out);
/* Copies up to MAX bytes of plaintext at position POS (which must be where the previous read
 * ended: downloads are sequential) into OUT; sets *N (0 at the end). COFFER_ERR_CRYPTO at the
 * first segment that does not verify, and on every call after it. */
COFFER_MUST_CHECK enum coffer_err file_opener_read(struct file_opener *o, uint64_t pos,
						   uint8_t *out, size_t max, size_t *n);
void file_opener_free(struct file_opener *o);

#endif
