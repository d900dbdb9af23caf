/* frame.h — the framing of the key service protocol (messages in protocol.h): with it, the only
 * code both keyd and the web process link for talking to each other.
 *
 * A frame on the socket pair:
 *   length (u32, big-endian): bytes that follow, FRAME_HEADER_BYTES..FRAME_MAX
 *   version (u8) = FRAME_VERSION | type (u8) | reserved (u16) = 0 | payload
 * A payload is a sequence of wire fields (common/wire.h); each message type has one fixed
 * sequence. A peer that sends a malformed frame is not argued with: the caller drops the
 * connection.
 */
#ifndef COFFER_KEYPROTO_FRAME_H
#define COFFER_KEYPROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/wire.h"

#define FRAME_VERSION	   1
#define FRAME_HEADER_BYTES 4 /* version, type, reserved */
#define FRAME_MAX	   (64 * 1024)
#define FRAME_PAYLOAD_MAX  (FRAME_MAX - FRAME_HEADER_BYTES)

struct frame_writer {
	struct wire_writer w;
	uint8_t buf[4 + FRAME_MAX];
};

/* Starts a frame of TYPE and returns the writer to put its payload fields with. */
struct wire_writer *frame_begin(struct frame_writer *f, uint8_t type);
/* Completes the length prefix. Returns false if any field did not fit. */
COFFER_MUST_CHECK bool frame_end(struct frame_writer *f);

/* Parses the header of BODY (the LEN bytes after the length prefix): on success sets *TYPE and
 * a reader over the payload. */
COFFER_MUST_CHECK bool frame_open(const uint8_t *body, size_t len, uint8_t *type,
				  struct wire_reader *r);

/* Frames travel as datagrams on SOCK_SEQPACKET socket pairs: one write sends a frame, one read
 * takes it whole (two system calls a round trip on each side, not four). */

/* Writes the whole frame to FD. */
COFFER_MUST_CHECK enum coffer_err frame_send(int fd, const struct frame_writer *f);
/* Reads one frame into BUF (FRAME_MAX bytes) and sets *LEN to its body's length (what follows
 * the length prefix). COFFER_ERR_UNAVAILABLE when the peer has closed its end; COFFER_ERR_IO
 * for an error or a datagram whose length prefix disagrees with its size or is out of range.
 * Either way the connection must be dropped. */
COFFER_MUST_CHECK enum coffer_err frame_recv(int fd, uint8_t *buf, size_t *len);

/* frame_send with the descriptor PASS passed along (SCM_RIGHTS; the sender keeps its own copy):
 * for BREACH_LIST, the one request that carries one. */
COFFER_MUST_CHECK enum coffer_err frame_send_fd(int fd, const struct frame_writer *f, int pass);
/* frame_recv that also takes a descriptor passed with the frame: *PASSED is it (close-on-exec,
 * the caller's to close), or -1 when none came. More than one descriptor, or control data cut
 * short, is COFFER_ERR_IO, with whatever descriptors came closed. */
COFFER_MUST_CHECK enum coffer_err frame_recv_fd(int fd, uint8_t *buf, size_t *len, int *passed);

#endif
