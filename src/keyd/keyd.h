/* keyd.h — the key service: a separate process, forked before any network or parsing code
 * runs, that alone reads the master keys and answers the web process over socket pairs.
 *
 * keyd listens on KEYD_CHANNELS socket pairs, one thread each, so that a slow request (a
 * password check, in the identity issue) never holds up the others. On one channel requests
 * are answered in order.
 *
 * Messages (type byte of a frame, see frame.h; fields are wire fields, common/wire.h):
 *   READY         keyd → web, once, on channel 0, when it holds its keys:  (no fields)
 *   FAIL          keyd → web, once, instead of READY:                      u32 coffer_err
 *   PING          web → keyd:  u64 nonce
 *   PONG          keyd → web:  u64 the same nonce
 *   ORG_KEY_NEW   web → keyd:  str org id | u32 org key version
 *   ORG_KEY       keyd → web:  u32 master key version | bytes(60) wrapped org key
 *   DATA_KEY_NEW  web → keyd:  SESSION | ORG_KEY_REF | OBJECT
 *   DATA_KEY_OPEN web → keyd:  SESSION | ORG_KEY_REF | OBJECT | bytes(60) wrapped data key
 *   DATA_KEY      keyd → web:  bytes(32) data key | bytes(60) the data key wrapped
 *   DATA_KEYS_OPEN web → keyd: SESSION | u32 n (1..KEYD_OPEN_BATCH_MAX) |
 *                              n × (ORG_KEY_REF | OBJECT | bytes(60) wrapped data key)
 *                 A page of a list in one round trip: the session is checked once, each
 *                 object is decided on its own exactly as DATA_KEY_OPEN decides it.
 *   DATA_KEYS     keyd → web:  n × (u32 coffer_err, 0 when released | bytes data key:
 *                              32 bytes when released, else empty), in the request's order
 *   DENIED        keyd → web:  u32 coffer_err (UNAUTHENTICATED, FORBIDDEN, INVALID_INPUT,
 *                              CRYPTO when a wrapped key does not open in its context)
 *
 * Identity (account.h; every password and code is wiped after use, on both sides):
 *   INVITE_SEAL   web → keyd:  SESSION | bytes(32) invite token hash | str email | u8 role |
 *                              str org id ("" for a sysadmin) | u8 clearance | i64 expires at
 *                 The session must be a sysadmin's.
 *   SEALED        keyd → web:  bytes sealed invite
 *   ACCEPT        web → keyd:  str invite token (43) | bytes sealed invite |
 *                              bytes sealed account ("" for a new user) | str new user id |
 *                              bytes password | u8 with TOTP (0/1; ignored for a sysadmin,
 *                              who always gets one)
 *                 New user: hashes the password (Argon2id) into a new account with the
 *                 invite's role and membership, and a fresh TOTP secret (state PENDING) when
 *                 asked. Existing user (joining another organisation): checks the password
 *                 against the account, and adds the invite's membership.
 *   ACCOUNT       keyd → web:  bytes sealed account | bytes TOTP secret (20, or "" when the
 *                              account has none pending: shown once, for enrolment)
 *   TOTP_CONFIRM  web → keyd:  bytes sealed account | str code
 *                 Checks the code against the PENDING secret and makes it ACTIVE.
 *   TOTP_OK       keyd → web:  bytes sealed account | i64 the code's step (the first use)
 *   LOGIN         web → keyd:  bytes sealed account ("" for an unknown email: keyd then
 *                              verifies against a dummy hash, so it costs the same) |
 *                              bytes password | str code ("" when none) | i64 last used step
 *                              (-1 none) | u32 session lifetime in seconds
 *   SESSION_NEW   keyd → web:  str session token (43) | bytes ticket | i64 expires at |
 *                              i64 the code's step (-1 when the account has no TOTP)
 *   LOGIN_FAILED  keyd → web:  u8 enum keyd_login_failure
 *   PASSWORD_SET  web → keyd:  bytes sealed account | bytes current password | bytes new
 *   ACCOUNT       (as above, with no TOTP secret)
 * Identity refusals come back as DENIED: UNAUTHENTICATED for a seal keyd did not make or a
 * token that does not match, FORBIDDEN for an invite seal asked by a non-sysadmin,
 * INVALID_CREDENTIALS for a wrong password or code, NOT_FOUND for an expired invite,
 * EXISTS for a membership the account already has, INVALID_INPUT for out-of-range fields.
 * Password hashing (ACCEPT, LOGIN, PASSWORD_SET) runs at most KEYD_HASH_CONCURRENCY at once.
 *
 * where
 *   SESSION     = str session token (43) | bytes session ticket (ticket.h)
 *   ORG_KEY_REF = str org id | u32 org key version | u32 master key version |
 *                 bytes(60) wrapped org key (as ORG_KEY gave it, read back from storage)
 *   OBJECT      = str kind | str object id | u32 object version | u8 level
 * A new organisation key is released to nobody: ORG_KEY carries it wrapped, for storage. A data
 * key is released only as policy.h decides. Anything keyd does not expect, or cannot parse,
 * ends keyd: it never argues with a bad peer.
 */
#ifndef COFFER_KEYD_H
#define COFFER_KEYD_H

#include <stdint.h>
#include <sys/types.h>

#include <stdbool.h>

#include "common/err.h"
#include "crypto/keywrap.h"
#include "keyd/account.h"

#define KEYD_CHANNELS	    8
#define KEYD_KIND_MAX	    16 /* "record", "file" */
#define KEYD_OPEN_BATCH_MAX 64 /* objects per DATA_KEYS_OPEN: well inside one frame */

enum keyd_msg {
	KEYD_MSG_READY = 1,
	KEYD_MSG_FAIL = 2,
	KEYD_MSG_PING = 3,
	KEYD_MSG_PONG = 4,
	KEYD_MSG_ORG_KEY_NEW = 5,
	KEYD_MSG_ORG_KEY = 6,
	KEYD_MSG_DATA_KEY_NEW = 7,
	KEYD_MSG_DATA_KEY_OPEN = 8,
	KEYD_MSG_DATA_KEY = 9,
	KEYD_MSG_DENIED = 10,
	KEYD_MSG_INVITE_SEAL = 11,
	KEYD_MSG_SEALED = 12,
	KEYD_MSG_ACCEPT = 13,
	KEYD_MSG_ACCOUNT = 14,
	KEYD_MSG_TOTP_CONFIRM = 15,
	KEYD_MSG_TOTP_OK = 16,
	KEYD_MSG_LOGIN = 17,
	KEYD_MSG_SESSION_NEW = 18,
	KEYD_MSG_LOGIN_FAILED = 19,
	KEYD_MSG_PASSWORD_SET = 20,
	KEYD_MSG_DATA_KEYS_OPEN = 21,
	KEYD_MSG_DATA_KEYS = 22,
};

/* Why a LOGIN failed: for the audit trail only. The client is told "invalid credentials"
 * whatever the reason, so that nothing distinguishes an unknown account from a wrong code. */
enum keyd_login_failure {
	KEYD_LOGIN_BAD_PASSWORD = 1, /* wrong password, or no such account */
	KEYD_LOGIN_TOTP_MISSING = 2, /* the account has TOTP and no code came */
	KEYD_LOGIN_TOTP_WRONG = 3,
	KEYD_LOGIN_TOTP_REUSED = 4,	  /* the code's step was already used */
	KEYD_LOGIN_TOTP_NOT_ENROLLED = 5, /* a sysadmin without TOTP: never allowed in */
};

/* Password hashing: Argon2id (libsodium), t = 2 passes over 64 MiB, one lane. The cost is
 * justified in docs/SECURITY.md from measurements on the project's 2-core machine. */
#define KEYD_PWHASH_OPSLIMIT  2
#define KEYD_PWHASH_MEMLIMIT  (64u * 1024 * 1024)
#define KEYD_HASH_CONCURRENCY 2	   /* hashes running at once in keyd; more wait their turn */
#define KEYD_PASSWORD_MAX     4096 /* bytes: 1024 characters of up to 4 bytes */

struct keyd_start {
	const char *data_dir;
	const char *passphrase_file; /* NULL when the master key is not sealed */
};

/* The web process's side: KEYD_CHANNELS connections to keyd. Thread-safe. */
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

/* Forks keyd. In the parent, sets *PID and *CLIENT; the child never returns. */
COFFER_MUST_CHECK enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid,
					     struct keyd_client **client);

/* Closes every channel, which tells keyd to wipe its keys and exit. */
void keyd_client_free(struct keyd_client *c);

/* Waits for keyd's first message: COFFER_OK when it is ready, else the error it stopped with
 * (as master_key_load reports them), or COFFER_ERR_UNAVAILABLE if it died. */
COFFER_MUST_CHECK enum coffer_err keyd_wait_ready(struct keyd_client *c);

/* One round trip, to check keyd is alive (and to measure the round trip). */
COFFER_MUST_CHECK enum coffer_err keyd_ping(struct keyd_client *c);

/* A new organisation key, version VERSION of ORG_ID's, wrapped by the newest master key. Sets
 * OUT->master_version and OUT->wrapped, and copies ORG_ID and VERSION in. */
COFFER_MUST_CHECK enum coffer_err keyd_org_key_new(struct keyd_client *c, const char *org_id,
						   uint32_t version, struct keyd_org_key *out);

/* A fresh data key for the object CTX, if policy allows: KEY (to encrypt with, then wipe) and
 * WRAPPED (to store beside the ciphertext). */
COFFER_MUST_CHECK enum coffer_err
keyd_data_key_new(struct keyd_client *c, const struct keyd_session *s,
		  const struct keyd_org_key *org, const struct object_ctx *ctx,
		  uint8_t key[AEAD_KEY_BYTES], uint8_t wrapped[KEYWRAP_BYTES]);

/* The data key of the object CTX, unwrapped from WRAPPED, if policy allows. */
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

/* --- identity (see the messages above) ----------------------------------------------- */

/* A sealed record as keyd returns it: an account (ACCOUNT_SEALED_MAX) or an invite. */
struct keyd_sealed {
	uint8_t bytes[ACCOUNT_SEALED_MAX];
	size_t len;
};

/* Seals INV (made by the sysadmin of session S) for storage with the invite. */
COFFER_MUST_CHECK enum coffer_err keyd_invite_seal(struct keyd_client *c,
						   const struct keyd_session *s,
						   const struct invite *inv,
						   struct keyd_sealed *out);

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

struct keyd_login {
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
	enum keyd_login_failure failure; /* set when COFFER_ERR_INVALID_CREDENTIALS */
};

/* Checks a login (LOGIN). COFFER_OK with a new session, or COFFER_ERR_INVALID_CREDENTIALS with
 * OUT->failure saying why (for the audit trail only). */
COFFER_MUST_CHECK enum coffer_err keyd_login(struct keyd_client *c, const struct keyd_login *in,
					     struct keyd_login_result *out);

/* Changes an account's password (PASSWORD_SET): COFFER_ERR_INVALID_CREDENTIALS when CURRENT is
 * wrong. */
COFFER_MUST_CHECK enum coffer_err keyd_password_set(struct keyd_client *c, const uint8_t *account,
						    size_t account_len, const char *current,
						    size_t current_len, const char *new_password,
						    size_t new_len, struct keyd_sealed *out);

#endif
