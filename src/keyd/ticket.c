/* ticket.c — sealing and opening session tickets (format in ticket.h). */
#include "keyd/ticket.h"

#include <string.h>

#include "crypto/keywrap.h"

#define TICKET_FORMAT	      2
#define TICKET_FORMAT_NO_AUTH 1 /* before re-authentication: no authenticated_at */

bool ticket_id_valid(const char *s)
{
	size_t n = strnlen(s, TICKET_ID_MAX + 1);
	return n >= 1 && n <= TICKET_ID_MAX;
}

bool ticket_holder_valid(uint8_t role, const struct ticket_membership *m, uint32_t n)
{
	if (role != TICKET_ROLE_USER && role != TICKET_ROLE_SYSADMIN)
		return false;
	if (n > TICKET_ORGS_MAX || (role == TICKET_ROLE_SYSADMIN && n != 0))
		return false; /* sysadmins belong to no organisation */
	for (uint32_t i = 0; i < n; i++) {
		if (!ticket_id_valid(m[i].org_id) || m[i].clearance > LEVEL_RESTRICTED ||
		    (m[i].org_role != TICKET_ORG_MEMBER && m[i].org_role != TICKET_ORG_ADMIN))
			return false;
	}
	return true;
}

void ticket_orgs_put(struct wire_writer *w, const struct ticket_membership *m, uint32_t n)
{
	wire_put_u8(w, (uint8_t)n);
	for (uint32_t i = 0; i < n; i++) {
		wire_put_str(w, m[i].org_id);
		wire_put_u8(w, m[i].org_role);
		wire_put_u8(w, m[i].clearance);
	}
}

bool ticket_orgs_get(struct wire_reader *r, struct ticket_membership *m, uint32_t *n)
{
	*n = wire_get_u8(r);
	if (*n > TICKET_ORGS_MAX)
		return false;
	for (uint32_t i = 0; i < *n; i++) {
		wire_get_str(r, m[i].org_id, TICKET_ID_MAX);
		m[i].org_role = wire_get_u8(r);
		m[i].clearance = wire_get_u8(r);
	}
	return true;
}

static bool valid(const struct ticket *t)
{
	return ticket_id_valid(t->user_id) && t->issued_at >= 0 && t->expires_at > t->issued_at &&
	       t->authenticated_at >= t->issued_at && t->authenticated_at <= t->expires_at &&
	       ticket_holder_valid(t->role, t->orgs, t->n_orgs);
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
	wire_put_u64(&w, (uint64_t)t->authenticated_at);
	wire_put_u64(&w, (uint64_t)t->expires_at);
	ticket_orgs_put(&w, t->orgs, t->n_orgs);
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
	const uint8_t format = wire_get_u8(&r);
	bool ok = format == TICKET_FORMAT || format == TICKET_FORMAT_NO_AUTH;
	wire_get_exact(&r, t->token.bytes, TOKEN_HASH_BYTES);
	wire_get_str(&r, t->user_id, TICKET_ID_MAX);
	t->role = wire_get_u8(&r);
	t->issued_at = (int64_t)wire_get_u64(&r);
	t->authenticated_at =
	    format == TICKET_FORMAT ? (int64_t)wire_get_u64(&r) : t->issued_at; /* its login */
	t->expires_at = (int64_t)wire_get_u64(&r);
	ok = ticket_orgs_get(&r, t->orgs, &t->n_orgs) && ok;
	if (!ok || !wire_reader_end(&r) || !valid(t)) {
		memset(t, 0, sizeof *t);
		return COFFER_ERR_UNAUTHENTICATED;
	}
	return COFFER_OK;
}
