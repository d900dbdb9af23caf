/* handlers.c — keyd's requests: parsing each one strictly, deciding it, answering it. The
 * key requests are here; the identity requests (logins, invitations) in identity.c.
 *
 * Design points:
 * - A request that does not parse ends keyd (the caller's job, on a false return); a request
 *   that parses but is refused gets DENIED with the reason, so the web process can answer its
 *   client precisely.
 * - Keys unwrapped here (organisation keys, data keys) live on this thread's stack only for
 *   the request and are wiped before returning.
 */
#include "keyd/handlers.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "crypto/kdf.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"
#include "keyd/identity.h"
#include "keyd/keyd.h"
#include "keyd/policy.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"

enum coffer_err keyd_keys_from_ring(struct master_keyring *ring, struct keyd_keys *keys)
{
	struct seal_keys *seals = NULL;
	struct keyd_hash_gate *hashing = NULL;
	uint8_t *tk = sodium_malloc(MAC_KEY_BYTES);
	if (tk == NULL)
		return COFFER_ERR_NOMEM;
	const struct master_key *newest = master_keyring_newest(ring);
	enum coffer_err err =
	    kdf_derive(newest->key, MASTER_KEY_BYTES, TICKET_KEY_LABEL, tk, MAC_KEY_BYTES);
	if (err == COFFER_OK)
		err = seal_keys_derive(ring, &seals);
	if (err == COFFER_OK)
		err = keyd_hash_gate_new(&hashing);
	if (err != COFFER_OK) {
		sodium_free(tk);
		if (seals != NULL)
			seal_keys_free(seals);
		return err;
	}
	sodium_mprotect_readonly(tk);
	keys->ring = ring;
	keys->ticket_key = tk;
	keys->seals = seals;
	keys->hashing = hashing;
	return COFFER_OK;
}

enum coffer_err keyd_keys_load(const char *data_dir, const char *passphrase_file,
			       struct keyd_keys *keys)
{
	char path[PATH_MAX], *pass = NULL;
	size_t pass_len = 0;
	struct master_keyring *ring = NULL;
	if (passphrase_file != NULL &&
	    passphrase_read(passphrase_file, &pass, &pass_len) != COFFER_OK)
		return COFFER_ERR_CONFIG;
	if (snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE) >= (int)sizeof path) {
		sodium_free(pass);
		return COFFER_ERR_INVALID_INPUT;
	}
	enum coffer_err err = master_key_load(path, pass, pass_len, &ring);
	sodium_free(pass);
	if (err == COFFER_OK)
		err = keyd_keys_from_ring(ring, keys);
	if (err != COFFER_OK)
		master_keyring_free(ring);
	return err;
}

void keyd_keys_free(struct keyd_keys *keys)
{
	master_keyring_free(keys->ring);
	sodium_free(keys->ticket_key);
	if (keys->seals != NULL)
		seal_keys_free(keys->seals);
	keyd_hash_gate_free(keys->hashing);
	keys->ring = NULL;
	keys->ticket_key = NULL;
	keys->seals = NULL;
	keys->hashing = NULL;
}

static bool on_ping(const struct keyd_keys *keys, struct wire_reader *r, struct frame_writer *f)
{
	(void)keys;
	uint64_t nonce = wire_get_u64(r);
	if (!wire_reader_end(r))
		return false;
	wire_put_u64(frame_begin(f, KEYD_MSG_PONG), nonce);
	return true;
}

void keyd_deny(struct frame_writer *f, enum coffer_err why)
{
	wire_put_u32(frame_begin(f, KEYD_MSG_DENIED), (uint32_t)why);
}

static bool on_org_key_new(const struct keyd_keys *keys, struct wire_reader *r,
			   struct frame_writer *f)
{
	char org_id[KEYWRAP_ID_MAX + 1];
	uint8_t org_key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	wire_get_str(r, org_id, KEYWRAP_ID_MAX);
	uint32_t version = wire_get_u32(r);
	if (!wire_reader_end(r))
		return false;
	if (version == 0) {
		keyd_deny(f, COFFER_ERR_INVALID_INPUT);
		return true;
	}
	const struct master_key *mk = master_keyring_newest(keys->ring);
	randombytes_buf(org_key, sizeof org_key);
	enum coffer_err err = keywrap_org_key(mk->key, org_id, version, org_key, wrapped);
	sodium_memzero(org_key, sizeof org_key);
	if (err != COFFER_OK) {
		keyd_deny(f, err);
		return true;
	}
	struct wire_writer *w = frame_begin(f, KEYD_MSG_ORG_KEY);
	wire_put_u32(w, mk->version);
	wire_put_bytes(w, wrapped, sizeof wrapped);
	return true;
}

/* The fields every data key request starts with. */
struct data_key_request {
	char token[TOKEN_TEXT_LEN + 1];
	uint8_t ticket[TICKET_SEALED_MAX];
	size_t ticket_len;
	char org_id[KEYWRAP_ID_MAX + 1];
	uint32_t org_version, master_version;
	uint8_t wrapped_org[KEYWRAP_BYTES];
	char kind[KEYD_KIND_MAX + 1];
	char object_id[KEYWRAP_ID_MAX + 1];
	uint32_t object_version;
	uint8_t level;
};

/* ORG_KEY_REF | OBJECT (keyd.h). */
static void read_object_ref(struct wire_reader *r, struct data_key_request *q)
{
	wire_get_str(r, q->org_id, KEYWRAP_ID_MAX);
	q->org_version = wire_get_u32(r);
	q->master_version = wire_get_u32(r);
	wire_get_exact(r, q->wrapped_org, KEYWRAP_BYTES);
	wire_get_str(r, q->kind, KEYD_KIND_MAX);
	wire_get_str(r, q->object_id, KEYWRAP_ID_MAX);
	q->object_version = wire_get_u32(r);
	q->level = wire_get_u8(r);
}

/* SESSION (keyd.h). */
static void read_session(struct wire_reader *r, struct data_key_request *q)
{
	wire_get_str(r, q->token, TOKEN_TEXT_LEN);
	q->ticket_len = wire_get_bytes(r, q->ticket, sizeof q->ticket);
}

static void read_data_key_request(struct wire_reader *r, struct data_key_request *q)
{
	read_session(r, q);
	read_object_ref(r, q);
}

/* Opens the session's ticket into T (the session token must be the one it was issued for:
 * PRESENTED, checked by policy_data_key). */
static enum coffer_err open_session(const struct keyd_keys *keys, const char *token,
				    const uint8_t *ticket, size_t ticket_len, struct ticket *t,
				    struct token_hash *presented)
{
	if (!token_hash_text(token, presented))
		return COFFER_ERR_UNAUTHENTICATED;
	return ticket_open(keys->ticket_key, ticket, ticket_len, t);
}

/* Unwraps the organisation key Q names into ORG_KEY. */
static enum coffer_err unwrap_org_key(const struct keyd_keys *keys,
				      const struct data_key_request *q,
				      uint8_t org_key[AEAD_KEY_BYTES])
{
	const struct master_key *mk = master_keyring_find(keys->ring, q->master_version);
	if (mk == NULL)
		return COFFER_ERR_CRYPTO;
	return keyunwrap_org_key(mk->key, q->org_id, q->org_version, q->wrapped_org, org_key);
}

/* Decides the request, then unwraps the organisation key it names into ORG_KEY. */
static enum coffer_err authorize(const struct keyd_keys *keys, const struct data_key_request *q,
				 uint8_t org_key[AEAD_KEY_BYTES])
{
	static struct ticket zero;
	struct ticket t = zero;
	struct token_hash presented;
	if (q->level > LEVEL_RESTRICTED)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err =
	    open_session(keys, q->token, q->ticket, q->ticket_len, &t, &presented);
	if (err == COFFER_OK)
		err = policy_data_key(&t, &presented, (int64_t)time(NULL), q->org_id,
				      (enum level)q->level);
	if (err != COFFER_OK) {
		log_msg(LOG_WARN, "keyd", "data key refused: %s", coffer_err_info(err)->code);
		return err;
	}
	return unwrap_org_key(keys, q, org_key);
}

static bool on_data_key(const struct keyd_keys *keys, struct wire_reader *r, struct frame_writer *f,
			bool open)
{
	static __thread struct data_key_request q;
	uint8_t org_key[AEAD_KEY_BYTES], data_key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	read_data_key_request(r, &q);
	if (open)
		wire_get_exact(r, wrapped, KEYWRAP_BYTES);
	if (!wire_reader_end(r))
		return false;
	const struct object_ctx ctx = {.org_id = q.org_id,
				       .kind = q.kind,
				       .object_id = q.object_id,
				       .version = q.object_version,
				       .level = (enum level)q.level};
	enum coffer_err err = authorize(keys, &q, org_key);
	if (err == COFFER_OK && open) {
		err = keyunwrap_data_key(org_key, &ctx, wrapped, data_key);
	} else if (err == COFFER_OK) {
		randombytes_buf(data_key, sizeof data_key);
		err = keywrap_data_key(org_key, &ctx, data_key, wrapped);
	}
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(f, KEYD_MSG_DATA_KEY);
		wire_put_bytes(w, data_key, sizeof data_key);
		wire_put_bytes(w, wrapped, sizeof wrapped);
	} else {
		keyd_deny(f, err);
	}
	sodium_memzero(org_key, sizeof org_key);
	sodium_memzero(data_key, sizeof data_key);
	sodium_memzero(&q, sizeof q);
	return true;
}

static bool on_data_key_new(const struct keyd_keys *keys, struct wire_reader *r,
			    struct frame_writer *f)
{
	return on_data_key(keys, r, f, false);
}

static bool on_data_key_open(const struct keyd_keys *keys, struct wire_reader *r,
			     struct frame_writer *f)
{
	return on_data_key(keys, r, f, true);
}

/* Whether A and B name the same wrapped organisation key (so one unwrap serves both). */
static bool same_org_key(const struct data_key_request *a, const struct data_key_request *b)
{
	return strcmp(a->org_id, b->org_id) == 0 && a->org_version == b->org_version &&
	       a->master_version == b->master_version &&
	       sodium_memcmp(a->wrapped_org, b->wrapped_org, KEYWRAP_BYTES) == 0;
}

/* DATA_KEYS_OPEN: the keys of a list's page. The ticket is opened once; each object is then
 * decided by policy_data_key as DATA_KEY_OPEN decides it, and its organisation key unwrapped
 * once for every run of objects under the same one. */
static bool on_data_keys_open(const struct keyd_keys *keys, struct wire_reader *r,
			      struct frame_writer *f)
{
	static __thread struct data_key_request q, held; /* HELD: whose key ORG_KEY holds */
	static __thread struct ticket t;
	struct token_hash presented;
	uint8_t org_key[AEAD_KEY_BYTES], data_key[AEAD_KEY_BYTES], wrapped[KEYWRAP_BYTES];
	bool have_org_key = false;
	size_t refused = 0;
	read_session(r, &q);
	uint32_t n = wire_get_u32(r);
	if (r->bad || n == 0 || n > KEYD_OPEN_BATCH_MAX)
		return false;
	enum coffer_err session =
	    open_session(keys, q.token, q.ticket, q.ticket_len, &t, &presented);
	int64_t now = (int64_t)time(NULL);
	struct wire_writer *w = frame_begin(f, KEYD_MSG_DATA_KEYS);
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		read_object_ref(r, &q);
		wire_get_exact(r, wrapped, KEYWRAP_BYTES);
		const struct object_ctx ctx = {.org_id = q.org_id,
					       .kind = q.kind,
					       .object_id = q.object_id,
					       .version = q.object_version,
					       .level = (enum level)q.level};
		enum coffer_err err =
		    q.level > LEVEL_RESTRICTED ? COFFER_ERR_INVALID_INPUT : session;
		if (err == COFFER_OK)
			err = policy_data_key(&t, &presented, now, q.org_id, (enum level)q.level);
		if (err == COFFER_OK && !(have_org_key && same_org_key(&q, &held))) {
			have_org_key = false;
			err = unwrap_org_key(keys, &q, org_key);
			if (err == COFFER_OK) {
				have_org_key = true;
				held = q;
			}
		}
		if (err == COFFER_OK)
			err = keyunwrap_data_key(org_key, &ctx, wrapped, data_key);
		wire_put_u32(w, (uint32_t)err);
		wire_put_bytes(w, data_key, err == COFFER_OK ? sizeof data_key : 0);
		refused += err != COFFER_OK;
		sodium_memzero(data_key, sizeof data_key);
	}
	sodium_memzero(org_key, sizeof org_key);
	sodium_memzero(&q, sizeof q);
	sodium_memzero(&held, sizeof held);
	sodium_memzero(&t, sizeof t);
	if (!wire_reader_end(r))
		return false;
	if (refused > 0)
		log_msg(LOG_WARN, "keyd", "data keys refused: %zu of %u", refused, n);
	return true;
}

typedef bool (*keyd_handler)(const struct keyd_keys *keys, struct wire_reader *r,
			     struct frame_writer *reply);

/* Every request keyd accepts. */
static const struct {
	enum keyd_msg type;
	keyd_handler handler;
} dispatch[] = {
    {KEYD_MSG_PING, on_ping},
    {KEYD_MSG_ORG_KEY_NEW, on_org_key_new},
    {KEYD_MSG_DATA_KEY_NEW, on_data_key_new},
    {KEYD_MSG_DATA_KEY_OPEN, on_data_key_open},
    {KEYD_MSG_DATA_KEYS_OPEN, on_data_keys_open},
    {KEYD_MSG_INVITE_SEAL, keyd_on_invite_seal},
    {KEYD_MSG_ACCEPT, keyd_on_accept},
    {KEYD_MSG_TOTP_CONFIRM, keyd_on_totp_confirm},
    {KEYD_MSG_LOGIN, keyd_on_login},
    {KEYD_MSG_PASSWORD_SET, keyd_on_password_set},
};

bool keyd_handle(const struct keyd_keys *keys, uint8_t type, struct wire_reader *r,
		 struct frame_writer *reply)
{
	for (size_t i = 0; i < sizeof dispatch / sizeof dispatch[0]; i++) {
		if (dispatch[i].type == type)
			return dispatch[i].handler(keys, r, reply) && frame_end(reply);
	}
	return false;
}
