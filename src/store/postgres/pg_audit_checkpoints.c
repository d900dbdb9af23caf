/* pg_audit_checkpoints.c — where chains' checkpoints are kept (store.h; audit/checkpoint.h), as
 * the SQLite store's audit_checkpoints.c: the organisations' in the system database, the
 * system chain's in the node's file DATA/audit.checkpoint (store/checkpoint_file.h), so that
 * no one table or file holds both a chain and the checkpoint that pins its end. */
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "store/checkpoint_file.h"
#include "store/postgres/pg_store_db.h"

static bool is_system(const struct audit_checkpoint *cp)
{
	return strcmp(cp->chain, AUDIT_SYSTEM_CHAIN) == 0;
}

/* One statement, so two nodes storing checkpoints of one chain at once keep the further one
 * (an upsert takes the row's lock; its WHERE sees the row as committed by the other). */
static enum coffer_err put_row(struct pg_conn *c, const struct audit_checkpoint *cp)
{
	return pg_exec(c,
		       "INSERT INTO audit_checkpoints (chain, seq, head, time, key_version, mac) "
		       "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (chain) DO UPDATE SET "
		       "seq = excluded.seq, head = excluded.head, time = excluded.time, "
		       "key_version = excluded.key_version, mac = excluded.mac "
		       "WHERE excluded.seq >= audit_checkpoints.seq",
		       PG_ARGS(pg_text(cp->chain), pg_int((int64_t)cp->seq),
			       pg_bytea(cp->head, AUDIT_HASH_BYTES), pg_int(cp->time),
			       pg_int((int64_t)cp->key_version),
			       pg_bytea(cp->mac, AUDIT_HASH_BYTES)));
}

static enum coffer_err put_rows(struct pg_conn *c, void *ctx)
{
	const struct audit_checkpoint *const *cps = ctx;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; cps[i] != NULL && err == COFFER_OK; i++)
		err = put_row(c, cps[i]);
	return err;
}

enum coffer_err pg_store_audit_checkpoints_put(struct pg_store *st,
					       const struct audit_checkpoint *cps, size_t n)
{
	enum coffer_err err = COFFER_OK;
	size_t rows = 0;
	const struct audit_checkpoint **list = calloc(n + 1, sizeof *list);
	if (list == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!audit_chain_id_ok(cps[i].chain) || cps[i].seq > INT64_MAX) {
			err = COFFER_ERR_INVALID_INPUT;
			goto out;
		}
		if (!is_system(&cps[i]))
			list[rows++] = &cps[i];
	}
	if (rows > 0)
		err = pg_sys_tx(st, put_rows, list);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		if (is_system(&cps[i]))
			err = checkpoint_file_put(st->data_dir, &cps[i]);
	}
out:
	free(list);
	return err;
}

static enum coffer_err read_row(const PGresult *r, int row, void *out)
{
	struct audit_checkpoint *cp = out;
	int64_t seq = 0, v = 0;
	if (!pg_get_int(r, row, 0, &seq) || !pg_get_int(r, row, 2, &cp->time) ||
	    !pg_get_int(r, row, 3, &v) ||
	    !pg_get_bytea_exact(r, row, 1, cp->head, AUDIT_HASH_BYTES) ||
	    !pg_get_bytea_exact(r, row, 4, cp->mac, AUDIT_HASH_BYTES))
		return COFFER_ERR_STORAGE;
	cp->seq = seq >= 0 ? (uint64_t)seq : 0;
	cp->key_version = v >= 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	return COFFER_OK;
}

enum coffer_err pg_store_audit_checkpoint_get(struct pg_store *st, const char *chain,
					      struct audit_checkpoint *out)
{
	struct audit_checkpoint cp;
	memset(&cp, 0, sizeof cp);
	if (!audit_chain_id_ok(chain))
		return COFFER_ERR_INVALID_INPUT;
	if (strcmp(chain, AUDIT_SYSTEM_CHAIN) == 0) {
		enum coffer_err err = checkpoint_file_read(st->data_dir, &cp);
		if (err == COFFER_OK)
			*out = cp;
		return err;
	}
	memcpy(cp.chain, chain, strlen(chain));
	enum coffer_err err = pg_sys_row(
	    st, "SELECT seq, head, time, key_version, mac FROM audit_checkpoints WHERE chain = $1",
	    PG_ARGS(pg_text(chain)), read_row, &cp);
	if (err == COFFER_OK)
		*out = cp;
	return err;
}

static enum coffer_err read_flag(const PGresult *r, int row, void *out)
{
	int64_t v = 0;
	if (!pg_get_int(r, row, 0, &v))
		return COFFER_ERR_STORAGE;
	*(bool *)out = v == 1;
	return COFFER_OK;
}

enum coffer_err pg_store_audit_links_upgraded(struct pg_store *st, bool *done)
{
	return pg_sys_row(st, "SELECT links_upgraded FROM audit_state WHERE id = 1", PG_NO_ARGS,
			  read_flag, done);
}

enum coffer_err pg_store_audit_links_mark_upgraded(struct pg_store *st)
{
	return pg_sys_exec(st, "UPDATE audit_state SET links_upgraded = true WHERE id = 1",
			   PG_NO_ARGS);
}
