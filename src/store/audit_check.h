/* audit_check.h — every audit chain of a deployment judged against its checkpoint, and the
 * one-time re-linking of chains written before links were MACs. Used by `coffer audit verify`
 * and by `coffer serve` (at start and daily); both need the process's audit signer installed
 * (audit/signer.h).
 */
#ifndef COFFER_STORE_AUDIT_CHECK_H
#define COFFER_STORE_AUDIT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/judge.h"
#include "common/err.h"
#include "store/store.h"

/* One chain's verdict. */
struct audit_chain_report {
	const char *chain;    /* "system" or an organisation's id */
	const char *org_name; /* NULL for the system chain */
	enum audit_verdict verdict;
	const struct audit_walk *walk;
	const struct audit_checkpoint *checkpoint; /* NULL when it has none */
};

typedef void (*audit_report_fn)(void *ctx, const struct audit_chain_report *r);

/* Judges the system chain and every organisation's (or only ONLY_ORG's, when not NULL),
 * calling REPORT for each; *ENTRIES is the sum of their entries and *BAD the number not
 * intact. COFFER_ERR_NOT_FOUND for an ONLY_ORG that does not exist; another error when a
 * chain cannot be read at all. */
COFFER_MUST_CHECK enum coffer_err audit_check_chains(struct store *st, const char *only_org,
						     audit_report_fn report, void *ctx,
						     uint64_t *entries, size_t *bad);

/* Re-links, once per deployment, every chain that verifies, and stores a checkpoint of each
 * (an organisation without a database gets that of an empty chain); a chain that does not
 * verify is left as it is and logged. Does nothing when it was done already. *CHAINS counts
 * the chains checkpointed. Refuses (COFFER_ERR_EXISTS) when the system chain already has a
 * checkpoint file: a deployment that had MAC links is never taken back to plain hashes. */
COFFER_MUST_CHECK enum coffer_err audit_upgrade_chains(struct store *st, size_t *chains);

#endif
