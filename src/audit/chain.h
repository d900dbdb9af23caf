/* chain.h — the hash-chained audit log: the encoding and the chaining of entries, and the
 * check that a chain is intact. Storage-agnostic, so the system chain and every organisation's
 * chain (and the command `coffer audit verify`) share it unchanged.
 *
 * Each entry's hash is
 *   SHA-256("coffer/audit/v1" | str chain id | previous entry's hash (32) | ENTRY)
 *   ENTRY = u64 seq | u64 time | str actor | str action | str target | str ip | str outcome |
 *           str reason
 * where str is a u16 length then the bytes (wire encoding, so no two entries encode alike),
 * the first entry's "previous hash" is 32 zero bytes, and seq counts from 1 without gaps. The
 * chain id binds every entry to its chain: an entry copied into another organisation's chain
 * does not verify there. Changing, removing, inserting or reordering any entry breaks every
 * hash after it; truncating the end is caught by comparing the last hash with one kept
 * elsewhere (the caller's concern).
 */
#ifndef COFFER_AUDIT_CHAIN_H
#define COFFER_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define AUDIT_HASH_BYTES   32
#define AUDIT_CHAIN_ID_MAX 64
#define AUDIT_FIELD_MAX	   320 /* actor (an email), target, reason: bounded, never content */
#define AUDIT_SYSTEM_CHAIN "system"

struct audit_entry {
	uint64_t seq;
	int64_t time;			   /* seconds since the epoch */
	char actor[AUDIT_FIELD_MAX + 1];   /* user id or email, "" for nobody known */
	char action[AUDIT_FIELD_MAX + 1];  /* "login", "invite.create", "policy.update"... */
	char target[AUDIT_FIELD_MAX + 1];  /* what was acted on, "" for nothing */
	char ip[AUDIT_FIELD_MAX + 1];	   /* client address, "" for the command line */
	char outcome[AUDIT_FIELD_MAX + 1]; /* "success", "failure", "refused" */
	char reason[AUDIT_FIELD_MAX + 1];  /* a reason code, never a secret or content */
	uint8_t hash[AUDIT_HASH_BYTES];
};

/* Computes E's hash in chain CHAIN after the entry whose hash is PREV (zeros for the first).
 * COFFER_ERR_INVALID_INPUT when the chain id or a field is too long. */
COFFER_MUST_CHECK enum coffer_err audit_hash(const char *chain,
					     const uint8_t prev[AUDIT_HASH_BYTES],
					     const struct audit_entry *e,
					     uint8_t out[AUDIT_HASH_BYTES]);

/* Walks a chain entry by entry. */
struct audit_verifier {
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	uint8_t prev[AUDIT_HASH_BYTES];
	uint64_t next_seq;
};

void audit_verify_start(struct audit_verifier *v, const char *chain);
/* COFFER_OK when E is the next entry of the chain with the right hash; otherwise
 * COFFER_ERR_CRYPTO (and the verifier stops accepting: the first broken entry is the one to
 * report). */
COFFER_MUST_CHECK enum coffer_err audit_verify_next(struct audit_verifier *v,
						    const struct audit_entry *e);

#endif
