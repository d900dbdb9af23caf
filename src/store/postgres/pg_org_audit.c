/* pg_org_audit.c — an organisation's audit chain in its own PostgreSQL database (format:
 * audit/chain.h; the rows: pg_audit_rows.c), as the SQLite store's org_audit.c. Its chain id is
 * the organisation's id. Records and files change through pg_org_write, which appends their
 * entry inside the transaction of the change it records.
 *
 * No group commit here (SQLite's org_write batches writers behind one fsync): each write is
 * its own transaction, and the chain's advisory lock, taken first, orders them across nodes. */
#include <string.h>

#include "audit/signer.h"
#include "store/postgres/pg_audit_rows.h"
#include "store/postgres/pg_people.h"
#include "store/postgres/pg_store_db.h"

static struct pg_chain chain_of(struct pg_org_db *odb)
{
	return (struct pg_chain){.pool = odb->st->pool, .db = odb->db, .id = odb->org_id};
}

/* One write and its audit entry. */
struct org_write {
	const char *chain;
	pg_tx_fn write;
	void *ctx;
	struct audit_entry entry; /* a copy: the caller's changes only once committed */
	struct audit_checkpoint cp;
};

static enum coffer_err org_write_tx(struct pg_conn *c, void *ctx)
{
	struct org_write *w = ctx;
	/* First: the lock orders the whole write, not only its entry (pg_store_db.h). */
	enum coffer_err err = pg_lock(c, PG_LOCK_AUDIT_CHAIN);
	if (err == COFFER_OK)
		err = w->write(c, w->ctx);
	if (err == COFFER_OK)
		err = pg_audit_rows_append(c, w->chain, &w->entry, 1, &w->cp);
	return err;
}

enum coffer_err pg_org_write(struct pg_org_db *odb, const char *org_id, pg_tx_fn write, void *ctx,
			     struct audit_entry *audit)
{
	if (audit == NULL || write == NULL || !pg_org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	/* An entry that cannot be encoded fails its write before anything runs. */
	if (!audit_entry_fits(audit))
		return COFFER_ERR_INVALID_INPUT;
	struct org_write w = {.chain = odb->org_id, .write = write, .ctx = ctx, .entry = *audit};
	enum coffer_err err = pg_org_tx(odb, org_write_tx, &w);
	if (err != COFFER_OK)
		return err;
	audit_checkpoint_emit(&w.cp);
	audit->seq = w.entry.seq;
	audit->key_version = w.entry.key_version;
	memcpy(audit->hash, w.entry.hash, AUDIT_HASH_BYTES);
	return COFFER_OK;
}

enum coffer_err pg_store_org_audit_append(struct pg_org_db *odb, const char *org_id,
					  struct audit_entry *e, size_t n)
{
	if (!pg_org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct pg_chain ch = chain_of(odb);
	return pg_audit_rows_commit(&ch, e, n);
}

enum coffer_err pg_store_org_reads_busiest_hour(struct pg_org_db *odb, const char *actor,
						int64_t since, int64_t until, int64_t *out)
{
	return pg_org_row(odb,
			  "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM audit "
			  "WHERE actor = $1 AND time >= $2 AND time < $3 AND outcome = 'success' "
			  "AND action IN ('record.read', 'record.list', 'file.download', "
			  "'file.list') GROUP BY time / 3600) h",
			  PG_ARGS(pg_text(actor), pg_int(since), pg_int(until)), people_read_int,
			  out);
}

enum coffer_err pg_store_org_audit_list(struct pg_org_db *odb, uint64_t after,
					struct audit_entry *out, size_t max, size_t *n)
{
	struct pg_chain ch = chain_of(odb);
	return pg_audit_rows_list(&ch, after, out, max, n);
}

enum coffer_err pg_store_org_audit_verify(struct pg_org_db *odb, const char *org_id, uint64_t *n,
					  uint64_t *broken)
{
	if (!pg_org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct pg_chain ch = chain_of(odb);
	return pg_audit_rows_verify(&ch, n, broken);
}

enum coffer_err pg_store_org_audit_walk(struct pg_org_db *odb, const char *org_id,
					struct audit_walk *w)
{
	if (!pg_org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct pg_chain ch = chain_of(odb);
	return pg_audit_rows_walk(&ch, w);
}

enum coffer_err pg_store_org_audit_upgrade(struct pg_org_db *odb, const char *org_id,
					   struct audit_checkpoint *cp, uint64_t *legacy)
{
	if (!pg_org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct pg_chain ch = chain_of(odb);
	return pg_audit_rows_upgrade(&ch, cp, legacy);
}
