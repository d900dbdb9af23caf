/* wire.h — bounds-checked big-endian encoding of small binary records: the key service's frames
 * and the records keyd seals (session tickets).
 *
 * Fields are u8, u32, u64 (big-endian) and byte strings (a u16 length, then the bytes).
 *
 * Design points:
 * - Nothing is ever cast from a buffer: the reader copies each field out after checking that it
 *   fits, and remembers the first overrun, so a decoder checks once, at the end
 *   (wire_reader_end(), which also refuses trailing bytes).
 * - The writer likewise remembers a field that did not fit; the caller checks w.bad once.
 */
#ifndef COFFER_WIRE_H
#define COFFER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WIRE_BYTES_MAX 0xffffu

struct wire_writer {
	uint8_t *p;
	size_t cap, len;
	bool bad; /* a field did not fit */
};

struct wire_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline struct wire_writer wire_writer_init(uint8_t *buf, size_t cap)
{
	return (struct wire_writer){.p = buf, .cap = cap, .len = 0, .bad = false};
}

static inline struct wire_reader wire_reader_init(const uint8_t *buf, size_t len)
{
	return (struct wire_reader){.p = buf, .left = len, .bad = false};
}

void wire_put_raw(struct wire_writer *w, const void *data, size_t len);
void wire_put_u8(struct wire_writer *w, uint8_t v);
void wire_put_u32(struct wire_writer *w, uint32_t v);
void wire_put_u64(struct wire_writer *w, uint64_t v);
void wire_put_bytes(struct wire_writer *w, const void *data, size_t len); /* len ≤ 65535 */
/* A NUL-terminated string as a byte string (without the NUL). */
void wire_put_str(struct wire_writer *w, const char *s);

uint8_t wire_get_u8(struct wire_reader *r);
uint32_t wire_get_u32(struct wire_reader *r);
uint64_t wire_get_u64(struct wire_reader *r);
/* Copies a byte string of at most MAX bytes to OUT and returns its length (0 on error). */
size_t wire_get_bytes(struct wire_reader *r, void *out, size_t max);
/* Reads a byte string of exactly LEN bytes; anything else marks the reader bad. */
void wire_get_exact(struct wire_reader *r, void *out, size_t len);
/* Reads a byte string of 1..MAX bytes with no NUL in it into OUT (MAX + 1 bytes) as a C
 * string; anything else marks the reader bad. */
void wire_get_str(struct wire_reader *r, char *out, size_t max);
/* Points at the next LEN raw bytes without copying (NULL and bad when they are not there). */
const uint8_t *wire_get_raw(struct wire_reader *r, size_t len);
/* True when every field fitted and the input was read to its last byte. */
COFFER_MUST_CHECK bool wire_reader_end(const struct wire_reader *r);

#endif
