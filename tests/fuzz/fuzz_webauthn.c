/* fuzz_webauthn.c — WebAuthn's parsers (signin/webauthn.h) on arbitrary bytes: authenticator
 * data, attestation objects, COSE keys, client data JSON, and signature checks under keys the
 * input itself carries.
 *
 * Input: one byte choosing the parser, then its input. Whatever the input: a refusal leaves
 * the output zeroed; an accepted credential id is 1..WEBAUTHN_CRED_ID_MAX bytes; an accepted
 * key is ES256 (65 bytes, 04 | x | y) or EdDSA (32 bytes); a COSE key says it took no more than
 * it was given; a challenge fits; an origin is a C string of its length; parsing the same bytes
 * twice gives the same result; a signature check under a parsed key never crashes and accepts
 * no empty signature.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "signin/webauthn.h"

static void check_key(const struct webauthn_public_key *k)
{
	check((k->alg == WEBAUTHN_ES256 && k->len == 65 && k->bytes[0] == 0x04) ||
		  (k->alg == WEBAUTHN_EDDSA && k->len == 32),
	      "a key is ES256 or EdDSA, of its size");
}

static void check_auth_data(enum coffer_err err, const struct webauthn_auth_data *d)
{
	if (err != COFFER_OK) {
		check(sodium_is_zero((const unsigned char *)d, sizeof *d), "a refusal zeroes");
		return;
	}
	if (d->has_credential) {
		check(d->cred_id_len >= 1 && d->cred_id_len <= WEBAUTHN_CRED_ID_MAX,
		      "a credential id within bounds");
		check_key(&d->key);
	} else {
		check(d->cred_id_len == 0, "no credential, no id");
	}
}

static void auth_data(const uint8_t *p, size_t n)
{
	struct webauthn_auth_data a, b;
	enum coffer_err err = webauthn_auth_data_parse(p, n, &a);
	check_auth_data(err, &a);
	check(webauthn_auth_data_parse(p, n, &b) == err && memcmp(&a, &b, sizeof a) == 0,
	      "the same bytes parse the same");
	if (err == COFFER_OK && a.has_credential)
		(void)webauthn_key_usable(&a.key);
}

static void attestation(const uint8_t *p, size_t n)
{
	struct webauthn_auth_data a;
	enum coffer_err err = webauthn_attestation_parse(p, n, &a);
	check_auth_data(err, &a);
	if (err == COFFER_OK)
		check(a.has_credential, "an attestation carries a credential");
}

static void cose(const uint8_t *p, size_t n)
{
	struct webauthn_public_key k;
	size_t used = 0;
	if (webauthn_cose_key_parse(p, n, &used, &k) != COFFER_OK) {
		check(sodium_is_zero((const unsigned char *)&k, sizeof k), "a refusal zeroes");
		return;
	}
	check(used >= 1 && used <= n, "a key takes what it was given, no more");
	check_key(&k);
	(void)webauthn_key_usable(&k);
}

static void client_data(const uint8_t *p, size_t n)
{
	struct webauthn_client_data c;
	if (webauthn_client_data_parse(p, n, &c) != COFFER_OK) {
		check(sodium_is_zero((const unsigned char *)&c, sizeof c), "a refusal zeroes");
		return;
	}
	check(n <= WEBAUTHN_CLIENT_DATA_MAX, "within the bound");
	check(c.type == WEBAUTHN_CREATE || c.type == WEBAUTHN_GET, "a known type");
	check(c.challenge_len >= 1 && c.challenge_len <= WEBAUTHN_CHALLENGE_MAX, "a challenge");
	size_t ol = strnlen(c.origin, sizeof c.origin);
	check(ol >= 1 && ol <= WEBAUTHN_ORIGIN_MAX, "an origin, a C string");
}

/* A COSE key, then one byte of signature length, the signature, then authenticator data and
 * client data split at the next byte. */
static void signature(const uint8_t *p, size_t n)
{
	struct webauthn_public_key k;
	size_t used = 0;
	if (webauthn_cose_key_parse(p, n, &used, &k) != COFFER_OK || n - used < 2)
		return;
	p += used;
	n -= used;
	size_t sl = p[0];
	if (n - 1 < sl + 1)
		return;
	const uint8_t *sig = p + 1;
	p += 1 + sl;
	n -= 1 + sl;
	size_t split = p[0] < n - 1 ? p[0] : n - 1;
	const uint8_t *ad = p + 1, *cd = p + 1 + split;
	enum coffer_err err = webauthn_signature_verify(&k, ad, split, cd, n - 1 - split, sig, sl);
	if (sl == 0)
		check(err != COFFER_OK, "no signature is no proof");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* A copy of exactly the rest, so that ASan sees any read past the length given. */
	size_t n = size - 1;
	uint8_t *rest = malloc(n > 0 ? n : 1);
	if (rest == NULL)
		return 0;
	memcpy(rest, data + 1, n);
	switch (data[0] % 5) {
	case 0: auth_data(rest, n); break;
	case 1: attestation(rest, n); break;
	case 2: cose(rest, n); break;
	case 3: client_data(rest, n); break;
	default: signature(rest, n); break;
	}
	free(rest);
	return 0;
}
