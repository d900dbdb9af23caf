/* audit.c — the system audit chain in the embedded system database (format: audit/chain.h;
 * the rows, shared with the organisations' chains: audit_rows.c). */
#include <string.h>

#include "audit/chain.h"
#include "store/sqlite/audit_rows.h"
#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

enum coffer_err store_audit_append(struct store *st, struct audit_entry *e)
{
	/* A copy: E's seq and hash change only once the entry is committed. */
	struct audit_entry next = *e;
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = audit_rows_append(db, AUDIT_SYSTEM_CHAIN, &next, 1);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	if (err == COFFER_OK) {
		e->seq = next.seq;
		memcpy(e->hash, next.hash, AUDIT_HASH_BYTES);
	}
	return err;
}

enum coffer_err store_audit_list(struct store *st, uint64_t after, struct audit_entry *out,
				 size_t max, size_t *n)
{
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = audit_rows_list(db, after, out, max, n);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_audit_verify(struct store *st, uint64_t *n, uint64_t *broken)
{
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = audit_rows_verify(db, AUDIT_SYSTEM_CHAIN, n, broken);
	db_pool_put(&st->pool, db);
	return err;
}
