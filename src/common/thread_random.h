/* thread_random.h — unpredictable bytes without a system call, for identifiers that must be
 * unique and unguessable but protect nothing (a request id).
 *
 * Each thread draws a 256-bit key from the kernel (randombytes_buf) the first time it asks,
 * then takes ChaCha20's keystream under that key with a counter as the nonce, one block per
 * call (libsodium's crypto_stream_chacha20_ietf, the construction of its own
 * randombytes_buf_deterministic). Keys and data keys are never drawn from here: they come from
 * randombytes_buf or OpenSSL's generator. */
#ifndef COFFER_COMMON_THREAD_RANDOM_H
#define COFFER_COMMON_THREAD_RANDOM_H

#include <stddef.h>

#define THREAD_RANDOM_MAX 64 /* bytes per call at most (one ChaCha20 block) */

/* Fills OUT with N (at most THREAD_RANDOM_MAX) unpredictable bytes. */
void thread_random_bytes(void *out, size_t n);

#endif
