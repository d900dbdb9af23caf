/* mac_keys.c — deriving and using the audit MAC keys (mac_keys.h). */
#include "audit/mac_keys.h"

#include <sodium.h>
#include <string.h>

#include "common/wire.h"
#include "crypto/kdf.h"
#include "crypto/mac.h"

#define LINK_KEY_LABEL	     "coffer/keyd/audit-link/v1"
#define CHECKPOINT_KEY_LABEL "coffer/keyd/audit-checkpoint/v1"
#define LINK_LABEL	     "coffer/audit-link/v2"

struct audit_mac_keys {
	uint32_t count;
	struct {
		uint32_t version;
		uint8_t link[MAC_KEY_BYTES];
		uint8_t checkpoint[MAC_KEY_BYTES];
	} v[MASTER_KEYRING_MAX];
};

enum coffer_err audit_mac_keys_derive(const struct master_keyring *ring,
				      struct audit_mac_keys **out)
{
	if (ring == NULL || ring->count == 0 || ring->count > MASTER_KEYRING_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct audit_mac_keys *k = sodium_malloc(sizeof *k);
	if (k == NULL)
		return COFFER_ERR_NOMEM;
	memset(k, 0, sizeof *k);
	enum coffer_err err = COFFER_OK;
	for (uint32_t i = 0; err == COFFER_OK && i < ring->count; i++) {
		const struct master_key *mk = &ring->keys[i];
		k->v[i].version = mk->version;
		err = kdf_derive(mk->key, MASTER_KEY_BYTES, LINK_KEY_LABEL, k->v[i].link,
				 MAC_KEY_BYTES);
		if (err == COFFER_OK)
			err = kdf_derive(mk->key, MASTER_KEY_BYTES, CHECKPOINT_KEY_LABEL,
					 k->v[i].checkpoint, MAC_KEY_BYTES);
		k->count = i + 1;
	}
	if (err != COFFER_OK) {
		audit_mac_keys_free(k);
		return err;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return COFFER_OK;
}

void audit_mac_keys_free(struct audit_mac_keys *k)
{
	if (k == NULL)
		return;
	sodium_free(k); /* sodium_free wipes, whatever the protection */
}

void audit_mac_keys_wipe(struct audit_mac_keys *k)
{
	if (k == NULL)
		return;
	sodium_mprotect_readwrite(k);
	sodium_memzero(k, sizeof *k);
}

uint32_t audit_mac_keys_newest(const struct audit_mac_keys *k)
{
	return k->v[k->count - 1].version;
}

/* VERSION's keys, or -1. */
static int slot_of(const struct audit_mac_keys *k, uint32_t version)
{
	for (uint32_t i = 0; i < k->count; i++) {
		if (k->v[i].version == version)
			return (int)i;
	}
	return -1;
}

enum coffer_err audit_mac_link(const struct audit_mac_keys *k, uint32_t version, const char *chain,
			       const uint8_t prev[AUDIT_HASH_BYTES], uint64_t seq,
			       const uint8_t digest[AUDIT_HASH_BYTES],
			       uint8_t out[AUDIT_HASH_BYTES])
{
	uint8_t buf[sizeof LINK_LABEL + 2 + AUDIT_CHAIN_ID_MAX + 4 + 2 * AUDIT_HASH_BYTES + 8];
	int slot = slot_of(k, version);
	if (slot < 0)
		return COFFER_ERR_NOT_FOUND;
	size_t cl = strnlen(chain, AUDIT_CHAIN_ID_MAX + 1);
	if (cl == 0 || cl > AUDIT_CHAIN_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct wire_writer w = wire_writer_init(buf, sizeof buf);
	wire_put_raw(&w, LINK_LABEL, sizeof LINK_LABEL - 1);
	wire_put_bytes(&w, chain, cl);
	wire_put_u32(&w, version);
	wire_put_raw(&w, prev, AUDIT_HASH_BYTES);
	wire_put_u64(&w, seq);
	wire_put_raw(&w, digest, AUDIT_HASH_BYTES);
	if (w.bad)
		return COFFER_ERR_INTERNAL;
	return mac_sha256(k->v[slot].link, buf, w.len, out);
}

enum coffer_err audit_mac_checkpoint_seal(const struct audit_mac_keys *k,
					  struct audit_checkpoint *cp)
{
	uint8_t buf[AUDIT_CHECKPOINT_LINE_MAX];
	int slot = slot_of(k, cp->key_version);
	size_t len = audit_checkpoint_encode(cp, buf);
	if (slot < 0)
		return COFFER_ERR_NOT_FOUND;
	if (len == 0)
		return COFFER_ERR_INVALID_INPUT;
	return mac_sha256(k->v[slot].checkpoint, buf, len, cp->mac);
}

enum coffer_err audit_mac_checkpoint_check(const struct audit_mac_keys *k,
					   const struct audit_checkpoint *cp)
{
	uint8_t buf[AUDIT_CHECKPOINT_LINE_MAX];
	int slot = slot_of(k, cp->key_version);
	size_t len = audit_checkpoint_encode(cp, buf);
	if (slot < 0 || len == 0 || !mac_sha256_verify(k->v[slot].checkpoint, buf, len, cp->mac))
		return COFFER_ERR_CRYPTO;
	return COFFER_OK;
}
