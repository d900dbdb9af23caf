/* audit_checkpoints.c — where chains' checkpoints are kept (store.h; audit/checkpoint.h): the
 * organisations' in the system database, the system chain's in a file of its own beside it
 * (store/checkpoint_file.h).
 */
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "store/checkpoint_file.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static bool is_system(const struct audit_checkpoint *cp)
{
	return strcmp(cp->chain, AUDIT_SYSTEM_CHAIN) == 0;
}

enum coffer_err audit_checkpoint_put_row(sqlite3 *db, const struct audit_checkpoint *cp)
{
	return db_exec(db,
		       "INSERT INTO audit_checkpoints (chain, seq, head, time, key_version, "
		       "mac) VALUES (?,?,?,?,?,?) ON CONFLICT (chain) DO UPDATE SET "
		       "seq = excluded.seq, head = excluded.head, time = excluded.time, "
		       "key_version = excluded.key_version, mac = excluded.mac "
		       "WHERE excluded.seq >= audit_checkpoints.seq",
		       DB_ARGS(db_text(cp->chain), db_int((int64_t)cp->seq),
			       db_blob(cp->head, AUDIT_HASH_BYTES), db_int(cp->time),
			       db_int((int64_t)cp->key_version),
			       db_blob(cp->mac, AUDIT_HASH_BYTES)));
}

static enum coffer_err put_rows(sqlite3 *db, void *ctx)
{
	const struct audit_checkpoint *const *cps = ctx;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; cps[i] != NULL && err == COFFER_OK; i++)
		err = audit_checkpoint_put_row(db, cps[i]);
	return err;
}

enum coffer_err sqlite_store_audit_checkpoints_put(struct sqlite_store *st,
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
		err = db_pool_write(&st->pool, put_rows, list);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		if (is_system(&cps[i]))
			err = checkpoint_file_put(st->data_dir, &cps[i]);
	}
out:
	free(list);
	return err;
}

static enum coffer_err read_row(sqlite3_stmt *s, void *out)
{
	struct audit_checkpoint *cp = out;
	int64_t seq = sqlite3_column_int64(s, 0), v = sqlite3_column_int64(s, 3);
	cp->seq = seq >= 0 ? (uint64_t)seq : 0;
	cp->time = sqlite3_column_int64(s, 2);
	cp->key_version = v >= 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (!db_column_blob(s, 1, cp->head, AUDIT_HASH_BYTES) ||
	    !db_column_blob(s, 4, cp->mac, AUDIT_HASH_BYTES))
		return COFFER_ERR_STORAGE;
	return COFFER_OK;
}

enum coffer_err sqlite_store_audit_checkpoint_get(struct sqlite_store *st, const char *chain,
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
	enum coffer_err err = db_pool_row(
	    &st->pool,
	    "SELECT seq, head, time, key_version, mac FROM audit_checkpoints WHERE chain = ?",
	    DB_ARGS(db_text(chain)), read_row, &cp);
	if (err == COFFER_OK)
		*out = cp;
	return err;
}

static enum coffer_err read_flag(sqlite3_stmt *s, void *out)
{
	*(bool *)out = sqlite3_column_int64(s, 0) == 1;
	return COFFER_OK;
}

enum coffer_err sqlite_store_audit_links_upgraded(struct sqlite_store *st, bool *done)
{
	return db_pool_row(&st->pool, "SELECT links_upgraded FROM audit_state WHERE id = 1",
			   DB_NO_ARGS, read_flag, done);
}

enum coffer_err sqlite_store_audit_links_mark_upgraded(struct sqlite_store *st)
{
	return db_pool_exec(&st->pool, "UPDATE audit_state SET links_upgraded = 1 WHERE id = 1",
			    DB_NO_ARGS);
}
