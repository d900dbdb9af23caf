/* signer.h — who links this process's audit entries and seals its checkpoints: keyd for
 * `coffer serve` (keyclient), or the audit MAC keys themselves for a command run with the
 * master key. Installed once per process before anything is audited; until then every append
 * fails, so no chain ever gets an entry nobody linked.
 *
 * Checkpoints made by appends go to the installed sink once their entries are committed.
 */
#ifndef COFFER_AUDIT_SIGNER_H
#define COFFER_AUDIT_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "common/err.h"

#define AUDIT_LINK_MAX 1024 /* entries linked in one call at most */

struct audit_mac_keys;

struct audit_signer {
	/* Links N (0..AUDIT_LINK_MAX) entries of CHAIN, the first at FIRST_SEQ (≥ 1) after
	 * PREV, from their DIGESTS, into LINKS, under master key VERSION (0: the newest), and
	 * sets *USED to the version used. When CP is not NULL, also seals into it the checkpoint
	 * of the chain's head after them (seq FIRST_SEQ + N - 1; PREV when N is 0). */
	enum coffer_err (*link)(void *ctx, const char *chain, uint32_t version,
				const uint8_t prev[AUDIT_HASH_BYTES], uint64_t first_seq,
				const uint8_t (*digests)[AUDIT_HASH_BYTES], size_t n,
				uint8_t (*links)[AUDIT_HASH_BYTES], uint32_t *used,
				struct audit_checkpoint *cp);
	/* COFFER_OK when CP's MAC holds, COFFER_ERR_CRYPTO when it does not. */
	enum coffer_err (*check)(void *ctx, const struct audit_checkpoint *cp);
	void *ctx;
};

/* Where committed checkpoints go. */
typedef void (*audit_checkpoint_sink)(void *ctx, const struct audit_checkpoint *cp);

/* Installs S (copied; NULL uninstalls) and SINK (NULL: checkpoints are dropped). */
void audit_signer_install(const struct audit_signer *s, audit_checkpoint_sink sink, void *sink_ctx);
/* The installed signer, or NULL. */
const struct audit_signer *audit_signer_get(void);
/* Hands CP to the installed sink. */
void audit_checkpoint_emit(const struct audit_checkpoint *cp);

/* A signer over K (borrowed: it must outlive its use). */
struct audit_signer audit_signer_local(struct audit_mac_keys *k);

/* Links entries E[0..N) (N ≥ 1) of CHAIN after PREV with S, in calls of at most AUDIT_LINK_MAX:
 * fills each entry's digest-derived link (hash) and key_version, and when CP is not NULL seals the
 * checkpoint after the last. Entries must have their seq already. */
COFFER_MUST_CHECK enum coffer_err audit_sign_entries(const struct audit_signer *s,
						     const char *chain,
						     const uint8_t prev[AUDIT_HASH_BYTES],
						     struct audit_entry *e, size_t n,
						     struct audit_checkpoint *cp);

/* Seals into CP the checkpoint of CHAIN's head HEAD at SEQ (0 and zeros: an empty chain). */
COFFER_MUST_CHECK enum coffer_err audit_sign_head(const struct audit_signer *s, const char *chain,
						  uint64_t seq,
						  const uint8_t head[AUDIT_HASH_BYTES],
						  struct audit_checkpoint *cp);

#endif
