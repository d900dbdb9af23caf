/* fuzz_keyd.c — keyd's request handlers (keyd_handle) on arbitrary requests.
 *
 * Input: one type byte, then the payload. keyd holds a fixed keyring (one master key, version
 * 1, bytes 0xc0..0xdf) built here in guarded memory, as master_key_load would leave it.
 * keyd_handle must never crash or read out of bounds, and when it answers:
 *   - only the request types are ever answered, each with its own reply types;
 *   - the reply is a well-formed frame (length prefix right, frame_open accepts it) whose
 *     payload parses exactly as keyproto/protocol.h documents it, and a DENIED carries a
 *     reason documented for that request (docs/KEYD.md);
 *   - PONG echoes the nonce; ORG_KEY is wrapped by master key 1 for the org id and version
 *     asked; a DATA_KEY is released only to a live session of a member of the object's
 *     organisation at or above its level (checked here afresh, not with keyd's own code), and
 *     is the key the returned wrapped key holds for the object asked (for an open, the wrapped
 *     key sent);
 *   - identity: an invite is sealed only for a live sysadmin session, and is the invite asked
 *     for; an account comes back from ACCEPT only for an unexpired invite keyd sealed whose
 *     token was presented, with the invite's email and its membership (or the sysadmin role),
 *     and a TOTP secret only when the account holds that very secret pending; TOTP_OK only for
 *     an account keyd sealed whose TOTP was pending, now active; a session only for an account
 *     keyd sealed, for that user, for the lifetime asked, with a token that hashes to the
 *     ticket's, never for a pending TOTP or a sysadmin without one; a password change only for
 *     an account keyd sealed, the same user.
 * This build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, see the Makefile) hashes passwords at
 * Argon2id's minimum cost, so identity requests run thousands a second, not ten.
 * Seeds (tests/fuzz/corpus/fuzz_keyd/) include valid data key requests: tickets sealed with
 * the ticket key derived from the fixed master key (expiring in 2100) and organisation keys
 * wrapped by it, made once with ticket_seal and keywrap_org_key; and valid identity requests
 * (identity_*) made once the same way: invites and accounts sealed with that keyring's seal
 * keys (invites expiring in 2100; account passwords "pw", hashed at the minimum cost).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "common/log.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"
#include "fuzz_util.h"
#include "keyd/account.h"
#include "keyd/dispatch.h"
#include "keyd/keys.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "keyproto/frame.h"
#include "signin/totp.h"

static struct keyd_keys keys;
static struct frame_writer reply;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup(void)
{
	if (sodium_init() < 0)
		abort();
	log_set_level(LOG_ERROR); /* refusals are logged as warnings: too many to print */
	struct master_keyring *ring = sodium_malloc(sizeof *ring);
	check(ring != NULL, "sodium_malloc");
	memset(ring, 0, sizeof *ring);
	ring->count = 1;
	ring->keys[0].version = 1;
	for (int i = 0; i < MASTER_KEY_BYTES; i++)
		ring->keys[0].key[i] = (uint8_t)(0xc0 + i);
	sodium_mprotect_readonly(ring);
	check(keyd_keys_from_ring(ring, &keys) == COFFER_OK, "keyd_keys_from_ring");
}

/* A data key request, parsed again here exactly as protocol.h documents it. */
struct request {
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
	char org_id[KEYWRAP_ID_MAX + 1], kind[KEYD_KIND_MAX + 1], object_id[KEYWRAP_ID_MAX + 1];
	uint32_t org_version, master_version, object_version;
	uint8_t level, wrapped_org[KEYWRAP_BYTES], wrapped[KEYWRAP_BYTES];
};

static void parse_request(const uint8_t *p, size_t len, bool open, struct request *q)
{
	struct wire_reader r = wire_reader_init(p, len);
	wire_get_str(&r, q->token, TOKEN_TEXT_LEN);
	q->ticket_len = wire_get_bytes(&r, q->ticket, sizeof q->ticket);
	wire_get_str(&r, q->org_id, KEYWRAP_ID_MAX);
	q->org_version = wire_get_u32(&r);
	q->master_version = wire_get_u32(&r);
	wire_get_exact(&r, q->wrapped_org, KEYWRAP_BYTES);
	wire_get_str(&r, q->kind, KEYD_KIND_MAX);
	wire_get_str(&r, q->object_id, KEYWRAP_ID_MAX);
	q->object_version = wire_get_u32(&r);
	q->level = wire_get_u8(&r);
	if (open)
		wire_get_exact(&r, q->wrapped, KEYWRAP_BYTES);
	check(wire_reader_end(&r), "keyd answered a data key request that does not parse");
}

/* Whether ticket T, presented with the token hashing to PRESENTED, is a live session at NOW of
 * a user with clearance at or above LEVEL in ORG_ID. */
static bool entitled(const struct ticket *t, const struct token_hash *presented, int64_t now,
		     const char *org_id, uint8_t level)
{
	if (memcmp(t->token.bytes, presented->bytes, TOKEN_HASH_BYTES) != 0 ||
	    now >= t->expires_at || t->role != TICKET_ROLE_USER || level > LEVEL_RESTRICTED)
		return false;
	for (uint32_t i = 0; i < t->n_orgs; i++) {
		if (strcmp(t->orgs[i].org_id, org_id) == 0)
			return t->orgs[i].clearance >= level;
	}
	return false;
}

/* KEY, released for the object Q names (under the wrapped organisation key Q names): the
 * session was entitled, and KEY is what WRAPPED holds for the object. */
static void check_released(const struct request *q, const uint8_t key[AEAD_KEY_BYTES],
			   const uint8_t wrapped[KEYWRAP_BYTES])
{
	static struct ticket t;
	uint8_t org_key[AEAD_KEY_BYTES], inside[AEAD_KEY_BYTES];
	struct token_hash presented;
	check(token_hash_text(q->token, &presented), "DATA_KEY for a malformed token");
	check(ticket_open(keys.ticket_key, q->ticket, q->ticket_len, &t) == COFFER_OK,
	      "DATA_KEY for a ticket keyd did not seal");
	/* A minute back: keyd decided a moment ago, and expiry only moves one way. */
	check(entitled(&t, &presented, (int64_t)time(NULL) - 60, q->org_id, q->level),
	      "DATA_KEY released to a session not entitled to it");
	const struct master_key *mk = master_keyring_find(keys.ring, q->master_version);
	check(mk != NULL, "DATA_KEY under a master key version keyd does not have");
	check(keyunwrap_org_key(mk->key, q->org_id, q->org_version, q->wrapped_org, org_key) ==
		  COFFER_OK,
	      "DATA_KEY under an organisation key that does not open");
	const struct object_ctx ctx = {.org_id = q->org_id,
				       .kind = q->kind,
				       .object_id = q->object_id,
				       .version = q->object_version,
				       .level = (enum level)q->level};
	check(keyunwrap_data_key(org_key, &ctx, wrapped, inside) == COFFER_OK &&
		  memcmp(inside, key, AEAD_KEY_BYTES) == 0,
	      "DATA_KEY's wrapped key does not hold its key for the object");
}

/* A DATA_KEY reply: released as check_released demands; an open returns the key sent. */
static void check_data_key(const uint8_t *p, size_t len, bool open, struct wire_reader *r)
{
	static struct request q;
	uint8_t key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	wire_get_exact(r, key, AEAD_KEY_BYTES);
	wire_get_exact(r, wrapped, KEYWRAP_BYTES);
	check(wire_reader_end(r), "DATA_KEY reply malformed");
	memset(&q, 0, sizeof q);
	parse_request(p, len, open, &q);
	check_released(&q, key, wrapped);
	if (open)
		check(memcmp(wrapped, q.wrapped, sizeof wrapped) == 0,
		      "DATA_KEY open returned another wrapped key");
}

/* A DATA_KEYS reply to DATA_KEYS_OPEN: one answer per object asked, in order; each key
 * released as check_released demands for its object, each refusal a documented one. */
static void check_data_keys(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct request q;
	struct wire_reader in = wire_reader_init(p, len);
	memset(&q, 0, sizeof q);
	wire_get_str(&in, q.token, TOKEN_TEXT_LEN);
	q.ticket_len = wire_get_bytes(&in, q.ticket, sizeof q.ticket);
	uint32_t n = wire_get_u32(&in);
	check(!in.bad && n >= 1 && n <= KEYD_OPEN_BATCH_MAX, "DATA_KEYS for a batch out of range");
	for (uint32_t i = 0; i < n; i++) {
		wire_get_str(&in, q.org_id, KEYWRAP_ID_MAX);
		q.org_version = wire_get_u32(&in);
		q.master_version = wire_get_u32(&in);
		wire_get_exact(&in, q.wrapped_org, KEYWRAP_BYTES);
		wire_get_str(&in, q.kind, KEYD_KIND_MAX);
		wire_get_str(&in, q.object_id, KEYWRAP_ID_MAX);
		q.object_version = wire_get_u32(&in);
		q.level = wire_get_u8(&in);
		wire_get_exact(&in, q.wrapped, KEYWRAP_BYTES);
		check(!in.bad, "keyd answered a batch that does not parse");
		uint32_t code = wire_get_u32(r);
		uint8_t key[AEAD_KEY_BYTES];
		size_t key_len = wire_get_bytes(r, key, sizeof key);
		check(!r->bad, "DATA_KEYS reply malformed");
		if (code == 0) {
			check(key_len == AEAD_KEY_BYTES,
			      "DATA_KEYS released a key of the wrong size");
			check_released(&q, key, q.wrapped);
		} else {
			check(key_len == 0, "DATA_KEYS refused an object but sent a key");
			check(code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_FORBIDDEN ||
				  code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_CRYPTO,
			      "DATA_KEYS refused with an undocumented reason");
		}
	}
	check(wire_reader_end(&in), "keyd answered a batch with bytes left over");
	check(wire_reader_end(r), "DATA_KEYS reply longer than the batch");
}

static void check_org_key(const uint8_t *p, size_t len, struct wire_reader *r)
{
	char org_id[KEYWRAP_ID_MAX + 1];
	uint8_t wrapped[KEYWRAP_BYTES], org_key[AEAD_KEY_BYTES];
	uint32_t master_version = wire_get_u32(r);
	wire_get_exact(r, wrapped, KEYWRAP_BYTES);
	check(wire_reader_end(r), "ORG_KEY reply malformed");
	check(master_version == 1, "ORG_KEY not wrapped by the newest master key");
	struct wire_reader q = wire_reader_init(p, len);
	wire_get_str(&q, org_id, KEYWRAP_ID_MAX);
	uint32_t version = wire_get_u32(&q);
	check(wire_reader_end(&q), "keyd answered an org key request that does not parse");
	check(version != 0, "ORG_KEY for version 0");
	check(keyunwrap_org_key(keys.ring->keys[0].key, org_id, version, wrapped, org_key) ==
		  COFFER_OK,
	      "ORG_KEY does not open for the org id and version asked");
}

/* ---- identity ----------------------------------------------------------------------------- */

static bool same_hash(const struct token_hash *a, const struct token_hash *b)
{
	return memcmp(a->bytes, b->bytes, TOKEN_HASH_BYTES) == 0;
}

/* Opens a sealed account from R (a bytes field of at most ACCOUNT_SEALED_MAX): whether keyd
 * sealed it. */
static bool read_account(struct wire_reader *r, struct account *a)
{
	static uint8_t sealed[ACCOUNT_SEALED_MAX];
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	return account_open(keys.seals, sealed, n, a) == COFFER_OK;
}

static void check_sealed(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static uint8_t sealed[ACCOUNT_SEALED_MAX], ticket[TICKET_SEALED_MAX];
	static struct ticket t;
	static struct invite got, asked;
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash presented;
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	check(wire_reader_end(r) && n > 0, "SEALED reply malformed");
	check(invite_open(keys.seals, sealed, n, &got) == COFFER_OK, "SEALED invite does not open");
	memset(&asked, 0, sizeof asked);
	struct wire_reader q = wire_reader_init(p, len);
	wire_get_str(&q, token, TOKEN_TEXT_LEN);
	size_t tl = wire_get_bytes(&q, ticket, sizeof ticket);
	wire_get_exact(&q, asked.token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(&q, asked.email, EMAIL_MAX);
	asked.role = wire_get_u8(&q);
	size_t ol = wire_get_bytes(&q, asked.org_id, TICKET_ID_MAX);
	asked.org_id[ol] = '\0';
	asked.clearance = wire_get_u8(&q);
	asked.expires_at = (int64_t)wire_get_u64(&q);
	check(wire_reader_end(&q), "keyd answered an invite seal request that does not parse");
	check(token_hash_text(token, &presented) &&
		  ticket_open(keys.ticket_key, ticket, tl, &t) == COFFER_OK &&
		  same_hash(&presented, &t.token) && t.role == TICKET_ROLE_SYSADMIN &&
		  t.expires_at > (int64_t)time(NULL) - 60,
	      "invite sealed for a session that is not a live sysadmin's");
	check(memcmp(&got, &asked, sizeof got) == 0, "SEALED invite is not the one asked for");
}

static void check_accepted(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct account a, existing;
	static struct invite inv;
	static uint8_t invite[INVITE_SEALED_MAX];
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], inside[ACCOUNT_TOTP_SECRET_BYTES];
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash presented;
	check(read_account(r, &a), "ACCOUNT reply holds no account keyd sealed");
	size_t sl = wire_get_bytes(r, secret, sizeof secret);
	check(wire_reader_end(r) && (sl == 0 || sl == sizeof secret), "ACCOUNT reply malformed");
	struct wire_reader q = wire_reader_init(p, len);
	wire_get_str(&q, token, TOKEN_TEXT_LEN);
	size_t il = wire_get_bytes(&q, invite, sizeof invite);
	check(invite_open(keys.seals, invite, il, &inv) == COFFER_OK &&
		  token_hash_text(token, &presented) && same_hash(&presented, &inv.token),
	      "account made for an invite keyd did not seal, or without its token");
	check(inv.expires_at > (int64_t)time(NULL) - 60, "account made for an expired invite");
	check(strcmp(a.email, inv.email) == 0, "account with another email than its invite's");
	/* The existing account's field: two length bytes, not both zero when joining. */
	struct wire_reader peek = q;
	const uint8_t *prefix = wire_get_raw(&peek, 2);
	bool joining = prefix != NULL && (prefix[0] != 0 || prefix[1] != 0);
	if (joining) {
		check(read_account(&q, &existing), "joined an account keyd did not seal");
		check(strcmp(existing.user_id, a.user_id) == 0 && a.n_orgs == existing.n_orgs + 1,
		      "joining made another account, or no new membership");
		check(sl == 0, "a TOTP secret handed out when joining");
	}
	if (inv.role == INVITE_SYSADMIN) {
		check(a.role == TICKET_ROLE_SYSADMIN && a.n_orgs == 0 && sl != 0,
		      "a sysadmin invite made no sysadmin with TOTP");
	} else {
		check(a.role == TICKET_ROLE_USER && a.n_orgs >= 1, "a member made no user");
		const struct ticket_membership *m = &a.orgs[a.n_orgs - 1];
		check(strcmp(m->org_id, inv.org_id) == 0 && m->clearance == inv.clearance,
		      "the invite's membership is not the account's");
	}
	if (sl != 0) {
		check(a.totp == ACCOUNT_TOTP_PENDING &&
			  account_totp_open(keys.seals, a.user_id, a.totp_sealed, inside) ==
			      COFFER_OK &&
			  memcmp(inside, secret, sizeof secret) == 0,
		      "the TOTP secret handed out is not the account's pending one");
	}
}

static void check_totp_ok(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct account a, before;
	check(read_account(r, &a), "TOTP_OK holds no account keyd sealed");
	int64_t step = (int64_t)wire_get_u64(r);
	check(wire_reader_end(r) && step >= 0, "TOTP_OK reply malformed");
	struct wire_reader q = wire_reader_init(p, len);
	check(read_account(&q, &before) && before.totp == ACCOUNT_TOTP_PENDING,
	      "TOTP confirmed for an account keyd did not seal, or not pending");
	check(a.totp == ACCOUNT_TOTP_ACTIVE && strcmp(a.user_id, before.user_id) == 0,
	      "TOTP_OK account not the same, active");
}

static void check_session(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct account a;
	static struct ticket t;
	static uint8_t ticket[TICKET_SEALED_MAX], password[KEYD_PASSWORD_MAX];
	char token[TOKEN_TEXT_LEN + 1], code[KEYD_CODE_MAX + 1];
	struct token_hash h;
	wire_get_str(r, token, TOKEN_TEXT_LEN);
	size_t tl = wire_get_bytes(r, ticket, sizeof ticket);
	int64_t expires = (int64_t)wire_get_u64(r);
	int64_t step = (int64_t)wire_get_u64(r);
	check(wire_reader_end(r), "SESSION_NEW reply malformed");
	check(ticket_open(keys.ticket_key, ticket, tl, &t) == COFFER_OK &&
		  token_hash_text(token, &h) && same_hash(&h, &t.token) && t.expires_at == expires,
	      "SESSION_NEW ticket not keyd's for its token");
	struct wire_reader q = wire_reader_init(p, len);
	check(read_account(&q, &a), "session issued for an account keyd did not seal");
	(void)wire_get_bytes(&q, password, sizeof password);
	size_t cl = wire_get_bytes(&q, code, KEYD_CODE_MAX);
	(void)wire_get_u64(&q);
	uint32_t ttl = wire_get_u32(&q);
	check(wire_reader_end(&q), "keyd answered a login that does not parse");
	check(strcmp(t.user_id, a.user_id) == 0 && t.role == a.role && t.n_orgs == a.n_orgs,
	      "session for another user than the account's");
	check(t.expires_at - t.issued_at == (int64_t)ttl && ttl >= 1 && ttl <= 30 * 24 * 3600,
	      "session lifetime not the one asked");
	check(a.totp != ACCOUNT_TOTP_PENDING, "session for an account with TOTP pending");
	check(a.role != TICKET_ROLE_SYSADMIN || a.totp == ACCOUNT_TOTP_ACTIVE,
	      "session for a sysadmin without TOTP");
	if (a.totp == ACCOUNT_TOTP_ACTIVE)
		check(cl == TOTP_DIGITS && step >= 0, "session without a TOTP code");
	else
		check(step == TOTP_STEP_NONE, "a TOTP step for an account without TOTP");
}

static void check_password_set(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct account a, before;
	check(read_account(r, &a), "ACCOUNT reply holds no account keyd sealed");
	check(wire_get_bytes(r, NULL, 0) == 0 && wire_reader_end(r), "ACCOUNT reply malformed");
	struct wire_reader q = wire_reader_init(p, len);
	check(read_account(&q, &before), "password changed on an account keyd did not seal");
	check(strcmp(a.user_id, before.user_id) == 0 && a.totp == before.totp,
	      "password change made another account");
}

/* The reasons documented for refusing each request (and NOMEM when Argon2id cannot
 * have its memory, CRYPTO when a TOTP secret does not open). */
static bool denial_documented(uint8_t type, uint32_t code)
{
	switch (type) {
	case KEYD_MSG_ORG_KEY_NEW: return code == COFFER_ERR_INVALID_INPUT;
	case KEYD_MSG_DATA_KEY_NEW:
	case KEYD_MSG_DATA_KEY_OPEN:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_INVITE_SEAL:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN;
	case KEYD_MSG_ACCEPT:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_NOT_FOUND ||
		       code == COFFER_ERR_EXISTS || code == COFFER_ERR_NOMEM;
	case KEYD_MSG_TOTP_CONFIRM:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_LOGIN: return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_PASSWORD_SET:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_NOMEM;
	default: return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	const uint8_t type = data[0];
	const uint8_t *payload = data + 1;
	const size_t len = size - 1;
	struct wire_reader r = wire_reader_init(payload, len);
	if (!keyd_handle(&keys, type, &r, &reply))
		return 0;

	/* The reply: length prefix, then a frame keyd's peer accepts. */
	uint8_t rtype = 0;
	struct wire_reader rr;
	const size_t body = be32(reply.buf);
	check(!reply.w.bad && reply.w.len >= 4 && body == reply.w.len - 4,
	      "reply length prefix wrong");
	check(frame_open(reply.buf + 4, reply.w.len - 4, &rtype, &rr), "reply frame malformed");

	if (rtype == KEYD_MSG_DENIED) {
		uint32_t code = wire_get_u32(&rr);
		check(wire_reader_end(&rr), "DENIED reply malformed");
		check(denial_documented(type, code),
		      "DENIED to a request never refused, or with an undocumented reason");
		return 0;
	}
	switch (type) {
	case KEYD_MSG_PING:
		check(rtype == KEYD_MSG_PONG, "PING not answered with PONG");
		struct wire_reader nonce = wire_reader_init(payload, len);
		check(wire_get_u64(&rr) == wire_get_u64(&nonce) && wire_reader_end(&nonce),
		      "PONG does not echo the nonce");
		check(wire_reader_end(&rr), "PONG reply malformed");
		break;
	case KEYD_MSG_ORG_KEY_NEW:
		check(rtype == KEYD_MSG_ORG_KEY, "ORG_KEY_NEW not answered with ORG_KEY");
		check_org_key(payload, len, &rr);
		break;
	case KEYD_MSG_DATA_KEY_NEW:
	case KEYD_MSG_DATA_KEY_OPEN:
		check(rtype == KEYD_MSG_DATA_KEY, "data key request not answered with DATA_KEY");
		check_data_key(payload, len, type == KEYD_MSG_DATA_KEY_OPEN, &rr);
		break;
	case KEYD_MSG_DATA_KEYS_OPEN:
		check(rtype == KEYD_MSG_DATA_KEYS, "batch not answered with DATA_KEYS");
		check_data_keys(payload, len, &rr);
		break;
	case KEYD_MSG_INVITE_SEAL:
		check(rtype == KEYD_MSG_SEALED, "INVITE_SEAL not answered with SEALED");
		check_sealed(payload, len, &rr);
		break;
	case KEYD_MSG_ACCEPT:
		check(rtype == KEYD_MSG_ACCOUNT, "ACCEPT not answered with ACCOUNT");
		check_accepted(payload, len, &rr);
		break;
	case KEYD_MSG_TOTP_CONFIRM:
		check(rtype == KEYD_MSG_TOTP_OK, "TOTP_CONFIRM not answered with TOTP_OK");
		check_totp_ok(payload, len, &rr);
		break;
	case KEYD_MSG_LOGIN:
		if (rtype == KEYD_MSG_LOGIN_FAILED) {
			uint8_t why = wire_get_u8(&rr);
			check(wire_reader_end(&rr) && why >= KEYD_LOGIN_BAD_PASSWORD &&
				  why <= KEYD_LOGIN_TOTP_NOT_ENROLLED,
			      "LOGIN_FAILED reply malformed");
			break;
		}
		check(rtype == KEYD_MSG_SESSION_NEW, "LOGIN not answered with SESSION_NEW");
		check_session(payload, len, &rr);
		break;
	case KEYD_MSG_PASSWORD_SET:
		check(rtype == KEYD_MSG_ACCOUNT, "PASSWORD_SET not answered with ACCOUNT");
		check_password_set(payload, len, &rr);
		break;
	default: check(false, "a request type keyd does not serve was answered");
	}
	return 0;
}
