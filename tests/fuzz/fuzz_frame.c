/* fuzz_frame.c — key service frames from arbitrary bytes: frame_open and the field readers
 * must never read out of bounds, and a frame they accept must re-encode to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyproto/frame.h"

static struct frame_writer w;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_reader r;
	uint8_t type;
	uint8_t a[64], b[256];
	if (!frame_open(data, size, &type, &r))
		return 0;
	/* One message shape: u8, u32, bytes(≤64), u64, bytes(≤256). */
	uint8_t v8 = wire_get_u8(&r);
	uint32_t v32 = wire_get_u32(&r);
	size_t alen = wire_get_bytes(&r, a, sizeof a);
	uint64_t v64 = wire_get_u64(&r);
	size_t blen = wire_get_bytes(&r, b, sizeof b);
	if (!wire_reader_end(&r))
		return 0;
	frame_begin(&w, type);
	wire_put_u8(&w.w, v8);
	wire_put_u32(&w.w, v32);
	wire_put_bytes(&w.w, a, alen);
	wire_put_u64(&w.w, v64);
	wire_put_bytes(&w.w, b, blen);
	if (!frame_end(&w) || w.w.len - 4 != size || memcmp(w.buf + 4, data, size) != 0) {
		fprintf(stderr, "fuzz_frame: an accepted frame did not re-encode to itself\n");
		abort();
	}
	return 0;
}
