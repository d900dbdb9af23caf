/* org_reaper.h — `coffer serve`'s thread that finishes organisations' deletions: at start and
 * then every hour, every organisation whose week has passed (store_orgs_deletion_due), or
 * whose shredding a crash or a failure left half done, is shredded (org_shred.h). A failure is
 * logged and tried again at the next round. */
#ifndef COFFER_ORG_REAPER_H
#define COFFER_ORG_REAPER_H

#include "common/err.h"
#include "store/blobs.h"
#include "store/store.h"

/* How often the thread looks for due deletions. */
#define ORG_REAPER_INTERVAL_S 3600

struct org_reaper;

/* Starts the thread on ST, BLOBS and the server's CACHE of organisation databases. */
COFFER_MUST_CHECK enum coffer_err org_reaper_start(struct store *st, struct blob_store *blobs,
						   struct org_cache *cache,
						   struct org_reaper **out);

/* Asks the thread to stop after the organisation it is on, waits for it, and frees R. NULL is
 * allowed. */
void org_reaper_stop(struct org_reaper *r);

#endif
