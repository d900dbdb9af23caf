/* aead.c — AES-256-GCM on OpenSSL EVP; OpenSSL errors are converted here, once. */
#include "crypto/aead.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

/* Fetched once: with OpenSSL 3, EVP_aes_256_gcm() makes every init look the algorithm up in
 * the provider tables again, which costs more than sealing a small record. */
static EVP_CIPHER *gcm;
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void fetch_gcm(void)
{
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *aes_256_gcm(void)
{
	pthread_once(&gcm_once, fetch_gcm);
	return gcm;
}

/* EVP takes int lengths; anything bigger is refused rather than truncated. */
static bool fits_int(size_t n)
{
	return n <= (size_t)INT_MAX;
}

enum coffer_err aead_seal_detached(const uint8_t key[AEAD_KEY_BYTES],
				   const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
				   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
				   uint8_t tag[AEAD_TAG_BYTES])
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	int n = 0;
	if (!fits_int(len) || !fits_int(aad_len))
		return COFFER_ERR_TOO_LARGE;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return COFFER_ERR_NOMEM;
	if (EVP_EncryptInit_ex(ctx, aes_256_gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_BYTES, tag) != 1)
		goto out;
	err = COFFER_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

enum coffer_err aead_open_detached(const uint8_t key[AEAD_KEY_BYTES],
				   const uint8_t nonce[AEAD_NONCE_BYTES], const uint8_t *aad,
				   size_t aad_len, const uint8_t *in, size_t len,
				   const uint8_t tag[AEAD_TAG_BYTES], uint8_t *out)
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	int n = 0;
	uint8_t tag_copy[AEAD_TAG_BYTES];
	if (!fits_int(len) || !fits_int(aad_len))
		return COFFER_ERR_TOO_LARGE;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return COFFER_ERR_NOMEM;
	/* EVP's SET_TAG takes a non-const pointer. */
	memcpy(tag_copy, tag, sizeof tag_copy);
	if (EVP_DecryptInit_ex(ctx, aes_256_gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_BYTES, tag_copy) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, out + (len > 0 ? n : 0), &n) != 1)
		goto out; /* the tag did not verify */
	err = COFFER_OK;
out:
	if (err != COFFER_OK && len > 0)
		sodium_memzero(out, len);
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return err;
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
