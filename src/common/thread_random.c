/* thread_random.c — per-thread keystream for identifiers (thread_random.h). */
#include "common/thread_random.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static _Thread_local struct {
	bool keyed;
	uint64_t counter;
	unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
} state;

void thread_random_bytes(void *out, size_t n)
{
	if (n > THREAD_RANDOM_MAX)
		n = THREAD_RANDOM_MAX;
	if (!state.keyed) {
		randombytes_buf(state.key, sizeof state.key);
		state.keyed = true;
	}
	unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
	uint64_t c = state.counter++;
	memcpy(nonce, &c, sizeof c);
	crypto_stream_chacha20_ietf(out, n, nonce, state.key);
}
