/* rewrap.h — key rotation and re-wrapping, as `coffer keys rotate` does it.
 *
 * Rotation adds a key version; re-wrapping moves every key wrapped by an older version under the
 * newest without touching the content they protect. Both are transactional and resumable:
 * each batch of re-wrapped keys commits on its own, every row is updated only if it is still as
 * it was read (compare and set), and a run that is stopped half-way is finished by running it
 * again. Old versions are kept, so everything stays readable throughout.
 *
 * These run in the operator's `coffer keys rotate` process, which reads the master keyring
 * itself; the web process is never involved.
 */
#ifndef COFFER_REWRAP_H
#define COFFER_REWRAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/master_key.h"
#include "store/store.h"

#define REWRAP_BATCH 256

/* Adds a version of ORG_ID's key, one above the newest, wrapped by the newest master key. */
COFFER_MUST_CHECK enum coffer_err rotate_org_key(struct store *st,
						 const struct master_keyring *ring,
						 const char *org_id, int64_t now,
						 uint32_t *new_version);

/* Re-wraps every organisation key version wrapped by an older master key under the newest. */
COFFER_MUST_CHECK enum coffer_err rewrap_org_keys(struct store *st,
						  const struct master_keyring *ring, size_t *done);

/* Re-wraps every data key of ORG_ID (in ODB) under the newest version of the organisation's
 * key. On COFFER_ERR_CRYPTO (a wrapped key that does not open in its context: damage),
 * FAILED_OBJECT names the object and nothing after it is touched. */
COFFER_MUST_CHECK enum coffer_err rewrap_data_keys(struct store *st, struct org_db *odb,
						   const struct master_keyring *ring,
						   const char *org_id, size_t *done,
						   char failed_object[STORE_ID_MAX + 1]);

#endif
