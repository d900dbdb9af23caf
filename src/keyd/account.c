/* account.c — encoding, sealing and opening account records and invitations (account.h). */
#include "keyd/account.h"

#include <string.h>

#include "common/wire.h"
#include "crypto/keywrap.h"

#define FORMAT 1

static bool valid_id(const char *s)
{
	size_t n = strnlen(s, TICKET_ID_MAX + 1);
	return n >= 1 && n <= TICKET_ID_MAX;
}

static bool valid_email(const char *s)
{
	size_t n = strnlen(s, EMAIL_MAX + 1);
	return n >= 3 && n <= EMAIL_MAX;
}

static bool account_valid(const struct account *a)
{
	size_t hl = strnlen(a->password_hash, ACCOUNT_HASH_MAX + 1);
	if (!valid_id(a->user_id) || !valid_email(a->email) || hl == 0 || hl > ACCOUNT_HASH_MAX ||
	    a->n_orgs > TICKET_ORGS_MAX || a->totp > ACCOUNT_TOTP_ACTIVE)
		return false;
	if (a->role != TICKET_ROLE_USER && a->role != TICKET_ROLE_SYSADMIN)
		return false;
	if (a->role == TICKET_ROLE_SYSADMIN && a->n_orgs != 0)
		return false;
	for (uint32_t i = 0; i < a->n_orgs; i++) {
		const struct ticket_membership *m = &a->orgs[i];
		if (!valid_id(m->org_id) || m->clearance > LEVEL_RESTRICTED ||
		    (m->org_role != TICKET_ORG_MEMBER && m->org_role != TICKET_ORG_ADMIN))
			return false;
	}
	return true;
}

enum coffer_err account_seal(const struct seal_keys *k, const struct account *a, uint8_t *out,
			     size_t *len)
{
	if (!account_valid(a))
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(out, ACCOUNT_SEALED_MAX - SEAL_OVERHEAD);
	wire_put_u8(&w, FORMAT);
	wire_put_str(&w, a->user_id);
	wire_put_str(&w, a->email);
	wire_put_u8(&w, a->role);
	wire_put_u8(&w, (uint8_t)a->n_orgs);
	for (uint32_t i = 0; i < a->n_orgs; i++) {
		wire_put_str(&w, a->orgs[i].org_id);
		wire_put_u8(&w, a->orgs[i].org_role);
		wire_put_u8(&w, a->orgs[i].clearance);
	}
	wire_put_str(&w, a->password_hash);
	wire_put_u8(&w, a->totp);
	wire_put_bytes(&w, a->totp_sealed,
		       a->totp == ACCOUNT_TOTP_NONE ? 0 : sizeof a->totp_sealed);
	if (w.bad)
		return COFFER_ERR_INVALID_INPUT;
	return seal_close(k, SEAL_ACCOUNT, out, w.len, ACCOUNT_SEALED_MAX, len);
}

enum coffer_err account_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			     struct account *a)
{
	size_t body = 0;
	memset(a, 0, sizeof *a);
	if (len > ACCOUNT_SEALED_MAX || seal_open(k, SEAL_ACCOUNT, in, len, &body) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	struct wire_reader r = wire_reader_init(in, body);
	bool ok = wire_get_u8(&r) == FORMAT;
	wire_get_str(&r, a->user_id, TICKET_ID_MAX);
	wire_get_str(&r, a->email, EMAIL_MAX);
	a->role = wire_get_u8(&r);
	a->n_orgs = wire_get_u8(&r);
	ok = ok && a->n_orgs <= TICKET_ORGS_MAX;
	for (uint32_t i = 0; ok && i < a->n_orgs; i++) {
		wire_get_str(&r, a->orgs[i].org_id, TICKET_ID_MAX);
		a->orgs[i].org_role = wire_get_u8(&r);
		a->orgs[i].clearance = wire_get_u8(&r);
	}
	wire_get_str(&r, a->password_hash, ACCOUNT_HASH_MAX);
	a->totp = wire_get_u8(&r);
	size_t tl = wire_get_bytes(&r, a->totp_sealed, sizeof a->totp_sealed);
	ok = ok && tl == (a->totp == ACCOUNT_TOTP_NONE ? 0 : sizeof a->totp_sealed);
	if (!ok || !wire_reader_end(&r) || !account_valid(a)) {
		memset(a, 0, sizeof *a);
		return COFFER_ERR_UNAUTHENTICATED;
	}
	return COFFER_OK;
}

static bool invite_valid(const struct invite *inv)
{
	if (!valid_email(inv->email) || inv->expires_at <= 0)
		return false;
	if (inv->role == INVITE_SYSADMIN)
		return inv->org_id[0] == '\0' && inv->clearance == 0;
	return (inv->role == INVITE_MEMBER || inv->role == INVITE_ORG_ADMIN) &&
	       valid_id(inv->org_id) && inv->clearance <= LEVEL_RESTRICTED;
}

enum coffer_err invite_seal(const struct seal_keys *k, const struct invite *inv, uint8_t *out,
			    size_t *len)
{
	if (!invite_valid(inv))
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(out, INVITE_SEALED_MAX - SEAL_OVERHEAD);
	wire_put_u8(&w, FORMAT);
	wire_put_bytes(&w, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(&w, inv->email);
	wire_put_u8(&w, inv->role);
	wire_put_bytes(&w, inv->org_id, strlen(inv->org_id));
	wire_put_u8(&w, inv->clearance);
	wire_put_u64(&w, (uint64_t)inv->expires_at);
	if (w.bad)
		return COFFER_ERR_INVALID_INPUT;
	return seal_close(k, SEAL_INVITE, out, w.len, INVITE_SEALED_MAX, len);
}

enum coffer_err invite_open(const struct seal_keys *k, const uint8_t *in, size_t len,
			    struct invite *inv)
{
	size_t body = 0;
	memset(inv, 0, sizeof *inv);
	if (len > INVITE_SEALED_MAX || seal_open(k, SEAL_INVITE, in, len, &body) != COFFER_OK)
		return COFFER_ERR_UNAUTHENTICATED;
	struct wire_reader r = wire_reader_init(in, body);
	bool ok = wire_get_u8(&r) == FORMAT;
	wire_get_exact(&r, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(&r, inv->email, EMAIL_MAX);
	inv->role = wire_get_u8(&r);
	size_t ol = wire_get_bytes(&r, inv->org_id, TICKET_ID_MAX);
	inv->org_id[ol] = '\0';
	ok = ok && memchr(inv->org_id, '\0', ol) == NULL;
	inv->clearance = wire_get_u8(&r);
	inv->expires_at = (int64_t)wire_get_u64(&r);
	if (!ok || !wire_reader_end(&r) || !invite_valid(inv)) {
		memset(inv, 0, sizeof *inv);
		return COFFER_ERR_UNAUTHENTICATED;
	}
	return COFFER_OK;
}

/* The AAD of a TOTP secret: it belongs to one account and cannot be moved to another. */
static size_t totp_aad(const char *user_id, uint8_t out[64])
{
	static const char label[] = "coffer/totp/v1";
	size_t ul = strnlen(user_id, TICKET_ID_MAX + 1);
	if (ul == 0 || ul > TICKET_ID_MAX)
		return 0;
	memcpy(out, label, sizeof label - 1);
	memcpy(out + sizeof label - 1, user_id, ul);
	return sizeof label - 1 + ul;
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
