/* chain.h — the audit log's chains: how an entry is encoded and bound to the one before it.
 * Storage-agnostic, so the system chain, every organisation's chain and `coffer audit verify`
 * share it unchanged.
 *
 * An entry's link (stored as its `hash`) is a MAC that only the holder of the audit keys can
 * compute (keyd in `coffer serve`; the command line with the master key):
 *   digest = SHA-256("coffer/audit-entry/v2" | str chain id | ENTRY)
 *   link   = HMAC-SHA256(link key of master key version V, "coffer/audit-link/v2" |
 *            str chain id | u32 V | previous entry's link (32) | u64 seq | digest)
 *   ENTRY  = u64 seq | u64 time | str actor | str action | str target | str ip | str outcome |
 *            str reason
 * where str is a u16 length then the bytes (wire encoding, so no two entries encode alike), the
 * first entry's "previous link" is 32 zero bytes, and seq counts from 1 without gaps. The web
 * process computes the digest and keyd the link (audit/mac_keys.h), so keyd sees no entry's
 * text. Changing, removing, inserting or reordering an entry breaks its link, and nobody
 * without the key can compute the links again; the end of a chain is pinned by a checkpoint
 * (audit/checkpoint.h) kept apart from it.
 *
 * Entries written before links were MACs (key version 0) were linked by a plain hash:
 *   hash = SHA-256("coffer/audit/v1" | str chain id | previous hash (32) | ENTRY)
 * `coffer serve` verifies such a chain and then re-links it with MACs (audit/upgrade.h).
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
	uint32_t key_version;		   /* the master key version of its link; 0: legacy */
	uint8_t hash[AUDIT_HASH_BYTES];	   /* its link */
};

/* True when every field of E fits AUDIT_FIELD_MAX: what audit_digest also checks, without the
 * hashing. */
bool audit_entry_fits(const struct audit_entry *e);

/* E's digest in chain CHAIN (what keyd links). COFFER_ERR_INVALID_INPUT when the chain id or a
 * field is too long. */
COFFER_MUST_CHECK enum coffer_err audit_digest(const char *chain, const struct audit_entry *e,
					       uint8_t out[AUDIT_HASH_BYTES]);

/* The legacy (key version 0) hash of E in chain CHAIN after the entry whose hash is PREV
 * (zeros for the first). COFFER_ERR_INVALID_INPUT when the chain id or a field is too long. */
COFFER_MUST_CHECK enum coffer_err audit_legacy_hash(const char *chain,
						    const uint8_t prev[AUDIT_HASH_BYTES],
						    const struct audit_entry *e,
						    uint8_t out[AUDIT_HASH_BYTES]);

/* Walks a legacy chain entry by entry. */
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
