/* org_audit.c — an organisation's audit chain in its own database (format: audit/chain.h; the
 * rows: audit_rows.c). Its chain id is the organisation's id, so an entry copied from one
 * organisation's chain into another's does not verify there. Records and files change through
 * org_write, which appends their entry inside the transaction of the change it records. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/audit_rows.h"
#include "store/sqlite/org_db.h"
#include "store/store.h"

enum coffer_err org_audit_append_locked(sqlite3 *db, const struct org_db *odb, const char *org_id,
					struct audit_entry *e, size_t n)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	return audit_rows_append(db, odb->org_id, e, n);
}

enum coffer_err org_write(struct org_db *odb, const char *org_id,
			  enum coffer_err (*write)(sqlite3 *db, const void *ctx), const void *ctx,
			  struct audit_entry *audit)
{
	if (audit == NULL || !org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct audit_entry next = *audit; /* AUDIT changes only once committed */
	pthread_mutex_lock(&odb->write_mu);
	sqlite3 *db = db_pool_get(&odb->pool);
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = write(db, ctx);
	if (err == COFFER_OK)
		err = org_audit_append_locked(db, odb, org_id, &next, 1);
	err = db_end(db, err);
	db_pool_put(&odb->pool, db);
	pthread_mutex_unlock(&odb->write_mu);
	if (err == COFFER_OK) {
		audit->seq = next.seq;
		memcpy(audit->hash, next.hash, AUDIT_HASH_BYTES);
	}
	return err;
}

enum coffer_err store_org_audit_append(struct org_db *odb, const char *org_id,
				       struct audit_entry *e, size_t n)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	if (n == 0)
		return COFFER_OK;
	/* Copies: E's seqs and hashes change only once the entries are committed. */
	struct audit_entry *next = calloc(n, sizeof *next);
	if (next == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(next, e, n * sizeof *next);
	pthread_mutex_lock(&odb->write_mu);
	sqlite3 *db = db_pool_get(&odb->pool);
	enum coffer_err err = db_begin(db);
	if (err == COFFER_OK)
		err = org_audit_append_locked(db, odb, org_id, next, n);
	err = db_end(db, err);
	db_pool_put(&odb->pool, db);
	pthread_mutex_unlock(&odb->write_mu);
	if (err == COFFER_OK) {
		for (size_t i = 0; i < n; i++) {
			e[i].seq = next[i].seq;
			memcpy(e[i].hash, next[i].hash, AUDIT_HASH_BYTES);
		}
	}
	free(next);
	return err;
}

enum coffer_err store_org_audit_list(struct org_db *odb, uint64_t after, struct audit_entry *out,
				     size_t max, size_t *n)
{
	sqlite3 *db = db_pool_get(&odb->pool);
	enum coffer_err err = audit_rows_list(db, after, out, max, n);
	db_pool_put(&odb->pool, db);
	return err;
}

enum coffer_err store_org_audit_verify(struct org_db *odb, const char *org_id, uint64_t *n,
				       uint64_t *broken)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&odb->pool);
	enum coffer_err err = audit_rows_verify(db, odb->org_id, n, broken);
	db_pool_put(&odb->pool, db);
	return err;
}
