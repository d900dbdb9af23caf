/* protocol.h — the key service protocol: what the web process and keyd say to each other, the
 * one header both sides include for it (frames in frame.h). Who may send each request, and what
 * keyd checks before answering it, is keyd's table (keyd/dispatch.c, docs/KEYD.md).
 *
 * Messages (type byte of a frame; fields are wire fields, common/wire.h):
 *   READY         keyd → web, once, on channel 0, when it holds its keys:  (no fields)
 *   FAIL          keyd → web, once, instead of READY:                      u32 coffer_err |
 *                                                  u8 enum keyd_fail_source (what failed)
 *   PING          web → keyd:  u64 nonce
 *   PONG          keyd → web:  u64 the same nonce
 *   ORG_KEY_NEW   web → keyd:  str org id | u32 org key version (1 or more)
 *   ORG_KEY       keyd → web:  u32 master key version | bytes(60) wrapped org key
 *   DATA_KEY_NEW  web → keyd:  SESSION | ORG_KEY_REF | OBJECT
 *   DATA_KEY_OPEN web → keyd:  SESSION | ORG_KEY_REF | OBJECT | bytes(60) wrapped data key
 *   DATA_KEY      keyd → web:  bytes(32) data key | bytes(60) the data key wrapped
 *   DATA_KEYS_OPEN web → keyd: SESSION | u32 n (1..KEYD_OPEN_BATCH_MAX) |
 *                              n × (ORG_KEY_REF | OBJECT | bytes(60) wrapped data key)
 *                 A page of a list in one round trip: each object is decided on its own,
 *                 exactly as DATA_KEY_OPEN decides it alone.
 *   DATA_KEYS     keyd → web:  n × (u32 coffer_err, 0 when released | bytes data key:
 *                              32 bytes when released, else empty), in the request's order
 *   ORG_CREATE    web → keyd:  SESSION (a sysadmin's)
 *   ORG_CREATED   keyd → web:  str org id (a UUID keyd chose) | u32 master key version |
 *                              bytes(60) wrapped org key (version 1) | bytes sealed charter
 *                 keyd names the organisation itself, so a founding charter (keyd/charter.h)
 *                 can only ever be had for an organisation nobody has seen before.
 *   INVITE_SEAL   web → keyd:  SESSION | bytes(32) invite token hash | str email | u8 role |
 *                              str org id ("" for a sysadmin) | u8 clearance | i64 expires at |
 *                              bytes sealed charter ("" unless a sysadmin invites the first
 *                              org_admin of an organisation still being founded)
 *   SEALED        keyd → web:  bytes sealed invite | bytes renewed charter ("" unless founding)
 *   MEMBER_SET    web → keyd:  SESSION (an org_admin's) | bytes sealed account of the member |
 *                              str org id | u8 org role (0 removes the membership) |
 *                              u8 clearance (0 when removing)
 *   ACCOUNT       (the member's account, changed; no TOTP secret)
 *   RESET_SEAL    web → keyd:  SESSION (an org_admin's) | bytes sealed account of the member |
 *                              str org id | bytes(32) reset token hash | i64 expires at
 *   SEALED        (the sealed reset; no charter)
 *   RESET_ACCEPT  web → keyd:  str reset token (43) | bytes sealed reset | bytes sealed account |
 *                              bytes new password
 *   ACCOUNT       (with a new password and a new pending TOTP secret, shown once)
 *   TICKET_RENEW  web → keyd:  SESSION | bytes sealed account (the session's user's, current)
 *   TICKET        keyd → web:  bytes ticket (the same session, with the account's memberships)
 *   REAUTHENTICATE web → keyd: SESSION | bytes sealed account (the session's user's, current) |
 *                              bytes password | str code ("" when none) | i64 last used step
 *                              (-1 none)
 *   REAUTHENTICATED keyd → web: bytes ticket (the same session, its authentication now, with
 *                              the account's memberships) | i64 the code's step (-1 when the
 *                              account has no TOTP); LOGIN_FAILED, as for LOGIN, when the
 *                              password or code is not right
 *   ACCEPT        web → keyd:  str invite token (43) | bytes sealed invite |
 *                              bytes sealed account ("" for a new user) | str new user id |
 *                              bytes password | u8 with TOTP (0/1; ignored for a sysadmin,
 *                              who always gets one)
 *   ACCOUNT       keyd → web:  bytes sealed account | bytes TOTP secret (20, or "" when the
 *                              account has none pending: shown once, for enrolment)
 *   TOTP_CONFIRM  web → keyd:  bytes sealed account | str code
 *   TOTP_OK       keyd → web:  bytes sealed account | i64 the code's step (the first use)
 *   LOGIN         web → keyd:  bytes sealed account ("" for an unknown email: keyd then
 *                              verifies against a dummy hash, so it costs the same) |
 *                              bytes password | str code ("" when none) | i64 last used step
 *                              (-1 none) | u32 session lifetime in seconds | ASSERTION
 *   SESSION_NEW   keyd → web:  str session token (43) | bytes ticket | i64 expires at |
 *                              i64 the code's step (-1 when the account has no TOTP) |
 *                              bytes the account sealed again ("" when it needs no change:
 *                              one sealed in an older format is, to be stored in its place;
 *                              after a passkey, with its new signature counter) |
 *                              u8 enum keyd_second_factor (what the login was made with)
 *   LOGIN_FAILED  keyd → web:  u8 enum keyd_login_failure
 *   PASSWORD_SET  web → keyd:  bytes sealed account | bytes current password | bytes new
 *   ACCOUNT       (as above, with no TOTP secret)
 *   BREACH_LIST   web → keyd:  (no fields) and, passed with the frame (SCM_RIGHTS), a
 *                              descriptor of the breached-password list file: keyd maps it in
 *                              place of the list it had. The only request that carries a
 *                              descriptor; without one, or any other request with one, ends
 *                              keyd.
 *   BREACH_LISTED keyd → web:  u64 keyd's list generation (1 for its first list)
 *   BREACH_CHECK  web → keyd:  SESSION | bytes sealed account (the session's user's, current)
 *   BREACH_RESULT keyd → web:  u8 enum keyd_breach_verdict | u64 the list generation asked
 *                 Whether the password of the account, whose SHA-1 only keyd can open
 *                 (keyd/account.h), is in keyd's list: the password is never given back.
 *   AUDIT_LINK    web → keyd:  u32 master key version (0: the newest) | str chain id |
 *                              bytes(32) link of the entry before | u64 first seq (1 or more) |
 *                              u32 n (0..KEYD_AUDIT_LINK_MAX) | n × raw(32) entry digest |
 *                              u8 checkpoint wanted (0/1)
 *   AUDIT_LINKS   keyd → web:  u32 master key version used | n × raw(32) link |
 *                              (when wanted) i64 time | bytes(32) checkpoint MAC
 *                 The links of audit entries from their digests (audit/chain.h), and the
 *                 MAC'd checkpoint of the head after them (audit/checkpoint.h): what the web
 *                 process stores, and cannot compute itself. Also how a chain is verified:
 *                 its entries are linked again and compared.
 *   AUDIT_CHECK   web → keyd:  str chain id | u32 master key version | u64 seq | bytes(32) head |
 *                              i64 time | bytes(32) MAC
 *   AUDIT_CHECKED keyd → web:  u8 1 when the checkpoint's MAC holds, 0 when it does not
 *   BACKUP_KEY    web → keyd:  (no fields)
 *   BACKUP_KEYS   keyd → web:  u32 master key version | raw(32) salt | raw(32) snapshot key
 *                 A new backup snapshot's key (backup/key.h) under the newest master key,
 *                 with a salt keyd draws: the web process can have keys for new snapshots
 *                 only, never ask for an existing snapshot's (that takes the master key).
 *   SECRET_GET    web → keyd:  str name (1..SECRET_NAME_MAX)
 *   SECRET        keyd → web:  bytes value (1..SECRET_VALUE_MAX)
 *                 A credential from DATA/secrets (crypto/secrets_file.h), which keyd opened at
 *                 start: only the names coffer defines (FORBIDDEN for any other), NOT_FOUND
 *                 when it is not set. The web process asks for what it uses, when it uses it.
 *   WEBAUTHN_SET  web → keyd:  str RP ID (1..255) | str origin (1..WEBAUTHN_ORIGIN_MAX)
 *   WEBAUTHN_OK   keyd → web:  (no fields)
 *                 The relying party keyd checks passkeys for, from coffer.conf, which keyd
 *                 is started before it reads: taken once, at start-up, and never changed
 *                 after (FORBIDDEN for a second, different one). Until then every passkey
 *                 request is refused CONFIG.
 *   PASSKEY_LOGIN_BEGIN web → keyd: (no fields)
 *   PASSKEY_REGISTER_BEGIN web → keyd: SESSION
 *   PASSKEY_CHALLENGE keyd → web: bytes challenge (a sealed record, keyd/account.h) |
 *                              i64 expires at
 *                 A WebAuthn challenge for a sign-in (any account's), or for the session's user
 *                 to register a passkey (keyd/passkey_requests.c).
 *   PASSKEY_REGISTER web → keyd: SESSION | bytes sealed account (the session's user's) |
 *                              str passkey name | bytes client data JSON |
 *                              bytes attestation object
 *   PASSKEY_ADDED keyd → web:  bytes sealed account | bytes the new credential id |
 *                              u32 COSE algorithm | u32 signature counter
 *   PASSKEY_REMOVE web → keyd: SESSION | bytes sealed account (the session's user's) |
 *                              bytes credential id
 *   ACCOUNT       (the account without that passkey; no TOTP secret)
 *   PASSKEY_LIST  web → keyd:  SESSION | bytes sealed account (the session's user's)
 *   PASSKEYS      keyd → web:  u8 n | n × (bytes credential id | str name | i64 registered at |
 *                              u32 signature counter | u32 COSE algorithm)
 *   DENIED        keyd → web:  u32 coffer_err, the reason a request that parsed was refused
 * where
 *   SESSION     = str session token (43) | bytes session ticket (keyd/ticket.h)
 *   ORG_KEY_REF = str org id | u32 org key version | u32 master key version |
 *                 bytes(60) wrapped org key (as ORG_KEY gave it, read back from storage)
 *   OBJECT      = str kind | str object id | u32 object version | u8 level
 *   ASSERTION   = bytes credential id | bytes authenticator data | bytes client data JSON |
 *                 bytes signature | bytes user handle: a passkey's answer to a sign-in
 *                 challenge (every field "" when none came; the user handle may be "")
 *
 * DENIED reasons: UNAUTHENTICATED for a session, seal or token keyd cannot believe; FORBIDDEN
 * for a live session not entitled to what it asks; INVALID_INPUT for a field out of range;
 * INVALID_CREDENTIALS for a wrong password or code; NOT_FOUND for an expired invite; EXISTS for
 * a membership an account already has; CRYPTO for a wrapped key or TOTP secret that does not
 * open in its context; NOMEM when a password hash cannot have its memory; THROTTLED for a
 * BREACH_LIST beyond keyd's allowance (KEYD_BREACH_LISTS_BURST, then one an hour); CONFIG, IO
 * or NOMEM for a list that does not map. A LOGIN that fails
 * answers LOGIN_FAILED, never DENIED: DENIED there means a bad request or a fault (and so does a
 * REAUTHENTICATE's). REAUTHENTICATION_REQUIRED for a live session whose last authentication is
 * too old for the request (keyd/permit.h, AUTH_RECENT).
 *
 * A request keyd does not expect, or cannot parse (a field longer than its limit below, bytes
 * left over), ends keyd: it never argues with a bad peer. So the client checks every field
 * against these limits before sending.
 */
#ifndef COFFER_KEYPROTO_PROTOCOL_H
#define COFFER_KEYPROTO_PROTOCOL_H

#include <stdint.h>

#include "common/email.h"
#include "crypto/token.h"

#define KEYD_CHANNELS	     8	  /* socket pairs, each served by its own keyd thread */
#define KEYD_KIND_MAX	     16	  /* an OBJECT's kind: "record", "file" */
#define KEYD_OPEN_BATCH_MAX  64	  /* objects per DATA_KEYS_OPEN: well inside one frame */
#define KEYD_PASSWORD_MAX    4096 /* bytes: 1024 characters of up to 4 bytes */
#define KEYD_CODE_MAX	     6	  /* a TOTP code's digits (LOGIN, TOTP_CONFIRM) */
#define KEYD_SESSION_TTL_MAX (30 * 24 * 3600) /* LOGIN's lifetime: coffer.conf's ceiling */
/* How old a session's last authentication may be for the requests keyd's table marks
 * AUTH_RECENT (keyd/permit.h): 15 minutes. coffer.conf's reauthenticate_after may only lower
 * it for the web process's own check. */
#define KEYD_REAUTH_AFTER_S   (15 * 60)
#define KEYD_HASH_CONCURRENCY 2 /* password hashes keyd runs at once; more wait their turn */
#define KEYD_INVITE_TTL_MAX   (72 * 3600 + 300) /* invites and resets: 72 h, and clock slack */
/* BREACH_LIST: keyd takes this many lists at once, then one more each KEYD_BREACH_LIST_REFILL_S
 * seconds. Each new list lets whoever sends it learn one bit per account (is its password in
 * this list?), so a web process that sends lists of its own making learns little, slowly. */
#define KEYD_AUDIT_LINK_MAX	  1024 /* entries in one AUDIT_LINK (audit/signer.h's batch) */
#define KEYD_BREACH_LISTS_BURST	  4
#define KEYD_BREACH_LIST_REFILL_S 3600

/* Sealed records the web process stores and hands back (keyd/ticket.h, keyd/account.h). */
#define TICKET_SEALED_MAX	  4096
#define ACCOUNT_SEALED_MAX	  4096
#define INVITE_SEALED_MAX	  512 /* invites, resets and charters */
#define TICKET_ID_MAX		  36  /* a user or organisation id inside a sealed record */
#define ACCOUNT_TOTP_SECRET_BYTES 20
/* How long a WebAuthn challenge keyd issues is good for (keyd/passkey_requests.c), and the
 * most bytes it takes sealed. */
#define KEYD_CHALLENGE_TTL  300
#define CHALLENGE_BYTES_MAX 160
/* Passkeys an account holds, and the bytes of a passkey's name (keyd/account.h). */
#define ACCOUNT_PASSKEYS_MAX	 8
#define ACCOUNT_PASSKEY_NAME_MAX 64

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
	KEYD_MSG_ORG_CREATE = 23,
	KEYD_MSG_ORG_CREATED = 24,
	KEYD_MSG_MEMBER_SET = 25,
	KEYD_MSG_RESET_SEAL = 26,
	KEYD_MSG_RESET_ACCEPT = 27,
	KEYD_MSG_TICKET_RENEW = 28,
	KEYD_MSG_TICKET = 29,
	KEYD_MSG_BREACH_LIST = 30,
	KEYD_MSG_BREACH_LISTED = 31,
	KEYD_MSG_BREACH_CHECK = 32,
	KEYD_MSG_BREACH_RESULT = 33,
	KEYD_MSG_AUDIT_LINK = 34,
	KEYD_MSG_AUDIT_LINKS = 35,
	KEYD_MSG_AUDIT_CHECK = 36,
	KEYD_MSG_AUDIT_CHECKED = 37,
	KEYD_MSG_BACKUP_KEY = 38,
	KEYD_MSG_BACKUP_KEYS = 39,
	KEYD_MSG_SECRET_GET = 40,
	KEYD_MSG_SECRET = 41,
	KEYD_MSG_PASSKEY_LOGIN_BEGIN = 42,
	KEYD_MSG_PASSKEY_REGISTER_BEGIN = 43,
	KEYD_MSG_PASSKEY_CHALLENGE = 44,
	KEYD_MSG_PASSKEY_REGISTER = 45,
	KEYD_MSG_PASSKEY_ADDED = 46,
	KEYD_MSG_PASSKEY_REMOVE = 47,
	KEYD_MSG_PASSKEY_LIST = 48,
	KEYD_MSG_PASSKEYS = 49,
	KEYD_MSG_WEBAUTHN_SET = 50,
	KEYD_MSG_WEBAUTHN_OK = 51,
	KEYD_MSG_REAUTHENTICATE = 52,
	KEYD_MSG_REAUTHENTICATED = 53,
};

/* SESSION_NEW: the second factor a login was made with. */
enum keyd_second_factor {
	KEYD_FACTOR_NONE = 0, /* the account has none, and none is needed */
	KEYD_FACTOR_TOTP = 1,
	KEYD_FACTOR_PASSKEY = 2,
};

/* FAIL: what keyd could not load. */
enum keyd_fail_source {
	KEYD_FAIL_KEYRING = 0, /* the master keyring (or anything else before the secrets) */
	KEYD_FAIL_SECRETS = 1, /* DATA/secrets */
};

/* BREACH_RESULT: what keyd found. */
enum keyd_breach_verdict {
	KEYD_BREACH_CLEAR = 0,	   /* not in the list */
	KEYD_BREACH_FOUND = 1,	   /* the password is in the list */
	KEYD_BREACH_NO_DIGEST = 2, /* the account was sealed before keyd kept breach digests */
	KEYD_BREACH_NO_LIST = 3,   /* keyd has been given no list */
};

/* Why a LOGIN failed: for the audit trail only. The client is told "invalid credentials"
 * whatever the reason, so that nothing distinguishes an unknown account from a wrong code. */
enum keyd_login_failure {
	KEYD_LOGIN_BAD_PASSWORD = 1, /* wrong password, or no such account */
	KEYD_LOGIN_TOTP_MISSING = 2, /* the account has TOTP and no code came */
	KEYD_LOGIN_TOTP_WRONG = 3,
	KEYD_LOGIN_TOTP_REUSED = 4,	  /* the code's step was already used */
	KEYD_LOGIN_TOTP_NOT_ENROLLED = 5, /* an administrator without TOTP: never allowed in */
	KEYD_LOGIN_PASSKEY_UNKNOWN = 6,	  /* a credential id the account does not hold */
	KEYD_LOGIN_PASSKEY_WRONG = 7,	  /* challenge, origin, RP ID, flags or signature */
	KEYD_LOGIN_PASSKEY_COUNTER = 8,	  /* the counter did not go up: a cloned authenticator */
	KEYD_LOGIN_SECOND_FACTOR_MISSING = 9, /* passkeys and no TOTP, and no passkey came */
};

/* Invitation roles: a sysadmin, or a member or org_admin of one organisation. */
enum invite_role { INVITE_SYSADMIN = 1, INVITE_MEMBER = 2, INVITE_ORG_ADMIN = 3 };

/* An invitation: what INVITE_SEAL asks keyd to seal, and what a sealed invite holds. */
struct invite {
	struct token_hash token;
	char email[EMAIL_MAX + 1];
	uint8_t role;			/* enum invite_role */
	char org_id[TICKET_ID_MAX + 1]; /* "" for a sysadmin */
	uint8_t clearance;		/* enum level; 0 for a sysadmin */
	int64_t expires_at;
};

/* A sign-in reset: the member USER_ID (EMAIL) of ORG_ID sets a new password and enrols a new
 * TOTP secret with the token that hashes to TOKEN, until EXPIRES_AT. */
struct reset {
	struct token_hash token;
	char user_id[TICKET_ID_MAX + 1];
	char email[EMAIL_MAX + 1];
	char org_id[TICKET_ID_MAX + 1];
	int64_t expires_at;
};

#endif
