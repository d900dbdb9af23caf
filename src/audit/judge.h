/* judge.h — what a walk over a chain found, and the verdict on it against the chain's
 * checkpoint: intact, or which kind of tampering it shows. Shared by `coffer audit verify` and
 * the checks `coffer serve` runs, so both name a break alike.
 */
#ifndef COFFER_AUDIT_JUDGE_H
#define COFFER_AUDIT_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"

/* Why a walk stopped before the end. */
enum audit_break {
	AUDIT_BREAK_NONE = 0,
	AUDIT_BREAK_GAP,     /* seq BROKEN is missing: the entry after it has a later seq */
	AUDIT_BREAK_LINK,    /* entry BROKEN's link does not verify */
	AUDIT_BREAK_LEGACY,  /* entry BROKEN's legacy hash does not verify */
	AUDIT_BREAK_VERSION, /* entry BROKEN names a master key version that does not exist */
};

/* A walk over a chain from seq 1. PIN_SEQ is set by the caller (the checkpoint's seq, 0 for
 * none); the walk fills the rest. */
struct audit_walk {
	uint64_t pin_seq;
	uint64_t n;			    /* entries that verified, from seq 1 on */
	uint8_t head[AUDIT_HASH_BYTES];	    /* the link of entry N (zeros when N is 0) */
	uint64_t broken;		    /* the seq of the first entry that did not; 0 none */
	enum audit_break why;		    /* and why */
	uint64_t legacy;		    /* entries among the N with a plain-hash link */
	bool pinned;			    /* entry PIN_SEQ was reached (always for seq 0) */
	uint8_t pin_link[AUDIT_HASH_BYTES]; /* and its link (zeros for seq 0) */
};

enum audit_verdict {
	AUDIT_INTACT = 0,
	AUDIT_BROKEN,		  /* an entry was changed, inserted, removed or re-linked */
	AUDIT_SHORTENED,	  /* entries are missing from the end */
	AUDIT_EMPTIED,		  /* every entry is gone */
	AUDIT_DIVERGED,		  /* the entry at the checkpoint is not the one checkpointed */
	AUDIT_CHECKPOINT_FORGED,  /* the checkpoint's MAC does not hold */
	AUDIT_CHECKPOINT_MISSING, /* the chain has no checkpoint */
	AUDIT_NOT_UPGRADED,	  /* entries still linked by plain hashes */
};

/* The verdict on walk W given the chain's checkpoint CP (NULL when it has none) whose MAC
 * held when CP_MAC_OK. A broken entry is reported before anything about the checkpoint. */
enum audit_verdict audit_judge(const struct audit_walk *w, const struct audit_checkpoint *cp,
			       bool cp_mac_ok);

/* The verdict V on a chain (walk W, checkpoint CP or NULL) in one line, without the chain's
 * name, into OUT: e.g. "entries 8 to 12 are missing from the end (checkpoint at 12)". */
void audit_verdict_explain(enum audit_verdict v, const struct audit_walk *w,
			   const struct audit_checkpoint *cp, char *out, size_t outlen);

/* The verdict's name in logs and JSON: "intact", "broken", "shortened"... */
const char *audit_verdict_name(enum audit_verdict v);

#endif
