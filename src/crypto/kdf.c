/* kdf.c — HKDF-SHA256 through OpenSSL 3's EVP_KDF interface. */
#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>

enum coffer_err kdf_derive(const uint8_t *ikm, size_t ikm_len, const char *label, uint8_t *out,
			   size_t out_len)
{
	return kdf_derive_salted(ikm, ikm_len, NULL, 0, label, out, out_len);
}

enum coffer_err kdf_derive_salted(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
				  size_t salt_len, const char *label, uint8_t *out, size_t out_len)
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)ikm, ikm_len),
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)label,
					      strlen(label)),
	    OSSL_PARAM_construct_end(),
	    OSSL_PARAM_construct_end(),
	};
	/* No salt is HKDF's default (a string of zeros), which is how kdf_derive has always
	 * derived: only a salt given is passed. */
	if (salt != NULL && salt_len > 0)
		params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							      (void *)(uintptr_t)salt, salt_len);
	if (ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1)
		err = COFFER_OK;
	else
		memset(out, 0, out_len);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return err;
}
