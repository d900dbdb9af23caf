/* checkpoint.h — a chain's checkpoint: keyd's MAC over where the chain ended (its last seq and
 * link) at a moment, kept apart from the chain so that removing entries from its end, or
 * emptying it, is seen.
 *
 *   mac = HMAC-SHA256(checkpoint key of master key version V, "coffer/audit-checkpoint/v1" |
 *         str chain id | u32 V | u64 seq | head (32) | i64 time)
 *
 * seq 0 with a head of zeros is the checkpoint of an empty chain (an organisation that has
 * written nothing yet). Organisations' checkpoints live in the system database; the system
 * chain's in DATA/audit.checkpoint, one line of text (audit_checkpoint_format).
 */
#ifndef COFFER_AUDIT_CHECKPOINT_H
#define COFFER_AUDIT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/chain.h"
#include "common/err.h"

#define AUDIT_CHECKPOINT_FILE	  "audit.checkpoint"
#define AUDIT_CHECKPOINT_LINE_MAX 256

struct audit_checkpoint {
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	uint64_t seq;
	uint8_t head[AUDIT_HASH_BYTES]; /* the link of entry SEQ; zeros for seq 0 */
	int64_t time;			/* when keyd made it, seconds since the epoch */
	uint32_t key_version;
	uint8_t mac[AUDIT_HASH_BYTES];
};

/* The bytes the MAC covers, into OUT (AUDIT_CHECKPOINT_LINE_MAX): their length, or 0 when the
 * chain id is empty or too long. */
size_t audit_checkpoint_encode(const struct audit_checkpoint *cp,
			       uint8_t out[AUDIT_CHECKPOINT_LINE_MAX]);

/* CP as one line of text, newline included, into OUT: its length, or 0 when it does not fit
 * or the chain id is not a plain id. */
size_t audit_checkpoint_format(const struct audit_checkpoint *cp, char *out, size_t outlen);

/* Reads one line made by audit_checkpoint_format (LEN bytes, a final newline allowed). False
 * for anything else. */
COFFER_MUST_CHECK bool audit_checkpoint_parse(const char *line, size_t len,
					      struct audit_checkpoint *out);

/* True when CHAIN is an id a chain may have: 1..AUDIT_CHAIN_ID_MAX of [a-z0-9-]. */
bool audit_chain_id_ok(const char *chain);

#endif
