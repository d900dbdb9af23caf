/* master_wrap.h — wrapping and unwrapping organisation keys under a version of the master key,
 * whatever keeps it.
 *
 * For a keyring in a file (unsealed or sealed by a passphrase) this is keywrap_org_key under the
 * version's key, in software. For a keyring in a PKCS#11 token it is AES-256-GCM inside the
 * token under that version's key object, which never leaves it. Both give the same 60-byte form
 * (keywrap.h: nonce | encrypted key | tag, with the org-key AAD), so the system database does not
 * care which. Every wrap and unwrap of an organisation key goes through here.
 */
#ifndef COFFER_MASTER_WRAP_H
#define COFFER_MASTER_WRAP_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/keywrap.h"
#include "crypto/master_key.h"

/* Wraps ORG_KEY (version VERSION of ORG_ID's key) under master key MASTER_VERSION of RING.
 * COFFER_ERR_CRYPTO when RING has no such version. */
COFFER_MUST_CHECK enum coffer_err master_wrap_org_key(const struct master_keyring *ring,
						      uint32_t master_version, const char *org_id,
						      uint32_t version,
						      const uint8_t org_key[AEAD_KEY_BYTES],
						      uint8_t out[KEYWRAP_BYTES]);

/* The inverse. COFFER_ERR_CRYPTO when RING has no such version or WRAPPED does not open in
 * this context; ORG_KEY is then zeroed. */
COFFER_MUST_CHECK enum coffer_err master_unwrap_org_key(const struct master_keyring *ring,
							uint32_t master_version, const char *org_id,
							uint32_t version,
							const uint8_t wrapped[KEYWRAP_BYTES],
							uint8_t org_key[AEAD_KEY_BYTES]);

#endif
