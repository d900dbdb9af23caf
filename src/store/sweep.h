/* sweep.h — the start-up sweep of the blob directories: the temporary files of uploads cut
 * short by a crash, and blobs that were made durable but whose row never committed (or whose
 * row was deleted before the blob was), are removed in the background while the server serves.
 * Only files older than the sweep's start are touched, so uploads under way are safe. */
#ifndef COFFER_SWEEP_H
#define COFFER_SWEEP_H

#include "common/err.h"
#include "store/blobs.h"
#include "store/store.h"

struct sweep;

/* Starts sweeping BLOBS of every organisation of ST, through the databases of CACHE. */
COFFER_MUST_CHECK enum coffer_err sweep_start(struct blob_store *blobs, struct store *st,
					      struct org_cache *cache, struct sweep **out);

/* Asks the sweep to stop after the organisation it is on, waits for it, and frees it. */
void sweep_stop(struct sweep *s);

#endif
