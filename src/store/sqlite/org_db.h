/* org_db.h — the embedded organisation store's insides, shared by the files that query an
 * organisation's database (org_db.c: schema and data keys; records.c; files.c; org_audit.c;
 * org_cache.c). Nothing outside src/store/sqlite/ includes this. */
#ifndef COFFER_SQLITE_ORG_DB_H
#define COFFER_SQLITE_ORG_DB_H

#include <stddef.h>

#include "audit/chain.h"
#include "store/handle.h"
#include "store/sqlite/db.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

struct org_cache_entry;
struct org_write_op;

struct sqlite_org_db {
	struct org_db pub; /* the caller's handle (handle.h) */
	struct db_pool pool;
	/* The organisation whose database this is: the writes that take an org id (the id of its
	 * audit chain) refuse another, so an entry can never be chained under the wrong id. */
	char org_id[STORE_ID_MAX + 1];
	/* The cache entry holding this database (org_cache.c), NULL when opened directly. */
	struct org_cache_entry *cache_entry;
	/* Group commit (org_write): writers queue here; one of them at a time (the leader)
	 * takes every queued write into one transaction and one fsync, and wakes the others.
	 * The leader writes holding the pool's write lock (db_pool_get_writer). */
	pthread_mutex_t queue_mu;
	struct org_write_op *queue;
	bool leading;
};

/* Whether ORG_ID names ODB's organisation. */
bool org_db_is(const struct sqlite_org_db *odb, const char *org_id);

/* Inserts K (checked) on DB, inside the caller's transaction. */
COFFER_MUST_CHECK enum coffer_err org_data_key_insert(sqlite3 *db, const struct data_key_record *k);

/* Reads a data key from the six columns of S starting at FIRST (kind, object_id,
 * object_version, level, org_key_version, wrapped); COFFER_ERR_STORAGE when the wrapped key is
 * missing or of the wrong length (a row that should have a key has none). */
COFFER_MUST_CHECK enum coffer_err org_data_key_read(sqlite3_stmt *s, int first,
						    struct data_key_record *out);

/* Reads a record version's sealed parts from S, starting at column FIRST: its data key (the six
 * columns of org_data_key_read), its title (FIRST + 6) and, when WITH_BODY, its body (FIRST +
 * 7, malloc'd into OUT->body; NULL otherwise). A live version without its key or content is
 * damage: COFFER_ERR_STORAGE. */
struct record_row;
COFFER_MUST_CHECK enum coffer_err record_sealed_read(sqlite3_stmt *s, int first, bool with_body,
						     struct record_row *out);

/* The one way an organisation's data changes: runs WRITE(DB, CTX) and appends AUDIT to ODB's
 * chain (ORG_ID, which must be ODB's) in one write transaction (db_begin) on a connection of
 * ODB, so the change and its entry are durable together or not at all, and returns once they
 * are. AUDIT's seq and hash are written back only when the transaction commits. Writes that
 * arrive together share a transaction and its fsync (group commit), each in a savepoint of its
 * own, so a write that fails undoes only itself; WRITE must therefore touch nothing but DB. */
COFFER_MUST_CHECK enum coffer_err org_write(struct sqlite_org_db *odb, const char *org_id,
					    enum coffer_err (*write)(sqlite3 *db, const void *ctx),
					    const void *ctx, struct audit_entry *audit);

/* Listing pages (records and files): newest first by creation sequence, after a cursor. */
/* A page query: its cursor look-up, its page, and how a row becomes an item. */
struct org_list_query {
	/* "SELECT seq FROM <table> WHERE id = ?1 AND level <= ?2": the cursor's sequence. */
	const char *cursor_sql;
	/* The page, with ?1 the reader's level, ?2 the cursor's sequence and ?3 the row limit,
	 * newest first. */
	const char *page_sql;
	size_t max;	  /* LIMIT at most */
	size_t item_size; /* bytes of one item of OUT */
	enum coffer_err (*read)(sqlite3_stmt *s, void *item);
};

/* Reads up to LIMIT (1..Q->max) rows at or below MAX_LEVEL after the row AFTER ("" for the
 * first page) into OUT, in one read snapshot; *N and *MORE set. COFFER_ERR_NOT_FOUND when
 * AFTER names no row at or below MAX_LEVEL (or is not an id at all: a hostile cursor names
 * nothing), COFFER_ERR_INVALID_INPUT for a LIMIT or level out of range. */
COFFER_MUST_CHECK enum coffer_err org_list_page(struct sqlite_org_db *odb,
						const struct org_list_query *q,
						enum level max_level, const char *after,
						size_t limit, void *out, size_t *n, bool *more);

#endif
