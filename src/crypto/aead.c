/* aead.c — AES-256-GCM on OpenSSL EVP; OpenSSL errors are converted here, once. */
#include "crypto/aead.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/algorithms.h"

/* EVP takes int lengths; anything bigger is refused rather than truncated. */
static bool fits_int(size_t n)
{
	return n <= (size_t)INT_MAX;
}

/* Seals (ENCRYPT) or opens LEN bytes at IN into OUT with AES-256-GCM under KEY and NONCE,
 * authenticating AAD: sealing writes the tag into TAG, opening checks it against TAG.
 * On any failure OUT (and, sealing, TAG) is zeroed: EVP writes plaintext before the tag is
 * checked, so an open that fails for any reason must not leave part of it behind. */
static enum coffer_err gcm(bool encrypt, const uint8_t key[AEAD_KEY_BYTES],
			   const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
			   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
			   uint8_t tag[AEAD_TAG_BYTES])
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	EVP_CIPHER_CTX *ctx = NULL;
	int n = 0;
	if (!fits_int(len) || !fits_int(aad_len)) {
		err = COFFER_ERR_TOO_LARGE;
		goto out;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	if (EVP_CipherInit_ex(ctx, algo_aes_256_gcm(), NULL, key, nonce, encrypt ? 1 : 0) != 1)
		goto out;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_BYTES, tag) != 1)
		goto out;
	/* Opening: this is where the tag is checked. */
	if (EVP_CipherFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1)
		goto out;
	if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_BYTES, tag) != 1)
		goto out;
	err = COFFER_OK;
out:
	if (err != COFFER_OK) {
		if (len > 0)
			sodium_memzero(out, len); /* never partial plaintext */
		if (encrypt)
			sodium_memzero(tag, AEAD_TAG_BYTES);
	}
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

enum coffer_err aead_seal_detached(const uint8_t key[AEAD_KEY_BYTES],
				   const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
				   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
				   uint8_t tag[AEAD_TAG_BYTES])
{
	return gcm(true, key, nonce, aad, aad_len, in, len, out, tag);
}

enum coffer_err aead_open_detached(const uint8_t key[AEAD_KEY_BYTES],
				   const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
				   size_t aad_len, const uint8_t *in, size_t len,
				   const uint8_t tag[AEAD_TAG_BYTES], uint8_t *out)
{
	/* EVP's SET_TAG takes a non-const pointer. */
	uint8_t tag_copy[AEAD_TAG_BYTES];
	memcpy(tag_copy, tag, sizeof tag_copy);
	return gcm(false, key, nonce, aad, aad_len, in, len, out, tag_copy);
}

enum coffer_err aead_seal(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad, size_t aad_len,
			  const uint8_t *in, size_t len, uint8_t *out)
{
	if (len > SIZE_MAX - AEAD_OVERHEAD)
		return COFFER_ERR_TOO_LARGE;
	randombytes_buf(out, AEAD_NONCE_BYTES);
	return aead_seal_detached(key, out, aad, aad_len, in, len, out + AEAD_NONCE_BYTES,
				  out + AEAD_NONCE_BYTES + len);
}

enum coffer_err aead_open(const uint8_t key[AEAD_KEY_BYTES], const uint8_t *aad, size_t aad_len,
			  const uint8_t *in, size_t len, uint8_t *out)
{
	if (len < AEAD_OVERHEAD)
		return COFFER_ERR_CRYPTO;
	size_t ct_len = len - AEAD_OVERHEAD;
	return aead_open_detached(key, in, aad, aad_len, in + AEAD_NONCE_BYTES, ct_len,
				  in + AEAD_NONCE_BYTES + ct_len, out);
}
