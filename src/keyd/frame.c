/* frame.c — writing, reading and moving key service frames (format in frame.h). */
#include "keyd/frame.h"

#include "common/fileio.h"

#include <string.h>
#include <unistd.h>

static void put(struct frame_writer *w, const void *data, size_t len)
{
	if (w->bad || len > sizeof w->buf - w->len) {
		w->bad = true;
		return;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

void frame_begin(struct frame_writer *w, uint8_t type)
{
	const uint8_t head[4 + FRAME_HEADER_BYTES] = {0, 0, 0, 0, FRAME_VERSION, type, 0, 0};
	w->len = 0;
	w->bad = false;
	put(w, head, sizeof head);
}

void frame_put_u8(struct frame_writer *w, uint8_t v) { put(w, &v, 1); }

void frame_put_u32(struct frame_writer *w, uint32_t v)
{
	const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			      (uint8_t)v};
	put(w, b, sizeof b);
}

void frame_put_u64(struct frame_writer *w, uint64_t v)
{
	frame_put_u32(w, (uint32_t)(v >> 32));
	frame_put_u32(w, (uint32_t)v);
}

void frame_put_bytes(struct frame_writer *w, const void *data, size_t len)
{
	if (len > 0xffff) {
		w->bad = true;
		return;
	}
	const uint8_t b[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	put(w, b, sizeof b);
	if (len > 0)
		put(w, data, len);
}

bool frame_end(struct frame_writer *w)
{
	if (w->bad || w->len < 4 + FRAME_HEADER_BYTES)
		return false;
	uint32_t body = (uint32_t)(w->len - 4);
	w->buf[0] = (uint8_t)(body >> 24);
	w->buf[1] = (uint8_t)(body >> 16);
	w->buf[2] = (uint8_t)(body >> 8);
	w->buf[3] = (uint8_t)body;
	return true;
}

bool frame_open(const uint8_t *body, size_t len, uint8_t *type, struct frame_reader *r)
{
	if (len < FRAME_HEADER_BYTES || len > FRAME_MAX || body[0] != FRAME_VERSION ||
	    body[2] != 0 || body[3] != 0)
		return false;
	*type = body[1];
	r->p = body + FRAME_HEADER_BYTES;
	r->left = len - FRAME_HEADER_BYTES;
	r->bad = false;
	return true;
}

/* Takes N bytes from the reader, or marks it bad and yields nothing. */
static const uint8_t *take(struct frame_reader *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t frame_get_u8(struct frame_reader *r)
{
	const uint8_t *p = take(r, 1);
	return p ? p[0] : 0;
}

uint32_t frame_get_u32(struct frame_reader *r)
{
	const uint8_t *p = take(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t frame_get_u64(struct frame_reader *r)
{
	uint64_t hi = frame_get_u32(r);
	return hi << 32 | frame_get_u32(r);
}

size_t frame_get_bytes(struct frame_reader *r, void *out, size_t max)
{
	const uint8_t *lp = take(r, 2);
	if (lp == NULL)
		return 0;
	size_t len = (size_t)lp[0] << 8 | lp[1];
	if (len > max) {
		r->bad = true;
		return 0;
	}
	const uint8_t *p = take(r, len);
	if (p == NULL)
		return 0;
	if (len > 0)
		memcpy(out, p, len);
	return len;
}

bool frame_reader_end(const struct frame_reader *r) { return !r->bad && r->left == 0; }

enum coffer_err frame_send(int fd, const struct frame_writer *w)
{
	if (w->bad || w->len < 4 + FRAME_HEADER_BYTES)
		return COFFER_ERR_INTERNAL;
	return fd_write_all(fd, w->buf, w->len);
}

enum coffer_err frame_recv(int fd, uint8_t *buf, size_t *len)
{
	uint8_t prefix[4];
	enum coffer_err err = fd_read_all(fd, prefix, sizeof prefix);
	if (err != COFFER_OK)
		return err;
	size_t body = (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 | (size_t)prefix[2] << 8 |
		      prefix[3];
	if (body < FRAME_HEADER_BYTES || body > FRAME_MAX)
		return COFFER_ERR_IO;
	err = fd_read_all(fd, buf, body);
	if (err == COFFER_OK)
		*len = body;
	return err;
}
