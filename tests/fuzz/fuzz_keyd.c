/* fuzz_keyd.c — keyd's request handlers (keyd_handle) on arbitrary requests.
 *
 * Input: one type byte, then the payload. keyd holds a fixed keyring (one master key, version
 * 1, bytes 0xc0..0xdf) built here in guarded memory, as master_key_load would leave it.
 * keyd_handle must never crash or read out of bounds, and when it answers:
 *   - only the four request types are ever answered, each with its own reply types;
 *   - the reply is a well-formed frame (length prefix right, frame_open accepts it) whose
 *     payload parses exactly as keyd.h documents it;
 *   - PONG echoes the nonce; ORG_KEY is wrapped by master key 1 for the org id and version
 *     asked; a DATA_KEY is released only to a session policy_data_key allows, and is the key
 *     the returned wrapped key holds for the object asked (for an open, the wrapped key sent).
 * Seeds (tests/fuzz/corpus/fuzz_keyd/) include valid data key requests: tickets sealed with
 * the ticket key derived from the fixed master key (expiring in 2100) and organisation keys
 * wrapped by it, made once with ticket_seal and keywrap_org_key.
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
#include "keyd/handlers.h"
#include "keyd/keyd.h"
#include "keyd/policy.h"
#include "keyd/ticket.h"

static struct keyd_keys keys;
static struct frame_writer reply;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_keyd: invariant broken: %s\n", what);
		abort();
	}
}

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

/* A data key request, parsed again here exactly as keyd.h documents it. */
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

/* A DATA_KEY reply: the session was entitled, and KEY is what WRAPPED holds for the object. */
static void check_data_key(const uint8_t *p, size_t len, bool open, struct wire_reader *r)
{
	static struct request q;
	static struct ticket t;
	uint8_t key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES], org_key[AEAD_KEY_BYTES],
	    inside[AEAD_KEY_BYTES];
	struct token_hash presented;
	wire_get_exact(r, key, AEAD_KEY_BYTES);
	wire_get_exact(r, wrapped, KEYWRAP_BYTES);
	check(wire_reader_end(r), "DATA_KEY reply malformed");
	memset(&q, 0, sizeof q);
	parse_request(p, len, open, &q);
	check(token_hash_text(q.token, &presented), "DATA_KEY for a malformed token");
	check(ticket_open(keys.ticket_key, q.ticket, q.ticket_len, &t) == COFFER_OK,
	      "DATA_KEY for a ticket keyd did not seal");
	/* A minute back: keyd decided a moment ago, and expiry only moves one way. */
	check(q.level <= LEVEL_RESTRICTED &&
		  policy_data_key(&t, &presented, (int64_t)time(NULL) - 60, q.org_id,
				  (enum level)q.level) == COFFER_OK,
	      "DATA_KEY released against the policy");
	const struct master_key *mk = master_keyring_find(keys.ring, q.master_version);
	check(mk != NULL, "DATA_KEY under a master key version keyd does not have");
	check(keyunwrap_org_key(mk->key, q.org_id, q.org_version, q.wrapped_org, org_key) ==
		  COFFER_OK,
	      "DATA_KEY under an organisation key that does not open");
	const struct object_ctx ctx = {.org_id = q.org_id,
				       .kind = q.kind,
				       .object_id = q.object_id,
				       .version = q.object_version,
				       .level = (enum level)q.level};
	check(keyunwrap_data_key(org_key, &ctx, wrapped, inside) == COFFER_OK &&
		  memcmp(inside, key, sizeof key) == 0,
	      "DATA_KEY's wrapped key does not hold its key for the object");
	if (open)
		check(memcmp(wrapped, q.wrapped, sizeof wrapped) == 0,
		      "DATA_KEY open returned another wrapped key");
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
	const size_t body = (size_t)reply.buf[0] << 24 | (size_t)reply.buf[1] << 16 |
			    (size_t)reply.buf[2] << 8 | reply.buf[3];
	check(!reply.w.bad && reply.w.len >= 4 && body == reply.w.len - 4,
	      "reply length prefix wrong");
	check(frame_open(reply.buf + 4, reply.w.len - 4, &rtype, &rr), "reply frame malformed");

	if (rtype == KEYD_MSG_DENIED) {
		check(type == KEYD_MSG_ORG_KEY_NEW || type == KEYD_MSG_DATA_KEY_NEW ||
			  type == KEYD_MSG_DATA_KEY_OPEN,
		      "DENIED to a request that is never refused");
		uint32_t code = wire_get_u32(&rr);
		check(wire_reader_end(&rr), "DENIED reply malformed");
		if (type == KEYD_MSG_ORG_KEY_NEW)
			check(code == COFFER_ERR_INVALID_INPUT,
			      "org key refused for another reason");
		else
			check(code == COFFER_ERR_INVALID_INPUT ||
				  code == COFFER_ERR_UNAUTHENTICATED ||
				  code == COFFER_ERR_FORBIDDEN || code == COFFER_ERR_CRYPTO,
			      "DENIED with an undocumented reason");
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
	default: check(false, "a request type keyd does not serve was answered");
	}
	return 0;
}
