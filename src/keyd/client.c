/* client.c — the web process's side of the key service protocol (messages in keyd.h): the
 * channels (client_channel.h) and the key calls; the identity calls are in client_identity.c.
 *
 * Design points:
 * - KEYD_CHANNELS connections, each with its own lock and buffers; a caller takes a free one,
 *   or waits for one, so requests run in parallel in keyd's threads.
 * - Request buffers hold session tokens and replies hold data keys: both are wiped as soon as
 *   the call is over.
 * - Anything unexpected from keyd is COFFER_ERR_UNAVAILABLE: keyd is then gone or broken, and
 *   `coffer serve` stops when it notices keyd has died.
 */
#include "keyd/keyd.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/token.h"
#include "keyd/client_channel.h"
#include "keyd/frame.h"
#include "keyd/ticket.h"

struct keyd_client *keyd_client_new(const int fds[KEYD_CHANNELS]);

struct keyd_client *keyd_client_new(const int fds[KEYD_CHANNELS])
{
	struct keyd_client *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	for (int i = 0; i < KEYD_CHANNELS; i++) {
		c->ch[i].fd = fds[i];
		pthread_mutex_init(&c->ch[i].mu, NULL);
	}
	return c;
}

void keyd_client_free(struct keyd_client *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < KEYD_CHANNELS; i++) {
		close(c->ch[i].fd);
		pthread_mutex_destroy(&c->ch[i].mu);
	}
	sodium_memzero(c, sizeof *c);
	free(c);
}

struct keyd_channel *keyd_channel_acquire(struct keyd_client *c)
{
	unsigned int start = atomic_fetch_add(&c->next, 1u);
	for (unsigned int i = 0; i < KEYD_CHANNELS; i++) {
		struct keyd_channel *ch = &c->ch[(start + i) % KEYD_CHANNELS];
		if (pthread_mutex_trylock(&ch->mu) == 0)
			return ch;
	}
	struct keyd_channel *ch = &c->ch[start % KEYD_CHANNELS];
	pthread_mutex_lock(&ch->mu);
	return ch;
}

void keyd_channel_release(struct keyd_channel *ch)
{
	sodium_memzero(ch->request.buf, ch->request.w.len);
	sodium_memzero(ch->reply, ch->reply_len);
	ch->reply_len = 0;
	pthread_mutex_unlock(&ch->mu);
}

enum coffer_err keyd_channel_round_trip(struct keyd_channel *ch, uint8_t want,
					struct wire_reader *r, enum keyd_login_failure *failure)
{
	uint8_t type = 0;
	if (!frame_end(&ch->request) || frame_send(ch->fd, &ch->request) != COFFER_OK ||
	    frame_recv(ch->fd, ch->reply, &ch->reply_len) != COFFER_OK ||
	    !frame_open(ch->reply, ch->reply_len, &type, r))
		return COFFER_ERR_UNAVAILABLE;
	if (type == want)
		return COFFER_OK;
	if (type == KEYD_MSG_DENIED) {
		uint32_t code = wire_get_u32(r);
		if (wire_reader_end(r) && code > 0 && code < COFFER_ERR__COUNT)
			return (enum coffer_err)code;
	}
	if (type == KEYD_MSG_LOGIN_FAILED && failure != NULL) {
		uint8_t why = wire_get_u8(r);
		if (wire_reader_end(r) && why >= KEYD_LOGIN_BAD_PASSWORD &&
		    why <= KEYD_LOGIN_TOTP_NOT_ENROLLED) {
			*failure = (enum keyd_login_failure)why;
			return COFFER_ERR_INVALID_CREDENTIALS;
		}
	}
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err keyd_wait_ready(struct keyd_client *c)
{
	struct keyd_channel *ch = &c->ch[0];
	uint8_t type = 0;
	struct wire_reader r;
	enum coffer_err err = COFFER_ERR_UNAVAILABLE;
	pthread_mutex_lock(&ch->mu);
	if (frame_recv(ch->fd, ch->reply, &ch->reply_len) == COFFER_OK &&
	    frame_open(ch->reply, ch->reply_len, &type, &r)) {
		if (type == KEYD_MSG_READY && wire_reader_end(&r)) {
			err = COFFER_OK;
		} else if (type == KEYD_MSG_FAIL) {
			uint32_t code = wire_get_u32(&r);
			if (wire_reader_end(&r) && code > 0 && code < COFFER_ERR__COUNT)
				err = (enum coffer_err)code;
		}
	}
	keyd_channel_release(ch);
	return err;
}

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

/* SESSION (keyd.h). */
static void put_session(struct wire_writer *w, const struct keyd_session *s)
{
	wire_put_str(w, s->token);
	wire_put_bytes(w, s->ticket, s->ticket_len);
}

/* ORG_KEY_REF | OBJECT (keyd.h). */
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
