/* token.c — token generation and hashing on libsodium's RNG and base64 and OpenSSL's SHA-256. */
#include "crypto/token.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/algorithms.h"

/* SHA-256 through the algorithm fetched once (algorithms.h): EVP_sha256() makes OpenSSL 3 look
 * it up in the provider tables on every call. */
static void sha256(const uint8_t *in, size_t len, struct token_hash *out)
{
	unsigned int outlen = 0;
	/* EVP_Digest with a built-in algorithm fails only on allocation failure (or with no
	 * SHA-256 at all, when algo_sha256 is NULL). */
	if (EVP_Digest(in, len, out->bytes, &outlen, algo_sha256(), NULL) != 1 ||
	    outlen != TOKEN_HASH_BYTES)
		abort();
}

void token_generate(char text[TOKEN_TEXT_LEN + 1], struct token_hash *hash)
{
	uint8_t raw[TOKEN_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(text, TOKEN_TEXT_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sha256(raw, sizeof raw, hash);
	sodium_memzero(raw, sizeof raw);
}

bool token_hash_text(const char *text, struct token_hash *hash)
{
	uint8_t raw[TOKEN_BYTES];
	size_t rawlen = 0;
	const char *end = NULL;
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	/* Check the alphabet ourselves: libsodium 1.0.18 reads high bytes as '_'. */
	if (strnlen(text, TOKEN_TEXT_LEN + 1) != TOKEN_TEXT_LEN ||
	    strspn(text, alphabet) != TOKEN_TEXT_LEN)
		return false;
	if (sodium_base642bin(raw, sizeof raw, text, TOKEN_TEXT_LEN, NULL, &rawlen, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    rawlen != TOKEN_BYTES || end != text + TOKEN_TEXT_LEN)
		return false;
	sha256(raw, sizeof raw, hash);
	sodium_memzero(raw, sizeof raw);
	return true;
}
