/* snapshot_key.h — a backup snapshot's key: HKDF-SHA256 of a master key version's root with the
 * snapshot's random salt (docs/FORMAT.md, "Backup snapshots"). Each snapshot has a key of its
 * own; opening one needs that master key version, which `keys rotate --master` keeps in the
 * keyring, so a snapshot taken before a rotation restores after it.
 *
 * keyd makes the keys of new snapshots for `coffer serve` (BACKUP_KEY, with a salt it draws);
 * the operator's commands derive them from the keyring they load (backup/key.h).
 */
#ifndef COFFER_SNAPSHOT_KEY_H
#define COFFER_SNAPSHOT_KEY_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/master_key.h"

#define SNAPSHOT_SALT_BYTES 32
#define SNAPSHOT_KEY_LABEL  "coffer/backup-snapshot/v1"

/* The key of the snapshot with SALT under ROOT (a master key version's key). */
COFFER_MUST_CHECK enum coffer_err snapshot_key_from_root(const uint8_t root[MASTER_KEY_BYTES],
							 const uint8_t salt[SNAPSHOT_SALT_BYTES],
							 uint8_t out[AEAD_KEY_BYTES]);

/* A new snapshot's salt (random) and key under RING's newest version, which *VERSION gets. */
COFFER_MUST_CHECK enum coffer_err snapshot_key_new(const struct master_keyring *ring,
						   uint32_t *version,
						   uint8_t salt[SNAPSHOT_SALT_BYTES],
						   uint8_t out[AEAD_KEY_BYTES]);

#endif
