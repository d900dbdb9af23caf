/* audit.c — the web process's audit signer: links and checkpoints from keyd (AUDIT_LINK,
 * AUDIT_CHECK; messages in keyproto/protocol.h, the signer in audit/signer.h). */
#include <string.h>

#include "audit/signer.h"
#include "keyclient/channel.h"
#include "keyclient/keyclient.h"

static enum coffer_err link_via_keyd(void *ctx, const char *chain, uint32_t version,
				     const uint8_t prev[AUDIT_HASH_BYTES], uint64_t first_seq,
				     const uint8_t (*digests)[AUDIT_HASH_BYTES], size_t n,
				     uint8_t (*links)[AUDIT_HASH_BYTES], uint32_t *used,
				     struct audit_checkpoint *cp)
{
	struct keyd_client *c = ctx;
	struct wire_reader r;
	if (!audit_chain_id_ok(chain) || first_seq == 0 ||
	    first_seq > UINT64_MAX - KEYD_AUDIT_LINK_MAX || n > KEYD_AUDIT_LINK_MAX)
		return COFFER_ERR_INVALID_INPUT; /* keyd would take it for garbage and stop */
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_AUDIT_LINK);
	wire_put_u32(w, version);
	wire_put_str(w, chain);
	wire_put_bytes(w, prev, AUDIT_HASH_BYTES);
	wire_put_u64(w, first_seq);
	wire_put_u32(w, (uint32_t)n);
	if (n > 0)
		wire_put_raw(w, digests, n * AUDIT_HASH_BYTES);
	wire_put_u8(w, cp != NULL);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_AUDIT_LINKS, &r, NULL);
	if (err == COFFER_OK) {
		uint32_t v = wire_get_u32(&r);
		const uint8_t *got = wire_get_raw(&r, n * AUDIT_HASH_BYTES);
		if (got != NULL && n > 0)
			memcpy(links, got, n * AUDIT_HASH_BYTES);
		if (cp != NULL) {
			memset(cp, 0, sizeof *cp);
			memcpy(cp->chain, chain, strlen(chain));
			cp->seq = first_seq + n - 1;
			memcpy(cp->head, n > 0 ? links[n - 1] : prev, AUDIT_HASH_BYTES);
			cp->time = (int64_t)wire_get_u64(&r);
			cp->key_version = v;
			wire_get_exact(&r, cp->mac, AUDIT_HASH_BYTES);
		}
		if (!wire_reader_end(&r) || v == 0)
			err = COFFER_ERR_UNAVAILABLE;
		else
			*used = v;
	}
	keyd_channel_release(ch);
	return err;
}

static enum coffer_err check_via_keyd(void *ctx, const struct audit_checkpoint *cp)
{
	struct keyd_client *c = ctx;
	struct wire_reader r;
	if (!audit_chain_id_ok(cp->chain))
		return COFFER_ERR_CRYPTO;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_AUDIT_CHECK);
	wire_put_str(w, cp->chain);
	wire_put_u32(w, cp->key_version);
	wire_put_u64(w, cp->seq);
	wire_put_bytes(w, cp->head, AUDIT_HASH_BYTES);
	wire_put_u64(w, (uint64_t)cp->time);
	wire_put_bytes(w, cp->mac, AUDIT_HASH_BYTES);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_AUDIT_CHECKED, &r, NULL);
	if (err == COFFER_OK) {
		uint8_t ok = wire_get_u8(&r);
		if (!wire_reader_end(&r) || ok > 1)
			err = COFFER_ERR_UNAVAILABLE;
		else if (ok == 0)
			err = COFFER_ERR_CRYPTO;
	}
	keyd_channel_release(ch);
	return err;
}

struct audit_signer keyd_audit_signer(struct keyd_client *c)
{
	return (struct audit_signer){.link = link_via_keyd, .check = check_via_keyd, .ctx = c};
}
