/* snapshot_key.c — backup snapshots' keys (see snapshot_key.h). */
#include "crypto/snapshot_key.h"

#include <sodium.h>

#include "crypto/kdf.h"

enum coffer_err snapshot_key_from_root(const uint8_t root[MASTER_KEY_BYTES],
				       const uint8_t salt[SNAPSHOT_SALT_BYTES],
				       uint8_t out[AEAD_KEY_BYTES])
{
	return kdf_derive_salted(root, MASTER_KEY_BYTES, salt, SNAPSHOT_SALT_BYTES,
				 SNAPSHOT_KEY_LABEL, out, AEAD_KEY_BYTES);
}

enum coffer_err snapshot_key_new(const struct master_keyring *ring, uint32_t *version,
				 uint8_t salt[SNAPSHOT_SALT_BYTES], uint8_t out[AEAD_KEY_BYTES])
{
	const struct master_key *mk = master_keyring_newest(ring);
	randombytes_buf(salt, SNAPSHOT_SALT_BYTES);
	*version = mk->version;
	return snapshot_key_from_root(mk->key, salt, out);
}
