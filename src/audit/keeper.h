/* keeper.h — keeps the newest checkpoint of each chain on its way to storage: appends hand
 * theirs over as they commit (audit/signer.h's sink) and one thread writes whatever has
 * gathered in one go, so a busy server stores a checkpoint per chain per write, not per entry.
 *
 * A checkpoint that has not been written yet when the process dies is lost: the chain's
 * entries after the stored checkpoint are still linked by MACs, but removing them from the end
 * would then go unseen. The thread writes as soon as something is noted, and then at most once
 * every AUDIT_KEEPER_INTERVAL_MS, so that window is at most that long plus one write.
 */
#ifndef COFFER_AUDIT_KEEPER_H
#define COFFER_AUDIT_KEEPER_H

#include <stddef.h>

#include "audit/checkpoint.h"
#include "common/err.h"

#define AUDIT_KEEPER_INTERVAL_MS 200

/* Stores N checkpoints (each the newest of its chain) durably. */
typedef enum coffer_err (*audit_keeper_store_fn)(void *ctx, const struct audit_checkpoint *cps,
						 size_t n);

struct audit_keeper;

COFFER_MUST_CHECK enum coffer_err audit_keeper_start(audit_keeper_store_fn store, void *ctx,
						     struct audit_keeper **out);
/* Notes CP (a struct audit_keeper * as VOID_KEEPER, so that it is an audit_checkpoint_sink):
 * it replaces an older one of the same chain. */
void audit_keeper_note(void *void_keeper, const struct audit_checkpoint *cp);
/* Waits until everything noted so far is stored (or storing it failed): COFFER_OK when it
 * is. */
COFFER_MUST_CHECK enum coffer_err audit_keeper_sync(struct audit_keeper *k);
/* Stores what is left, stops the thread and frees K (NULL is fine). */
void audit_keeper_stop(struct audit_keeper *k);

#endif
