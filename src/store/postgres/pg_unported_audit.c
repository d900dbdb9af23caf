/* pg_unported_audit.c — calls of store.h the PostgreSQL store does not answer yet (audit): each is
 * refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file goes once they are
 * ported; `coffer serve` refuses database = postgresql while any such file exists. */
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_org_audit_verify(struct pg_org_db *odb, const char *org_id, uint64_t *n,
					  uint64_t *broken)
{
	(void)odb;
	(void)org_id;
	(void)n;
	(void)broken;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_walk(struct pg_org_db *odb, const char *org_id,
					struct audit_walk *w)
{
	(void)odb;
	(void)org_id;
	(void)w;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_upgrade(struct pg_org_db *odb, const char *org_id,
					   struct audit_checkpoint *cp, uint64_t *legacy)
{
	(void)odb;
	(void)org_id;
	(void)cp;
	(void)legacy;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_append(struct pg_store *st, struct audit_entry *e)
{
	(void)st;
	(void)e;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_list(struct pg_store *st, uint64_t after, struct audit_entry *out,
				    size_t max, size_t *n)
{
	(void)st;
	(void)after;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_verify(struct pg_store *st, uint64_t *n, uint64_t *broken)
{
	(void)st;
	(void)n;
	(void)broken;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_walk(struct pg_store *st, struct audit_walk *w)
{
	(void)st;
	(void)w;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_upgrade(struct pg_store *st, struct audit_checkpoint *cp,
				       uint64_t *legacy)
{
	(void)st;
	(void)cp;
	(void)legacy;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_checkpoints_put(struct pg_store *st,
					       const struct audit_checkpoint *cps, size_t n)
{
	(void)st;
	(void)cps;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_checkpoint_get(struct pg_store *st, const char *chain,
					      struct audit_checkpoint *out)
{
	(void)st;
	(void)chain;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_links_upgraded(struct pg_store *st, bool *done)
{
	(void)st;
	(void)done;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_links_mark_upgraded(struct pg_store *st)
{
	(void)st;
	return COFFER_ERR_UNAVAILABLE;
}
