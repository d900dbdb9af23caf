/* frame.c — writing, reading and moving key service frames (format in frame.h). */
#include "keyproto/frame.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct wire_writer *frame_begin(struct frame_writer *f, uint8_t type)
{
	const uint8_t head[4 + FRAME_HEADER_BYTES] = {0, 0, 0, 0, FRAME_VERSION, type, 0, 0};
	f->w = wire_writer_init(f->buf, sizeof f->buf);
	wire_put_raw(&f->w, head, sizeof head);
	return &f->w;
}

bool frame_end(struct frame_writer *f)
{
	if (f->w.bad || f->w.len < 4 + FRAME_HEADER_BYTES)
		return false;
	uint32_t body = (uint32_t)(f->w.len - 4);
	f->buf[0] = (uint8_t)(body >> 24);
	f->buf[1] = (uint8_t)(body >> 16);
	f->buf[2] = (uint8_t)(body >> 8);
	f->buf[3] = (uint8_t)body;
	return true;
}

bool frame_open(const uint8_t *body, size_t len, uint8_t *type, struct wire_reader *r)
{
	if (len < FRAME_HEADER_BYTES || len > FRAME_MAX || body[0] != FRAME_VERSION ||
	    body[2] != 0 || body[3] != 0)
		return false;
	*type = body[1];
	*r = wire_reader_init(body + FRAME_HEADER_BYTES, len - FRAME_HEADER_BYTES);
	return true;
}

enum coffer_err frame_send(int fd, const struct frame_writer *f)
{
	if (f->w.bad || f->w.len < 4 + FRAME_HEADER_BYTES)
		return COFFER_ERR_INTERNAL;
	/* One datagram: on a SOCK_SEQPACKET socket a write is all or nothing. MSG_NOSIGNAL: a
	 * peer that has gone is an error to report, not a SIGPIPE to die of. */
	ssize_t n;
	do
		n = send(fd, f->buf, f->w.len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)f->w.len ? COFFER_OK : COFFER_ERR_IO;
}

enum coffer_err frame_recv(int fd, uint8_t *buf, size_t *len)
{
	uint8_t prefix[4], spare;
	/* One read takes one whole datagram; a frame longer than the buffers would spill into
	 * the spare byte, which no valid frame reaches. */
	struct iovec iov[3] = {{prefix, sizeof prefix}, {buf, FRAME_MAX}, {&spare, 1}};
	ssize_t n;
	do
		n = readv(fd, iov, 3);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return COFFER_ERR_UNAVAILABLE; /* the peer closed its end */
	if (n < 4 + FRAME_HEADER_BYTES || n > 4 + FRAME_MAX)
		return COFFER_ERR_IO; /* an error, or a short or oversized frame */
	size_t body =
	    (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 | (size_t)prefix[2] << 8 | prefix[3];
	if (body != (size_t)n - 4)
		return COFFER_ERR_IO;
	*len = body;
	return COFFER_OK;
}

enum coffer_err frame_send_fd(int fd, const struct frame_writer *f, int pass)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	if (f->w.bad || f->w.len < 4 + FRAME_HEADER_BYTES || pass < 0)
		return COFFER_ERR_INTERNAL;
	struct iovec iov = {(void *)(uintptr_t)f->buf, f->w.len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	memset(&control, 0, sizeof control);
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass, sizeof pass);
	ssize_t n;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)f->w.len ? COFFER_OK : COFFER_ERR_IO;
}

/* Closes every descriptor in MSG's control data; returns how many there were in *N, and the
 * first in *FIRST. */
static void take_fds(struct msghdr *msg, int *first, size_t *n)
{
	*first = -1;
	*n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
			if (*n == 0)
				*first = got;
			else
				close(got);
			(*n)++;
		}
	}
}

enum coffer_err frame_recv_fd(int fd, uint8_t *buf, size_t *len, int *passed)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))]; /* room to see that a second one came */
	} control;
	uint8_t prefix[4], spare;
	struct iovec iov[3] = {{prefix, sizeof prefix}, {buf, FRAME_MAX}, {&spare, 1}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 3};
	*passed = -1;
	memset(&control, 0, sizeof control);
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return COFFER_ERR_UNAVAILABLE; /* the peer closed its end */
	int first = -1;
	size_t fds = 0;
	if (n > 0)
		take_fds(&msg, &first, &fds);
	if (n < 4 + FRAME_HEADER_BYTES || n > 4 + FRAME_MAX || fds > 1 ||
	    (msg.msg_flags & MSG_CTRUNC) != 0) {
		if (first >= 0)
			close(first);
		return COFFER_ERR_IO;
	}
	size_t body =
	    (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 | (size_t)prefix[2] << 8 | prefix[3];
	if (body != (size_t)n - 4) {
		if (first >= 0)
			close(first);
		return COFFER_ERR_IO;
	}
	*len = body;
	*passed = first;
	return COFFER_OK;
}
