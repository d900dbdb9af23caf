/* frame.h — the framing of the key service protocol, the only code both keyd and the web
 * process link for talking to each other.
 *
 * A frame on the socket pair:
 *   length (u32, big-endian): bytes that follow, FRAME_HEADER_BYTES..FRAME_MAX
 *   version (u8) = FRAME_VERSION | type (u8) | reserved (u16) = 0 | payload
 * A payload is a sequence of fields: u8, u32 and u64 (big-endian), and byte strings as a u16
 * length then the bytes. Each message type has one fixed sequence.
 *
 * Design points:
 * - Nothing is ever cast from the buffer: the reader copies each field out after checking that
 *   it fits, and remembers the first overrun; frame_reader_end() then fails, as it does for
 *   trailing bytes. A decoder checks only once, at the end.
 * - A peer that sends a malformed frame is not argued with: the caller drops the connection.
 */
#ifndef COFFER_FRAME_H
#define COFFER_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define FRAME_VERSION 1
#define FRAME_HEADER_BYTES 4 /* version, type, reserved */
#define FRAME_MAX (64 * 1024)
#define FRAME_PAYLOAD_MAX (FRAME_MAX - FRAME_HEADER_BYTES)

struct frame_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

struct frame_writer {
	uint8_t buf[4 + FRAME_MAX];
	size_t len;
	bool bad; /* a field did not fit */
};

/* Starts a frame of TYPE. */
void frame_begin(struct frame_writer *w, uint8_t type);
void frame_put_u8(struct frame_writer *w, uint8_t v);
void frame_put_u32(struct frame_writer *w, uint32_t v);
void frame_put_u64(struct frame_writer *w, uint64_t v);
void frame_put_bytes(struct frame_writer *w, const void *data, size_t len); /* len ≤ 65535 */
/* Completes the length prefix. Returns false if any field did not fit. */
COFFER_MUST_CHECK bool frame_end(struct frame_writer *w);

/* Parses the header of BODY (the LEN bytes after the length prefix): on success sets *TYPE and
 * a reader over the payload. */
COFFER_MUST_CHECK bool frame_open(const uint8_t *body, size_t len, uint8_t *type,
				  struct frame_reader *r);
uint8_t frame_get_u8(struct frame_reader *r);
uint32_t frame_get_u32(struct frame_reader *r);
uint64_t frame_get_u64(struct frame_reader *r);
/* Copies a byte string of at most MAX bytes to OUT and returns its length (0 on error). */
size_t frame_get_bytes(struct frame_reader *r, void *out, size_t max);
/* True when every field fitted and the payload was read to its last byte. */
COFFER_MUST_CHECK bool frame_reader_end(const struct frame_reader *r);

/* Writes the whole frame to FD. */
COFFER_MUST_CHECK enum coffer_err frame_send(int fd, const struct frame_writer *w);
/* Reads one frame body (after its length prefix) into BUF (FRAME_MAX bytes). A length out of
 * range or a short read is COFFER_ERR_IO: the connection must be dropped. */
COFFER_MUST_CHECK enum coffer_err frame_recv(int fd, uint8_t *buf, size_t *len);

#endif
