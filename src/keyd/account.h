/* account.h — the records about people that keyd seals (seal.h) for the web process to keep:
 * accounts, invitations, sign-in resets and organisations' founding charters.
 *
 * keyd decides who may have a data key, so what it believes about a user must not be the web
 * process's to invent: the user's id, email, role, memberships and clearances, password hash
 * and TOTP secret live in an account record that keyd seals when it creates or changes it (at
 * an invitation's acceptance, a TOTP confirmation, a password change, a membership change by
 * an org_admin, a reset) and checks whenever it is handed one back. An invitation is sealed
 * when a session allowed to invite creates it (permit.h), or by `coffer init` and `coffer org
 * recover`, so accepting one cannot grant more than its maker could. A reset lets one member
 * set a new password and TOTP secret. A charter says that an organisation is still being
 * founded: until FOUNDING_UNTIL a sysadmin may invite its first org_admin.
 *
 * What is not in the record, because it changes without keyd (status, lockout, idle time,
 * revocation), is enforced by the web process from the database.
 *
 * Encodings (wire fields, common/wire.h), each then sealed:
 *   account: u8 format = 3 | str user id | str email | u8 role | u8 n |
 *            n × (str org id | u8 org role | u8 clearance) | bytes encrypted password hash |
 *            u8 totp state | bytes encrypted TOTP secret |
 *            bytes encrypted breach digest (empty when the account has none) |
 *            u8 p (0..ACCOUNT_PASSKEYS_MAX) | p × PASSKEY
 *            (formats 1 and 2 hold the password hash in clear, as str; format 1, written
 *            before breach digests, ends after the TOTP secret; format 3, written before
 *            passkeys, ends after the breach digest. All still open; keyd seals a format 1 or
 *            2 account again at its next sign-in (LOGIN), and a format 3 one as format 4 at
 *            its next change.)
 *   PASSKEY: bytes credential id (1..WEBAUTHN_CRED_ID_MAX) | u32 COSE algorithm (as a two's
 *            complement: -7 ES256, -8 EdDSA) | bytes public key (65 or 32) |
 *            u32 signature counter | i64 registered at | str name (1..ACCOUNT_PASSKEY_NAME_MAX)
 *   invite:  u8 format = 1 | bytes(32) token hash | str email | u8 role |
 *            bytes org id (empty for a sysadmin) | u8 clearance | i64 expires at
 *   reset:   u8 format = 1 | bytes(32) token hash | str user id | str email | str org id |
 *            i64 expires at
 *   charter: u8 format = 1 | str org id | i64 founding until
 * The TOTP secret is AES-256-GCM-sealed under the TOTP key of the newest master key version
 * (seal.h) with the user id as AAD: u32 master version | nonce | ciphertext (20) | tag.
 *
 * The password hash (Argon2id, libsodium's encoded form) is encrypted under the password hash
 * key of the newest master key version, with the user id as AAD: u32 master version | nonce |
 * ciphertext (the hash's length) | tag. The database then holds no hash to guess passwords
 * against without the master key (OWASP ASVS V2.4.5's secret salt, kept apart from the hashes);
 * the Argon2id cost stays the defence should the master key go too.
 *
 * The breach digest is the SHA-1 of the account's password, the form of the breached-password
 * list (signin/breached.h), which keyd makes whenever it sets or verifies a password for an
 * account (ACCEPT, RESET_ACCEPT, PASSWORD_SET), so that it can look the password up again in a
 * list that arrives later (BREACH_CHECK) without the web process ever keeping the password or
 * an unkeyed hash of it. It is sealed like the TOTP secret, under its own key and with its own
 * AAD label: u32 master version | nonce | ciphertext (20) | tag.
 */
#ifndef COFFER_KEYD_ACCOUNT_H
#define COFFER_KEYD_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/email.h"
#include "common/err.h"
#include "crypto/token.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "keyproto/protocol.h" /* struct invite; the sealed records' limits */
#include "signin/webauthn.h"

#define ACCOUNT_HASH_MAX	    127 /* crypto_pwhash_STRBYTES - 1 */
#define ACCOUNT_TOTP_SEALED_BYTES   (4 + AEAD_OVERHEAD + ACCOUNT_TOTP_SECRET_BYTES)
#define ACCOUNT_BREACH_BYTES	    20 /* SHA-1 */
#define ACCOUNT_BREACH_SEALED_BYTES (4 + AEAD_OVERHEAD + ACCOUNT_BREACH_BYTES)
#define ACCOUNT_HASH_SEALED_MAX	    (4 + AEAD_OVERHEAD + ACCOUNT_HASH_MAX)

/* Passkeys (WebAuthn credentials, keyd/passkey_requests.c) an account holds: their public keys
 * need integrity, not secrecy, which the account's seal gives. Eight ES256 passkeys with the
 * longest ids and names take some 2.2 KiB of the record's 4 KiB: an account with many
 * memberships may have room for fewer (a registration that does not fit is refused). The
 * limits, ACCOUNT_PASSKEYS_MAX and ACCOUNT_PASSKEY_NAME_MAX, are in keyproto/protocol.h. */

struct account_passkey {
	uint8_t id[WEBAUTHN_CRED_ID_MAX];
	size_t id_len;
	struct webauthn_public_key key;
	uint32_t sign_count; /* the highest the authenticator has shown; 0: it keeps none */
	int64_t created_at;
	char name[ACCOUNT_PASSKEY_NAME_MAX + 1];
};

enum account_totp { ACCOUNT_TOTP_NONE = 0, ACCOUNT_TOTP_PENDING = 1, ACCOUNT_TOTP_ACTIVE = 2 };

struct account {
	char user_id[TICKET_ID_MAX + 1];
	char email[EMAIL_MAX + 1];
	uint8_t role; /* enum ticket_role */
	uint32_t n_orgs;
	struct ticket_membership orgs[TICKET_ORGS_MAX];
	char password_hash[ACCOUNT_HASH_MAX + 1]; /* in clear in keyd's memory only */
	bool hash_in_clear; /* opened from a record that held it unencrypted: seal it again */
	uint8_t totp;	    /* enum account_totp */
	uint8_t totp_sealed[ACCOUNT_TOTP_SEALED_BYTES];	    /* when totp != NONE */
	bool has_breach;				    /* an account of format 1 has none */
	uint8_t breach_sealed[ACCOUNT_BREACH_SEALED_BYTES]; /* when has_breach */
	uint8_t n_passkeys;
	struct account_passkey passkeys[ACCOUNT_PASSKEYS_MAX];
};

/* Encodes and seals A into OUT (ACCOUNT_SEALED_MAX bytes). COFFER_ERR_INVALID_INPUT when a
 * field is out of range. */
COFFER_MUST_CHECK enum coffer_err account_seal(const struct seal_keys *k, const struct account *a,
					       uint8_t *out, size_t *len);
/* Checks, decodes and decrypts the password hash; COFFER_ERR_UNAUTHENTICATED for anything keyd
 * did not seal as an account. */
COFFER_MUST_CHECK enum coffer_err account_open(const struct seal_keys *k, const uint8_t *in,
					       size_t len, struct account *a);

/* Whether A administers anything (a sysadmin, or an org_admin of any organisation): such an
 * account signs in with a second factor, whatever any policy says (ASVS V4.3.1). */
bool account_is_admin(const struct account *a);
/* Whether A has a second factor to sign in with: an active TOTP, or a passkey. */
bool account_has_second_factor(const struct account *a);
/* The index of A's passkey with credential id ID (LEN bytes), or -1. */
int account_passkey_find(const struct account *a, const uint8_t *id, size_t len);

/* A WebAuthn challenge keyd hands out (keyd/passkey_requests.c) and takes back inside client
 * data: the challenge the browser signs is this record sealed, so keyd needs no memory of the
 * challenges it issued. Sealed: u8 format = 1 | u8 kind | str user id ("" for a sign-in) |
 * bytes(16) random | i64 expires at. */
enum passkey_challenge_kind { CHALLENGE_REGISTER = 1, CHALLENGE_LOGIN = 2 };
#define CHALLENGE_SEALED_MAX CHALLENGE_BYTES_MAX
struct passkey_challenge {
	uint8_t kind; /* enum passkey_challenge_kind */
	char user_id[TICKET_ID_MAX + 1];
	uint8_t nonce[16];
	int64_t expires_at;
};
COFFER_MUST_CHECK enum coffer_err challenge_seal(const struct seal_keys *k,
						 const struct passkey_challenge *c, uint8_t *out,
						 size_t *len);
COFFER_MUST_CHECK enum coffer_err challenge_open(const struct seal_keys *k, const uint8_t *in,
						 size_t len, struct passkey_challenge *c);

COFFER_MUST_CHECK enum coffer_err invite_seal(const struct seal_keys *k, const struct invite *inv,
					      uint8_t *out, size_t *len);
COFFER_MUST_CHECK enum coffer_err invite_open(const struct seal_keys *k, const uint8_t *in,
					      size_t len, struct invite *inv);

COFFER_MUST_CHECK enum coffer_err reset_seal(const struct seal_keys *k, const struct reset *r,
					     uint8_t *out, size_t *len);
COFFER_MUST_CHECK enum coffer_err reset_open(const struct seal_keys *k, const uint8_t *in,
					     size_t len, struct reset *r);

struct charter {
	char org_id[TICKET_ID_MAX + 1];
	int64_t founding_until;
};

COFFER_MUST_CHECK enum coffer_err charter_seal(const struct seal_keys *k, const struct charter *c,
					       uint8_t *out, size_t *len);
COFFER_MUST_CHECK enum coffer_err charter_open(const struct seal_keys *k, const uint8_t *in,
					       size_t len, struct charter *c);

/* Encrypts a TOTP secret for the account USER_ID under the newest TOTP key, and back. */
COFFER_MUST_CHECK enum coffer_err account_totp_seal(const struct seal_keys *k, const char *user_id,
						    const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES],
						    uint8_t out[ACCOUNT_TOTP_SEALED_BYTES]);
COFFER_MUST_CHECK enum coffer_err account_totp_open(const struct seal_keys *k, const char *user_id,
						    const uint8_t in[ACCOUNT_TOTP_SEALED_BYTES],
						    uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES]);

/* Gives account A the breach digest of PASSWORD (LEN bytes): its SHA-1, sealed under the newest
 * breach digest key. */
COFFER_MUST_CHECK enum coffer_err account_breach_set(const struct seal_keys *k, struct account *a,
						     const uint8_t *password, size_t len);
/* A's breach digest, opened into SHA1 (wipe it after use). COFFER_ERR_NOT_FOUND when A has
 * none; COFFER_ERR_CRYPTO when it does not open. */
COFFER_MUST_CHECK enum coffer_err account_breach_open(const struct seal_keys *k,
						      const struct account *a,
						      uint8_t sha1[ACCOUNT_BREACH_BYTES]);

#endif
