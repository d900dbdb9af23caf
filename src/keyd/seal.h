/* seal.h — keyd's seals: the records keyd must trust again later (session tickets, accounts,
 * invitations, resets, charters) carry a MAC that only keyd can make, so the web process can store
 * them and hand them back but never forge or alter one.
 *
 * A sealed record is  BODY | u32 master key version | HMAC-SHA256 (32)
 * with the MAC over BODY and the version, under HKDF(master key of that version, the
 * purpose's label). Each purpose has its own key, so a record sealed for one purpose never
 * opens as another. The version lets records outlive a rotation of the master key: keyd
 * derives the keys of every version in the keyring, and seals with the newest.
 *
 * The same derivation gives keyd the AES-256-GCM keys it encrypts TOTP secrets, accounts'
 * breach digests and password hashes (account.h) under, per master key version.
 */
#ifndef COFFER_SEAL_H
#define COFFER_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/mac.h"
#include "crypto/master_key.h"

#define SEAL_OVERHEAD (4 + MAC_BYTES)

enum seal_purpose {
	SEAL_TICKET = 0, /* session tickets (ticket.h) */
	SEAL_ACCOUNT,	 /* account records (account.h) */
	SEAL_INVITE,	 /* invitations (account.h) */
	SEAL_RESET,	 /* sign-in resets (account.h) */
	SEAL_CHARTER,	 /* organisations' founding charters (account.h) */
	SEAL_CHALLENGE,	 /* WebAuthn challenges (account.h) */
	SEAL__COUNT
};

/* Derived keys for every master key version, in guarded memory (read-only). */
struct seal_keys;

COFFER_MUST_CHECK enum coffer_err seal_keys_derive(const struct master_keyring *ring,
						   struct seal_keys **out);
void seal_keys_free(struct seal_keys *k);
/* Zeroes every key in K without freeing it (keyd on its way out, with other threads about). */
void seal_keys_wipe(struct seal_keys *k);

/* Seals the BODY_LEN bytes at the start of BUF (CAP bytes in all) in place, appending the
 * version and MAC; sets *SEALED_LEN. COFFER_ERR_TOO_LARGE when CAP is too small. */
COFFER_MUST_CHECK enum coffer_err seal_close(const struct seal_keys *k, enum seal_purpose p,
					     uint8_t *buf, size_t body_len, size_t cap,
					     size_t *sealed_len);

/* Checks the seal of IN (LEN bytes) for purpose P; on success sets *BODY_LEN (the body is the
 * first bytes of IN). COFFER_ERR_UNAUTHENTICATED for anything keyd did not seal for P. */
COFFER_MUST_CHECK enum coffer_err seal_open(const struct seal_keys *k, enum seal_purpose p,
					    const uint8_t *in, size_t len, size_t *body_len);

/* The TOTP secret key of master key VERSION (NULL when the keyring has no such version), and
 * the newest version. */
const uint8_t *seal_totp_key(const struct seal_keys *k, uint32_t version);
uint32_t seal_newest_version(const struct seal_keys *k);

/* The breach digest key of master key VERSION (NULL when the keyring has no such version). */
const uint8_t *seal_breach_key(const struct seal_keys *k, uint32_t version);
/* The password hash key of master key VERSION (NULL when the keyring has no such version). */
const uint8_t *seal_hash_key(const struct seal_keys *k, uint32_t version);

#endif
