/* audit.c — the system audit chain in the embedded system database (format: audit/chain.h;
 * the rows, shared with the organisations' chains: audit_rows.c). */
#include "audit/chain.h"
#include "store/sqlite/audit_rows.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

enum coffer_err sqlite_store_audit_append(struct sqlite_store *st, struct audit_entry *e)
{
	return audit_rows_commit(&st->pool, AUDIT_SYSTEM_CHAIN, e, 1);
}

enum coffer_err sqlite_store_audit_list(struct sqlite_store *st, uint64_t after,
					struct audit_entry *out, size_t max, size_t *n)
{
	return audit_rows_list(&st->pool, after, out, max, n);
}

enum coffer_err sqlite_store_audit_verify(struct sqlite_store *st, uint64_t *n, uint64_t *broken)
{
	return audit_rows_verify(&st->pool, AUDIT_SYSTEM_CHAIN, n, broken);
}

enum coffer_err sqlite_store_audit_walk(struct sqlite_store *st, struct audit_walk *w)
{
	return audit_rows_walk(&st->pool, AUDIT_SYSTEM_CHAIN, w);
}

enum coffer_err sqlite_store_audit_upgrade(struct sqlite_store *st, struct audit_checkpoint *cp,
					   uint64_t *legacy)
{
	return audit_rows_upgrade(&st->pool, AUDIT_SYSTEM_CHAIN, cp, legacy);
}
