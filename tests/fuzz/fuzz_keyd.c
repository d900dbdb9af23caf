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
 *   - identity: an account comes back from ACCEPT only for an unexpired invite keyd sealed whose
 *     token was presented, with the invite's email and its membership (or the sysadmin role),
 *     and a TOTP secret only when the account holds that very secret pending; TOTP_OK only for
 *     an account keyd sealed whose TOTP was pending, now active; a session only for an account
 *     keyd sealed, for that user, for the lifetime asked, with a token that hashes to the
 *     ticket's, never for a pending TOTP or a sysadmin without one; a password change only for
 *     an account keyd sealed, the same user; a renewed ticket only for a live session and its
 *     own user's account keyd sealed: the same session with the account's memberships;
 *   - people (checked afresh, not with keyd's permit code): an invite is sealed, as asked and
 *     expiring within KEYD_INVITE_TTL_MAX, if and only if the session is live and invites a
 *     sysadmin as a sysadmin, or into an organisation as its org_admin cleared to the invite's
 *     clearance, or its first org_admin as a sysadmin presenting that organisation's unexpired
 *     charter — and then only, with the charter renewed to the invite's expiry; an
 *     organisation is created only for a live sysadmin, its key wrapped by master key 1 for
 *     the new id and its charter naming it; a membership is changed or removed, and a reset
 *     sealed, only for a live org_admin of that organisation, never beyond their clearance nor
 *     for a member cleared above it, a reset only for a member of that organisation alone; a
 *     reset is accepted only with its token, unexpired, for its member still of its
 *     organisation alone, giving the new password and the pending TOTP secret handed out;
 *   - breached passwords: every account keyd makes with a password (ACCEPT, RESET_ACCEPT,
 *     PASSWORD_SET) carries, sealed, the SHA-1 of exactly that password; a BREACH_RESULT comes
 *     only for a live session presenting its own user's account keyd sealed, and its verdict is
 *     the truth about that account's digest and the list keyd was given here at start (the
 *     SHA-1 of "pw", the seeds' password), found here afresh. BREACH_LIST needs a descriptor,
 *     which keyd_handle never has: it must not be answered;
 *   - sealed credentials: SECRET_GET answers, with exactly the value keyd holds, only a name
 *     coffer defines that is set here (pg_password); a defined name not set is NOT_FOUND, and
 *     any other name FORBIDDEN, even one keyd holds (a_later_name, as a later coffer might
 *     leave in DATA/secrets).
 * This build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, see the Makefile) hashes passwords at
 * Argon2id's minimum cost, so identity requests run thousands a second, not ten.
 * Seeds (tests/fuzz/corpus/fuzz_keyd/) include valid data key requests: tickets sealed with
 * the ticket key derived from the fixed master key (expiring in 2100) and organisation keys
 * wrapped by it, made once with ticket_seal and keywrap_org_key; and valid identity requests
 * (identity_*) made once the same way: invites and accounts sealed with that keyring's seal
 * keys (invites expiring in 2100; account passwords "pw", hashed at the minimum cost); and
 * valid people requests (people_*) made once the same way, with charter_seal and reset_seal
 * too (tickets, charters and resets expiring in 2100); breach_check_* are people_ticket_renew's
 * session with its account (format 1: no digest) or that account given the digest of "pw".
 * The identity_invite_seal seed is a
 * sysadmin inviting a member into an organisation: forbidden. An INVITE_SEAL or RESET_SEAL
 * asks for an expiry within KEYD_INVITE_TTL_MAX of keyd's clock, which no seed can hold for
 * long (theirs ask for 2100, refused as they stand): the mutator (LLVMFuzzerCustomMutator)
 * puts it there.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "common/log.h"
#include "common/uuid.h"
#include "crypto/keywrap.h"
#include "crypto/secrets_file.h"
#include "crypto/token.h"
#include "fuzz_util.h"
#include "keyd/account.h"
#include "keyd/breach_list.h"
#include "keyd/dispatch.h"
#include "keyd/keys.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"
#include "keyproto/frame.h"
#include "signin/totp.h"

static struct keyd_keys keys;
#define PG_PASSWORD "the database password"
static struct frame_writer reply;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

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
	/* What keyd_secrets_load would have opened from DATA/secrets. */
	check(secrets_new(&keys.secrets) == COFFER_OK &&
		  secrets_put(keys.secrets, SECRET_PG_PASSWORD, (const uint8_t *)PG_PASSWORD,
			      strlen(PG_PASSWORD), 1) == COFFER_OK &&
		  secrets_put(keys.secrets, "a_later_name", (const uint8_t *)"later", 5, 1) ==
		      COFFER_OK,
	      "secrets");
	sodium_mprotect_readonly(keys.secrets);
	/* keyd's breached-password list: the SHA-1 of "pw", as the web process would hand it. */
	uint8_t listed[20];
	unsigned int n = 0;
	check(EVP_Digest("pw", 2, listed, &n, EVP_sha1(), NULL) == 1, "SHA-1");
	FILE *f = tmpfile();
	check(f != NULL, "tmpfile");
	for (int i = 0; i < 20; i++)
		fprintf(f, "%02X", listed[i]);
	fprintf(f, ":3\n");
	check(fflush(f) == 0, "fflush");
	uint64_t g = 0;
	check(keyd_breach_list_take(keys.breach, dup(fileno(f)), (int64_t)time(NULL), &g) ==
		      COFFER_OK &&
		  g == 1,
	      "keyd takes the list");
	fclose(f);
}

/* Skips a bytes (or str) field of R. */
static void skip_field(struct wire_reader *r)
{
	const uint8_t *n = wire_get_raw(r, 2);
	if (n != NULL)
		(void)wire_get_raw(r, (size_t)n[0] << 8 | n[1]);
}

/* Whether account A's breach digest is the SHA-1 of the LEN bytes at PASSWORD. */
static bool digest_of(const struct account *a, const uint8_t *password, size_t len)
{
	uint8_t want[20], inside[20];
	unsigned int n = 0;
	bool ok = EVP_Digest(password, len, want, &n, EVP_sha1(), NULL) == 1 &&
		  account_breach_open(keys.seals, a, inside) == COFFER_OK &&
		  memcmp(want, inside, sizeof want) == 0;
	sodium_memzero(inside, sizeof inside);
	return ok;
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
	{
		/* ACCEPT: token | invite | account | user id | password | with TOTP */
		static uint8_t password[KEYD_PASSWORD_MAX];
		struct wire_reader pw = q;
		skip_field(&pw);
		skip_field(&pw);
		size_t pl = wire_get_bytes(&pw, password, sizeof password);
		check(!pw.bad && digest_of(&a, password, pl),
		      "an accepted account's breach digest is not its password's");
	}
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
	static uint8_t ticket[TICKET_SEALED_MAX], password[KEYD_PASSWORD_MAX],
	    again[ACCOUNT_SEALED_MAX], assertion[WEBAUTHN_ATTESTATION_MAX];
	char token[TOKEN_TEXT_LEN + 1], code[KEYD_CODE_MAX + 1];
	struct token_hash h;
	wire_get_str(r, token, TOKEN_TEXT_LEN);
	size_t tl = wire_get_bytes(r, ticket, sizeof ticket);
	int64_t expires = (int64_t)wire_get_u64(r);
	int64_t step = (int64_t)wire_get_u64(r);
	(void)wire_get_bytes(r, again, sizeof again); /* the account sealed again, if any */
	uint8_t factor = wire_get_u8(r);
	check(wire_reader_end(r) && factor <= KEYD_FACTOR_PASSKEY, "SESSION_NEW reply malformed");
	check(ticket_open(keys.ticket_key, ticket, tl, &t) == COFFER_OK &&
		  token_hash_text(token, &h) && same_hash(&h, &t.token) && t.expires_at == expires,
	      "SESSION_NEW ticket not keyd's for its token");
	struct wire_reader q = wire_reader_init(p, len);
	check(read_account(&q, &a), "session issued for an account keyd did not seal");
	(void)wire_get_bytes(&q, password, sizeof password);
	size_t cl = wire_get_bytes(&q, code, KEYD_CODE_MAX);
	(void)wire_get_u64(&q);
	uint32_t ttl = wire_get_u32(&q);
	for (int i = 0; i < 5; i++) /* ASSERTION */
		(void)wire_get_bytes(&q, assertion, sizeof assertion);
	check(wire_reader_end(&q), "keyd answered a login that does not parse");
	check(strcmp(t.user_id, a.user_id) == 0 && t.role == a.role && t.n_orgs == a.n_orgs,
	      "session for another user than the account's");
	check(t.expires_at - t.issued_at == (int64_t)ttl && ttl >= 1 && ttl <= 30 * 24 * 3600,
	      "session lifetime not the one asked");
	check(a.totp != ACCOUNT_TOTP_PENDING, "session for an account with TOTP pending");
	check(a.role != TICKET_ROLE_SYSADMIN || account_has_second_factor(&a),
	      "session for a sysadmin without a second factor");
	if (factor == KEYD_FACTOR_TOTP)
		check(a.totp == ACCOUNT_TOTP_ACTIVE && cl == TOTP_DIGITS && step >= 0,
		      "a TOTP session without a TOTP code");
	else
		check(step == TOTP_STEP_NONE, "a TOTP step for a login without a code");
	check(factor != KEYD_FACTOR_NONE || !account_has_second_factor(&a),
	      "a session without the account's second factor");
	check(factor != KEYD_FACTOR_PASSKEY || a.n_passkeys > 0, "a passkey session without one");
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
	static uint8_t password[KEYD_PASSWORD_MAX];
	skip_field(&q); /* the current password */
	size_t pl = wire_get_bytes(&q, password, sizeof password);
	check(!q.bad && digest_of(&a, password, pl),
	      "a changed account's breach digest is not the new password's");
}

/* ---- people: who belongs to an organisation ---------------------------------------------- */

/* Reads SESSION from R: whether it is live at AT (permit.h's rule, checked afresh: keyd's
 * ticket, the token presented hashes to its hash, not expired); T is its ticket. */
static bool read_live_session(struct wire_reader *r, int64_t at, struct ticket *t)
{
	static uint8_t ticket[TICKET_SEALED_MAX];
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash presented;
	wire_get_str(r, token, TOKEN_TEXT_LEN);
	size_t tl = wire_get_bytes(r, ticket, sizeof ticket);
	return !r->bad && token_hash_text(token, &presented) &&
	       ticket_open(keys.ticket_key, ticket, tl, t) == COFFER_OK &&
	       same_hash(&presented, &t->token) && at < t->expires_at;
}

/* The membership of ORG_ID among the N at M, the first one as keyd finds it, or NULL. */
static const struct ticket_membership *find_org(const struct ticket_membership *m, uint32_t n,
						const char *org_id)
{
	for (uint32_t i = 0; i < n && i < TICKET_ORGS_MAX; i++) {
		if (strcmp(m[i].org_id, org_id) == 0)
			return &m[i];
	}
	return NULL;
}

/* Whether ticket T is a user's who is an org_admin of ORG_ID cleared there to GRANT at least;
 * *CLEARANCE is then the admin's clearance. */
static bool org_admin(const struct ticket *t, const char *org_id, uint8_t grant, uint8_t *clearance)
{
	const struct ticket_membership *m =
	    t->role == TICKET_ROLE_USER ? find_org(t->orgs, t->n_orgs, org_id) : NULL;
	if (m == NULL || m->org_role != TICKET_ORG_ADMIN || m->clearance < grant)
		return false;
	*clearance = m->clearance;
	return true;
}

static bool same_membership(const struct ticket_membership *a, const struct ticket_membership *b)
{
	return strcmp(a->org_id, b->org_id) == 0 && a->org_role == b->org_role &&
	       a->clearance == b->clearance;
}

/* Whether the N memberships at A are the M at B, in any order. */
static bool same_orgs(const struct ticket_membership *a, uint32_t n,
		      const struct ticket_membership *b, uint32_t m)
{
	bool used[TICKET_ORGS_MAX] = {false};
	if (n != m || n > TICKET_ORGS_MAX)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = 0;
		while (j < n && (used[j] || !same_membership(&a[i], &b[j])))
			j++;
		if (j == n)
			return false;
		used[j] = true;
	}
	return true;
}

/* Parses the INVITE_SEAL request P into *INV, and says whether its session may have it sealed
 * at AT: a sysadmin invite by a sysadmin; an organisation invite by an org_admin of it cleared
 * to the invite's clearance; or (*FOUNDING) an org_admin invite by a sysadmin presenting a
 * charter of that organisation still founding at AT. */
static bool may_invite(const uint8_t *p, size_t len, int64_t at, struct invite *inv, bool *founding)
{
	static struct ticket t;
	static uint8_t charter[INVITE_SEALED_MAX];
	struct charter ch;
	uint8_t clearance;
	struct wire_reader q = wire_reader_init(p, len);
	const bool live = read_live_session(&q, at, &t);
	memset(inv, 0, sizeof *inv);
	wire_get_exact(&q, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(&q, inv->email, EMAIL_MAX);
	inv->role = wire_get_u8(&q);
	size_t ol = wire_get_bytes(&q, inv->org_id, TICKET_ID_MAX);
	inv->org_id[ol] = '\0';
	inv->clearance = wire_get_u8(&q);
	inv->expires_at = (int64_t)wire_get_u64(&q);
	size_t cl = wire_get_bytes(&q, charter, sizeof charter);
	check(wire_reader_end(&q), "keyd answered an invite seal request that does not parse");
	*founding = false;
	/* Live, and authenticated recently enough for a change to people (AUTH_RECENT). */
	if (!live || at - t.authenticated_at > KEYD_REAUTH_AFTER_S)
		return false;
	const bool sysadmin = t.role == TICKET_ROLE_SYSADMIN;
	if (inv->role == INVITE_SYSADMIN)
		return sysadmin;
	if (inv->role != INVITE_MEMBER && inv->role != INVITE_ORG_ADMIN)
		return false;
	if (org_admin(&t, inv->org_id, inv->clearance, &clearance))
		return true;
	*founding = inv->role == INVITE_ORG_ADMIN && sysadmin && cl > 0 &&
		    charter_open(keys.seals, charter, cl, &ch) == COFFER_OK &&
		    strcmp(ch.org_id, inv->org_id) == 0 && ch.founding_until > at;
	return *founding;
}

/* SEALED for INVITE_SEAL: the invite asked for, for a session that may invite (a minute back),
 * expiring within keyd's limit; a renewed charter exactly when founding, lasting as long as the
 * invite. */
static void check_sealed(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static uint8_t sealed[INVITE_SEALED_MAX], renewed[INVITE_SEALED_MAX];
	static struct invite got, asked;
	struct charter ch;
	bool founding = false;
	const int64_t now = (int64_t)time(NULL);
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	size_t rl = wire_get_bytes(r, renewed, sizeof renewed);
	check(wire_reader_end(r) && n > 0, "SEALED reply malformed");
	check(invite_open(keys.seals, sealed, n, &got) == COFFER_OK, "SEALED invite does not open");
	check(may_invite(p, len, now - 60, &asked, &founding),
	      "invite sealed for a session not allowed to invite to it");
	check(memcmp(&got, &asked, sizeof got) == 0, "SEALED invite is not the one asked for");
	check(got.expires_at > now - 60 && got.expires_at <= now + KEYD_INVITE_TTL_MAX + 60,
	      "SEALED invite expires beyond keyd's limit");
	if (founding) {
		check(rl > 0 && charter_open(keys.seals, renewed, rl, &ch) == COFFER_OK &&
			  strcmp(ch.org_id, got.org_id) == 0 && ch.founding_until == got.expires_at,
		      "founding invite without its organisation's charter renewed to its expiry");
	} else {
		check(rl == 0, "a charter renewed for an invite that founds nothing");
	}
}

/* A refused INVITE_SEAL: never for want of a permit when the session may invite now (keyd
 * decided a moment ago, so it was live and the charter unexpired then too). */
static void check_invite_refused(const uint8_t *p, size_t len, uint32_t code)
{
	static struct invite inv;
	bool founding = false;
	check(code == COFFER_ERR_INVALID_INPUT ||
		  !may_invite(p, len, (int64_t)time(NULL), &inv, &founding),
	      "invite refused to a session allowed to invite to it");
}

/* ORG_CREATED: only for a live sysadmin; a new UUID, its key version 1 wrapped by master key
 * 1, and a charter of that organisation founding for no longer than an invite lasts. */
static void check_org_created(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct ticket t;
	static uint8_t sealed[INVITE_SEALED_MAX];
	char org_id[TICKET_ID_MAX + 1];
	uint8_t wrapped[KEYWRAP_BYTES], org_key[AEAD_KEY_BYTES];
	struct charter ch;
	const int64_t now = (int64_t)time(NULL);
	wire_get_str(r, org_id, TICKET_ID_MAX);
	uint32_t master_version = wire_get_u32(r);
	wire_get_exact(r, wrapped, KEYWRAP_BYTES);
	size_t cl = wire_get_bytes(r, sealed, sizeof sealed);
	check(wire_reader_end(r), "ORG_CREATED reply malformed");
	struct wire_reader q = wire_reader_init(p, len);
	const bool live = read_live_session(&q, now - 60, &t);
	check(wire_reader_end(&q), "keyd answered an organisation creation that does not parse");
	check(live && t.role == TICKET_ROLE_SYSADMIN,
	      "organisation created for a session that is not a live sysadmin's");
	check(uuid_valid(org_id), "ORG_CREATED names no UUID");
	check(master_version == 1 && keyunwrap_org_key(keys.ring->keys[0].key, org_id, 1, wrapped,
						       org_key) == COFFER_OK,
	      "ORG_CREATED key does not open under master key 1 for the new org, version 1");
	sodium_memzero(org_key, sizeof org_key);
	check(charter_open(keys.seals, sealed, cl, &ch) == COFFER_OK &&
		  strcmp(ch.org_id, org_id) == 0,
	      "ORG_CREATED charter does not open for the new organisation");
	check(ch.founding_until > now - 60 && ch.founding_until <= now + KEYD_INVITE_TTL_MAX + 60,
	      "ORG_CREATED charter founding for longer than an invite lasts");
}

/* MEMBER_SET and RESET_SEAL begin alike: SESSION | bytes member's account | str org id. */
struct member_ref {
	bool live;	  /* the session, a minute back */
	struct ticket t;  /* its ticket */
	bool opened;	  /* the member's account is keyd's */
	struct account a; /* the member's account */
	char org_id[TICKET_ID_MAX + 1];
};

static void read_member_ref(struct wire_reader *q, int64_t at, struct member_ref *m)
{
	m->live = read_live_session(q, at, &m->t);
	m->opened = read_account(q, &m->a);
	wire_get_str(q, m->org_id, TICKET_ID_MAX);
}

/* ACCOUNT for MEMBER_SET: only for a live org_admin of the organisation granting within their
 * clearance, to a member there at or below it; the same account with that one membership
 * changed as asked (or gone, for role 0) and every other one as it was. */
static void check_member_set(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct member_ref m;
	static struct account a;
	static struct ticket_membership want[TICKET_ORGS_MAX];
	uint8_t admin = 0;
	check(read_account(r, &a), "ACCOUNT reply holds no account keyd sealed");
	check(wire_get_bytes(r, NULL, 0) == 0 && wire_reader_end(r),
	      "MEMBER_SET reply malformed, or with a TOTP secret");
	struct wire_reader q = wire_reader_init(p, len);
	read_member_ref(&q, (int64_t)time(NULL) - 60, &m);
	const uint8_t role = wire_get_u8(&q), grant = wire_get_u8(&q);
	check(wire_reader_end(&q), "keyd answered a membership change that does not parse");
	check(m.live && org_admin(&m.t, m.org_id, grant, &admin),
	      "membership changed for a session not a live org_admin of the org cleared to grant");
	check(role <= TICKET_ORG_ADMIN && (role != 0 || grant == 0),
	      "membership changed to a role out of range");
	check(m.opened && m.a.role == TICKET_ROLE_USER,
	      "membership changed in an account keyd did not seal");
	const struct ticket_membership *was = find_org(m.a.orgs, m.a.n_orgs, m.org_id);
	check(was != NULL && was->clearance <= admin,
	      "membership changed for a non-member, or one cleared above the admin");
	check(strcmp(a.user_id, m.a.user_id) == 0 && strcmp(a.email, m.a.email) == 0 &&
		  strcmp(a.password_hash, m.a.password_hash) == 0 && a.role == m.a.role &&
		  a.totp == m.a.totp &&
		  memcmp(a.totp_sealed, m.a.totp_sealed, sizeof a.totp_sealed) == 0,
	      "membership change altered the account beyond its memberships");
	uint32_t n = 0;
	for (uint32_t i = 0; i < m.a.n_orgs; i++) {
		if (&m.a.orgs[i] != was)
			want[n++] = m.a.orgs[i];
	}
	if (role != 0) {
		want[n] = *was;
		want[n].org_role = role;
		want[n].clearance = grant;
		n++;
	}
	check(same_orgs(a.orgs, a.n_orgs, want, n),
	      "membership not changed as asked, or another one touched");
}

/* SEALED for RESET_SEAL: only for a live org_admin of the organisation, for a member of it
 * alone at or below the admin's clearance; the reset asked for, for that member, within keyd's
 * expiry limit, and no charter. */
static void check_reset_sealed(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct member_ref m;
	static uint8_t sealed[INVITE_SEALED_MAX];
	static struct reset got;
	struct token_hash token;
	uint8_t admin = 0;
	const int64_t now = (int64_t)time(NULL);
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	check(wire_get_bytes(r, NULL, 0) == 0 && wire_reader_end(r) && n > 0,
	      "SEALED reset reply malformed, or with a charter");
	check(reset_open(keys.seals, sealed, n, &got) == COFFER_OK, "SEALED reset does not open");
	struct wire_reader q = wire_reader_init(p, len);
	read_member_ref(&q, now - 60, &m);
	wire_get_exact(&q, token.bytes, TOKEN_HASH_BYTES);
	const int64_t expires = (int64_t)wire_get_u64(&q);
	check(wire_reader_end(&q), "keyd answered a reset seal request that does not parse");
	check(m.live && org_admin(&m.t, m.org_id, 0, &admin),
	      "reset sealed for a session not a live org_admin of the organisation");
	check(m.opened && m.a.role == TICKET_ROLE_USER && m.a.n_orgs == 1 &&
		  strcmp(m.a.orgs[0].org_id, m.org_id) == 0 && m.a.orgs[0].clearance <= admin,
	      "reset sealed for an account not of that organisation alone, within the admin's "
	      "clearance");
	check(same_hash(&got.token, &token) && strcmp(got.user_id, m.a.user_id) == 0 &&
		  strcmp(got.email, m.a.email) == 0 && strcmp(got.org_id, m.org_id) == 0 &&
		  got.expires_at == expires,
	      "SEALED reset is not the one asked for");
	check(expires > now - 60 && expires <= now + KEYD_INVITE_TTL_MAX + 60,
	      "SEALED reset expires beyond keyd's limit");
}

/* ACCOUNT for RESET_ACCEPT: only for an unexpired reset keyd sealed, with its token, applied to
 * the reset's member while a member of the reset's organisation alone; the same member with the
 * new password and, pending, exactly the TOTP secret handed out. */
static void check_reset_accepted(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct account a, before;
	static struct reset rs;
	static uint8_t sealed[INVITE_SEALED_MAX], password[KEYD_PASSWORD_MAX];
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES], inside[ACCOUNT_TOTP_SECRET_BYTES];
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash presented;
	check(read_account(r, &a), "ACCOUNT reply holds no account keyd sealed");
	size_t sl = wire_get_bytes(r, secret, sizeof secret);
	check(wire_reader_end(r) && sl == sizeof secret,
	      "RESET_ACCEPT reply malformed, or without a TOTP secret");
	struct wire_reader q = wire_reader_init(p, len);
	wire_get_str(&q, token, TOKEN_TEXT_LEN);
	size_t rl = wire_get_bytes(&q, sealed, sizeof sealed);
	const bool opened = read_account(&q, &before);
	size_t pl = wire_get_bytes(&q, password, sizeof password);
	check(wire_reader_end(&q), "keyd answered a reset acceptance that does not parse");
	check(reset_open(keys.seals, sealed, rl, &rs) == COFFER_OK &&
		  token_hash_text(token, &presented) && same_hash(&presented, &rs.token),
	      "account reset with a reset keyd did not seal, or without its token");
	check(rs.expires_at > (int64_t)time(NULL) - 60, "account reset with an expired reset");
	check(opened && strcmp(before.user_id, rs.user_id) == 0 &&
		  strcmp(before.email, rs.email) == 0,
	      "reset applied to an account keyd did not seal, or not the reset's member's");
	check(before.role == TICKET_ROLE_USER && before.n_orgs == 1 &&
		  strcmp(before.orgs[0].org_id, rs.org_id) == 0,
	      "reset applied to an account not of the reset's organisation alone");
	check(strcmp(a.user_id, before.user_id) == 0 && strcmp(a.email, before.email) == 0 &&
		  a.role == before.role && same_orgs(a.orgs, a.n_orgs, before.orgs, before.n_orgs),
	      "reset changed whose account it is, or its memberships");
	check(pl > 0 && crypto_pwhash_str_verify(a.password_hash, (const char *)password, pl) == 0,
	      "reset account does not take the new password");
	check(digest_of(&a, password, pl), "a reset account's breach digest is not its password's");
	check(a.totp == ACCOUNT_TOTP_PENDING &&
		  account_totp_open(keys.seals, a.user_id, a.totp_sealed, inside) == COFFER_OK &&
		  memcmp(inside, secret, sizeof secret) == 0,
	      "the TOTP secret handed out is not the reset account's pending one");
	sodium_memzero(inside, sizeof inside);
}

/* TICKET for TICKET_RENEW: only for a live session presenting its own user's account; the same
 * session (token, user, role, issue and expiry) with exactly the account's memberships. */
static void check_ticket_renewed(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct ticket t, was;
	static struct account a;
	static uint8_t sealed[TICKET_SEALED_MAX];
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	check(wire_reader_end(r), "TICKET reply malformed");
	check(ticket_open(keys.ticket_key, sealed, n, &t) == COFFER_OK,
	      "TICKET holds no ticket keyd sealed");
	struct wire_reader q = wire_reader_init(p, len);
	const bool live = read_live_session(&q, (int64_t)time(NULL) - 60, &was);
	const bool opened = read_account(&q, &a);
	check(wire_reader_end(&q), "keyd answered a ticket renewal that does not parse");
	check(live, "ticket renewed for a session that is not live");
	check(opened && strcmp(a.user_id, was.user_id) == 0 && a.role == was.role,
	      "ticket renewed from an account keyd did not seal, or another user's");
	check(same_hash(&t.token, &was.token) && strcmp(t.user_id, was.user_id) == 0 &&
		  t.role == was.role && t.issued_at == was.issued_at &&
		  t.authenticated_at == was.authenticated_at && t.expires_at == was.expires_at,
	      "renewed ticket is not the same session");
	bool same = t.n_orgs == a.n_orgs;
	for (uint32_t i = 0; same && i < t.n_orgs; i++)
		same = same_membership(&t.orgs[i], &a.orgs[i]);
	check(same, "renewed ticket's memberships are not the account's");
}

/* REAUTHENTICATED for REAUTHENTICATE: only for a live session presenting its own user's account
 * keyd sealed; the same session again, its memberships the account's, authenticated now. */
static void check_reauthenticated(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct ticket t, was;
	static struct account a;
	static uint8_t sealed[TICKET_SEALED_MAX];
	size_t n = wire_get_bytes(r, sealed, sizeof sealed);
	int64_t step = (int64_t)wire_get_u64(r);
	check(wire_reader_end(r) && step >= -1, "REAUTHENTICATED reply malformed");
	check(ticket_open(keys.ticket_key, sealed, n, &t) == COFFER_OK,
	      "REAUTHENTICATED holds no ticket keyd sealed");
	struct wire_reader q = wire_reader_init(p, len);
	const bool live = read_live_session(&q, (int64_t)time(NULL) - 60, &was);
	const bool opened = read_account(&q, &a);
	check(live, "re-authenticated a session that is not live");
	check(opened && strcmp(a.user_id, was.user_id) == 0 && a.role == was.role,
	      "re-authenticated with an account keyd did not seal, or another user's");
	check(same_hash(&t.token, &was.token) && strcmp(t.user_id, was.user_id) == 0 &&
		  t.role == was.role && t.issued_at == was.issued_at &&
		  t.expires_at == was.expires_at && t.authenticated_at >= (int64_t)time(NULL) - 60,
	      "re-authenticated ticket is not the same session, authenticated now");
	bool same = t.n_orgs == a.n_orgs;
	for (uint32_t i = 0; same && i < t.n_orgs; i++)
		same = same_membership(&t.orgs[i], &a.orgs[i]);
	check(same, "re-authenticated ticket's memberships are not the account's");
}

/* BREACH_RESULT for BREACH_CHECK: only for a live session presenting its own user's account
 * keyd sealed; the verdict what the account's digest and keyd's list (the SHA-1 of "pw") say. */
static void check_breach_result(const uint8_t *p, size_t len, struct wire_reader *r)
{
	static struct ticket t;
	static struct account a;
	uint8_t verdict = wire_get_u8(r);
	uint64_t generation = wire_get_u64(r);
	check(wire_reader_end(r), "BREACH_RESULT reply malformed");
	struct wire_reader q = wire_reader_init(p, len);
	const bool live = read_live_session(&q, (int64_t)time(NULL) - 60, &t);
	const bool opened = read_account(&q, &a);
	check(wire_reader_end(&q), "keyd answered a breach check that does not parse");
	check(live, "a breach check answered for a session that is not live");
	check(opened && strcmp(a.user_id, t.user_id) == 0 && a.role == t.role,
	      "a breach check answered about an account keyd did not seal, or another user's");
	check(generation == 1, "a breach check answered from a list keyd was not given");
	uint8_t want = !a.has_breach				 ? KEYD_BREACH_NO_DIGEST
		       : digest_of(&a, (const uint8_t *)"pw", 2) ? KEYD_BREACH_FOUND
								 : KEYD_BREACH_CLEAR;
	check(verdict == want, "a breach check's verdict is not the truth");
}

/* The name a SECRET_GET asks for, read afresh ("" when it does not parse). */
static void secret_name_of(const uint8_t *payload, size_t len, char name[SECRET_NAME_MAX + 1])
{
	struct wire_reader q = wire_reader_init(payload, len);
	wire_get_str(&q, name, SECRET_NAME_MAX);
	check(wire_reader_end(&q), "keyd answered a SECRET_GET that does not parse");
}

static void check_secret(const uint8_t *payload, size_t len, struct wire_reader *rr)
{
	char name[SECRET_NAME_MAX + 1], value[SECRET_VALUE_MAX + 1];
	secret_name_of(payload, len, name);
	wire_get_str(rr, value, SECRET_VALUE_MAX);
	check(wire_reader_end(rr), "SECRET reply malformed");
	check(strcmp(name, SECRET_PG_PASSWORD) == 0,
	      "a credential handed out for a name that is not defined, or not set");
	check(strcmp(value, PG_PASSWORD) == 0, "SECRET is not the value keyd holds");
}

static void check_secret_refused(const uint8_t *payload, size_t len, uint32_t code)
{
	char name[SECRET_NAME_MAX + 1];
	secret_name_of(payload, len, name);
	check(strcmp(name, SECRET_PG_PASSWORD) != 0, "a set, defined credential refused");
	check(code == (secret_name_defined(name) ? COFFER_ERR_NOT_FOUND : COFFER_ERR_FORBIDDEN),
	      "SECRET_GET refused with the wrong reason");
}

/* AUDIT_LINKS answers the request it was asked: one link per digest sent, the version used,
 * and the checkpoint exactly when it was wanted. */
static void check_audit_links(const uint8_t *payload, size_t len, struct wire_reader *rr)
{
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	uint8_t prev[32];
	struct wire_reader q = wire_reader_init(payload, len);
	uint32_t asked = wire_get_u32(&q);
	wire_get_str(&q, chain, AUDIT_CHAIN_ID_MAX);
	wire_get_exact(&q, prev, sizeof prev);
	(void)wire_get_u64(&q);
	uint32_t n = wire_get_u32(&q);
	(void)wire_get_raw(&q, (size_t)n * 32);
	uint8_t want = wire_get_u8(&q);
	check(!q.bad && wire_reader_end(&q), "a malformed AUDIT_LINK was answered");
	uint32_t used = wire_get_u32(rr);
	check(asked == 0 ? used >= 1 : used == asked, "AUDIT_LINKS names another key version");
	check(wire_get_raw(rr, (size_t)n * 32) != NULL || n == 0, "AUDIT_LINKS: links missing");
	if (want) {
		uint8_t mac[32];
		(void)wire_get_u64(rr);
		wire_get_exact(rr, mac, sizeof mac);
	}
	check(!rr->bad && wire_reader_end(rr), "AUDIT_LINKS reply malformed");
}

/* The reasons documented for refusing each request (and NOMEM when Argon2id cannot
 * have its memory, CRYPTO when a TOTP secret does not open or a new key or secret cannot be
 * sealed). */
static bool denial_documented(uint8_t type, uint32_t code)
{
	switch (type) {
	case KEYD_MSG_ORG_KEY_NEW: return code == COFFER_ERR_INVALID_INPUT;
	case KEYD_MSG_DATA_KEY_NEW:
	case KEYD_MSG_DATA_KEY_OPEN:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_ORG_CREATE:
		return code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_FORBIDDEN ||
		       code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_INVITE_SEAL:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_REAUTHENTICATION_REQUIRED;
	case KEYD_MSG_MEMBER_SET: /* ADMIN_NEEDS_TOTP: made org_admin without a second factor */
		if (code == COFFER_ERR_ADMIN_NEEDS_TOTP)
			return true;
		/* fall through */
	case KEYD_MSG_RESET_SEAL: /* NOT_FOUND: the account is no member of the organisation */
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_NOT_FOUND ||
		       code == COFFER_ERR_REAUTHENTICATION_REQUIRED;
	case KEYD_MSG_REAUTHENTICATE:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_RESET_ACCEPT: /* NOT_FOUND: an expired reset */
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_NOT_FOUND ||
		       code == COFFER_ERR_NOMEM || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_TICKET_RENEW: return code == COFFER_ERR_UNAUTHENTICATED;
	case KEYD_MSG_ACCEPT:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_NOT_FOUND ||
		       code == COFFER_ERR_EXISTS || code == COFFER_ERR_NOMEM ||
		       code == COFFER_ERR_ADMIN_NEEDS_TOTP; /* an org_admin invite, no 2nd factor */
	case KEYD_MSG_TOTP_CONFIRM:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_CRYPTO;
	case KEYD_MSG_LOGIN: /* CONFIG: a passkey before the relying party was set */
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_CRYPTO ||
		       code == COFFER_ERR_CONFIG;
	case KEYD_MSG_WEBAUTHN_SET:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_FORBIDDEN;
	case KEYD_MSG_PASSKEY_LOGIN_BEGIN: return code == COFFER_ERR_CONFIG;
	case KEYD_MSG_PASSKEY_REGISTER_BEGIN:
		return code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_CONFIG ||
		       code == COFFER_ERR_INVALID_INPUT;
	case KEYD_MSG_PASSKEY_REGISTER:
		return code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_CONFIG ||
		       code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_INVALID_CREDENTIALS ||
		       code == COFFER_ERR_EXISTS || code == COFFER_ERR_TOO_LARGE ||
		       code == COFFER_ERR_REAUTHENTICATION_REQUIRED;
	case KEYD_MSG_PASSKEY_REMOVE:
		return code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_NOT_FOUND ||
		       code == COFFER_ERR_ADMIN_NEEDS_TOTP || code == COFFER_ERR_INVALID_INPUT ||
		       code == COFFER_ERR_REAUTHENTICATION_REQUIRED;
	case KEYD_MSG_PASSKEY_LIST: return code == COFFER_ERR_UNAUTHENTICATED;
	case KEYD_MSG_PASSWORD_SET:
		return code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_UNAUTHENTICATED ||
		       code == COFFER_ERR_INVALID_CREDENTIALS || code == COFFER_ERR_NOMEM;
	case KEYD_MSG_BREACH_CHECK: return code == COFFER_ERR_UNAUTHENTICATED;
	case KEYD_MSG_SECRET_GET:
		return code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_NOT_FOUND;
	case KEYD_MSG_AUDIT_LINK: /* NOT_FOUND: a master key version keyd does not have */
		return code == COFFER_ERR_NOT_FOUND || code == COFFER_ERR_INVALID_INPUT ||
		       code == COFFER_ERR_CRYPTO;
	default: return false;
	}
}

/* ---- mutation ----------------------------------------------------------------------------- */

/* Skips a bytes (or str) field of R. */
static void skip_bytes(struct wire_reader *r)
{
	const uint8_t *n = wire_get_raw(r, 2);
	if (n != NULL)
		(void)wire_get_raw(r, (size_t)n[0] << 8 | n[1]);
}

/* Where the expiry of the INVITE_SEAL or RESET_SEAL in DATA (SIZE bytes) is, or 0 for none. */
static size_t expiry_offset(const uint8_t *data, size_t size)
{
	if (size < 1 || (data[0] != KEYD_MSG_INVITE_SEAL && data[0] != KEYD_MSG_RESET_SEAL))
		return 0;
	struct wire_reader r = wire_reader_init(data + 1, size - 1);
	skip_bytes(&r); /* SESSION: token, */
	skip_bytes(&r); /* ticket */
	skip_bytes(&r); /* INVITE_SEAL: token hash; RESET_SEAL: account */
	skip_bytes(&r); /* INVITE_SEAL: email; RESET_SEAL: org id */
	if (data[0] == KEYD_MSG_INVITE_SEAL) {
		(void)wire_get_u8(&r); /* role */
		skip_bytes(&r);	       /* org id */
		(void)wire_get_u8(&r); /* clearance */
	} else {
		skip_bytes(&r); /* token hash */
	}
	return !r.bad && r.left >= 8 ? (size_t)(r.p - data) : 0;
}

/* libFuzzer's own mutations; and now and again, instead, an INVITE_SEAL's or RESET_SEAL's
 * expiry set inside keyd's window (a minute to KEYD_INVITE_TTL_MAX less a minute from now).
 * keyd compares an expiry with its clock as a range check, which CMP tracing cannot turn back
 * into the bytes of the field: without this the fuzzer never has an invite or reset sealed
 * (seeds cannot hold an expiry that stays in the window). An input still means exactly what
 * keyd is handed. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	const size_t at = seed % 4 == 0 ? expiry_offset(data, size) : 0;
	if (at == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	const uint64_t t =
	    (uint64_t)time(NULL) + 60 + (seed / 4) % (uint64_t)(KEYD_INVITE_TTL_MAX - 120);
	for (int i = 0; i < 8; i++)
		data[at + (size_t)i] = (uint8_t)(t >> (56 - 8 * i));
	return size;
}

/* ---- the target ---------------------------------------------------------------------------- */

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
		if (type == KEYD_MSG_INVITE_SEAL)
			check_invite_refused(payload, len, code);
		if (type == KEYD_MSG_SECRET_GET)
			check_secret_refused(payload, len, code);
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
	case KEYD_MSG_ORG_CREATE:
		check(rtype == KEYD_MSG_ORG_CREATED, "ORG_CREATE not answered with ORG_CREATED");
		check_org_created(payload, len, &rr);
		break;
	case KEYD_MSG_MEMBER_SET:
		check(rtype == KEYD_MSG_ACCOUNT, "MEMBER_SET not answered with ACCOUNT");
		check_member_set(payload, len, &rr);
		break;
	case KEYD_MSG_RESET_SEAL:
		check(rtype == KEYD_MSG_SEALED, "RESET_SEAL not answered with SEALED");
		check_reset_sealed(payload, len, &rr);
		break;
	case KEYD_MSG_RESET_ACCEPT:
		check(rtype == KEYD_MSG_ACCOUNT, "RESET_ACCEPT not answered with ACCOUNT");
		check_reset_accepted(payload, len, &rr);
		break;
	case KEYD_MSG_TICKET_RENEW:
		check(rtype == KEYD_MSG_TICKET, "TICKET_RENEW not answered with TICKET");
		check_ticket_renewed(payload, len, &rr);
		break;
	case KEYD_MSG_REAUTHENTICATE:
		if (rtype == KEYD_MSG_LOGIN_FAILED) {
			uint8_t why = wire_get_u8(&rr);
			check(wire_reader_end(&rr) && why >= KEYD_LOGIN_BAD_PASSWORD &&
				  why <= KEYD_LOGIN_TOTP_NOT_ENROLLED,
			      "LOGIN_FAILED reply malformed");
			break;
		}
		check(rtype == KEYD_MSG_REAUTHENTICATED,
		      "REAUTHENTICATE not answered with REAUTHENTICATED");
		check_reauthenticated(payload, len, &rr);
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
				  why <= KEYD_LOGIN_SECOND_FACTOR_MISSING,
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
	case KEYD_MSG_BREACH_CHECK:
		check(rtype == KEYD_MSG_BREACH_RESULT,
		      "BREACH_CHECK not answered with BREACH_RESULT");
		check_breach_result(payload, len, &rr);
		break;
	case KEYD_MSG_BACKUP_KEY: {
		/* No fields: anything after the type is a malformed request, never answered. */
		check(rtype == KEYD_MSG_BACKUP_KEYS && len == 0,
		      "BACKUP_KEY not answered with BACKUP_KEYS, or answered with bytes after it");
		uint32_t version = wire_get_u32(&rr);
		check(wire_get_raw(&rr, 32) != NULL && wire_get_raw(&rr, 32) != NULL &&
			  wire_reader_end(&rr) && version >= 1,
		      "BACKUP_KEYS reply malformed");
		break;
	}
	case KEYD_MSG_SECRET_GET:
		check(rtype == KEYD_MSG_SECRET, "SECRET_GET not answered with SECRET");
		check_secret(payload, len, &rr);
		break;
	case KEYD_MSG_AUDIT_LINK:
		check(rtype == KEYD_MSG_AUDIT_LINKS, "AUDIT_LINK not answered with AUDIT_LINKS");
		check_audit_links(payload, len, &rr);
		break;
	case KEYD_MSG_AUDIT_CHECK: {
		check(rtype == KEYD_MSG_AUDIT_CHECKED,
		      "AUDIT_CHECK not answered with AUDIT_CHECKED");
		uint8_t ok = wire_get_u8(&rr);
		check(wire_reader_end(&rr) && ok <= 1, "AUDIT_CHECKED reply malformed");
		break;
	}
	case KEYD_MSG_WEBAUTHN_SET:
		check(rtype == KEYD_MSG_WEBAUTHN_OK && wire_reader_end(&rr), "WEBAUTHN_SET not OK");
		break;
	case KEYD_MSG_PASSKEY_LOGIN_BEGIN:
	case KEYD_MSG_PASSKEY_REGISTER_BEGIN:
		check(rtype == KEYD_MSG_PASSKEY_CHALLENGE, "no PASSKEY_CHALLENGE for a challenge");
		break;
	case KEYD_MSG_PASSKEY_REGISTER:
		check(rtype == KEYD_MSG_PASSKEY_ADDED,
		      "PASSKEY_REGISTER not answered PASSKEY_ADDED");
		break;
	case KEYD_MSG_PASSKEY_REMOVE:
		check(rtype == KEYD_MSG_ACCOUNT, "PASSKEY_REMOVE not answered with ACCOUNT");
		break;
	case KEYD_MSG_PASSKEY_LIST:
		check(rtype == KEYD_MSG_PASSKEYS, "PASSKEY_LIST not answered with PASSKEYS");
		break;
	default: check(false, "a request type keyd does not serve was answered");
	}
	return 0;
}
