/* file_seal.c — files sealed and opened as streams of 64 KiB segments (see file_seal.h and the
 * segment format in stream.h and docs/FORMAT.md).
 *
 * Design points:
 * - The key (inside struct stream_state) and every plaintext buffer live in guarded memory
 *   (sodium_malloc: guard pages, mlock, wiped by sodium_free); the sealed bytes are not secret
 *   and live in ordinary memory.
 * - Memory is constant: one segment of plaintext and one of ciphertext per sealer or opener.
 * - Sealing avoids copies where it can: when nothing is pending and the caller's piece holds a
 *   whole segment with more bytes after it, that segment is sealed straight from the caller's
 *   buffer. Only a segment that might be the last is copied and held back.
 * - Opening releases plaintext one verified segment at a time and never more than one segment
 *   per call; the first failure is sticky, so nothing after a bad segment is ever released: a
 *   segment that does not verify gives COFFER_ERR_CRYPTO on that call and every later one, and
 *   a source that fails gives its own error (COFFER_ERR_IO) the same way. The sizes are checked
 *   before the source is touched. A read with MAX = 0 is refused (*N = 0 would read as the
 *   end).
 */
#include "crypto/file_seal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/algorithms.h"

#define SEG	   STREAM_SEGMENT_BYTES
#define SEALED_SEG STREAM_SEALED_SEGMENT_BYTES
/* A stream holds at most 2^32 - 1 segments (stream.h): larger plaintext sizes are refused,
 * which also keeps stream_sealed_size from overflowing. */
#define PLAIN_MAX ((uint64_t)UINT32_MAX * SEG)

/* What a sealer and an opener each hold: guarded (sodium_malloc), the stream's key and one
 * segment of plaintext (the bytes held back, or the last segment opened); in ordinary memory,
 * one sealed segment, which is not secret. */
struct segment_secret {
	struct stream_state st;
	uint8_t plain[SEG];
};

struct segment_buffers {
	struct segment_secret *sec;
	uint8_t *sealed; /* SEALED_SEG bytes */
};

static bool buffers_new(struct segment_buffers *b)
{
	b->sec = sodium_malloc(sizeof *b->sec);
	b->sealed = malloc(SEALED_SEG);
	return b->sec != NULL && b->sealed != NULL;
}

static void buffers_free(struct segment_buffers *b)
{
	if (b->sec != NULL) {
		stream_wipe(&b->sec->st);
		sodium_free(b->sec); /* wipes the key and the plaintext */
	}
	free(b->sealed);
}

/* --- sealing --------------------------------------------------------------------------------- */

struct file_sealer {
	struct segment_buffers buf; /* buf.sec->plain: the plaintext held back */
	size_t have;		    /* plaintext bytes in buf.sec->plain */
	uint64_t size;		    /* plaintext bytes taken so far */
	EVP_MD_CTX *md;
	file_sink sink;
	void *sink_ctx;
	enum coffer_err err; /* sticky: once anything failed, every later call fails with it */
	bool finished;
};

enum coffer_err file_sealer_new(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *ctx,
				size_t ctx_len, file_sink sink, void *sink_ctx,
				struct file_sealer **out)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	uint8_t header[STREAM_HEADER_BYTES];
	if (sink == NULL || (ctx == NULL && ctx_len > 0))
		return COFFER_ERR_INVALID_INPUT;
	struct file_sealer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return COFFER_ERR_NOMEM;
	s->md = EVP_MD_CTX_new();
	if (!buffers_new(&s->buf) || s->md == NULL)
		goto out;
	s->sink = sink;
	s->sink_ctx = sink_ctx;
	err = COFFER_ERR_CRYPTO;
	if (algo_sha256() == NULL || EVP_DigestInit_ex(s->md, algo_sha256(), NULL) != 1)
		goto out;
	err = stream_seal_init(&s->buf.sec->st, key, ctx, ctx_len, header);
	if (err != COFFER_OK)
		goto out;
	err = sink(sink_ctx, header, sizeof header);
	if (err != COFFER_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	ERR_clear_error();
	file_sealer_free(s);
	return err;
}

/* Seals LEN bytes at IN as the next segment and hands it to the sink. */
static enum coffer_err seal_segment(struct file_sealer *s, const uint8_t *in, size_t len, bool last)
{
	enum coffer_err err = stream_seal_segment(&s->buf.sec->st, in, len, last, s->buf.sealed);
	if (err == COFFER_OK)
		err = s->sink(s->sink_ctx, s->buf.sealed, len + AEAD_TAG_BYTES);
	return err;
}

static enum coffer_err hash(struct file_sealer *s, const uint8_t *data, size_t len)
{
	if (EVP_DigestUpdate(s->md, data, len) != 1) {
		ERR_clear_error();
		return COFFER_ERR_CRYPTO;
	}
	return COFFER_OK;
}

enum coffer_err file_sealer_push(struct file_sealer *s, const uint8_t *data, size_t len)
{
	enum coffer_err err = COFFER_OK;
	if (s->err != COFFER_OK)
		return s->err;
	if (s->finished || (data == NULL && len > 0))
		return COFFER_ERR_INVALID_INPUT;
	if (len > PLAIN_MAX - s->size)
		return COFFER_ERR_TOO_LARGE;
	while (len > 0 && err == COFFER_OK) {
		if (s->have == SEG) {
			/* More bytes follow the full segment held back: it is not the last. */
			err = seal_segment(s, s->buf.sec->plain, SEG, false);
			s->have = 0;
		} else if (s->have == 0 && len > SEG) {
			/* A whole segment with more after it: seal it where it is, no copy. */
			err = hash(s, data, SEG);
			if (err == COFFER_OK)
				err = seal_segment(s, data, SEG, false);
			data += SEG;
			len -= SEG;
			s->size += SEG;
		} else {
			size_t take = SEG - s->have < len ? SEG - s->have : len;
			err = hash(s, data, take);
			memcpy(s->buf.sec->plain + s->have, data, take);
			s->have += take;
			data += take;
			len -= take;
			s->size += take;
		}
	}
	s->err = err;
	return err;
}

enum coffer_err file_sealer_finish(struct file_sealer *s, uint8_t sha256_out[FILE_SHA256_BYTES],
				   uint64_t *size)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	if (s->err != COFFER_OK)
		return s->err;
	if (s->finished)
		return COFFER_ERR_INVALID_INPUT;
	/* 0..SEG bytes: an empty file is one empty last segment. */
	enum coffer_err err = seal_segment(s, s->buf.sec->plain, s->have, true);
	sodium_memzero(s->buf.sec->plain, s->have);
	s->have = 0;
	if (err == COFFER_OK && (EVP_DigestFinal_ex(s->md, digest, &digest_len) != 1 ||
				 digest_len != FILE_SHA256_BYTES))
		err = COFFER_ERR_CRYPTO;
	ERR_clear_error();
	s->err = err;
	s->finished = true;
	if (err != COFFER_OK)
		return err;
	memcpy(sha256_out, digest, FILE_SHA256_BYTES);
	*size = s->size;
	return COFFER_OK;
}

void file_sealer_free(struct file_sealer *s)
{
	if (s == NULL)
		return;
	buffers_free(&s->buf);
	EVP_MD_CTX_free(s->md); /* cleanses the digest state */
	free(s);
}

/* --- opening --------------------------------------------------------------------------------- */

struct file_opener {
	struct segment_buffers buf; /* buf.sec->plain: the last segment opened */
	file_source source;
	void *source_ctx;
	uint64_t sealed_size;
	uint64_t segments;   /* how many the stream holds */
	uint64_t next;	     /* index of the next segment to open */
	uint64_t pos;	     /* plaintext position where the next read must start */
	size_t plain_len;    /* verified bytes in buf.sec->plain … */
	size_t plain_off;    /* … of which these were released already */
	enum coffer_err err; /* sticky */
};

enum coffer_err file_opener_new(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *ctx,
				size_t ctx_len, file_source source, void *source_ctx,
				uint64_t sealed_size, uint64_t plain_size, struct file_opener **out)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	uint8_t header[STREAM_HEADER_BYTES];
	/* Before anything else: a stream whose length disagrees with its plaintext size was
	 * truncated or extended, and nothing of it is read. */
	if (plain_size > PLAIN_MAX || stream_sealed_size(plain_size) != sealed_size)
		return COFFER_ERR_CRYPTO;
	if (source == NULL || (ctx == NULL && ctx_len > 0))
		return COFFER_ERR_INVALID_INPUT;
	struct file_opener *o = calloc(1, sizeof *o);
	if (o == NULL)
		return COFFER_ERR_NOMEM;
	if (!buffers_new(&o->buf))
		goto out;
	o->source = source;
	o->source_ctx = source_ctx;
	o->sealed_size = sealed_size;
	o->segments = plain_size == 0 ? 1 : (plain_size + SEG - 1) / SEG;
	err = source(source_ctx, 0, header, sizeof header);
	if (err != COFFER_OK)
		goto out;
	err = stream_open_init(&o->buf.sec->st, key, ctx, ctx_len, header);
	if (err != COFFER_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	file_opener_free(o);
	return err;
}

static uint64_t next_offset(const struct file_opener *o)
{
	return STREAM_HEADER_BYTES + o->next * (uint64_t)SEALED_SEG;
}

/* The sealed length of segment o->next: a full one, or what is left for the last (which the
 * size check in file_opener_new bounds to AEAD_TAG_BYTES..SEALED_SEG). */
static size_t next_sealed_len(const struct file_opener *o)
{
	bool last = o->next + 1 == o->segments;
	return last ? (size_t)(o->sealed_size - next_offset(o)) : SEALED_SEG;
}

/* Reads and opens segment o->next into DST (which holds SEG bytes); sets *LEN. */
static enum coffer_err open_next(struct file_opener *o, uint8_t *dst, size_t *len)
{
	bool last = o->next + 1 == o->segments;
	uint64_t offset = next_offset(o);
	size_t sealed = next_sealed_len(o);
	enum coffer_err err = o->source(o->source_ctx, offset, o->buf.sealed, sealed);
	if (err != COFFER_OK)
		return err;
	/* The segment is opened as the last exactly when it is the last by position: a
	 * segment whose flag disagrees fails (truncation, extension). */
	err = stream_open_segment(&o->buf.sec->st, o->buf.sealed, sealed, last, dst);
	if (err != COFFER_OK)
		return COFFER_ERR_CRYPTO;
	o->next++;
	*len = sealed - AEAD_TAG_BYTES;
	return COFFER_OK;
}

enum coffer_err file_opener_read(struct file_opener *o, uint64_t pos, uint8_t *out, size_t max,
				 size_t *n)
{
	enum coffer_err err = COFFER_OK;
	if (o->err != COFFER_OK)
		return o->err;
	/* max == 0 is refused: its natural answer, *n = 0, would read as the end. */
	if (pos != o->pos || out == NULL || max == 0)
		return COFFER_ERR_INVALID_INPUT;
	if (o->plain_off == o->plain_len) {
		if (o->next == o->segments) {
			*n = 0; /* every segment, the last included, has verified */
			return COFFER_OK;
		}
		size_t plain = next_sealed_len(o) - AEAD_TAG_BYTES;
		if (max >= plain && plain > 0) {
			/* The caller takes the whole segment: open it straight into OUT (a
			 * segment that fails is zeroed there by aead_open_detached). */
			size_t len = 0;
			err = open_next(o, out, &len);
			if (err == COFFER_OK) {
				o->pos += len;
				*n = len;
			}
			goto out;
		}
		o->plain_off = o->plain_len = 0;
		err = open_next(o, o->buf.sec->plain, &o->plain_len);
		if (err != COFFER_OK)
			goto out;
		if (o->plain_len == 0) {
			*n = 0; /* the empty last segment of an empty file verified */
			goto out;
		}
	}
	size_t take = o->plain_len - o->plain_off < max ? o->plain_len - o->plain_off : max;
	memcpy(out, o->buf.sec->plain + o->plain_off, take);
	o->plain_off += take;
	o->pos += take;
	*n = take;
out:
	o->err = err;
	return err;
}

void file_opener_free(struct file_opener *o)
{
	if (o == NULL)
		return;
	buffers_free(&o->buf);
	free(o);
}
