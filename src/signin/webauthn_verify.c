/* webauthn_verify.c — credential public keys and assertion signatures, with OpenSSL
 * (webauthn.h). */
#include "signin/webauthn.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

/* K as an OpenSSL key (caller frees with EVP_PKEY_free), or NULL. */
static EVP_PKEY *key_of(const struct webauthn_public_key *k)
{
	if (k->alg == WEBAUTHN_EDDSA && k->len == 32)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->bytes, 32);
	if (k->alg != WEBAUTHN_ES256 || k->len != 65 || k->bytes[0] != 0x04)
		return NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)k->bytes,
					      k->len),
	    OSSL_PARAM_construct_end(),
	};
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

bool webauthn_key_usable(const struct webauthn_public_key *k)
{
	EVP_PKEY *pkey = key_of(k);
	EVP_PKEY_CTX *ctx = pkey != NULL ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	/* For EC, the full check: the point is on the curve and not the identity. */
	bool ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

enum coffer_err webauthn_signature_verify(const struct webauthn_public_key *k,
					  const uint8_t *auth_data, size_t ad_len,
					  const uint8_t *client_data, size_t cd_len,
					  const uint8_t *sig, size_t sig_len)
{
	uint8_t msg[WEBAUTHN_AUTH_DATA_MAX + 32];
	unsigned int hl = 0;
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey = NULL;
	if (auth_data == NULL || ad_len < 37 || ad_len > WEBAUTHN_AUTH_DATA_MAX ||
	    client_data == NULL || cd_len == 0 || sig == NULL || sig_len == 0 ||
	    sig_len > WEBAUTHN_SIGNATURE_MAX)
		goto out;
	memcpy(msg, auth_data, ad_len);
	if (EVP_Digest(client_data, cd_len, msg + ad_len, &hl, EVP_sha256(), NULL) != 1 ||
	    hl != 32) {
		err = COFFER_ERR_CRYPTO;
		goto out;
	}
	if ((pkey = key_of(k)) == NULL || (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	/* ES256 hashes with SHA-256; Ed25519 takes the message itself (no digest named). */
	const EVP_MD *h = k->alg == WEBAUTHN_ES256 ? EVP_sha256() : NULL;
	if (EVP_DigestVerifyInit(md, NULL, h, NULL, pkey) != 1) {
		err = COFFER_ERR_CRYPTO;
		goto out;
	}
	err = EVP_DigestVerify(md, sig, sig_len, msg, ad_len + 32) == 1
		  ? COFFER_OK
		  : COFFER_ERR_INVALID_CREDENTIALS;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return err;
}

enum coffer_err webauthn_rp_id_hash(const char *rp_id, uint8_t out[WEBAUTHN_RP_ID_HASH_BYTES])
{
	unsigned int n = 0;
	if (rp_id == NULL || rp_id[0] == '\0')
		return COFFER_ERR_INVALID_INPUT;
	return EVP_Digest(rp_id, strlen(rp_id), out, &n, EVP_sha256(), NULL) == 1 && n == 32
		   ? COFFER_OK
		   : COFFER_ERR_CRYPTO;
}
