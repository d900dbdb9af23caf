/* account.c — encoding, sealing and opening accounts, invitations, resets and charters
 * (account.h). */
#include "keyd/account.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "common/wire.h"
#include "crypto/keywrap.h"

#define FORMAT		      1 /* invites, resets, charters; accounts before breach digests */
#define ACCOUNT_FORMAT_CLEAR  2 /* accounts with a breach digest and the hash in clear */
#define ACCOUNT_FORMAT_HASHED 3 /* accounts: the password hash encrypted, before passkeys */
#define ACCOUNT_FORMAT	      4 /* accounts: with passkeys */
#define HASH_AAD_LABEL	      "coffer/pwhash/v1"

static bool valid_email(const char *s)
{
	size_t n = strnlen(s, EMAIL_MAX + 1);
	return n >= 3 && n <= EMAIL_MAX;
}

/* Seals for purpose P, into OUT (CAP bytes), the record WRITE encodes from REC after the
 * format byte FMT. */
static enum coffer_err seal_record(const struct seal_keys *k, enum seal_purpose p, uint8_t fmt,
				   size_t cap,
				   void (*write)(struct wire_writer *w, const void *rec),
				   const void *rec, uint8_t *out, size_t *len)
{
	struct wire_writer w = wire_writer_init(out, cap - SEAL_OVERHEAD);
	wire_put_u8(&w, fmt);
	write(&w, rec);
	if (w.bad)
		return COFFER_ERR_INVALID_INPUT;
	return seal_close(k, p, out, w.len, cap, len);
}

/* Decodes with READ into REC (SIZE bytes) the record IN (LEN bytes, at most CAP), if keyd
 * sealed it for purpose P in a format READ knows (it is given the format byte) and READ finds
 * it whole and in range; else COFFER_ERR_UNAUTHENTICATED, and REC is left zeroed. */
static enum coffer_err open_record(const struct seal_keys *k, enum seal_purpose p, size_t cap,
				   bool (*read)(struct wire_reader *r, uint8_t fmt, void *rec),
				   void *rec, size_t size, const uint8_t *in, size_t len)
{
	size_t body = 0;
	memset(rec, 0, size);
	if (len > cap || seal_open(k, p, in, len, &body) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	struct wire_reader r = wire_reader_init(in, body);
	uint8_t fmt = wire_get_u8(&r);
	bool ok = read(&r, fmt, rec);
	if (ok && wire_reader_end(&r))
		return COFFER_OK;
	memset(rec, 0, size);
	return COFFER_ERR_UNAUTHENTICATED;
}

static bool hash_valid(const char *hash)
{
	size_t hl = strnlen(hash, ACCOUNT_HASH_MAX + 1);
	return hl > 0 && hl <= ACCOUNT_HASH_MAX;
}

/* Everything but the password hash, which an account being opened does not have in clear yet. */
static bool account_fields_valid(const struct account *a)
{
	if (!ticket_id_valid(a->user_id) || !valid_email(a->email) || a->totp > ACCOUNT_TOTP_ACTIVE)
		return false;
	return ticket_holder_valid(a->role, a->orgs, a->n_orgs);
}

static bool passkeys_valid(const struct account *a);

static bool account_valid(const struct account *a)
{
	return account_fields_valid(a) && hash_valid(a->password_hash) && passkeys_valid(a);
}

/* An account as it is written: the record, and its password hash encrypted. */
struct account_encoding {
	const struct account *a;
	uint8_t hash_sealed[ACCOUNT_HASH_SEALED_MAX];
	size_t hash_sealed_len;
};

/* An account as it is read: the record, and its password hash as the record holds it. */
struct account_decoding {
	struct account a;
	uint8_t hash_sealed[ACCOUNT_HASH_SEALED_MAX];
	size_t hash_sealed_len;
};

static size_t secret_aad(const char *label, const char *user_id, uint8_t out[64]);

/* Encrypts A's password hash into E under the newest master key version's hash key. */
static enum coffer_err hash_seal(const struct seal_keys *k, struct account_encoding *e)
{
	const struct account *a = e->a;
	uint8_t aad[64];
	size_t aad_len = secret_aad(HASH_AAD_LABEL, a->user_id, aad);
	uint32_t v = seal_newest_version(k);
	const uint8_t *key = seal_hash_key(k, v);
	size_t hl = strlen(a->password_hash);
	if (aad_len == 0 || key == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(e->hash_sealed, 4);
	wire_put_u32(&w, v);
	e->hash_sealed_len = 4 + AEAD_OVERHEAD + hl;
	return aead_seal(key, aad, aad_len, (const uint8_t *)a->password_hash, hl,
			 e->hash_sealed + 4);
}

/* Decrypts D's sealed password hash into D->a.password_hash. */
static enum coffer_err hash_open(const struct seal_keys *k, struct account_decoding *d)
{
	uint8_t aad[64];
	size_t aad_len = secret_aad(HASH_AAD_LABEL, d->a.user_id, aad);
	if (aad_len == 0 || d->hash_sealed_len <= 4 + AEAD_OVERHEAD)
		return COFFER_ERR_CRYPTO;
	struct wire_reader r = wire_reader_init(d->hash_sealed, 4);
	const uint8_t *key = seal_hash_key(k, wire_get_u32(&r));
	if (key == NULL)
		return COFFER_ERR_CRYPTO;
	memset(d->a.password_hash, 0, sizeof d->a.password_hash);
	enum coffer_err err = aead_open(key, aad, aad_len, d->hash_sealed + 4,
					d->hash_sealed_len - 4, (uint8_t *)d->a.password_hash);
	size_t hl = d->hash_sealed_len - 4 - AEAD_OVERHEAD;
	if (err == COFFER_OK && strnlen(d->a.password_hash, hl + 1) != hl)
		err = COFFER_ERR_CRYPTO; /* a NUL inside: not a hash keyd wrote */
	return err;
}

static bool passkey_valid(const struct account_passkey *p)
{
	size_t nl = strnlen(p->name, ACCOUNT_PASSKEY_NAME_MAX + 1);
	return p->id_len >= 1 && p->id_len <= WEBAUTHN_CRED_ID_MAX && nl >= 1 &&
	       nl <= ACCOUNT_PASSKEY_NAME_MAX &&
	       ((p->key.alg == WEBAUTHN_ES256 && p->key.len == 65) ||
		(p->key.alg == WEBAUTHN_EDDSA && p->key.len == 32));
}

/* At most ACCOUNT_PASSKEYS_MAX, each valid, no credential id twice. */
static bool passkeys_valid(const struct account *a)
{
	if (a->n_passkeys > ACCOUNT_PASSKEYS_MAX)
		return false;
	for (size_t i = 0; i < a->n_passkeys; i++) {
		const struct account_passkey *p = &a->passkeys[i];
		if (!passkey_valid(p) || account_passkey_find(a, p->id, p->id_len) != (int)i)
			return false;
	}
	return true;
}

static void write_passkeys(struct wire_writer *w, const struct account *a)
{
	wire_put_u8(w, a->n_passkeys);
	for (size_t i = 0; i < a->n_passkeys; i++) {
		const struct account_passkey *p = &a->passkeys[i];
		wire_put_bytes(w, p->id, p->id_len);
		wire_put_u32(w, (uint32_t)p->key.alg);
		wire_put_bytes(w, p->key.bytes, p->key.len);
		wire_put_u32(w, p->sign_count);
		wire_put_u64(w, (uint64_t)p->created_at);
		wire_put_str(w, p->name);
	}
}

static void read_passkeys(struct wire_reader *r, struct account *a)
{
	a->n_passkeys = wire_get_u8(r);
	if (a->n_passkeys > ACCOUNT_PASSKEYS_MAX) {
		r->bad = true;
		return;
	}
	for (size_t i = 0; i < a->n_passkeys; i++) {
		struct account_passkey *p = &a->passkeys[i];
		p->id_len = wire_get_bytes(r, p->id, sizeof p->id);
		p->key.alg = (int32_t)wire_get_u32(r);
		p->key.len = wire_get_bytes(r, p->key.bytes, sizeof p->key.bytes);
		p->sign_count = wire_get_u32(r);
		p->created_at = (int64_t)wire_get_u64(r);
		wire_get_str(r, p->name, ACCOUNT_PASSKEY_NAME_MAX);
	}
}

int account_passkey_find(const struct account *a, const uint8_t *id, size_t len)
{
	for (size_t i = 0; i < a->n_passkeys && i < ACCOUNT_PASSKEYS_MAX; i++) {
		if (a->passkeys[i].id_len == len && memcmp(a->passkeys[i].id, id, len) == 0)
			return (int)i;
	}
	return -1;
}

static void write_account(struct wire_writer *w, const void *rec)
{
	const struct account_encoding *e = rec;
	const struct account *a = e->a;
	wire_put_str(w, a->user_id);
	wire_put_str(w, a->email);
	wire_put_u8(w, a->role);
	ticket_orgs_put(w, a->orgs, a->n_orgs);
	wire_put_bytes(w, e->hash_sealed, e->hash_sealed_len);
	wire_put_u8(w, a->totp);
	wire_put_bytes(w, a->totp_sealed, a->totp == ACCOUNT_TOTP_NONE ? 0 : sizeof a->totp_sealed);
	wire_put_bytes(w, a->breach_sealed, a->has_breach ? sizeof a->breach_sealed : 0);
	write_passkeys(w, a);
}

static bool read_account(struct wire_reader *r, uint8_t fmt, void *rec)
{
	struct account_decoding *d = rec;
	struct account *a = &d->a;
	if (fmt != FORMAT && fmt != ACCOUNT_FORMAT_CLEAR && fmt != ACCOUNT_FORMAT_HASHED &&
	    fmt != ACCOUNT_FORMAT)
		return false;
	wire_get_str(r, a->user_id, TICKET_ID_MAX);
	wire_get_str(r, a->email, EMAIL_MAX);
	a->role = wire_get_u8(r);
	bool ok = ticket_orgs_get(r, a->orgs, &a->n_orgs);
	a->hash_in_clear = fmt == FORMAT || fmt == ACCOUNT_FORMAT_CLEAR;
	if (a->hash_in_clear)
		wire_get_str(r, a->password_hash, ACCOUNT_HASH_MAX);
	else
		d->hash_sealed_len = wire_get_bytes(r, d->hash_sealed, sizeof d->hash_sealed);
	a->totp = wire_get_u8(r);
	size_t tl = wire_get_bytes(r, a->totp_sealed, sizeof a->totp_sealed);
	size_t bl = 0;
	if (fmt != FORMAT) {
		bl = wire_get_bytes(r, a->breach_sealed, sizeof a->breach_sealed);
		a->has_breach = bl == sizeof a->breach_sealed;
	}
	if (fmt == ACCOUNT_FORMAT)
		read_passkeys(r, a);
	return ok && passkeys_valid(a) &&
	       tl == (a->totp == ACCOUNT_TOTP_NONE ? 0 : sizeof a->totp_sealed) &&
	       (bl == 0 || a->has_breach) && account_fields_valid(a) &&
	       (!a->hash_in_clear || hash_valid(a->password_hash));
}

enum coffer_err account_seal(const struct seal_keys *k, const struct account *a, uint8_t *out,
			     size_t *len)
{
	struct account_encoding e = {.a = a};
	if (!account_valid(a))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = hash_seal(k, &e);
	if (err == COFFER_OK)
		err = seal_record(k, SEAL_ACCOUNT, ACCOUNT_FORMAT, ACCOUNT_SEALED_MAX,
				  write_account, &e, out, len);
	return err;
}

enum coffer_err account_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			     struct account *a)
{
	/* In guarded memory, like the account it fills: the hash is in clear in it. */
	struct account_decoding *d = sodium_malloc(sizeof *d);
	if (d == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err =
	    open_record(k, SEAL_ACCOUNT, ACCOUNT_SEALED_MAX, read_account, d, sizeof *d, in, len);
	if (err == COFFER_OK && !d->a.hash_in_clear &&
	    (hash_open(k, d) != COFFER_OK || !hash_valid(d->a.password_hash)))
		err = COFFER_ERR_UNAUTHENTICATED;
	if (err == COFFER_OK)
		*a = d->a;
	else
		memset(a, 0, sizeof *a);
	sodium_memzero(d, sizeof *d);
	sodium_free(d);
	return err;
}

bool account_is_admin(const struct account *a)
{
	if (a->role == TICKET_ROLE_SYSADMIN)
		return true;
	for (uint32_t i = 0; i < a->n_orgs && i < TICKET_ORGS_MAX; i++) {
		if (a->orgs[i].org_role == TICKET_ORG_ADMIN)
			return true;
	}
	return false;
}

bool account_has_second_factor(const struct account *a)
{
	return a->totp == ACCOUNT_TOTP_ACTIVE || a->n_passkeys > 0;
}

static bool challenge_valid(const struct passkey_challenge *c)
{
	if (c->kind == CHALLENGE_REGISTER)
		return ticket_id_valid(c->user_id) && c->expires_at > 0;
	return c->kind == CHALLENGE_LOGIN && c->user_id[0] == '\0' && c->expires_at > 0;
}

static void write_challenge(struct wire_writer *w, const void *rec)
{
	const struct passkey_challenge *c = rec;
	wire_put_u8(w, c->kind);
	wire_put_bytes(w, c->user_id, strlen(c->user_id));
	wire_put_bytes(w, c->nonce, sizeof c->nonce);
	wire_put_u64(w, (uint64_t)c->expires_at);
}

static bool read_challenge(struct wire_reader *r, uint8_t fmt, void *rec)
{
	struct passkey_challenge *c = rec;
	if (fmt != FORMAT)
		return false;
	c->kind = wire_get_u8(r);
	size_t ul = wire_get_bytes(r, c->user_id, TICKET_ID_MAX);
	c->user_id[ul] = '\0';
	wire_get_exact(r, c->nonce, sizeof c->nonce);
	c->expires_at = (int64_t)wire_get_u64(r);
	return memchr(c->user_id, '\0', ul) == NULL && challenge_valid(c);
}

enum coffer_err challenge_seal(const struct seal_keys *k, const struct passkey_challenge *c,
			       uint8_t *out, size_t *len)
{
	if (!challenge_valid(c))
		return COFFER_ERR_INVALID_INPUT;
	return seal_record(k, SEAL_CHALLENGE, FORMAT, CHALLENGE_SEALED_MAX, write_challenge, c, out,
			   len);
}

enum coffer_err challenge_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			       struct passkey_challenge *c)
{
	return open_record(k, SEAL_CHALLENGE, CHALLENGE_SEALED_MAX, read_challenge, c, sizeof *c,
			   in, len);
}

static bool invite_valid(const struct invite *inv)
{
	if (!valid_email(inv->email) || inv->expires_at <= 0)
		return false;
	if (inv->role == INVITE_SYSADMIN)
		return inv->org_id[0] == '\0' && inv->clearance == 0;
	return (inv->role == INVITE_MEMBER || inv->role == INVITE_ORG_ADMIN) &&
	       ticket_id_valid(inv->org_id) && inv->clearance <= LEVEL_RESTRICTED;
}

/* The organisation id is bytes, not str: empty for a sysadmin's invite. */
static void write_invite(struct wire_writer *w, const void *rec)
{
	const struct invite *inv = rec;
	wire_put_bytes(w, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(w, inv->email);
	wire_put_u8(w, inv->role);
	wire_put_bytes(w, inv->org_id, strlen(inv->org_id));
	wire_put_u8(w, inv->clearance);
	wire_put_u64(w, (uint64_t)inv->expires_at);
}

static bool read_invite(struct wire_reader *r, uint8_t fmt, void *rec)
{
	struct invite *inv = rec;
	if (fmt != FORMAT)
		return false;
	wire_get_exact(r, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(r, inv->email, EMAIL_MAX);
	inv->role = wire_get_u8(r);
	size_t ol = wire_get_bytes(r, inv->org_id, TICKET_ID_MAX);
	inv->org_id[ol] = '\0';
	inv->clearance = wire_get_u8(r);
	inv->expires_at = (int64_t)wire_get_u64(r);
	return memchr(inv->org_id, '\0', ol) == NULL && invite_valid(inv);
}

enum coffer_err invite_seal(const struct seal_keys *k, const struct invite *inv, uint8_t *out,
			    size_t *len)
{
	if (!invite_valid(inv))
		return COFFER_ERR_INVALID_INPUT;
	return seal_record(k, SEAL_INVITE, FORMAT, INVITE_SEALED_MAX, write_invite, inv, out, len);
}

enum coffer_err invite_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			    struct invite *inv)
{
	return open_record(k, SEAL_INVITE, INVITE_SEALED_MAX, read_invite, inv, sizeof *inv, in,
			   len);
}

static bool reset_valid(const struct reset *r)
{
	return ticket_id_valid(r->user_id) && valid_email(r->email) && ticket_id_valid(r->org_id) &&
	       r->expires_at > 0;
}

static void write_reset(struct wire_writer *w, const void *rec)
{
	const struct reset *r = rec;
	wire_put_bytes(w, r->token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(w, r->user_id);
	wire_put_str(w, r->email);
	wire_put_str(w, r->org_id);
	wire_put_u64(w, (uint64_t)r->expires_at);
}

static bool read_reset(struct wire_reader *r, uint8_t fmt, void *rec)
{
	struct reset *x = rec;
	if (fmt != FORMAT)
		return false;
	wire_get_exact(r, x->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(r, x->user_id, TICKET_ID_MAX);
	wire_get_str(r, x->email, EMAIL_MAX);
	wire_get_str(r, x->org_id, TICKET_ID_MAX);
	x->expires_at = (int64_t)wire_get_u64(r);
	return reset_valid(x);
}

enum coffer_err reset_seal(const struct seal_keys *k, const struct reset *r, uint8_t *out,
			   size_t *len)
{
	if (!reset_valid(r))
		return COFFER_ERR_INVALID_INPUT;
	return seal_record(k, SEAL_RESET, FORMAT, INVITE_SEALED_MAX, write_reset, r, out, len);
}

enum coffer_err reset_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			   struct reset *r)
{
	return open_record(k, SEAL_RESET, INVITE_SEALED_MAX, read_reset, r, sizeof *r, in, len);
}

static bool charter_valid(const struct charter *c)
{
	return ticket_id_valid(c->org_id) && c->founding_until > 0;
}

static void write_charter(struct wire_writer *w, const void *rec)
{
	const struct charter *c = rec;
	wire_put_str(w, c->org_id);
	wire_put_u64(w, (uint64_t)c->founding_until);
}

static bool read_charter(struct wire_reader *r, uint8_t fmt, void *rec)
{
	struct charter *c = rec;
	if (fmt != FORMAT)
		return false;
	wire_get_str(r, c->org_id, TICKET_ID_MAX);
	c->founding_until = (int64_t)wire_get_u64(r);
	return charter_valid(c);
}

enum coffer_err charter_seal(const struct seal_keys *k, const struct charter *c, uint8_t *out,
			     size_t *len)
{
	if (!charter_valid(c))
		return COFFER_ERR_INVALID_INPUT;
	return seal_record(k, SEAL_CHARTER, FORMAT, INVITE_SEALED_MAX, write_charter, c, out, len);
}

enum coffer_err charter_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			     struct charter *c)
{
	return open_record(k, SEAL_CHARTER, INVITE_SEALED_MAX, read_charter, c, sizeof *c, in, len);
}

/* The AAD of a TOTP secret or breach digest (LABEL): it belongs to one account and cannot be
 * moved to another, nor one kind of secret passed off as the other. */
static size_t secret_aad(const char *label, const char *user_id, uint8_t out[64])
{
	size_t ll = strlen(label), ul = strnlen(user_id, TICKET_ID_MAX + 1);
	if (ul == 0 || ul > TICKET_ID_MAX || ll + ul > 64)
		return 0;
	memcpy(out, label, ll);
	memcpy(out + ll, user_id, ul);
	return ll + ul;
}

static size_t totp_aad(const char *user_id, uint8_t out[64])
{
	return secret_aad("coffer/totp/v1", user_id, out);
}

enum coffer_err account_totp_seal(const struct seal_keys *k, const char *user_id,
				  const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES],
				  uint8_t out[ACCOUNT_TOTP_SEALED_BYTES])
{
	uint8_t aad[64];
	size_t aad_len = totp_aad(user_id, aad);
	uint32_t v = seal_newest_version(k);
	const uint8_t *key = seal_totp_key(k, v);
	if (aad_len == 0 || key == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(out, 4);
	wire_put_u32(&w, v);
	return aead_seal(key, aad, aad_len, secret, ACCOUNT_TOTP_SECRET_BYTES, out + 4);
}

enum coffer_err account_totp_open(const struct seal_keys *k, const char *user_id,
				  const uint8_t in[ACCOUNT_TOTP_SEALED_BYTES],
				  uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES])
{
	uint8_t aad[64];
	size_t aad_len = totp_aad(user_id, aad);
	struct wire_reader r = wire_reader_init(in, 4);
	const uint8_t *key = seal_totp_key(k, wire_get_u32(&r));
	if (aad_len == 0 || key == NULL)
		return COFFER_ERR_CRYPTO;
	return aead_open(key, aad, aad_len, in + 4, ACCOUNT_TOTP_SEALED_BYTES - 4, secret);
}

enum coffer_err account_breach_set(const struct seal_keys *k, struct account *a,
				   const uint8_t *password, size_t len)
{
	uint8_t aad[64], sha1[ACCOUNT_BREACH_BYTES];
	unsigned int sha1_len = 0;
	size_t aad_len = secret_aad("coffer/breach/v1", a->user_id, aad);
	uint32_t v = seal_newest_version(k);
	const uint8_t *key = seal_breach_key(k, v);
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	if (aad_len == 0 || key == NULL || (password == NULL && len > 0))
		goto out;
	err = COFFER_ERR_CRYPTO;
	if (EVP_Digest(len > 0 ? (const void *)password : "", len, sha1, &sha1_len, EVP_sha1(),
		       NULL) != 1 ||
	    sha1_len != sizeof sha1)
		goto out;
	struct wire_writer w = wire_writer_init(a->breach_sealed, 4);
	wire_put_u32(&w, v);
	err = aead_seal(key, aad, aad_len, sha1, sizeof sha1, a->breach_sealed + 4);
	a->has_breach = err == COFFER_OK;
out:
	sodium_memzero(sha1, sizeof sha1);
	return err;
}

enum coffer_err account_breach_open(const struct seal_keys *k, const struct account *a,
				    uint8_t sha1[ACCOUNT_BREACH_BYTES])
{
	uint8_t aad[64];
	if (!a->has_breach)
		return COFFER_ERR_NOT_FOUND;
	size_t aad_len = secret_aad("coffer/breach/v1", a->user_id, aad);
	struct wire_reader r = wire_reader_init(a->breach_sealed, 4);
	const uint8_t *key = seal_breach_key(k, wire_get_u32(&r));
	if (aad_len == 0 || key == NULL)
		return COFFER_ERR_CRYPTO;
	return aead_open(key, aad, aad_len, a->breach_sealed + 4, ACCOUNT_BREACH_SEALED_BYTES - 4,
			 sha1);
}
