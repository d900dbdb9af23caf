/* handlers.h — what keyd does with each request: the dispatch table behind keyd_handle.
 * Separate from the process code (keyd.c) so that unit tests and the fuzzer drive it directly.
 */
#ifndef COFFER_KEYD_HANDLERS_H
#define COFFER_KEYD_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wire.h"
#include "crypto/mac.h"
#include "crypto/master_key.h"
#include "keyd/frame.h"

struct seal_keys;      /* seal.h */
struct keyd_hash_gate; /* identity.h */

/* What keyd holds: the keys in guarded memory, read-only once loaded. */
struct keyd_keys {
	struct master_keyring *ring;
	uint8_t *ticket_key;		/* MAC_KEY_BYTES, derived from the newest master key */
	struct seal_keys *seals;	/* account and invite seals, TOTP secret keys (seal.h) */
	struct keyd_hash_gate *hashing; /* bounds password hashing; the dummy hash (identity.h) */
};

/* Loads the keyring from DATA_DIR and derives the keys (keyd_keys_from_ring). */
COFFER_MUST_CHECK enum coffer_err keyd_keys_load(const char *data_dir, const char *passphrase_file,
						 struct keyd_keys *keys);
/* Derives the ticket key and the seal keys from a loaded keyring into guarded memory, and sets
 * up the password hashing gate (which hashes the dummy password once: ~100 ms). On success
 * KEYS owns RING; on failure the caller still does. */
COFFER_MUST_CHECK enum coffer_err keyd_keys_from_ring(struct master_keyring *ring,
						      struct keyd_keys *keys);
/* Frees everything KEYS holds (the keyring too). */
void keyd_keys_free(struct keyd_keys *keys);

/* Answers with DENIED and the reason WHY: a request that parsed, refused. */
void keyd_deny(struct frame_writer *f, enum coffer_err why);

/* Answers one request of TYPE whose payload R holds, into REPLY. Returns false when the request
 * is unknown or malformed: the caller then ends keyd. */
COFFER_MUST_CHECK bool keyd_handle(const struct keyd_keys *keys, uint8_t type,
				   struct wire_reader *r, struct frame_writer *reply);

#endif
