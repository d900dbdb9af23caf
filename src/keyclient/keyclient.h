/* keyclient.h — the web process's calls to the key service (messages in keyproto/protocol.h).
 *
 * Each call checks its arguments against the protocol's limits before keyd sees them (keyd
 * ends on a request it cannot parse, and the server with it), sends one request on a free
 * channel and reads the answer. A refusal comes back as keyd's reason; anything unexpected
 * from keyd is COFFER_ERR_UNAVAILABLE (keyd is then gone or broken, and `coffer serve` stops
 * when it notices keyd has died). Thread-safe.
 */
#ifndef COFFER_KEYCLIENT_H
#define COFFER_KEYCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/keywrap.h"
#include "crypto/snapshot_key.h"
#include "keyproto/protocol.h"
#include "signin/webauthn.h"

/* KEYD_CHANNELS connections to keyd. */
struct keyd_client;

/* The caller's session, as keyd issued it. */
struct keyd_session {
	const char *token;     /* the session token's text, from the client */
	const uint8_t *ticket; /* the sealed ticket, from storage */
	size_t ticket_len;
};

/* An organisation key version, wrapped, as stored. */
struct keyd_org_key {
	const char *org_id;
	uint32_t version;	 /* of the organisation key */
	uint32_t master_version; /* of the master key that wraps it */
	uint8_t wrapped[KEYWRAP_BYTES];
};

/* Closes every channel, which tells keyd to wipe its keys and exit. */
void keyd_client_free(struct keyd_client *c);

/* Waits for keyd's first message: COFFER_OK when it is ready, else the error it stopped with
 * (as master_key_load reports them), or COFFER_ERR_UNAVAILABLE if it died. */
COFFER_MUST_CHECK enum coffer_err keyd_wait_ready(struct keyd_client *c);
/* The same, and on a FAIL sets *SOURCE (when not NULL) to what keyd could not load: the
 * keyring (errors as master_key_open), or DATA/secrets (errors as secrets_load). */
COFFER_MUST_CHECK enum coffer_err keyd_wait_ready_from(struct keyd_client *c,
						       enum keyd_fail_source *source);

/* One round trip, to check keyd is alive (and to measure the round trip). */
COFFER_MUST_CHECK enum coffer_err keyd_ping(struct keyd_client *c);

/* A new organisation key, version VERSION of ORG_ID's, wrapped by the newest master key. Sets
 * OUT->master_version and OUT->wrapped, and copies ORG_ID and VERSION in. */
COFFER_MUST_CHECK enum coffer_err keyd_org_key_new(struct keyd_client *c, const char *org_id,
						   uint32_t version, struct keyd_org_key *out);

/* A fresh data key for the object CTX, if session S may have it: KEY (to encrypt with, then
 * wipe) and WRAPPED (to store beside the ciphertext). */
COFFER_MUST_CHECK enum coffer_err
keyd_data_key_new(struct keyd_client *c, const struct keyd_session *s,
		  const struct keyd_org_key *org, const struct object_ctx *ctx,
		  uint8_t key[AEAD_KEY_BYTES], uint8_t wrapped[KEYWRAP_BYTES]);

/* The data key of the object CTX, unwrapped from WRAPPED, if session S may have it. */
COFFER_MUST_CHECK enum coffer_err
keyd_data_key_open(struct keyd_client *c, const struct keyd_session *s,
		   const struct keyd_org_key *org, const struct object_ctx *ctx,
		   const uint8_t wrapped[KEYWRAP_BYTES], uint8_t key[AEAD_KEY_BYTES]);

/* The data keys of N objects (1..KEYD_OPEN_BATCH_MAX) of one organisation in one round trip:
 * object i is CTXS[i], its key wrapped as WRAPPED[i] under organisation key ORGS[i]. For each,
 * ERRS[i] is COFFER_OK and KEYS[i] its key, or the refusal (as keyd_data_key_open's). The
 * result is the call's own: COFFER_ERR_UNAVAILABLE when keyd cannot be asked, or the reason a
 * request is refused before it is sent. The caller wipes KEYS. */
COFFER_MUST_CHECK enum coffer_err
keyd_data_keys_open(struct keyd_client *c, const struct keyd_session *s, size_t n,
		    const struct keyd_org_key *orgs, const struct object_ctx *ctxs,
		    const uint8_t (*wrapped)[KEYWRAP_BYTES], uint8_t (*keys)[AEAD_KEY_BYTES],
		    enum coffer_err *errs);

/* --- accounts and sessions ------------------------------------------------------------ */

/* A sealed record as keyd returns it: an account (ACCOUNT_SEALED_MAX) or an invite. */
struct keyd_sealed {
	uint8_t bytes[ACCOUNT_SEALED_MAX];
	size_t len;
};

struct keyd_accept {
	const char *invite_token; /* the token's text, from the URL */
	const uint8_t *invite;
	size_t invite_len; /* the sealed invite, from storage */
	const uint8_t *account;
	size_t account_len;  /* the existing account, or NULL/0 */
	const char *user_id; /* the new user's id (ignored when joining) */
	const char *password;
	size_t password_len;
	bool with_totp;
};

/* Accepts an invitation (ACCEPT). On success *ACCOUNT holds the sealed account and, when
 * *HAS_TOTP_SECRET, TOTP_SECRET the new secret to show once (wipe it after). */
COFFER_MUST_CHECK enum coffer_err keyd_accept(struct keyd_client *c, const struct keyd_accept *in,
					      struct keyd_sealed *account,
					      uint8_t totp_secret[ACCOUNT_TOTP_SECRET_BYTES],
					      bool *has_totp_secret);

/* Confirms a pending TOTP enrolment with CODE: the updated account and the step used. */
COFFER_MUST_CHECK enum coffer_err keyd_totp_confirm(struct keyd_client *c, const uint8_t *account,
						    size_t account_len, const char *code,
						    struct keyd_sealed *out, int64_t *step);

/* A passkey's answer to a sign-in challenge, as the browser gave it (decoded from base64url):
 * every length within signin/webauthn.h's bounds, the user handle 0 when none came. */
struct keyd_assertion {
	const uint8_t *cred_id, *auth_data, *client_data, *signature, *user_handle;
	size_t cred_id_len, auth_data_len, client_data_len, signature_len, user_handle_len;
};

struct keyd_login {
	const struct keyd_assertion *passkey; /* NULL when none came */
	const uint8_t *account;
	size_t account_len; /* NULL/0 for an unknown email */
	const char *password;
	size_t password_len;
	const char *code;  /* "" or NULL when none was given */
	int64_t last_step; /* -1 when none */
	uint32_t ttl_s;	   /* the session's absolute lifetime */
};

struct keyd_login_result {
	char token[TOKEN_TEXT_LEN + 1]; /* the new session's token (wipe after use) */
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
	int64_t expires_at;
	int64_t step;			 /* the TOTP step used, -1 when none */
	struct keyd_sealed account;	 /* the account sealed anew (len 0: unchanged): store it */
	enum keyd_login_failure failure; /* set when COFFER_ERR_INVALID_CREDENTIALS */
	enum keyd_second_factor factor;	 /* what the login was made with */
};

/* Checks a login (LOGIN). COFFER_OK with a new session, or COFFER_ERR_INVALID_CREDENTIALS with
 * OUT->failure saying why (for the audit trail only). */
COFFER_MUST_CHECK enum coffer_err keyd_login(struct keyd_client *c, const struct keyd_login *in,
					     struct keyd_login_result *out);

/* --- passkeys (passkeys.c) ------------------------------------------------------------ */

/* Hands keyd the WebAuthn relying party from coffer.conf, once, at start-up (WEBAUTHN_SET). */
COFFER_MUST_CHECK enum coffer_err keyd_webauthn_set(struct keyd_client *c, const char *rp_id,
						    const char *origin);

/* A challenge keyd sealed (PASSKEY_CHALLENGE), to hand the browser, and when it expires. */
struct keyd_challenge {
	uint8_t bytes[CHALLENGE_BYTES_MAX];
	size_t len;
	int64_t expires_at;
};

/* A challenge for a sign-in with a passkey (S NULL: PASSKEY_LOGIN_BEGIN), or for session S's
 * user to register one (PASSKEY_REGISTER_BEGIN). COFFER_ERR_CONFIG before keyd_webauthn_set. */
COFFER_MUST_CHECK enum coffer_err keyd_passkey_challenge(struct keyd_client *c,
							 const struct keyd_session *s,
							 struct keyd_challenge *out);

struct keyd_passkey_info {
	uint8_t id[WEBAUTHN_CRED_ID_MAX];
	size_t id_len;
	char name[ACCOUNT_PASSKEY_NAME_MAX + 1];
	int64_t created_at;
	uint32_t sign_count;
	int32_t alg;
};

/* Registers a passkey named NAME for session S's user, whose sealed account is ACCOUNT, from
 * navigator.credentials.create's client data and attestation object (PASSKEY_REGISTER): *OUT
 * the account with it, INFO the passkey (its id, algorithm and counter; NAME is the caller's).
 * keyd's refusals: INVALID_INPUT (malformed), INVALID_CREDENTIALS (not this ceremony's), EXISTS
 * (held already), TOO_LARGE (no room), UNAUTHENTICATED (not the session's account). */
COFFER_MUST_CHECK enum coffer_err
keyd_passkey_register(struct keyd_client *c, const struct keyd_session *s, const uint8_t *account,
		      size_t account_len, const char *name, const uint8_t *client_data,
		      size_t client_data_len, const uint8_t *attestation, size_t attestation_len,
		      struct keyd_sealed *out, struct keyd_passkey_info *info);

/* Removes the passkey CRED_ID from session S's user's ACCOUNT (PASSKEY_REMOVE): *OUT the
 * account without it. NOT_FOUND when it holds none such; ADMIN_NEEDS_TOTP for the last second
 * factor of an administrator. */
COFFER_MUST_CHECK enum coffer_err keyd_passkey_remove(struct keyd_client *c,
						      const struct keyd_session *s,
						      const uint8_t *account, size_t account_len,
						      const uint8_t *cred_id, size_t cred_id_len,
						      struct keyd_sealed *out);

/* The passkeys of session S's user's ACCOUNT (PASSKEY_LIST), into OUT (ACCOUNT_PASSKEYS_MAX). */
COFFER_MUST_CHECK enum coffer_err keyd_passkey_list(struct keyd_client *c,
						    const struct keyd_session *s,
						    const uint8_t *account, size_t account_len,
						    struct keyd_passkey_info *out, size_t *n);
/* A signed-in user proving again who they are: the session's user's current ACCOUNT, the
 * password and the code ("" or NULL when none), LAST_STEP as for a login. */
struct keyd_reauth {
	const uint8_t *account;
	size_t account_len;
	const char *password;
	size_t password_len;
	const char *code;
	int64_t last_step;
};

struct keyd_reauth_result {
	uint8_t ticket[TICKET_SEALED_MAX]; /* the session's ticket, authenticated now */
	size_t ticket_len;
	int64_t step;			 /* the TOTP step used, -1 when none */
	enum keyd_login_failure failure; /* set when COFFER_ERR_INVALID_CREDENTIALS */
};

/* Checks the password (and code) of session S's own user as a login would (REAUTHENTICATE):
 * COFFER_OK with the session's ticket re-issued, authenticated now (same token, memberships
 * from ACCOUNT, same expiry), or COFFER_ERR_INVALID_CREDENTIALS with OUT->failure saying why
 * (for the audit trail only). */
COFFER_MUST_CHECK enum coffer_err keyd_reauthenticate(struct keyd_client *c,
						      const struct keyd_session *s,
						      const struct keyd_reauth *in,
						      struct keyd_reauth_result *out);

/* --- organisations and their people (people.c) ---------------------------------------- */

/* A new organisation, named by keyd: its id, its key (version 1) wrapped by the newest master
 * key, and its founding charter (store it with the organisation). */
struct keyd_org_created {
	char org_id[TICKET_ID_MAX + 1];
	uint32_t master_version;
	uint8_t wrapped[KEYWRAP_BYTES];
	struct keyd_sealed charter;
};

/* Creates an organisation (ORG_CREATE): only a sysadmin's session S may. */
COFFER_MUST_CHECK enum coffer_err
keyd_org_create(struct keyd_client *c, const struct keyd_session *s, struct keyd_org_created *out);

/* Seals INV, made in session S, for storage with the invite (INVITE_SEAL). A sysadmin inviting
 * an organisation's first org_admin presents its CHARTER (CHARTER_LEN bytes; NULL/0 when
 * none); *RENEWED (when not NULL) then receives the charter renewed until the invite expires,
 * to store in place of the old one (len 0 when there is none). */
COFFER_MUST_CHECK enum coffer_err keyd_invite_seal(struct keyd_client *c,
						   const struct keyd_session *s,
						   const struct invite *inv, const uint8_t *charter,
						   size_t charter_len, struct keyd_sealed *out,
						   struct keyd_sealed *renewed);

/* A member's role in an organisation, as keyd_member_set takes it (keyd's ticket_org_role). */
enum keyd_org_role { KEYD_ORG_REMOVED = 0, KEYD_ORG_MEMBER = 1, KEYD_ORG_ADMIN = 2 };

/* Changes the membership in ORG_ID of the member whose sealed account is ACCOUNT, in the
 * org_admin's session S (MEMBER_SET): ORG_ROLE (enum ticket_org_role: 1 member, 2 org_admin)
 * and CLEARANCE (enum level), or with ORG_ROLE 0 and CLEARANCE 0, removes it. *OUT is the
 * member's account, changed. */
COFFER_MUST_CHECK enum coffer_err keyd_member_set(struct keyd_client *c,
						  const struct keyd_session *s,
						  const uint8_t *account, size_t account_len,
						  const char *org_id, uint8_t org_role,
						  uint8_t clearance, struct keyd_sealed *out);

/* Seals a sign-in reset of the member whose account is ACCOUNT, made in the org_admin's
 * session S for ORG_ID, with the token hashing to TOKEN, until EXPIRES_AT (RESET_SEAL). */
COFFER_MUST_CHECK enum coffer_err
keyd_reset_seal(struct keyd_client *c, const struct keyd_session *s, const uint8_t *account,
		size_t account_len, const char *org_id, const struct token_hash *token,
		int64_t expires_at, struct keyd_sealed *out);

/* Accepts a reset (RESET_ACCEPT): the account ACCOUNT gets PASSWORD and a new pending TOTP
 * secret, TOTP_SECRET (show it once, then wipe it); *OUT is the account, changed. */
COFFER_MUST_CHECK enum coffer_err keyd_reset_accept(struct keyd_client *c, const char *reset_token,
						    const uint8_t *reset, size_t reset_len,
						    const uint8_t *account, size_t account_len,
						    const char *password, size_t password_len,
						    struct keyd_sealed *out,
						    uint8_t totp_secret[ACCOUNT_TOTP_SECRET_BYTES]);

/* Session S's ticket, re-issued with the memberships of its user's current sealed ACCOUNT
 * (TICKET_RENEW): same token, same expiry. */
COFFER_MUST_CHECK enum coffer_err
keyd_ticket_renew(struct keyd_client *c, const struct keyd_session *s, const uint8_t *account,
		  size_t account_len, uint8_t ticket[TICKET_SEALED_MAX], size_t *ticket_len);

/* Changes an account's password (PASSWORD_SET): COFFER_ERR_INVALID_CREDENTIALS when CURRENT is
 * wrong. */
COFFER_MUST_CHECK enum coffer_err keyd_password_set(struct keyd_client *c, const uint8_t *account,
						    size_t account_len, const char *current,
						    size_t current_len, const char *new_password,
						    size_t new_len, struct keyd_sealed *out);

/* --- the breached-password list (breach.c) ---------------------------------------------- */

/* Hands keyd the breached-password list open at FD (BREACH_LIST; the caller keeps and closes
 * its own descriptor): *GENERATION is keyd's count of lists taken. COFFER_ERR_THROTTLED when
 * keyd takes no new list yet (it keeps the one it has); CONFIG, IO or NOMEM when the file does
 * not map. */
COFFER_MUST_CHECK enum coffer_err keyd_breach_list(struct keyd_client *c, int fd,
						   uint64_t *generation);

/* Whether the password of ACCOUNT, session S's own user's sealed account as it now is, is in
 * keyd's list (BREACH_CHECK): *VERDICT (enum keyd_breach_verdict) and the *GENERATION of the
 * list asked. COFFER_ERR_UNAUTHENTICATED for a session that is not live or an account that is
 * not its user's. */
COFFER_MUST_CHECK enum coffer_err
keyd_breach_check(struct keyd_client *c, const struct keyd_session *s, const uint8_t *account,
		  size_t account_len, enum keyd_breach_verdict *verdict, uint64_t *generation);

/* BACKUP_KEY: a new backup snapshot's key under the newest master key (*VERSION), with the
 * salt keyd drew. Keep KEY in guarded memory and wipe it. */
COFFER_MUST_CHECK enum coffer_err keyd_backup_key(struct keyd_client *c, uint32_t *version,
						  uint8_t salt[SNAPSHOT_SALT_BYTES],
						  uint8_t key[AEAD_KEY_BYTES]);

/* --- sealed credentials (secret.c) ---------------------------------------------------- */

/* SECRET_GET: the credential NAME (one of crypto/secrets_file.h's defined names) from the
 * DATA/secrets keyd opened at start, into VALUE (CAP bytes; guarded memory, wiped after use)
 * as a C string of *LEN bytes. COFFER_ERR_NOT_FOUND when it is not set; COFFER_ERR_INVALID_INPUT
 * for a name that is not defined or a CAP below SECRET_VALUE_MAX + 1. */
COFFER_MUST_CHECK enum coffer_err keyd_secret_get(struct keyd_client *c, const char *name,
						  char *value, size_t cap, size_t *len);

/* An audit signer (audit/signer.h) whose links and checkpoints keyd makes over C. */
struct audit_signer;
struct audit_signer keyd_audit_signer(struct keyd_client *c);

#endif
