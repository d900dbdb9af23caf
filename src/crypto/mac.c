/* mac.c — HMAC-SHA256 through OpenSSL 3's EVP_MAC interface. */
#include "crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#include "crypto/algorithms.h"

enum coffer_err mac_sha256(const uint8_t key[MAC_KEY_BYTES], const void *data, size_t len,
			   uint8_t out[MAC_BYTES])
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	size_t out_len = 0;
	EVP_MAC *hmac = algo_hmac();
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	if (ctx != NULL && EVP_MAC_init(ctx, key, MAC_KEY_BYTES, params) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 &&
	    EVP_MAC_final(ctx, out, &out_len, MAC_BYTES) == 1 && out_len == MAC_BYTES)
		err = COFFER_OK;
	else
		memset(out, 0, MAC_BYTES);
	EVP_MAC_CTX_free(ctx); /* cleanses the key schedule */
	return err;
}

bool mac_sha256_verify(const uint8_t key[MAC_KEY_BYTES], const void *data, size_t len,
		       const uint8_t tag[MAC_BYTES])
{
	uint8_t want[MAC_BYTES];
	bool ok = mac_sha256(key, data, len, want) == COFFER_OK &&
		  sodium_memcmp(want, tag, MAC_BYTES) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}
