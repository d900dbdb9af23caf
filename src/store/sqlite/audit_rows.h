/* audit_rows.h — the rows of an audit chain in an SQLite database: appending, paging and
 * verifying, shared by the system chain (audit.c, system.db) and every organisation's chain
 * (org_audit.c, org.db). Both databases hold the chain in a table `audit` of the same shape
 * (seq, time, actor, action, target, ip, outcome, reason, hash). Nothing outside
 * src/store/sqlite/ includes this. */
#ifndef COFFER_SQLITE_AUDIT_ROWS_H
#define COFFER_SQLITE_AUDIT_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "audit/judge.h"
#include "store/sqlite/db.h"

/* The chain's table, created by a schema step of each database with this text. The rows are
 * written and read by the functions below only. */
#define AUDIT_ROWS_TABLE_SQL                                                                       \
	"CREATE TABLE audit ("                                                                     \
	" seq INTEGER PRIMARY KEY CHECK (seq >= 1),"                                               \
	" time INTEGER NOT NULL,"                                                                  \
	" actor TEXT NOT NULL,"                                                                    \
	" action TEXT NOT NULL,"                                                                   \
	" target TEXT NOT NULL,"                                                                   \
	" ip TEXT NOT NULL,"                                                                       \
	" outcome TEXT NOT NULL,"                                                                  \
	" reason TEXT NOT NULL,"                                                                   \
	" hash BLOB NOT NULL CHECK (length(hash) = 32)"                                            \
	") STRICT;"

/* Appends the N entries of E to chain CHAIN on DB, inside the caller's write transaction
 * (db_begin: the last entry is read under the write lock, so appends from many threads or
 * processes form one chain), writing each one's seq, link and key version into E, and the
 * checkpoint after them into CP (to hand to audit_checkpoint_emit once committed).
 * COFFER_ERR_INVALID_INPUT when a field is longer than AUDIT_FIELD_MAX (nothing is written
 * then: roll back); the signer's error when it cannot link. */
COFFER_MUST_CHECK enum coffer_err audit_rows_append(sqlite3 *db, const char *chain,
						    struct audit_entry *e, size_t n,
						    struct audit_checkpoint *cp);

/* The same in a write transaction of its own on a connection of POOL: E's seq and hash are
 * written only once the entries are committed. */
COFFER_MUST_CHECK enum coffer_err audit_rows_commit(struct db_pool *pool, const char *chain,
						    struct audit_entry *e, size_t n);

/* Up to MAX entries with seq > AFTER, oldest first; *N set. */
COFFER_MUST_CHECK enum coffer_err audit_rows_list(struct db_pool *pool, uint64_t after,
						  struct audit_entry *out, size_t max, size_t *n);

/* Walks the whole chain CHAIN in one read, having the signer link it again (OUT->pin_seq set
 * by the caller; judge.h). COFFER_OK when the walk was made, whatever it found. */
COFFER_MUST_CHECK enum coffer_err audit_rows_walk(struct db_pool *pool, const char *chain,
						  struct audit_walk *out);

/* Re-links, in one write transaction, a chain that verifies and still has plain-hash entries
 * (setting *LEGACY to how many), and seals into CP the checkpoint of its head (also when there
 * was nothing to re-link). COFFER_ERR_CRYPTO when the chain does not verify: nothing is
 * changed then. */
COFFER_MUST_CHECK enum coffer_err audit_rows_upgrade(struct db_pool *pool, const char *chain,
						     struct audit_checkpoint *cp, uint64_t *legacy);

/* Walks the whole chain CHAIN in one read: COFFER_OK and *N entries when intact;
 * COFFER_ERR_CRYPTO with *BROKEN the seq (position) of the first broken entry and *N the
 * entries before it otherwise. */
COFFER_MUST_CHECK enum coffer_err audit_rows_verify(struct db_pool *pool, const char *chain,
						    uint64_t *n, uint64_t *broken);

#endif
