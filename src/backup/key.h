/* key.h — a backup snapshot's key: HKDF-SHA256 of a master key version's root with the
 * snapshot's random salt (docs/FORMAT.md, "Backup snapshots"). Each snapshot has a key of its
 * own; opening one needs that master key version, which `keys rotate --master` keeps in the
 * keyring, so a snapshot taken before a rotation restores after it.
 *
 * keyd derives the key of a new snapshot (BACKUP_KEY, salt of its choosing) for `coffer serve`;
 * the operator's commands derive it from the keyring they load.
 */
#ifndef COFFER_BACKUP_KEY_H
#define COFFER_BACKUP_KEY_H

#include <stdint.h>

#include "backup/backup.h"
#include "backup/format.h"
#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/master_key.h"

#define BACKUP_KEY_LABEL "coffer/backup-snapshot/v1"

/* The key of the snapshot with SALT under ROOT (a master key version's key). */
COFFER_MUST_CHECK enum coffer_err backup_key_from_root(const uint8_t root[MASTER_KEY_BYTES],
						       const uint8_t salt[BACKUP_SALT_BYTES],
						       uint8_t out[AEAD_KEY_BYTES]);

/* The key of the snapshot with header H, from RING: COFFER_ERR_NOT_FOUND when RING has no
 * version H->master_version. */
COFFER_MUST_CHECK enum coffer_err backup_key_for(const struct master_keyring *ring,
						 const struct backup_header *h,
						 uint8_t out[AEAD_KEY_BYTES]);

/* A new snapshot's salt (random) and key under RING's newest version, which *VERSION gets. */
COFFER_MUST_CHECK enum coffer_err backup_key_new(const struct master_keyring *ring,
						 uint32_t *version, uint8_t salt[BACKUP_SALT_BYTES],
						 uint8_t out[AEAD_KEY_BYTES]);

/* Snapshot keys from RING (borrowed: it must outlive their use), for the operator's commands. */
struct backup_keys backup_keys_from_ring(const struct master_keyring *ring);

#endif
