/* algorithms.c — OpenSSL's algorithms, fetched on first use and kept (algorithms.h). */
#include "crypto/algorithms.h"

#include <pthread.h>

static EVP_CIPHER *gcm;
static EVP_MD *sha256;
static EVP_MAC *hmac;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fetch(void)
{
	gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

const EVP_CIPHER *algo_aes_256_gcm(void)
{
	pthread_once(&once, fetch);
	return gcm;
}

const EVP_MD *algo_sha256(void)
{
	pthread_once(&once, fetch);
	return sha256;
}

EVP_MAC *algo_hmac(void)
{
	pthread_once(&once, fetch);
	return hmac;
}
