/* key.c — snapshot keys from a loaded keyring (see key.h). */
#include "backup/key.h"

#include <stdint.h>

#include "crypto/snapshot_key.h"

enum coffer_err backup_key_for(const struct master_keyring *ring, const struct backup_header *h,
			       uint8_t out[AEAD_KEY_BYTES])
{
	const struct master_key *mk = master_keyring_find(ring, h->master_version);
	if (mk == NULL)
		return COFFER_ERR_NOT_FOUND;
	return snapshot_key_from_root(mk->key, h->salt, out);
}

static enum coffer_err ring_new_key(void *ctx, uint32_t *version, uint8_t salt[BACKUP_SALT_BYTES],
				    uint8_t key[AEAD_KEY_BYTES])
{
	return snapshot_key_new(ctx, version, salt, key);
}

static enum coffer_err ring_key_for(void *ctx, const struct backup_header *h,
				    uint8_t key[AEAD_KEY_BYTES])
{
	return backup_key_for(ctx, h, key);
}

struct backup_keys backup_keys_from_ring(const struct master_keyring *ring)
{
	return (struct backup_keys){ring_new_key, ring_key_for, (void *)(uintptr_t)ring};
}
