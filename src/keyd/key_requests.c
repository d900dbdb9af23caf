/* key_requests.c — keyd's key requests: PING, ORG_KEY_NEW, DATA_KEY_NEW, DATA_KEY_OPEN and
 * DATA_KEYS_OPEN (messages in keyproto/protocol.h, permits in dispatch.c).
 *
 * Design points:
 * - A new organisation key is released to nobody: ORG_KEY carries it wrapped, for storage.
 * - A data key is released only for an object keyd_permit_check allowed, and only when the
 *   wrapped organisation key opens under the master key it names, and the wrapped data key
 *   opens in the object's own context (else CRYPTO).
 * - Keys unwrapped here (organisation keys, data keys) live on this thread's stack only for
 *   the request and are wiped before returning.
 */
#include <sodium.h>
#include <string.h>

#include "crypto/keywrap.h"
#include "crypto/master_wrap.h"
#include "keyd/handlers.h"

bool keyd_read_ping(struct wire_reader *r, struct keyd_request *q)
{
	q->nonce = wire_get_u64(r);
	return !r->bad;
}

void keyd_answer_ping(const struct keyd_keys *keys, const struct keyd_caller *caller,
		      struct keyd_request *q, struct frame_writer *reply)
{
	(void)keys;
	(void)caller;
	wire_put_u64(frame_begin(reply, KEYD_MSG_PONG), q->nonce);
}

bool keyd_read_org_key_new(struct wire_reader *r, struct keyd_request *q)
{
	wire_get_str(r, q->org_id, KEYWRAP_ID_MAX);
	q->org_version = wire_get_u32(r);
	return !r->bad;
}

void keyd_answer_org_key_new(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	uint8_t org_key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	if (q->org_version == 0) {
		keyd_deny(reply, COFFER_ERR_INVALID_INPUT);
		return;
	}
	const struct master_key *mk = master_keyring_newest(keys->ring);
	randombytes_buf(org_key, sizeof org_key);
	enum coffer_err err = master_wrap_org_key(keys->ring, mk->version, q->org_id,
						  q->org_version, org_key, wrapped);
	sodium_memzero(org_key, sizeof org_key);
	if (err != COFFER_OK) {
		keyd_deny(reply, err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_ORG_KEY);
	wire_put_u32(w, mk->version);
	wire_put_bytes(w, wrapped, sizeof wrapped);
}

/* ORG_KEY_REF | OBJECT (protocol.h), then the wrapped data key when WITH_WRAPPED. */
static void read_object_ref(struct wire_reader *r, struct keyd_object_ref *o, bool with_wrapped)
{
	wire_get_str(r, o->org_id, KEYWRAP_ID_MAX);
	o->org_version = wire_get_u32(r);
	o->master_version = wire_get_u32(r);
	wire_get_exact(r, o->wrapped_org, KEYWRAP_BYTES);
	wire_get_str(r, o->kind, KEYD_KIND_MAX);
	wire_get_str(r, o->object_id, KEYWRAP_ID_MAX);
	o->object_version = wire_get_u32(r);
	o->level = wire_get_u8(r);
	if (with_wrapped)
		wire_get_exact(r, o->wrapped, KEYWRAP_BYTES);
}

static bool read_data_key(struct wire_reader *r, struct keyd_request *q, bool open)
{
	keyd_read_session(r, &q->session);
	read_object_ref(r, &q->objects[0], open);
	q->n_objects = 1;
	return !r->bad;
}

bool keyd_read_data_key_new(struct wire_reader *r, struct keyd_request *q)
{
	return read_data_key(r, q, false);
}

bool keyd_read_data_key_open(struct wire_reader *r, struct keyd_request *q)
{
	return read_data_key(r, q, true);
}

bool keyd_read_data_keys_open(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	uint32_t n = wire_get_u32(r);
	if (r->bad || n == 0 || n > KEYD_OPEN_BATCH_MAX)
		return false;
	for (uint32_t i = 0; i < n && !r->bad; i++)
		read_object_ref(r, &q->objects[i], true);
	q->n_objects = n;
	return !r->bad;
}

/* The context a data key is wrapped in: the object O names (its level checked already). */
static struct object_ctx context_of(const struct keyd_object_ref *o)
{
	return (struct object_ctx){.org_id = o->org_id,
				   .kind = o->kind,
				   .object_id = o->object_id,
				   .version = o->object_version,
				   .level = (enum level)o->level};
}

/* Unwraps the organisation key O names into ORG_KEY. */
static enum coffer_err unwrap_org_key(const struct keyd_keys *keys, const struct keyd_object_ref *o,
				      uint8_t org_key[AEAD_KEY_BYTES])
{
	return master_unwrap_org_key(keys->ring, o->master_version, o->org_id, o->org_version,
				     o->wrapped_org, org_key);
}

/* DATA_KEY for the object O: a new key wrapped for it, or (OPEN) the key O's wrapped key
 * holds. */
static void answer_data_key(const struct keyd_keys *keys, struct keyd_object_ref *o, bool open,
			    struct frame_writer *reply)
{
	uint8_t org_key[AEAD_KEY_BYTES], data_key[AEAD_KEY_BYTES];
	const struct object_ctx ctx = context_of(o);
	enum coffer_err err = unwrap_org_key(keys, o, org_key);
	if (err == COFFER_OK && open) {
		err = keyunwrap_data_key(org_key, &ctx, o->wrapped, data_key);
	} else if (err == COFFER_OK) {
		randombytes_buf(data_key, sizeof data_key);
		err = keywrap_data_key(org_key, &ctx, data_key, o->wrapped);
	}
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_DATA_KEY);
		wire_put_bytes(w, data_key, sizeof data_key);
		wire_put_bytes(w, o->wrapped, sizeof o->wrapped);
	} else {
		keyd_deny(reply, err);
	}
	sodium_memzero(org_key, sizeof org_key);
	sodium_memzero(data_key, sizeof data_key);
}

void keyd_answer_data_key_new(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	answer_data_key(keys, &q->objects[0], false, reply);
}

void keyd_answer_data_key_open(const struct keyd_keys *keys, const struct keyd_caller *caller,
			       struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	answer_data_key(keys, &q->objects[0], true, reply);
}

/* Whether A and B name the same wrapped organisation key (so one unwrap serves both). */
static bool same_org_key(const struct keyd_object_ref *a, const struct keyd_object_ref *b)
{
	return strcmp(a->org_id, b->org_id) == 0 && a->org_version == b->org_version &&
	       a->master_version == b->master_version &&
	       sodium_memcmp(a->wrapped_org, b->wrapped_org, KEYWRAP_BYTES) == 0;
}

/* DATA_KEYS: each object allowed gets its key, its organisation key unwrapped once for every
 * run of objects under the same one; every other gets its verdict. */
void keyd_answer_data_keys_open(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply)
{
	uint8_t org_key[AEAD_KEY_BYTES], data_key[AEAD_KEY_BYTES];
	const struct keyd_object_ref *held = NULL; /* whose organisation key ORG_KEY holds */
	size_t refused = 0;
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_DATA_KEYS);
	for (uint32_t i = 0; i < q->n_objects; i++) {
		const struct keyd_object_ref *o = &q->objects[i];
		const struct object_ctx ctx = context_of(o);
		enum coffer_err err = caller->verdict[i];
		if (err == COFFER_OK && !(held != NULL && same_org_key(o, held))) {
			held = NULL;
			err = unwrap_org_key(keys, o, org_key);
			if (err == COFFER_OK)
				held = o;
		}
		if (err == COFFER_OK)
			err = keyunwrap_data_key(org_key, &ctx, o->wrapped, data_key);
		wire_put_u32(w, (uint32_t)err);
		wire_put_bytes(w, data_key, err == COFFER_OK ? sizeof data_key : 0);
		refused += err != COFFER_OK;
		sodium_memzero(data_key, sizeof data_key);
	}
	sodium_memzero(org_key, sizeof org_key);
	if (refused > 0)
		log_msg(LOG_WARN, "keyd", "data keys refused: %zu of %u", refused,
			(unsigned int)q->n_objects);
}
