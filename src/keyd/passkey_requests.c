/* passkey_requests.c — keyd's passkey requests: the relying party set once (WEBAUTHN_SET),
 * challenges issued (PASSKEY_LOGIN_BEGIN, PASSKEY_REGISTER_BEGIN), passkeys registered,
 * removed and listed (PASSKEY_REGISTER, PASSKEY_REMOVE, PASSKEY_LIST), and the passkey a LOGIN
 * presents verified (keyd_passkey_login, for account_requests.c). Messages in
 * keyproto/protocol.h, permits in dispatch.c; WebAuthn's encodings in signin/webauthn.h.
 *
 * Design points:
 * - keyd keeps no state per ceremony: the challenge a browser signs is a record keyd sealed
 *   (account.h), naming its purpose, the account it is for (a registration's) and its expiry.
 *   Its MAC is the comparison (constant-time, crypto/mac.c): client data whose challenge keyd
 *   did not seal, or sealed for the other ceremony, another account or too long ago, fails.
 * - What keyd checks of a registration: client data of type webauthn.create, the configured
 *   origin exactly, not cross-origin, a registration challenge for the session's own user;
 *   an attestation object of format none or packed (the statement is not verified, see
 *   signin/webauthn.h) whose authenticator data carries the configured RP ID's hash, the user
 *   present flag and an ES256 or EdDSA key that OpenSSL takes; a credential id the account
 *   does not hold yet. User verification is not required: the passkey is the second factor
 *   beside a password, as an authenticator app is.
 * - What keyd checks of a sign-in: a credential id the account holds; client data of type
 *   webauthn.get with the origin, not cross-origin, and a sign-in challenge keyd sealed and
 *   that has not expired; the RP ID's hash and the user present flag; the user handle, when
 *   the authenticator gives one, is the account's id; the signature under the stored key; and
 *   the signature counter: when either the stored or the presented one is not zero, the
 *   presented one must be greater (WebAuthn §6.1.1: a clone). The account comes back sealed
 *   with the new counter, for the web process to store.
 * - The relying party (RP ID and origin) comes from coffer.conf, which keyd is started before
 *   it reads: the web process hands it over once, at start-up, and it never changes after, so
 *   that a web process compromised later cannot point keyd at another origin.
 * - An administrator keeps a second factor: the last passkey of an administrator without an
 *   active TOTP is not removed (account_is_admin, ASVS V4.3.1).
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "keyd/handlers.h"

/* The relying party, set once by WEBAUTHN_SET and read by every passkey request. */
struct rp {
	bool set;
	char id[sizeof((struct keyd_passkey_fields *)0)->rp_id];
	char origin[WEBAUTHN_ORIGIN_MAX + 1];
	uint8_t hash[WEBAUTHN_RP_ID_HASH_BYTES];
};

static pthread_mutex_t rp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rp rp_set;

/* A copy of the relying party into OUT; false until one was set. */
static bool rp_get(struct rp *out)
{
	pthread_mutex_lock(&rp_lock);
	*out = rp_set;
	pthread_mutex_unlock(&rp_lock);
	return out->set;
}

/* ---- WEBAUTHN_SET (PERMIT_NONE: taken once, at start-up) ----------------------------------- */

bool keyd_read_webauthn_set(struct wire_reader *r, struct keyd_request *q)
{
	wire_get_str(r, q->passkey.rp_id, sizeof q->passkey.rp_id - 1);
	wire_get_str(r, q->passkey.origin, WEBAUTHN_ORIGIN_MAX);
	return !r->bad;
}

void keyd_answer_webauthn_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	(void)keys;
	(void)caller;
	struct rp want = {.set = true};
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	memcpy(want.id, q->passkey.rp_id, sizeof want.id);
	memcpy(want.origin, q->passkey.origin, sizeof want.origin);
	if (strncmp(want.origin, "https://", 8) != 0 ||
	    webauthn_rp_id_hash(want.id, want.hash) != COFFER_OK)
		goto out;
	pthread_mutex_lock(&rp_lock);
	if (!rp_set.set)
		rp_set = want;
	err = strcmp(rp_set.id, want.id) == 0 && strcmp(rp_set.origin, want.origin) == 0
		  ? COFFER_OK
		  : COFFER_ERR_FORBIDDEN;
	pthread_mutex_unlock(&rp_lock);
out:
	if (err == COFFER_OK)
		frame_begin(reply, KEYD_MSG_WEBAUTHN_OK);
	else
		keyd_refuse(reply, "WebAuthn relying party", err);
}

/* ---- PASSKEY_LOGIN_BEGIN (PERMIT_NONE), PASSKEY_REGISTER_BEGIN (PERMIT_SESSION) ------------ */

bool keyd_read_passkey_login_begin(struct wire_reader *r, struct keyd_request *q)
{
	(void)q;
	return !r->bad;
}

bool keyd_read_passkey_register_begin(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	return !r->bad;
}

/* Answers PASSKEY_CHALLENGE with a new challenge of KIND for USER_ID ("" for a sign-in). */
static void answer_challenge(const struct keyd_keys *keys, int64_t now, uint8_t kind,
			     const char *user_id, struct keyd_account_work *x,
			     struct frame_writer *reply)
{
	struct passkey_challenge c = {.kind = kind, .expires_at = now + KEYD_CHALLENGE_TTL};
	struct rp rp;
	enum coffer_err err = COFFER_ERR_CONFIG;
	memcpy(c.user_id, user_id, strnlen(user_id, TICKET_ID_MAX));
	randombytes_buf(c.nonce, sizeof c.nonce);
	if (rp_get(&rp))
		err = challenge_seal(keys->seals, &c, x->out, &x->out_len);
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_PASSKEY_CHALLENGE);
		wire_put_bytes(w, x->out, x->out_len);
		wire_put_u64(w, (uint64_t)c.expires_at);
	} else {
		keyd_refuse(reply, "passkey challenge", err);
	}
}

void keyd_answer_passkey_login_begin(const struct keyd_keys *keys, const struct keyd_caller *caller,
				     struct keyd_request *q, struct frame_writer *reply)
{
	answer_challenge(keys, caller->now, CHALLENGE_LOGIN, "", &q->work, reply);
}

void keyd_answer_passkey_register_begin(const struct keyd_keys *keys,
					const struct keyd_caller *caller, struct keyd_request *q,
					struct frame_writer *reply)
{
	answer_challenge(keys, caller->now, CHALLENGE_REGISTER, caller->ticket.user_id, &q->work,
			 reply);
}

/* Whether client data CD (LEN bytes) is of TYPE, from the relying party's origin, not
 * cross-origin, around a challenge keyd sealed for KIND (and USER_ID, for a registration)
 * that is still good at NOW. INVALID_INPUT for client data that does not parse, INVALID_
 * CREDENTIALS for client data that is not this ceremony's. */
static enum coffer_err check_client_data(const struct keyd_keys *keys, const struct rp *rp,
					 const uint8_t *cd, size_t len, uint8_t type, uint8_t kind,
					 const char *user_id, int64_t now)
{
	struct webauthn_client_data c;
	struct passkey_challenge ch;
	if (webauthn_client_data_parse(cd, len, &c) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	if (c.type != type || strcmp(c.origin, rp->origin) != 0 || c.cross_origin ||
	    challenge_open(keys->seals, c.challenge, c.challenge_len, &ch) != COFFER_OK ||
	    ch.kind != kind || strcmp(ch.user_id, user_id) != 0 || ch.expires_at <= now ||
	    ch.expires_at > now + KEYD_CHALLENGE_TTL)
		return COFFER_ERR_INVALID_CREDENTIALS;
	return COFFER_OK;
}

/* Opens the sealed account of Q into X->a: it must be the session's own user's. */
static enum coffer_err open_own_account(const struct keyd_keys *keys,
					const struct keyd_caller *caller, struct keyd_request *q)
{
	struct account *a = &q->work.a;
	if (account_open(keys->seals, q->account.account, q->account.account_len, a) != COFFER_OK ||
	    strcmp(a->user_id, caller->ticket.user_id) != 0 || a->role != caller->ticket.role)
		return COFFER_ERR_UNAUTHENTICATED;
	return COFFER_OK;
}

/* ---- PASSKEY_REGISTER (PERMIT_SESSION: the session, the account's seal and the challenge) -- */

bool keyd_read_passkey_register(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_passkey_fields *p = &q->passkey;
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	wire_get_str(r, p->name, ACCOUNT_PASSKEY_NAME_MAX);
	p->client_data_len = wire_get_bytes(r, p->client_data, sizeof p->client_data);
	p->attestation_len = wire_get_bytes(r, p->attestation, sizeof p->attestation);
	return !r->bad;
}

static enum coffer_err passkey_register(const struct keyd_keys *keys,
					const struct keyd_caller *caller, struct keyd_request *q,
					struct webauthn_auth_data *d)
{
	const struct keyd_passkey_fields *in = &q->passkey;
	struct account *a = &q->work.a;
	struct rp rp;
	if (!rp_get(&rp))
		return COFFER_ERR_CONFIG;
	enum coffer_err err = open_own_account(keys, caller, q);
	if (err == COFFER_OK)
		err =
		    check_client_data(keys, &rp, in->client_data, in->client_data_len,
				      WEBAUTHN_CREATE, CHALLENGE_REGISTER, a->user_id, caller->now);
	if (err == COFFER_OK)
		err = webauthn_attestation_parse(in->attestation, in->attestation_len, d);
	if (err != COFFER_OK)
		return err;
	if (sodium_memcmp(d->rp_id_hash, rp.hash, sizeof rp.hash) != 0 ||
	    !(d->flags & WEBAUTHN_FLAG_UP))
		return COFFER_ERR_INVALID_CREDENTIALS;
	if (!webauthn_key_usable(&d->key))
		return COFFER_ERR_INVALID_INPUT;
	if (account_passkey_find(a, d->cred_id, d->cred_id_len) >= 0)
		return COFFER_ERR_EXISTS;
	if (a->n_passkeys >= ACCOUNT_PASSKEYS_MAX)
		return COFFER_ERR_TOO_LARGE;
	struct account_passkey *p = &a->passkeys[a->n_passkeys++];
	memcpy(p->id, d->cred_id, d->cred_id_len);
	p->id_len = d->cred_id_len;
	p->key = d->key;
	p->sign_count = d->sign_count;
	p->created_at = caller->now;
	memcpy(p->name, in->name, strlen(in->name) + 1);
	/* The name and key were checked above: what does not seal now does not fit. */
	if (account_seal(keys->seals, a, q->work.out, &q->work.out_len) != COFFER_OK)
		return COFFER_ERR_TOO_LARGE;
	return COFFER_OK;
}

void keyd_answer_passkey_register(const struct keyd_keys *keys, const struct keyd_caller *caller,
				  struct keyd_request *q, struct frame_writer *reply)
{
	struct webauthn_auth_data d;
	enum coffer_err err = passkey_register(keys, caller, q, &d);
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_PASSKEY_ADDED);
		wire_put_bytes(w, q->work.out, q->work.out_len);
		wire_put_bytes(w, d.cred_id, d.cred_id_len);
		wire_put_u32(w, (uint32_t)d.key.alg);
		wire_put_u32(w, d.sign_count);
	} else {
		keyd_refuse(reply, "passkey registration", err);
	}
}

/* ---- PASSKEY_REMOVE (PERMIT_SESSION) ------------------------------------------------------- */

bool keyd_read_passkey_remove(struct wire_reader *r, struct keyd_request *q)
{
	struct keyd_passkey_fields *p = &q->passkey;
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	p->cred_id_len = wire_get_bytes(r, p->cred_id, sizeof p->cred_id);
	return !r->bad;
}

static enum coffer_err passkey_remove(const struct keyd_keys *keys,
				      const struct keyd_caller *caller, struct keyd_request *q)
{
	struct account *a = &q->work.a;
	enum coffer_err err = open_own_account(keys, caller, q);
	if (err != COFFER_OK)
		return err;
	int i = account_passkey_find(a, q->passkey.cred_id, q->passkey.cred_id_len);
	if (i < 0)
		return COFFER_ERR_NOT_FOUND;
	if (account_is_admin(a) && a->totp != ACCOUNT_TOTP_ACTIVE && a->n_passkeys == 1)
		return COFFER_ERR_ADMIN_NEEDS_TOTP;
	memmove(&a->passkeys[i], &a->passkeys[i + 1],
		(size_t)(a->n_passkeys - 1 - (size_t)i) * sizeof a->passkeys[0]);
	a->n_passkeys--;
	memset(&a->passkeys[a->n_passkeys], 0, sizeof a->passkeys[0]);
	return account_seal(keys->seals, a, q->work.out, &q->work.out_len);
}

void keyd_answer_passkey_remove(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply)
{
	enum coffer_err err = passkey_remove(keys, caller, q);
	if (err == COFFER_OK)
		keyd_put_account(reply, &q->work);
	else
		keyd_refuse(reply, "passkey removal", err);
}

/* ---- PASSKEY_LIST (PERMIT_SESSION) --------------------------------------------------------- */

bool keyd_read_passkey_list(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	return !r->bad;
}

void keyd_answer_passkey_list(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	const struct account *a = &q->work.a;
	enum coffer_err err = open_own_account(keys, caller, q);
	if (err != COFFER_OK) {
		keyd_refuse(reply, "passkey list", err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_PASSKEYS);
	wire_put_u8(w, a->n_passkeys);
	for (size_t i = 0; i < a->n_passkeys; i++) {
		const struct account_passkey *p = &a->passkeys[i];
		wire_put_bytes(w, p->id, p->id_len);
		wire_put_str(w, p->name);
		wire_put_u64(w, (uint64_t)p->created_at);
		wire_put_u32(w, p->sign_count);
		wire_put_u32(w, (uint32_t)p->key.alg);
	}
}

/* ---- LOGIN's ASSERTION (account_requests.c) ------------------------------------------------ */

void keyd_read_assertion(struct wire_reader *r, struct keyd_passkey_fields *p)
{
	p->cred_id_len = wire_get_bytes(r, p->cred_id, sizeof p->cred_id);
	p->auth_data_len = wire_get_bytes(r, p->auth_data, sizeof p->auth_data);
	p->client_data_len = wire_get_bytes(r, p->client_data, sizeof p->client_data);
	p->signature_len = wire_get_bytes(r, p->signature, sizeof p->signature);
	p->user_handle_len = wire_get_bytes(r, p->user_handle, sizeof p->user_handle);
}

enum coffer_err keyd_passkey_login(const struct keyd_keys *keys,
				   const struct keyd_passkey_fields *in, struct account *a,
				   int64_t now, enum keyd_login_failure *failure, bool *changed)
{
	struct webauthn_auth_data d;
	struct rp rp;
	*changed = false;
	if (!rp_get(&rp))
		return COFFER_ERR_CONFIG;
	int i = account_passkey_find(a, in->cred_id, in->cred_id_len);
	if (i < 0) {
		*failure = KEYD_LOGIN_PASSKEY_UNKNOWN;
		return COFFER_OK;
	}
	struct account_passkey *p = &a->passkeys[i];
	size_t ul = strlen(a->user_id);
	*failure = KEYD_LOGIN_PASSKEY_WRONG;
	if (check_client_data(keys, &rp, in->client_data, in->client_data_len, WEBAUTHN_GET,
			      CHALLENGE_LOGIN, "", now) != COFFER_OK ||
	    webauthn_auth_data_parse(in->auth_data, in->auth_data_len, &d) != COFFER_OK ||
	    sodium_memcmp(d.rp_id_hash, rp.hash, sizeof rp.hash) != 0 ||
	    !(d.flags & WEBAUTHN_FLAG_UP) ||
	    (in->user_handle_len > 0 &&
	     (in->user_handle_len != ul || memcmp(in->user_handle, a->user_id, ul) != 0)) ||
	    webauthn_signature_verify(&p->key, in->auth_data, in->auth_data_len, in->client_data,
				      in->client_data_len, in->signature,
				      in->signature_len) != COFFER_OK)
		return COFFER_OK;
	if ((p->sign_count != 0 || d.sign_count != 0) && d.sign_count <= p->sign_count) {
		*failure = KEYD_LOGIN_PASSKEY_COUNTER;
		return COFFER_OK;
	}
	*failure = 0;
	*changed = d.sign_count != p->sign_count;
	p->sign_count = d.sign_count;
	return COFFER_OK;
}
