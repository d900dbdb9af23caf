/* algorithms.h — the OpenSSL algorithms coffer uses (AES-256-GCM, SHA-256, HMAC), fetched once
 * for the process. With OpenSSL 3 an implicit fetch (EVP_aes_256_gcm() and the like) looks the
 * algorithm up in the provider tables on every init, which costs more than sealing or hashing
 * a small record. */
#ifndef COFFER_ALGORITHMS_H
#define COFFER_ALGORITHMS_H

#include <openssl/evp.h>

/* Each is NULL when OpenSSL could not provide it (callers fail with COFFER_ERR_CRYPTO). */
const EVP_CIPHER *algo_aes_256_gcm(void);
const EVP_MD *algo_sha256(void);
EVP_MAC *algo_hmac(void);

#endif
