/* pg_audit_rows.h — the rows of an audit chain in a PostgreSQL database: appending, paging and
 * verifying, shared by the system chain (pg_audit.c, the system database) and every
 * organisation's chain (pg_org_audit.c, its database), as the SQLite store's audit_rows.h.
 * Both hold the chain in a table `audit` of the same shape (pg_schema_ddl.c). Nothing outside
 * src/store/postgres/ includes this. */
#ifndef COFFER_PG_AUDIT_ROWS_H
#define COFFER_PG_AUDIT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "audit/judge.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_query.h"

/* A chain: the database holding it, on a pool, and its chain id (audit/chain.h). */
struct pg_chain {
	struct pg_pool *pool;
	const char *db; /* NULL: the system database */
	const char *id;
};

/* Appends the N entries of E to chain CHAIN on C, inside the caller's transaction, which has
 * taken PG_LOCK_AUDIT_CHAIN before anything else (so the last entry read here is the last
 * committed one, and appends from every node form one chain), writing each one's seq, link and
 * key version into E, and the checkpoint after them into CP (to hand to audit_checkpoint_emit
 * once committed). COFFER_ERR_INVALID_INPUT when a field is longer than AUDIT_FIELD_MAX
 * (nothing is written then: roll back); the signer's error when it cannot link. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_append(struct pg_conn *c, const char *chain,
						       struct audit_entry *e, size_t n,
						       struct audit_checkpoint *cp);

/* The same as a transaction's first statements: takes PG_LOCK_AUDIT_CHAIN and reads the last
 * entry in one round trip, then appends. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_lock_append(struct pg_conn *c, const char *chain,
							    struct audit_entry *e, size_t n,
							    struct audit_checkpoint *cp);

/* The same in a transaction of its own (taking the chain's lock first): E's seq and hash are
 * written only once the entries are committed, and the checkpoint is emitted then. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_commit(const struct pg_chain *ch,
						       struct audit_entry *e, size_t n);

/* Up to MAX entries with seq > AFTER, oldest first; *N set. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_list(const struct pg_chain *ch, uint64_t after,
						     struct audit_entry *out, size_t max,
						     size_t *n);

/* Walks the whole chain in one snapshot (a read-only REPEATABLE READ transaction), a page of
 * rows at a time, having the signer link it again (OUT->pin_seq set by the caller; judge.h).
 * COFFER_OK when the walk was made, whatever it found. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_walk(const struct pg_chain *ch,
						     struct audit_walk *out);

/* Walks the whole chain: COFFER_OK and *N entries when intact; COFFER_ERR_CRYPTO with *BROKEN
 * the seq of the first broken entry and *N the entries before it otherwise. */
COFFER_MUST_CHECK enum coffer_err pg_audit_rows_verify(const struct pg_chain *ch, uint64_t *n,
						       uint64_t *broken);

/* Walks the chain and, when it verifies and still has plain-hash entries (*LEGACY set to how
 * many once walked), re-links it, all in one transaction under the chain's lock; seals into CP
 * the checkpoint of its head (also when there was nothing to re-link). COFFER_ERR_CRYPTO when
 * the chain does not verify: nothing is changed then. */
COFFER_MUST_CHECK enum coffer_err
pg_audit_rows_upgrade(const struct pg_chain *ch, struct audit_checkpoint *cp, uint64_t *legacy);

#endif
