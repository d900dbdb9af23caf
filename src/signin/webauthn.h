/* webauthn.h — reading what a WebAuthn authenticator and browser send (W3C Web Authentication,
 * Level 2): authenticator data, attestation objects, COSE public keys, client data JSON; and
 * checking an assertion's signature with OpenSSL. Parsing and checking only: which checks a
 * registration or a sign-in needs, and what they mean for an account, keyd decides
 * (keyd/passkey_requests.c).
 *
 * Design points:
 * - Every input is hostile until parsed: lengths are checked before any read, every CBOR item
 *   must be consumed exactly, and anything outside the small subset coffer uses (the two
 *   attestation formats, the two key types below) is refused, not skipped.
 * - Keys: ES256 (COSE -7, P-256, the one every authenticator supports) and EdDSA (COSE -8,
 *   Ed25519). RS256 is not taken: its 256-byte modulus would not fit eight passkeys into a
 *   sealed account (keyd/account.h).
 * - Attestation: "none", and "packed" with its statement ignored (self or basic attestation
 *   are not verified: coffer trusts no authenticator vendor, it only binds a key to an account
 *   whose password and session already proved who registers it).
 */
#ifndef COFFER_SIGNIN_WEBAUTHN_H
#define COFFER_SIGNIN_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WEBAUTHN_CRED_ID_MAX	  128  /* bytes; authenticators use 16..~80 */
#define WEBAUTHN_KEY_MAX	  65   /* an uncompressed P-256 point */
#define WEBAUTHN_RP_ID_HASH_BYTES 32   /* SHA-256 */
#define WEBAUTHN_AUTH_DATA_MAX	  1024 /* with a credential and extensions */
#define WEBAUTHN_ATTESTATION_MAX  4096 /* a packed statement with a short certificate chain */
#define WEBAUTHN_CLIENT_DATA_MAX  1024
#define WEBAUTHN_SIGNATURE_MAX	  128 /* ECDSA P-256 DER: at most 72; Ed25519: 64 */
#define WEBAUTHN_CHALLENGE_MAX	  256 /* bytes, decoded */
#define WEBAUTHN_USER_HANDLE_MAX  64  /* WebAuthn's limit */
#define WEBAUTHN_ORIGIN_MAX	  300 /* "https://" + a host name + ":" + a port */

enum webauthn_alg { WEBAUTHN_ES256 = -7, WEBAUTHN_EDDSA = -8 };

/* Authenticator data flags (WebAuthn §6.1). */
#define WEBAUTHN_FLAG_UP 0x01 /* user present */
#define WEBAUTHN_FLAG_UV 0x04 /* user verified */
#define WEBAUTHN_FLAG_AT 0x40 /* attested credential data included */
#define WEBAUTHN_FLAG_ED 0x80 /* extension data included */

/* A credential public key: ES256 as the point 04 | x | y (65 bytes), EdDSA as 32 bytes. */
struct webauthn_public_key {
	int32_t alg; /* enum webauthn_alg */
	uint8_t bytes[WEBAUTHN_KEY_MAX];
	size_t len;
};

struct webauthn_auth_data {
	uint8_t rp_id_hash[WEBAUTHN_RP_ID_HASH_BYTES];
	uint8_t flags;
	uint32_t sign_count;
	bool has_credential; /* the AT flag: a registration's */
	uint8_t aaguid[16];
	uint8_t cred_id[WEBAUTHN_CRED_ID_MAX];
	size_t cred_id_len;
	struct webauthn_public_key key;
};

enum webauthn_type { WEBAUTHN_CREATE = 1, WEBAUTHN_GET = 2 };

/* The fields of client data JSON that coffer checks (WebAuthn §5.8.1). */
struct webauthn_client_data {
	uint8_t type; /* enum webauthn_type */
	uint8_t challenge[WEBAUTHN_CHALLENGE_MAX];
	size_t challenge_len;
	char origin[WEBAUTHN_ORIGIN_MAX + 1];
	bool cross_origin;
};

/* Reads authenticator data IN (LEN bytes) into OUT: 37 bytes of RP ID hash, flags and counter,
 * then, with AT, the attested credential (a credential id of 1..WEBAUTHN_CRED_ID_MAX bytes and
 * a COSE key as webauthn_cose_key_parse takes it), then, with ED, one CBOR map of extensions,
 * and nothing after. COFFER_ERR_INVALID_INPUT for anything else; OUT is zeroed then. */
COFFER_MUST_CHECK enum coffer_err webauthn_auth_data_parse(const uint8_t *in, size_t len,
							   struct webauthn_auth_data *out);

/* Reads the COSE key at the start of IN (LEN bytes): a CBOR map with integer labels, kty 2
 * (EC2) with alg -7, crv 1 (P-256), x and y of 32 bytes each, or kty 1 (OKP) with alg -8,
 * crv 6 (Ed25519) and x of 32 bytes; no label twice. *USED is how many bytes it took. */
COFFER_MUST_CHECK enum coffer_err webauthn_cose_key_parse(const uint8_t *in, size_t len,
							  size_t *used,
							  struct webauthn_public_key *out);

/* Reads an attestation object IN (a CBOR map of exactly "fmt", "attStmt" and "authData"):
 * format "none" with an empty statement, or "packed" (its statement, a map, is not checked);
 * its authenticator data must carry a credential. */
COFFER_MUST_CHECK enum coffer_err webauthn_attestation_parse(const uint8_t *in, size_t len,
							     struct webauthn_auth_data *out);

/* Reads client data JSON IN: an object without duplicate keys, with "type" webauthn.create or
 * webauthn.get, "challenge" base64url without padding (1..WEBAUTHN_CHALLENGE_MAX bytes),
 * "origin" (1..WEBAUTHN_ORIGIN_MAX bytes) and an optional boolean "crossOrigin"; any other
 * member is ignored, as WebAuthn requires. */
COFFER_MUST_CHECK enum coffer_err webauthn_client_data_parse(const uint8_t *in, size_t len,
							     struct webauthn_client_data *out);

/* Whether K is a usable key: a point on P-256, or an Ed25519 key OpenSSL takes. */
bool webauthn_key_usable(const struct webauthn_public_key *k);

/* Verifies SIG (LEN bytes: DER for ES256, raw for EdDSA) by K over AUTH_DATA || SHA-256
 * (CLIENT_DATA), the message an assertion signs (WebAuthn §6.3.3). COFFER_OK when it holds,
 * COFFER_ERR_INVALID_CREDENTIALS when it does not, COFFER_ERR_INVALID_INPUT for a bad key. */
COFFER_MUST_CHECK enum coffer_err webauthn_signature_verify(const struct webauthn_public_key *k,
							    const uint8_t *auth_data, size_t ad_len,
							    const uint8_t *client_data,
							    size_t cd_len, const uint8_t *sig,
							    size_t sig_len);

/* The SHA-256 of RP_ID, as authenticator data carries it. */
COFFER_MUST_CHECK enum coffer_err webauthn_rp_id_hash(const char *rp_id,
						      uint8_t out[WEBAUTHN_RP_ID_HASH_BYTES]);

/* Decodes base64url without padding (S, LEN characters) into OUT (CAP bytes): false for any
 * other character, padding, or more than CAP bytes. */
bool webauthn_b64url_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len);
/* Encodes IN (LEN bytes) as base64url without padding into OUT (CAP characters, with NUL):
 * false when it does not fit. */
bool webauthn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
