/* keys.c — the web process's key calls to keyd: PING, ORG_KEY_NEW, DATA_KEY_NEW,
 * DATA_KEY_OPEN, DATA_KEYS_OPEN (messages in keyproto/protocol.h, channels in channel.h).
 *
 * Design points:
 * - Every request is checked here first: a field keyd could not parse would end keyd, and the
 *   server with it.
 * - Replies carry data keys: a key read from a malformed reply is wiped, and the channel's
 *   buffers are wiped when it is given back.
 */
#include "keyclient/keyclient.h"

#include <sodium.h>
#include <string.h>

#include "crypto/token.h"
#include "keyclient/channel.h"

enum coffer_err keyd_ping(struct keyd_client *c)
{
	uint64_t nonce;
	struct wire_reader r;
	randombytes_buf(&nonce, sizeof nonce);
	struct keyd_channel *ch = keyd_channel_acquire(c);
	wire_put_u64(frame_begin(&ch->request, KEYD_MSG_PING), nonce);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_PONG, &r, NULL);
	if (err == COFFER_OK && (wire_get_u64(&r) != nonce || !wire_reader_end(&r)))
		err = COFFER_ERR_UNAVAILABLE;
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_org_key_new(struct keyd_client *c, const char *org_id, uint32_t version,
				 struct keyd_org_key *out)
{
	struct wire_reader r;
	size_t id_len = org_id != NULL ? strnlen(org_id, KEYWRAP_ID_MAX + 1) : 0;
	if (id_len == 0 || id_len > KEYWRAP_ID_MAX || version == 0)
		return COFFER_ERR_INVALID_INPUT; /* keyd would take it for garbage and stop */
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_ORG_KEY_NEW);
	wire_put_str(w, org_id);
	wire_put_u32(w, version);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ORG_KEY, &r, NULL);
	if (err == COFFER_OK) {
		out->master_version = wire_get_u32(&r);
		wire_get_exact(&r, out->wrapped, KEYWRAP_BYTES);
		if (!wire_reader_end(&r))
			err = COFFER_ERR_UNAVAILABLE;
		out->org_id = org_id;
		out->version = version;
	}
	keyd_channel_release(ch);
	return err;
}

/* SESSION (protocol.h). */
static void put_session(struct wire_writer *w, const struct keyd_session *s)
{
	wire_put_str(w, s->token);
	wire_put_bytes(w, s->ticket, s->ticket_len);
}

/* ORG_KEY_REF | OBJECT (protocol.h). */
static void put_object_ref(struct wire_writer *w, const struct keyd_org_key *org,
			   const struct object_ctx *ctx)
{
	wire_put_str(w, org->org_id);
	wire_put_u32(w, org->version);
	wire_put_u32(w, org->master_version);
	wire_put_bytes(w, org->wrapped, KEYWRAP_BYTES);
	wire_put_str(w, ctx->kind);
	wire_put_str(w, ctx->object_id);
	wire_put_u32(w, ctx->version);
	wire_put_u8(w, (uint8_t)ctx->level);
}

static void put_data_key_request(struct wire_writer *w, const struct keyd_session *s,
				 const struct keyd_org_key *org, const struct object_ctx *ctx)
{
	put_session(w, s);
	put_object_ref(w, org, ctx);
}

/* Reads a DATA_KEY reply into KEY (and WRAPPED when not NULL). */
static enum coffer_err get_data_key(struct wire_reader *r, uint8_t key[AEAD_KEY_BYTES],
				    uint8_t wrapped[KEYWRAP_BYTES])
{
	uint8_t w[KEYWRAP_BYTES];
	wire_get_exact(r, key, AEAD_KEY_BYTES);
	wire_get_exact(r, w, KEYWRAP_BYTES);
	if (!wire_reader_end(r)) {
		sodium_memzero(key, AEAD_KEY_BYTES);
		return COFFER_ERR_UNAVAILABLE;
	}
	if (wrapped != NULL)
		memcpy(wrapped, w, KEYWRAP_BYTES);
	return COFFER_OK;
}

/* Refuses, before keyd sees it, a request keyd would take for garbage and stop over. */
static enum coffer_err check_request(const struct keyd_session *s, const struct keyd_org_key *org,
				     const struct object_ctx *ctx)
{
	uint8_t aad[KEYWRAP_AAD_MAX];
	if (s->token == NULL || strnlen(s->token, TOKEN_TEXT_LEN + 1) != TOKEN_TEXT_LEN ||
	    s->ticket == NULL || s->ticket_len > TICKET_SEALED_MAX)
		return COFFER_ERR_UNAUTHENTICATED;
	if (org->org_id == NULL || ctx->org_id == NULL || strcmp(org->org_id, ctx->org_id) != 0 ||
	    ctx->kind == NULL || strnlen(ctx->kind, KEYD_KIND_MAX + 1) > KEYD_KIND_MAX ||
	    (unsigned int)ctx->level > LEVEL_RESTRICTED || keywrap_object_aad(ctx, aad) == 0)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

static enum coffer_err data_key_call(struct keyd_client *c, uint8_t type,
				     const struct keyd_session *s, const struct keyd_org_key *org,
				     const struct object_ctx *ctx, const uint8_t *wrapped_in,
				     uint8_t key[AEAD_KEY_BYTES], uint8_t *wrapped_out)
{
	struct wire_reader r;
	enum coffer_err err = check_request(s, org, ctx);
	if (err != COFFER_OK)
		return err;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, type);
	put_data_key_request(w, s, org, ctx);
	if (wrapped_in != NULL)
		wire_put_bytes(w, wrapped_in, KEYWRAP_BYTES);
	err = keyd_channel_round_trip(ch, KEYD_MSG_DATA_KEY, &r, NULL);
	if (err == COFFER_OK)
		err = get_data_key(&r, key, wrapped_out);
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_data_key_new(struct keyd_client *c, const struct keyd_session *s,
				  const struct keyd_org_key *org, const struct object_ctx *ctx,
				  uint8_t key[AEAD_KEY_BYTES], uint8_t wrapped[KEYWRAP_BYTES])
{
	return data_key_call(c, KEYD_MSG_DATA_KEY_NEW, s, org, ctx, NULL, key, wrapped);
}

enum coffer_err keyd_data_key_open(struct keyd_client *c, const struct keyd_session *s,
				   const struct keyd_org_key *org, const struct object_ctx *ctx,
				   const uint8_t wrapped[KEYWRAP_BYTES],
				   uint8_t key[AEAD_KEY_BYTES])
{
	return data_key_call(c, KEYD_MSG_DATA_KEY_OPEN, s, org, ctx, wrapped, key, NULL);
}

/* A refusal keyd may give for one object of a batch; anything else means keyd is broken. */
static bool batch_refusal(uint32_t code)
{
	return code == COFFER_ERR_UNAUTHENTICATED || code == COFFER_ERR_FORBIDDEN ||
	       code == COFFER_ERR_INVALID_INPUT || code == COFFER_ERR_CRYPTO;
}

enum coffer_err keyd_data_keys_open(struct keyd_client *c, const struct keyd_session *s, size_t n,
				    const struct keyd_org_key *orgs, const struct object_ctx *ctxs,
				    const uint8_t (*wrapped)[KEYWRAP_BYTES],
				    uint8_t (*keys)[AEAD_KEY_BYTES], enum coffer_err *errs)
{
	if (n == 0 || n > KEYD_OPEN_BATCH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	for (size_t i = 0; i < n; i++) {
		enum coffer_err err = check_request(s, &orgs[i], &ctxs[i]);
		if (err != COFFER_OK)
			return err;
	}
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_DATA_KEYS_OPEN);
	put_session(w, s);
	wire_put_u32(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put_object_ref(w, &orgs[i], &ctxs[i]);
		wire_put_bytes(w, wrapped[i], KEYWRAP_BYTES);
	}
	struct wire_reader r;
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_DATA_KEYS, &r, NULL);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		uint32_t code = wire_get_u32(&r);
		size_t len = wire_get_bytes(&r, keys[i], AEAD_KEY_BYTES);
		if (r.bad || (code == 0 && len != AEAD_KEY_BYTES) ||
		    (code != 0 && (len != 0 || !batch_refusal(code))))
			err = COFFER_ERR_UNAVAILABLE;
		else
			errs[i] = (enum coffer_err)code;
	}
	if (err == COFFER_OK && !wire_reader_end(&r))
		err = COFFER_ERR_UNAVAILABLE;
	if (err != COFFER_OK)
		sodium_memzero(keys, n * AEAD_KEY_BYTES);
	keyd_channel_release(ch);
	return err;
}
