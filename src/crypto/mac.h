/* mac.h — HMAC-SHA256 (OpenSSL), with verification in constant time (libsodium).
 *
 * keyd seals the records it must later trust again (session tickets) with a MAC under a key
 * only it holds: the web process stores them and hands them back, and cannot forge or alter one.
 */
#ifndef COFFER_MAC_H
#define COFFER_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MAC_KEY_BYTES 32
#define MAC_BYTES     32

COFFER_MUST_CHECK enum coffer_err mac_sha256(const uint8_t key[MAC_KEY_BYTES], const void *data,
					     size_t len, uint8_t out[MAC_BYTES]);

/* True when TAG is the MAC of DATA under KEY; the comparison takes the same time wherever the
 * first difference is. */
COFFER_MUST_CHECK bool mac_sha256_verify(const uint8_t key[MAC_KEY_BYTES], const void *data,
					 size_t len, const uint8_t tag[MAC_BYTES]);

#endif
