/* org_audit.c — an organisation's audit chain in its own database (format: audit/chain.h; the
 * rows: audit_rows.c). Its chain id is the organisation's id, so an entry copied from one
 * organisation's chain into another's does not verify there. Records and files change through
 * org_write, which appends their entry inside the transaction of the change it records: one
 * round trip to the signer per group commit, for every write in it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/signer.h"
#include "store/sqlite/audit_rows.h"
#include "store/sqlite/org_db.h"
#include "store/sqlite/query.h"
#include "store/store.h"

/* One writer's part of a group commit. Each waits on its own condition variable: a leader
 * that has committed wakes the writers of its batch and one queued writer to lead the next,
 * not every waiting thread (most of which would only go back to sleep). */
struct org_write_op {
	enum coffer_err (*write)(sqlite3 *db, const void *ctx);
	const void *ctx;
	struct audit_entry entry; /* a copy: the caller's changes only once committed */
	enum coffer_err err;
	bool done;
	pthread_cond_t wake;
	struct org_write_op *next;
};

/* The entries of the writes of BATCH that succeeded, linked after them in one call. */
static enum coffer_err append_entries(struct sqlite_org_db *odb, sqlite3 *db,
				      struct org_write_op *batch, struct org_write_op *end,
				      struct audit_checkpoint *cp)
{
	size_t n = 0, k = 0;
	for (struct org_write_op *op = batch; op != end; op = op->next)
		n += op->err == COFFER_OK;
	if (n == 0)
		return COFFER_OK;
	struct audit_entry *e = malloc(n * sizeof *e);
	if (e == NULL)
		return COFFER_ERR_NOMEM;
	for (struct org_write_op *op = batch; op != end; op = op->next) {
		if (op->err == COFFER_OK)
			e[k++] = op->entry;
	}
	enum coffer_err err = audit_rows_append(db, odb->org_id, e, n, cp);
	k = 0;
	for (struct org_write_op *op = batch; err == COFFER_OK && op != end; op = op->next) {
		if (op->err == COFFER_OK)
			op->entry = e[k++];
	}
	free(e);
	return err;
}

/* Runs every write of BATCH in one transaction on DB, each in a savepoint, appends the audit
 * entries of those that succeeded, and commits once: a write that fails is undone alone (an
 * entry that cannot be encoded fails its write); a commit that fails fails all. */
static void commit_batch(struct sqlite_org_db *odb, sqlite3 *db, struct org_write_op *batch)
{
	struct audit_checkpoint cp;
	enum coffer_err err = db_begin(db);
	struct org_write_op *op = batch;
	for (; op != NULL && err == COFFER_OK; op = op->next) {
		op->err = audit_entry_fits(&op->entry) ? COFFER_OK : COFFER_ERR_INVALID_INPUT;
		if (op->err == COFFER_OK)
			op->err = db_savepoint(db);
		if (op->err == COFFER_OK) {
			op->err = op->write(db, op->ctx);
			if (!db_savepoint_end(db, op->err == COFFER_OK))
				err = COFFER_ERR_STORAGE;
		}
	}
	if (err == COFFER_OK)
		err = append_entries(odb, db, batch, op, &cp);
	bool any = false;
	for (struct org_write_op *w = batch; w != op; w = w->next)
		any = any || w->err == COFFER_OK;
	err = db_end(db, err);
	if (err == COFFER_OK && any)
		audit_checkpoint_emit(&cp);
	for (struct org_write_op *done = batch; done != op; done = done->next) {
		if (err != COFFER_OK && done->err == COFFER_OK)
			done->err = err; /* written, but not durably: not written at all */
	}
	for (; op != NULL; op = op->next)
		op->err = err; /* never run: the transaction was lost before its turn */
}

enum coffer_err org_write(struct sqlite_org_db *odb, const char *org_id,
			  enum coffer_err (*write)(sqlite3 *db, const void *ctx), const void *ctx,
			  struct audit_entry *audit)
{
	if (audit == NULL || !org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	struct org_write_op me = {
	    .write = write, .ctx = ctx, .entry = *audit, .err = COFFER_ERR_INTERNAL};
	pthread_cond_init(&me.wake, NULL);
	pthread_mutex_lock(&odb->queue_mu);
	/* Queued newest first; the leader reverses the batch, so writes commit in arrival order. */
	me.next = odb->queue;
	odb->queue = &me;
	while (!me.done) {
		if (odb->leading) {
			pthread_cond_wait(&me.wake, &odb->queue_mu);
			continue;
		}
		/* Lead: take everything queued so far (this write among it) into one commit.
		 * Writes queued meanwhile wait for the next leader, so a batch grows while the
		 * one before it is being made durable. */
		odb->leading = true;
		struct org_write_op *batch = NULL, *op = odb->queue;
		odb->queue = NULL;
		while (op != NULL) {
			struct org_write_op *next = op->next;
			op->next = batch;
			batch = op;
			op = next;
		}
		pthread_mutex_unlock(&odb->queue_mu);

		sqlite3 *db = db_pool_get_writer(&odb->pool);
		commit_batch(odb, db, batch);
		db_pool_put_writer(&odb->pool, db);

		pthread_mutex_lock(&odb->queue_mu);
		/* Under the lock: a writer told done cannot return (and destroy its condition
		 * variable) before the lock is let go. */
		for (op = batch; op != NULL; op = op->next) {
			op->done = true;
			pthread_cond_signal(&op->wake);
		}
		odb->leading = false;
		if (odb->queue != NULL)
			pthread_cond_signal(&odb->queue->wake); /* it leads the next batch */
	}
	pthread_mutex_unlock(&odb->queue_mu);
	pthread_cond_destroy(&me.wake);
	if (me.err == COFFER_OK) {
		audit->seq = me.entry.seq;
		audit->key_version = me.entry.key_version;
		memcpy(audit->hash, me.entry.hash, AUDIT_HASH_BYTES);
	}
	return me.err;
}

enum coffer_err sqlite_store_org_audit_append(struct sqlite_org_db *odb, const char *org_id,
					      struct audit_entry *e, size_t n)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	return audit_rows_commit(&odb->pool, odb->org_id, e, n);
}

enum coffer_err sqlite_store_org_reads_busiest_hour(struct sqlite_org_db *odb, const char *actor,
						    int64_t since, int64_t until, int64_t *out)
{
	/* A scan of the chain's rows in the window: made at most once an hour per member, when
	 * their reads pass alert_reads_per_hour (alerts/volume.c). */
	return db_pool_row(&odb->pool,
			   "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM audit "
			   "WHERE actor = ?1 AND time >= ?2 AND time < ?3 AND outcome = 'success' "
			   "AND action IN ('record.read', 'record.list', 'file.download', "
			   "'file.list') GROUP BY time / 3600)",
			   DB_ARGS(db_text(actor), db_int(since), db_int(until)), db_read_int64,
			   out);
}

enum coffer_err sqlite_store_org_audit_list(struct sqlite_org_db *odb, uint64_t after,
					    struct audit_entry *out, size_t max, size_t *n)
{
	return audit_rows_list(&odb->pool, after, out, max, n);
}

enum coffer_err sqlite_store_org_audit_verify(struct sqlite_org_db *odb, const char *org_id,
					      uint64_t *n, uint64_t *broken)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	return audit_rows_verify(&odb->pool, odb->org_id, n, broken);
}

enum coffer_err sqlite_store_org_audit_walk(struct sqlite_org_db *odb, const char *org_id,
					    struct audit_walk *w)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	return audit_rows_walk(&odb->pool, odb->org_id, w);
}

enum coffer_err sqlite_store_org_audit_upgrade(struct sqlite_org_db *odb, const char *org_id,
					       struct audit_checkpoint *cp, uint64_t *legacy)
{
	if (!org_db_is(odb, org_id))
		return COFFER_ERR_INVALID_INPUT;
	return audit_rows_upgrade(&odb->pool, odb->org_id, cp, legacy);
}
