/* batch.h — group commit for audit entries: many requests' entries, one transaction (and one
 * fsync) per chain per round.
 *
 * Reading confidential content is audited, and the content must not leave before its entry is
 * durable: otherwise a crash could forget a read that happened. Writing one entry per read, each
 * with its own fsync, would make the audit trail the ceiling of every read. So entries queue
 * here; one thread takes everything queued, commits each chain's share in one transaction,
 * and reports back to every submitter, whose reply then goes out. While it commits, the next
 * round queues: the busier the server, the larger the batches.
 */
#ifndef COFFER_AUDIT_BATCH_H
#define COFFER_AUDIT_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/chain.h"
#include "common/err.h"

#define AUDIT_BATCH_QUEUE_MAX  8192 /* entries waiting; beyond, submissions are refused */
#define AUDIT_BATCH_ROUND_MAX  1024 /* entries committed in one round at most */
#define AUDIT_BATCH_GATHER_MIN 32   /* under steady load, a smaller round waits for more */
#define AUDIT_BATCH_GATHER_US  500  /* for this long (batch.c: gather) */

/* Appends N entries to CHAIN durably, in one transaction (seq and hash filled in). */
typedef enum coffer_err (*audit_commit_fn)(void *ctx, const char *chain, struct audit_entry *e,
					   size_t n);
/* Told whether the entry is durable (COFFER_OK) or not; runs on the batch thread. */
typedef void (*audit_done_fn)(void *ctx, enum coffer_err err);

struct audit_batch;

COFFER_MUST_CHECK enum coffer_err audit_batch_start(audit_commit_fn commit, void *commit_ctx,
						    struct audit_batch **out);

/* Queues a copy of E for CHAIN (at most AUDIT_CHAIN_ID_MAX bytes). DONE(CTX, err) is called
 * once it is committed or has failed; DONE may be NULL. False (and no call of DONE) when the
 * queue is full or the batch is stopping. */
bool audit_batch_submit(struct audit_batch *b, const char *chain, const struct audit_entry *e,
			audit_done_fn done, void *ctx);

/* For the tests: FN(CTX) instead of the wait of AUDIT_BATCH_GATHER_US, so that they can say
 * what arrives meanwhile. */
void audit_batch_set_gather(struct audit_batch *b, void (*fn)(void *ctx), void *ctx);

/* Commits everything queued, then stops the thread and frees B. NULL is allowed. */
void audit_batch_stop(struct audit_batch *b);

#endif
