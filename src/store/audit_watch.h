/* audit_watch.h — what `coffer serve` does for its audit chains besides appending to them:
 * installs its signer and the keeper of checkpoints, re-links chains from before MAC links
 * once, and verifies every chain against its checkpoint at start and then daily, logging any
 * chain that is not intact at error level.
 */
#ifndef COFFER_STORE_AUDIT_WATCH_H
#define COFFER_STORE_AUDIT_WATCH_H

#include "audit/signer.h"
#include "common/err.h"
#include "store/store.h"

#define AUDIT_WATCH_PERIOD_S (24 * 3600)

struct audit_watch;

/* Told of each chain a verification finds not intact: CHAIN ("system" or an organisation's
 * id) and why, in words. */
typedef void (*audit_broken_fn)(const char *chain, const char *why);

/* Installs SIGNER (copied) with a checkpoint keeper writing into ST, runs the one-time
 * re-linking, and starts the verifying thread; each verification also reports to BROKEN (NULL:
 * only the log). ST must outlive the watch. */
COFFER_MUST_CHECK enum coffer_err audit_watch_start(struct store *st,
						    const struct audit_signer *signer,
						    audit_broken_fn broken,
						    struct audit_watch **out);

/* Stops verifying, stores the checkpoints still waiting and uninstalls the signer: call it
 * once nothing appends any more. NULL is fine. */
void audit_watch_stop(struct audit_watch *w);

#endif
