/* judge.c — verdicts on audit chains (judge.h). */
#include "audit/judge.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>

enum audit_verdict audit_judge(const struct audit_walk *w, const struct audit_checkpoint *cp,
			       bool cp_mac_ok)
{
	if (w->broken != 0)
		return AUDIT_BROKEN;
	if (w->legacy > 0)
		return AUDIT_NOT_UPGRADED;
	if (cp == NULL)
		return AUDIT_CHECKPOINT_MISSING;
	if (!cp_mac_ok)
		return AUDIT_CHECKPOINT_FORGED;
	if (w->n < cp->seq)
		return w->n == 0 ? AUDIT_EMPTIED : AUDIT_SHORTENED;
	if (!w->pinned || sodium_memcmp(w->pin_link, cp->head, AUDIT_HASH_BYTES) != 0)
		return AUDIT_DIVERGED;
	return AUDIT_INTACT;
}

void audit_verdict_explain(enum audit_verdict v, const struct audit_walk *w,
			   const struct audit_checkpoint *cp, char *out, size_t outlen)
{
	uint64_t cp_seq = cp ? cp->seq : 0;
	switch (v) {
	case AUDIT_INTACT: snprintf(out, outlen, "intact: %" PRIu64 " entries", w->n); break;
	case AUDIT_BROKEN:
		if (w->why == AUDIT_BREAK_GAP)
			snprintf(out, outlen,
				 "entry %" PRIu64 " was removed (the entries jump past it)",
				 w->broken);
		else if (w->why == AUDIT_BREAK_VERSION)
			snprintf(out, outlen,
				 "entry %" PRIu64 " names a master key version that does not exist",
				 w->broken);
		else
			snprintf(out, outlen,
				 "entry %" PRIu64 " does not verify: it was changed, inserted, or "
				 "re-linked after an entry before it was changed or removed",
				 w->broken);
		break;
	case AUDIT_SHORTENED:
		snprintf(out, outlen,
			 "entries %" PRIu64 " to %" PRIu64 " were removed from the end "
			 "(checkpoint at %" PRIu64 ")",
			 w->n + 1, cp_seq, cp_seq);
		break;
	case AUDIT_EMPTIED:
		snprintf(out, outlen,
			 "the chain was emptied: all %" PRIu64 " entries are gone (checkpoint at "
			 "%" PRIu64 ")",
			 cp_seq, cp_seq);
		break;
	case AUDIT_DIVERGED:
		snprintf(out, outlen,
			 "entry %" PRIu64 " is not the one checkpointed: the chain was rewritten",
			 cp_seq);
		break;
	case AUDIT_CHECKPOINT_FORGED:
		snprintf(out, outlen, "its checkpoint does not verify: it was altered or forged");
		break;
	case AUDIT_CHECKPOINT_MISSING:
		snprintf(out, outlen, "its checkpoint is missing (%" PRIu64 " entries)", w->n);
		break;
	case AUDIT_NOT_UPGRADED:
		snprintf(out, outlen,
			 "%" PRIu64 " entries are still linked by plain hashes: start coffer "
			 "serve once to re-link them",
			 w->legacy);
		break;
	}
}

const char *audit_verdict_name(enum audit_verdict v)
{
	static const char *const names[] = {
	    [AUDIT_INTACT] = "intact",
	    [AUDIT_BROKEN] = "broken",
	    [AUDIT_SHORTENED] = "shortened",
	    [AUDIT_EMPTIED] = "emptied",
	    [AUDIT_DIVERGED] = "diverged",
	    [AUDIT_CHECKPOINT_FORGED] = "checkpoint_forged",
	    [AUDIT_CHECKPOINT_MISSING] = "checkpoint_missing",
	    [AUDIT_NOT_UPGRADED] = "not_upgraded",
	};
	return (unsigned int)v < sizeof names / sizeof names[0] ? names[v] : "unknown";
}
