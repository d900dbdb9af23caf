/* key.h — snapshot keys in the operator's commands, from the keyring they load (the derivation
 * is crypto/snapshot_key.h; inside `coffer serve` keyd makes them, backup/keyd_keys.h). */
#ifndef COFFER_BACKUP_KEY_H
#define COFFER_BACKUP_KEY_H

#include <stdint.h>

#include "backup/backup.h"
#include "backup/format.h"
#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/master_key.h"

/* The key of the snapshot with header H, from RING: COFFER_ERR_NOT_FOUND when RING has no
 * version H->master_version. */
COFFER_MUST_CHECK enum coffer_err backup_key_for(const struct master_keyring *ring,
						 const struct backup_header *h,
						 uint8_t out[AEAD_KEY_BYTES]);

/* Snapshot keys from RING (borrowed: it must outlive their use), for the operator's commands. */
struct backup_keys backup_keys_from_ring(const struct master_keyring *ring);

#endif
