/* chain.c — encoding audit entries: their digests, and the legacy hash chain (chain.h). */
#include "audit/chain.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/wire.h"

#define LABEL	     "coffer/audit/v1"
#define DIGEST_LABEL "coffer/audit-entry/v2"
/* label + chain + prev + seq + time + six fields, each with its length */
#define ENCODED_MAX                                                                                \
	(sizeof DIGEST_LABEL + 2 + AUDIT_CHAIN_ID_MAX + AUDIT_HASH_BYTES + 16 +                    \
	 6 * (2 + AUDIT_FIELD_MAX))

static void put_field(struct wire_writer *w, const char *s)
{
	size_t n = strnlen(s, AUDIT_FIELD_MAX + 1);
	if (n > AUDIT_FIELD_MAX)
		w->bad = true;
	else
		wire_put_bytes(w, s, n);
}

/* SHA-256 of LABEL | str CHAIN | PREV (unless NULL) | ENTRY. */
static enum coffer_err encode_and_hash(const char *label, const char *chain, const uint8_t *prev,
				       const struct audit_entry *e, uint8_t out[AUDIT_HASH_BYTES])
{
	uint8_t buf[ENCODED_MAX];
	size_t cl = strnlen(chain, AUDIT_CHAIN_ID_MAX + 1);
	if (cl == 0 || cl > AUDIT_CHAIN_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_raw(&w, label, strlen(label));
	wire_put_bytes(&w, chain, cl);
	if (prev != NULL)
		wire_put_raw(&w, prev, AUDIT_HASH_BYTES);
	wire_put_u64(&w, e->seq);
	wire_put_u64(&w, (uint64_t)e->time);
	put_field(&w, e->actor);
	put_field(&w, e->action);
	put_field(&w, e->target);
	put_field(&w, e->ip);
	put_field(&w, e->outcome);
	put_field(&w, e->reason);
	unsigned int len = 0;
	if (w.bad)
		return COFFER_ERR_INVALID_INPUT;
	if (EVP_Digest(buf, w.len, out, &len, EVP_sha256(), NULL) != 1 || len != AUDIT_HASH_BYTES)
		return COFFER_ERR_CRYPTO;
	return COFFER_OK;
}

bool audit_entry_fits(const struct audit_entry *e)
{
	const char *const fields[] = {e->actor, e->action, e->target, e->ip, e->outcome, e->reason};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (strnlen(fields[i], AUDIT_FIELD_MAX + 1) > AUDIT_FIELD_MAX)
			return false;
	}
	return true;
}

enum coffer_err audit_legacy_hash(const char *chain, const uint8_t prev[AUDIT_HASH_BYTES],
				  const struct audit_entry *e, uint8_t out[AUDIT_HASH_BYTES])
{
	return encode_and_hash(LABEL, chain, prev, e, out);
}

enum coffer_err audit_digest(const char *chain, const struct audit_entry *e,
			     uint8_t out[AUDIT_HASH_BYTES])
{
	return encode_and_hash(DIGEST_LABEL, chain, NULL, e, out);
}

void audit_verify_start(struct audit_verifier *v, const char *chain)
{
	memset(v, 0, sizeof *v);
	snprintf(v->chain, sizeof v->chain, "%s", chain);
	v->next_seq = 1;
}

enum coffer_err audit_verify_next(struct audit_verifier *v, const struct audit_entry *e)
{
	uint8_t want[AUDIT_HASH_BYTES];
	if (v->next_seq == 0 || e->seq != v->next_seq ||
	    audit_legacy_hash(v->chain, v->prev, e, want) != COFFER_OK ||
	    sodium_memcmp(want, e->hash, AUDIT_HASH_BYTES) != 0) {
		v->next_seq = 0; /* broken: nothing after this can be trusted */
		return COFFER_ERR_CRYPTO;
	}
	memcpy(v->prev, e->hash, AUDIT_HASH_BYTES);
	v->next_seq++;
	return COFFER_OK;
}
