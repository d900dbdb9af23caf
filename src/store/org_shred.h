/* org_shred.h — the end of an organisation: its keys destroyed (crypto-shredding), then its
 * content and its rows removed, in an order that a crash can interrupt anywhere and a new run
 * finishes (docs/OPERATIONS.md, "Deleting an organisation"):
 *   1. the deletion is marked under way (store_org_shred_begin): from here it only goes on,
 *      nobody can cancel it, and every request to the organisation is refused;
 *   2. every version of its key is destroyed, in the system database and its write-ahead log
 *      (store_org_keys_destroy). This step alone makes every copy of its content anywhere —
 *      backups, copied blobs — unreadable with the deployment's keys;
 *   3. its blobs are removed (blob_remove_org), then its own database (store_org_db_drop);
 *   4. the system chain records it (org.delete), then its last rows go in one transaction
 *      (store_org_remove: memberships, invitations, notices, policies, the organisation).
 * A run that finds the organisation already gone has nothing left to do.
 */
#ifndef COFFER_ORG_SHRED_H
#define COFFER_ORG_SHRED_H

#include "common/err.h"
#include "store/blobs.h"
#include "store/store.h"

/* Deletes ORG_ID now, whatever its state (asked for or not, due or not, half done): ACTOR is
 * who the system chain names ("cli", or "scheduler"). CACHE (NULL for none) is the server's
 * cache of organisation databases, closed before the database goes. COFFER_ERR_NOT_FOUND when
 * there is no such organisation (deleted already). */
COFFER_MUST_CHECK enum coffer_err org_shred(struct store *st, struct blob_store *blobs,
					    struct org_cache *cache, const char *org_id,
					    const char *actor);

#endif
