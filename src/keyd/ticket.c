/* ticket.c — sealing and opening session tickets (format in ticket.h). */
#include "keyd/ticket.h"

#include <string.h>

#include "common/wire.h"
#include "crypto/keywrap.h"

#define TICKET_FORMAT 1

static bool valid_id(const char *s)
{
	size_t n = strnlen(s, TICKET_ID_MAX + 1);
	return n >= 1 && n <= TICKET_ID_MAX;
}

static bool valid(const struct ticket *t)
{
	if (!valid_id(t->user_id) || t->n_orgs > TICKET_ORGS_MAX || t->issued_at < 0 ||
	    t->expires_at <= t->issued_at)
		return false;
	if (t->role != TICKET_ROLE_USER && t->role != TICKET_ROLE_SYSADMIN)
		return false;
	if (t->role == TICKET_ROLE_SYSADMIN && t->n_orgs != 0)
		return false; /* sysadmins belong to no organisation */
	for (uint32_t i = 0; i < t->n_orgs; i++) {
		const struct ticket_membership *m = &t->orgs[i];
		if (!valid_id(m->org_id) || m->clearance > LEVEL_RESTRICTED ||
		    (m->org_role != TICKET_ORG_MEMBER && m->org_role != TICKET_ORG_ADMIN))
			return false;
	}
	return true;
}

enum coffer_err ticket_seal(const uint8_t key[MAC_KEY_BYTES], const struct ticket *t, uint8_t *out,
			    size_t *len)
{
	if (!valid(t))
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(out, TICKET_SEALED_MAX - MAC_BYTES);
	wire_put_u8(&w, TICKET_FORMAT);
	wire_put_bytes(&w, t->token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(&w, t->user_id);
	wire_put_u8(&w, t->role);
	wire_put_u64(&w, (uint64_t)t->issued_at);
	wire_put_u64(&w, (uint64_t)t->expires_at);
	wire_put_u8(&w, (uint8_t)t->n_orgs);
	for (uint32_t i = 0; i < t->n_orgs; i++) {
		wire_put_str(&w, t->orgs[i].org_id);
		wire_put_u8(&w, t->orgs[i].org_role);
		wire_put_u8(&w, t->orgs[i].clearance);
	}
	if (w.bad)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = mac_sha256(key, out, w.len, out + w.len);
	if (err == COFFER_OK)
		*len = w.len + MAC_BYTES;
	return err;
}

enum coffer_err ticket_open(const uint8_t key[MAC_KEY_BYTES], const uint8_t *in, size_t len,
			    struct ticket *t)
{
	memset(t, 0, sizeof *t);
	if (len <= MAC_BYTES || len > TICKET_SEALED_MAX ||
	    !mac_sha256_verify(key, in, len - MAC_BYTES, in + len - MAC_BYTES))
		return COFFER_ERR_UNAUTHENTICATED;
	/* Sealed by keyd, so well formed; decode as carefully as if it were not. */
	struct wire_reader r = wire_reader_init(in, len - MAC_BYTES);
	bool ok = wire_get_u8(&r) == TICKET_FORMAT;
	wire_get_exact(&r, t->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(&r, t->user_id, TICKET_ID_MAX);
	t->role = wire_get_u8(&r);
	t->issued_at = (int64_t)wire_get_u64(&r);
	t->expires_at = (int64_t)wire_get_u64(&r);
	t->n_orgs = wire_get_u8(&r);
	if (t->n_orgs > TICKET_ORGS_MAX)
		ok = false;
	for (uint32_t i = 0; ok && i < t->n_orgs; i++) {
		wire_get_str(&r, t->orgs[i].org_id, TICKET_ID_MAX);
		t->orgs[i].org_role = wire_get_u8(&r);
		t->orgs[i].clearance = wire_get_u8(&r);
	}
	if (!ok || !wire_reader_end(&r) || !valid(t)) {
		memset(t, 0, sizeof *t);
		return COFFER_ERR_UNAUTHENTICATED;
	}
	return COFFER_OK;
}
