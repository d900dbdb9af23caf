/* master_wrap.c — organisation keys under the master key, in software or in the token
 * (master_wrap.h). */
#include "crypto/master_wrap.h"

#include <sodium.h>

#include "hsm/p11.h"

enum coffer_err master_wrap_org_key(const struct master_keyring *ring, uint32_t master_version,
				    const char *org_id, uint32_t version,
				    const uint8_t org_key[AEAD_KEY_BYTES],
				    uint8_t out[KEYWRAP_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	const struct master_key *mk = master_keyring_find(ring, master_version);
	if (mk == NULL)
		return COFFER_ERR_CRYPTO;
	if (ring->kind != MASTER_KIND_PKCS11)
		return keywrap_org_key(mk->key, org_id, version, org_key, out);
	size_t aad_len = keywrap_org_aad(org_id, version, aad);
	if (aad_len == 0)
		return COFFER_ERR_INVALID_INPUT;
	/* A random 96-bit nonce per wrap, as keywrap does: the number of organisation key
	 * versions a master key wraps is far below the 2^32 bound for random GCM nonces. */
	randombytes_buf(out, AEAD_NONCE_BYTES);
	return p11_encrypt(ring->token, mk->token_key, out, aad, aad_len, org_key, AEAD_KEY_BYTES,
			   out + AEAD_NONCE_BYTES);
}

enum coffer_err master_unwrap_org_key(const struct master_keyring *ring, uint32_t master_version,
				      const char *org_id, uint32_t version,
				      const uint8_t wrapped[KEYWRAP_BYTES],
				      uint8_t org_key[AEAD_KEY_BYTES])
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	const struct master_key *mk = master_keyring_find(ring, master_version);
	enum coffer_err err = COFFER_ERR_CRYPTO;
	size_t aad_len = 0;
	if (mk != NULL && ring->kind != MASTER_KIND_PKCS11) {
		err = keyunwrap_org_key(mk->key, org_id, version, wrapped, org_key);
	} else if (mk != NULL) {
		aad_len = keywrap_org_aad(org_id, version, aad);
		err = aad_len == 0
			  ? COFFER_ERR_INVALID_INPUT
			  : p11_decrypt(ring->token, mk->token_key, wrapped, aad, aad_len,
					wrapped + AEAD_NONCE_BYTES,
					AEAD_KEY_BYTES + AEAD_OVERHEAD - AEAD_NONCE_BYTES, org_key);
	}
	if (err != COFFER_OK)
		sodium_memzero(org_key, AEAD_KEY_BYTES);
	return err;
}
