/* pg_audit.c — the system audit chain in the PostgreSQL system database (format:
 * audit/chain.h; the rows, shared with the organisations' chains: pg_audit_rows.c), as the
 * SQLite store's audit.c. */
#include "audit/chain.h"
#include "store/postgres/pg_audit_rows.h"
#include "store/postgres/pg_store_db.h"

static struct pg_chain system_chain(struct pg_store *st)
{
	return (struct pg_chain){.pool = st->pool, .db = NULL, .id = AUDIT_SYSTEM_CHAIN};
}

enum coffer_err pg_store_audit_append(struct pg_store *st, struct audit_entry *e)
{
	struct pg_chain ch = system_chain(st);
	return pg_audit_rows_commit(&ch, e, 1);
}

enum coffer_err pg_store_audit_list(struct pg_store *st, uint64_t after, struct audit_entry *out,
				    size_t max, size_t *n)
{
	struct pg_chain ch = system_chain(st);
	return pg_audit_rows_list(&ch, after, out, max, n);
}

enum coffer_err pg_store_audit_verify(struct pg_store *st, uint64_t *n, uint64_t *broken)
{
	struct pg_chain ch = system_chain(st);
	return pg_audit_rows_verify(&ch, n, broken);
}

enum coffer_err pg_store_audit_walk(struct pg_store *st, struct audit_walk *w)
{
	struct pg_chain ch = system_chain(st);
	return pg_audit_rows_walk(&ch, w);
}

enum coffer_err pg_store_audit_upgrade(struct pg_store *st, struct audit_checkpoint *cp,
				       uint64_t *legacy)
{
	struct pg_chain ch = system_chain(st);
	return pg_audit_rows_upgrade(&ch, cp, legacy);
}
