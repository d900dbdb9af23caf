/* kdf.h — deriving purpose-bound subkeys with HKDF-SHA256 (RFC 5869, OpenSSL's EVP_KDF).
 *
 * One secret never serves two purposes: keyd derives, for example, the key that seals session
 * tickets from the master key with its own label, so a ticket MAC can never be confused with
 * a key wrap.
 */
#ifndef COFFER_KDF_H
#define COFFER_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* OUT_LEN bytes of HKDF-SHA256(salt = none, IKM, info = LABEL). */
COFFER_MUST_CHECK enum coffer_err kdf_derive(const uint8_t *ikm, size_t ikm_len, const char *label,
					     uint8_t *out, size_t out_len);

/* OUT_LEN bytes of HKDF-SHA256(SALT, IKM, info = LABEL): for a key of its own per salt (a backup
 * snapshot's, for instance). */
COFFER_MUST_CHECK enum coffer_err kdf_derive_salted(const uint8_t *ikm, size_t ikm_len,
						    const uint8_t *salt, size_t salt_len,
						    const char *label, uint8_t *out,
						    size_t out_len);

#endif
