/* wire.c — bounds-checked big-endian fields (see wire.h). */
#include "common/wire.h"

#include <string.h>

void wire_put_raw(struct wire_writer *w, const void *data, size_t len)
{
	if (w->bad || len > w->cap - w->len) {
		w->bad = true;
		return;
	}
	if (len > 0)
		memcpy(w->p + w->len, data, len);
	w->len += len;
}

void wire_put_u8(struct wire_writer *w, uint8_t v)
{
	wire_put_raw(w, &v, 1);
}

void wire_put_u32(struct wire_writer *w, uint32_t v)
{
	const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			      (uint8_t)v};
	wire_put_raw(w, b, sizeof b);
}

void wire_put_u64(struct wire_writer *w, uint64_t v)
{
	wire_put_u32(w, (uint32_t)(v >> 32));
	wire_put_u32(w, (uint32_t)v);
}

void wire_put_bytes(struct wire_writer *w, const void *data, size_t len)
{
	if (len > WIRE_BYTES_MAX) {
		w->bad = true;
		return;
	}
	const uint8_t b[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	wire_put_raw(w, b, sizeof b);
	wire_put_raw(w, data, len);
}

void wire_put_str(struct wire_writer *w, const char *s)
{
	wire_put_bytes(w, s, strlen(s));
}

const uint8_t *wire_get_raw(struct wire_reader *r, size_t n)
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

uint8_t wire_get_u8(struct wire_reader *r)
{
	const uint8_t *p = wire_get_raw(r, 1);
	return p ? p[0] : 0;
}

uint32_t wire_get_u32(struct wire_reader *r)
{
	const uint8_t *p = wire_get_raw(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t wire_get_u64(struct wire_reader *r)
{
	uint64_t hi = wire_get_u32(r);
	uint64_t lo = wire_get_u32(r);
	return r->bad ? 0 : hi << 32 | lo;
}

/* Reads a length prefix and points at that many bytes; NULL and bad past MAX. */
static const uint8_t *get_counted(struct wire_reader *r, size_t max, size_t *len)
{
	const uint8_t *lp = wire_get_raw(r, 2);
	*len = 0;
	if (lp == NULL)
		return NULL;
	size_t n = (size_t)lp[0] << 8 | lp[1];
	if (n > max) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = wire_get_raw(r, n);
	if (p != NULL)
		*len = n;
	return p;
}

size_t wire_get_bytes(struct wire_reader *r, void *out, size_t max)
{
	size_t len;
	const uint8_t *p = get_counted(r, max, &len);
	if (p == NULL)
		return 0;
	if (len > 0)
		memcpy(out, p, len);
	return len;
}

void wire_get_exact(struct wire_reader *r, void *out, size_t len)
{
	size_t got;
	const uint8_t *p = get_counted(r, len, &got);
	if (p == NULL || got != len) {
		r->bad = true;
		memset(out, 0, len);
		return;
	}
	memcpy(out, p, len);
}

void wire_get_str(struct wire_reader *r, char *out, size_t max)
{
	size_t len;
	const uint8_t *p = get_counted(r, max, &len);
	out[0] = '\0';
	if (p == NULL || len == 0 || memchr(p, '\0', len) != NULL) {
		r->bad = true;
		return;
	}
	memcpy(out, p, len);
	out[len] = '\0';
}

bool wire_reader_end(const struct wire_reader *r)
{
	return !r->bad && r->left == 0;
}
