/* mac_keys.h — the keys that link audit entries and seal checkpoints, one pair per master key
 * version, derived from the master keyring (HKDF, labels "coffer/keyd/audit-link/v1" and
 * "coffer/keyd/audit-checkpoint/v1").
 *
 * WARNING: whoever holds these can re-link a chain after changing it. Only keyd (in
 * `coffer serve`) and the operator's command line, which loads the master key, ever derive
 * them; the web process only asks keyd (audit/signer.h).
 */
#ifndef COFFER_AUDIT_MAC_KEYS_H
#define COFFER_AUDIT_MAC_KEYS_H

#include <stdint.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "common/err.h"
#include "crypto/master_key.h"

struct audit_mac_keys; /* guarded memory, read-only once derived */

COFFER_MUST_CHECK enum coffer_err audit_mac_keys_derive(const struct master_keyring *ring,
							struct audit_mac_keys **out);
/* Wipes and frees (NULL is fine). */
void audit_mac_keys_free(struct audit_mac_keys *k);
/* Zeroes the keys without freeing them (a process on its way out; NULL is fine). */
void audit_mac_keys_wipe(struct audit_mac_keys *k);
/* The newest version: the one new links and checkpoints use. */
uint32_t audit_mac_keys_newest(const struct audit_mac_keys *k);

/* The link (chain.h) of the entry at SEQ with DIGEST after PREV, under VERSION's link key.
 * COFFER_ERR_NOT_FOUND for a version the keyring does not have; COFFER_ERR_INVALID_INPUT for a
 * bad chain id. */
COFFER_MUST_CHECK enum coffer_err audit_mac_link(const struct audit_mac_keys *k, uint32_t version,
						 const char *chain,
						 const uint8_t prev[AUDIT_HASH_BYTES], uint64_t seq,
						 const uint8_t digest[AUDIT_HASH_BYTES],
						 uint8_t out[AUDIT_HASH_BYTES]);

/* Sets CP->mac under CP->key_version's checkpoint key. */
COFFER_MUST_CHECK enum coffer_err audit_mac_checkpoint_seal(const struct audit_mac_keys *k,
							    struct audit_checkpoint *cp);
/* COFFER_OK when CP's MAC holds; COFFER_ERR_CRYPTO when not (or its version is unknown). */
COFFER_MUST_CHECK enum coffer_err audit_mac_checkpoint_check(const struct audit_mac_keys *k,
							     const struct audit_checkpoint *cp);

#endif
