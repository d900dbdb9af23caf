/* seal.c — keyd's seals and derived keys (see seal.h). */
#include "keyd/seal.h"

#include <sodium.h>
#include <string.h>

#include "common/wire.h"
#include "crypto/kdf.h"

// clang-format off
static const char *const labels[SEAL__COUNT] = {
	[SEAL_TICKET] = "coffer/keyd/session-ticket/v1",
	[SEAL_ACCOUNT] = "coffer/keyd/account/v1",
	[SEAL_INVITE] = "coffer/keyd/invite/v1",
	[SEAL_RESET] = "coffer/keyd/reset/v1",
	[SEAL_CHARTER] = "coffer/keyd/charter/v1",
	[SEAL_CHALLENGE] = "coffer/keyd/webauthn-challenge/v1",
};
// clang-format on
#define TOTP_LABEL   "coffer/keyd/totp-secret/v1"
#define BREACH_LABEL "coffer/keyd/breach-digest/v1"
#define HASH_LABEL   "coffer/keyd/password-hash/v1"

struct seal_keys {
	uint32_t count;
	struct {
		uint32_t version;
		uint8_t mac[SEAL__COUNT][MAC_KEY_BYTES];
		uint8_t totp[AEAD_KEY_BYTES];
		uint8_t breach[AEAD_KEY_BYTES];
		uint8_t hash[AEAD_KEY_BYTES];
	} v[MASTER_KEYRING_MAX];
};

enum coffer_err seal_keys_derive(const struct master_keyring *ring, struct seal_keys **out)
{
	struct seal_keys *k = sodium_malloc(sizeof *k);
	enum coffer_err err = k ? COFFER_OK : COFFER_ERR_NOMEM;
	if (k != NULL)
		memset(k, 0, sizeof *k);
	for (uint32_t i = 0; err == COFFER_OK && i < ring->count; i++) {
		const struct master_key *mk = &ring->keys[i];
		k->v[i].version = mk->version;
		for (int p = 0; err == COFFER_OK && p < SEAL__COUNT; p++)
			err = kdf_derive(mk->key, MASTER_KEY_BYTES, labels[p], k->v[i].mac[p],
					 MAC_KEY_BYTES);
		if (err == COFFER_OK)
			err = kdf_derive(mk->key, MASTER_KEY_BYTES, TOTP_LABEL, k->v[i].totp,
					 AEAD_KEY_BYTES);
		if (err == COFFER_OK)
			err = kdf_derive(mk->key, MASTER_KEY_BYTES, BREACH_LABEL, k->v[i].breach,
					 AEAD_KEY_BYTES);
		if (err == COFFER_OK)
			err = kdf_derive(mk->key, MASTER_KEY_BYTES, HASH_LABEL, k->v[i].hash,
					 AEAD_KEY_BYTES);
		k->count = i + 1;
	}
	if (err != COFFER_OK) {
		sodium_free(k);
		return err;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return COFFER_OK;
}

void seal_keys_free(struct seal_keys *k)
{
	sodium_free(k);
}

void seal_keys_wipe(struct seal_keys *k)
{
	sodium_mprotect_readwrite(k);
	sodium_memzero(k, sizeof *k);
}

static int find(const struct seal_keys *k, uint32_t version)
{
	for (uint32_t i = 0; i < k->count; i++) {
		if (k->v[i].version == version)
			return (int)i;
	}
	return -1;
}

const uint8_t *seal_breach_key(const struct seal_keys *k, uint32_t version)
{
	int i = find(k, version);
	return i < 0 ? NULL : k->v[i].breach;
}

const uint8_t *seal_hash_key(const struct seal_keys *k, uint32_t version)
{
	int i = find(k, version);
	return i < 0 ? NULL : k->v[i].hash;
}

uint32_t seal_newest_version(const struct seal_keys *k)
{
	return k->count > 0 ? k->v[k->count - 1].version : 0;
}

const uint8_t *seal_totp_key(const struct seal_keys *k, uint32_t version)
{
	int i = find(k, version);
	return i < 0 ? NULL : k->v[i].totp;
}

enum coffer_err seal_close(const struct seal_keys *k, enum seal_purpose p, uint8_t *buf,
			   size_t body_len, size_t cap, size_t *sealed_len)
{
	if (k->count == 0 || (unsigned int)p >= SEAL__COUNT)
		return COFFER_ERR_INTERNAL;
	if (body_len > cap || cap - body_len < SEAL_OVERHEAD)
		return COFFER_ERR_TOO_LARGE;
	uint32_t i = k->count - 1;
	struct wire_writer w = wire_writer_init(buf + body_len, 4);
	wire_put_u32(&w, k->v[i].version);
	enum coffer_err err = mac_sha256(k->v[i].mac[p], buf, body_len + 4, buf + body_len + 4);
	if (err == COFFER_OK)
		*sealed_len = body_len + SEAL_OVERHEAD;
	return err;
}

enum coffer_err seal_open(const struct seal_keys *k, enum seal_purpose p, const uint8_t *in,
			  size_t len, size_t *body_len)
{
	if (len < SEAL_OVERHEAD || (unsigned int)p >= SEAL__COUNT)
		return COFFER_ERR_UNAUTHENTICATED;
	size_t body = len - SEAL_OVERHEAD;
	struct wire_reader r = wire_reader_init(in + body, 4);
	int i = find(k, wire_get_u32(&r));
	if (i < 0 || !mac_sha256_verify(k->v[i].mac[p], in, body + 4, in + body + 4))
		return COFFER_ERR_UNAUTHENTICATED;
	*body_len = body;
	return COFFER_OK;
}
