/* test_webauthn_authenticator.h — a software authenticator for the tests: an ES256 or Ed25519
 * key made with OpenSSL, and the authenticator data, attestation objects ("none"), client data
 * JSON and signatures a browser and authenticator would send, built byte by byte so that each
 * test can change exactly one thing. Included by one test program each (static). */
#ifndef COFFER_TEST_WEBAUTHN_AUTHENTICATOR_H
#define COFFER_TEST_WEBAUTHN_AUTHENTICATOR_H

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "signin/webauthn.h"

struct test_authenticator {
	EVP_PKEY *key;
	int alg; /* enum webauthn_alg */
	uint8_t cred_id[16];
	uint32_t counter;
};

static inline void ta_make(struct test_authenticator *a, int alg)
{
	memset(a, 0, sizeof *a);
	a->alg = alg;
	a->key = alg == WEBAUTHN_ES256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
				       : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(a->key);
	randombytes_buf(a->cred_id, sizeof a->cred_id);
}

static inline void ta_free(struct test_authenticator *a)
{
	EVP_PKEY_free(a->key);
	a->key = NULL;
}

/* The COSE key of A into OUT; its length. */
static inline size_t ta_cose(const struct test_authenticator *a, uint8_t *out)
{
	size_t n = 0;
	if (a->alg == WEBAUTHN_EDDSA) {
		static const uint8_t head[] = {0xa4, 0x01, 0x01, 0x03, 0x27,
					       0x20, 0x06, 0x21, 0x58, 0x20};
		size_t kl = 32;
		memcpy(out, head, sizeof head);
		assert_int_equal(EVP_PKEY_get_raw_public_key(a->key, out + sizeof head, &kl), 1);
		return sizeof head + 32;
	}
	uint8_t point[65];
	assert_int_equal(EVP_PKEY_get_octet_string_param(a->key, OSSL_PKEY_PARAM_PUB_KEY, point,
							 sizeof point, &n),
			 1);
	assert_int_equal(n, 65);
	static const uint8_t head[] = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20};
	memcpy(out, head, sizeof head);
	memcpy(out + 10, point + 1, 32);
	out[42] = 0x22;
	out[43] = 0x58;
	out[44] = 0x20;
	memcpy(out + 45, point + 33, 32);
	return 77;
}

/* Authenticator data for RP_ID with FLAGS and COUNTER, with A's credential when FLAGS has AT.
 * Its length. */
static inline size_t ta_auth_data(const struct test_authenticator *a, const char *rp_id,
				  uint8_t flags, uint32_t counter, uint8_t *out)
{
	unsigned int hl = 0;
	assert_int_equal(EVP_Digest(rp_id, strlen(rp_id), out, &hl, EVP_sha256(), NULL), 1);
	out[32] = flags;
	out[33] = (uint8_t)(counter >> 24);
	out[34] = (uint8_t)(counter >> 16);
	out[35] = (uint8_t)(counter >> 8);
	out[36] = (uint8_t)counter;
	size_t n = 37;
	if (flags & WEBAUTHN_FLAG_AT) {
		memset(out + n, 0, 16);
		n += 16;
		out[n++] = 0;
		out[n++] = sizeof a->cred_id;
		memcpy(out + n, a->cred_id, sizeof a->cred_id);
		n += sizeof a->cred_id;
		n += ta_cose(a, out + n);
	}
	return n;
}

/* An attestation object of format "none" around AUTH_DATA (LEN bytes < 65536). */
static inline size_t ta_attestation_none(const uint8_t *auth_data, size_t len, uint8_t *out)
{
	static const uint8_t head[] = {0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n',	'e',
				       0x67, 'a',  't', 't', 'S', 't',	'm', 't', 0xa0, 0x68,
				       'a',  'u',  't', 'h', 'D', 'a',	't', 'a', 0x59};
	memcpy(out, head, sizeof head);
	out[sizeof head] = (uint8_t)(len >> 8);
	out[sizeof head + 1] = (uint8_t)len;
	memcpy(out + sizeof head + 2, auth_data, len);
	return sizeof head + 2 + len;
}

/* Client data JSON of TYPE ("webauthn.create"/"webauthn.get") for CHALLENGE and ORIGIN. */
static inline size_t ta_client_data(const char *type, const uint8_t *challenge, size_t clen,
				    const char *origin, uint8_t *out, size_t cap)
{
	char b64[512];
	sodium_bin2base64(b64, sizeof b64, challenge, clen,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	int n = snprintf((char *)out, cap,
			 "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\","
			 "\"crossOrigin\":false}",
			 type, b64, origin);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/* A's signature over AUTH_DATA || SHA-256(CLIENT_DATA) into SIG; its length. */
static inline size_t ta_sign(const struct test_authenticator *a, const uint8_t *auth_data,
			     size_t ad_len, const uint8_t *client_data, size_t cd_len, uint8_t *sig)
{
	uint8_t msg[2048];
	unsigned int hl = 0;
	size_t sl = WEBAUTHN_SIGNATURE_MAX;
	memcpy(msg, auth_data, ad_len);
	assert_int_equal(EVP_Digest(client_data, cd_len, msg + ad_len, &hl, EVP_sha256(), NULL), 1);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(md, NULL,
					    a->alg == WEBAUTHN_ES256 ? EVP_sha256() : NULL, NULL,
					    a->key),
			 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sl, msg, ad_len + 32), 1);
	EVP_MD_CTX_free(md);
	return sl;
}

#endif
