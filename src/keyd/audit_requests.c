/* audit_requests.c — keyd's audit requests: AUDIT_LINK and AUDIT_CHECK (messages in
 * keyproto/protocol.h, keys in audit/mac_keys.h).
 *
 * Design points:
 * - keyd links digests, never entries: it sees no actor, target or reason, and a request
 *   stays small (32 bytes an entry).
 * - These keys are what make a chain impossible to re-link for anyone holding only the
 *   database: the web process gets links and checkpoints, never the keys.
 * - keyd keeps no state about chains: the web process may ask for any link. What that does
 *   not stop (a compromised web process writing a false history while it runs) is said in
 *   docs/SECURITY.md.
 */
#include <string.h>
#include <time.h>

#include "audit/mac_keys.h"
#include "keyd/handlers.h"

bool keyd_read_audit_link(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_audit_fields *a = &q->audit;
	a->version = wire_get_u32(r);
	wire_get_str(r, a->chain, AUDIT_CHAIN_ID_MAX);
	wire_get_exact(r, a->prev, AUDIT_HASH_BYTES);
	a->first_seq = wire_get_u64(r);
	a->n = wire_get_u32(r);
	if (r->bad || a->n > KEYD_AUDIT_LINK_MAX)
		return false;
	const uint8_t *d = wire_get_raw(r, (size_t)a->n * AUDIT_HASH_BYTES);
	if (d != NULL && a->n > 0)
		memcpy(a->digests, d, (size_t)a->n * AUDIT_HASH_BYTES);
	a->want_checkpoint = wire_get_u8(r);
	return !r->bad && a->want_checkpoint <= 1 && a->first_seq >= 1 &&
	       a->first_seq <= UINT64_MAX - KEYD_AUDIT_LINK_MAX && audit_chain_id_ok(a->chain);
}

void keyd_answer_audit_link(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	struct keyd_audit_fields *a = &q->audit;
	uint8_t links[KEYD_AUDIT_LINK_MAX][AUDIT_HASH_BYTES];
	struct audit_checkpoint cp;
	uint32_t version = a->version ? a->version : audit_mac_keys_newest(keys->audit);
	const uint8_t *prev = a->prev;
	enum coffer_err err = COFFER_OK;
	for (uint32_t i = 0; err == COFFER_OK && i < a->n; i++) {
		err = audit_mac_link(keys->audit, version, a->chain, prev, a->first_seq + i,
				     a->digests[i], links[i]);
		prev = links[i];
	}
	if (err == COFFER_OK && a->want_checkpoint) {
		memset(&cp, 0, sizeof cp);
		memcpy(cp.chain, a->chain, sizeof cp.chain);
		cp.seq = a->first_seq + a->n - 1;
		memcpy(cp.head, prev, AUDIT_HASH_BYTES);
		cp.time = (int64_t)time(NULL);
		cp.key_version = version;
		err = audit_mac_checkpoint_seal(keys->audit, &cp);
	}
	if (err != COFFER_OK) {
		keyd_deny(reply, err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_AUDIT_LINKS);
	wire_put_u32(w, version);
	wire_put_raw(w, links, (size_t)a->n * AUDIT_HASH_BYTES);
	if (a->want_checkpoint) {
		wire_put_u64(w, (uint64_t)cp.time);
		wire_put_bytes(w, cp.mac, AUDIT_HASH_BYTES);
	}
}

bool keyd_read_audit_check(struct wire_reader *r, struct keyd_request *q)
{
	struct audit_checkpoint *cp = &q->audit.checkpoint;
	wire_get_str(r, cp->chain, AUDIT_CHAIN_ID_MAX);
	cp->key_version = wire_get_u32(r);
	cp->seq = wire_get_u64(r);
	wire_get_exact(r, cp->head, AUDIT_HASH_BYTES);
	cp->time = (int64_t)wire_get_u64(r);
	wire_get_exact(r, cp->mac, AUDIT_HASH_BYTES);
	return !r->bad && audit_chain_id_ok(cp->chain);
}

void keyd_answer_audit_check(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	bool ok = audit_mac_checkpoint_check(keys->audit, &q->audit.checkpoint) == COFFER_OK;
	wire_put_u8(frame_begin(reply, KEYD_MSG_AUDIT_CHECKED), ok ? 1 : 0);
}
