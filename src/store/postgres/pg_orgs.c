/* pg_orgs.c — the organisations in the PostgreSQL system database: their creation (with
 * their first key version and their chain's first checkpoint), their sealed charter, and
 * reading them with their member counts (as the SQLite store's org_keys.c). */
#include <stdlib.h>

#include "audit/signer.h"
#include "store/postgres/pg_org_keys.h"

/* A new organisation: its id, name, charter and first key version. */
struct new_org {
	const char *org_id, *name;
	const uint8_t *charter;
	size_t charter_len;
	const struct org_key_record *key;
	int64_t now;
};

/* The organisation's chain checkpoint CP, unless one further along is there (as the audit
 * checkpoints' own writes). */
static enum coffer_err checkpoint_put(struct pg_conn *c, const struct audit_checkpoint *cp)
{
	return pg_exec(c,
		       "INSERT INTO audit_checkpoints (chain, seq, head, time, key_version, mac) "
		       "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain) DO UPDATE SET "
		       "seq = excluded.seq, head = excluded.head, time = excluded.time, "
		       "key_version = excluded.key_version, mac = excluded.mac "
		       "WHERE excluded.seq >= audit_checkpoints.seq",
		       PG_ARGS(pg_text(cp->chain), pg_int((int64_t)cp->seq),
			       pg_bytea(cp->head, AUDIT_HASH_BYTES), pg_int(cp->time),
			       pg_int((int64_t)cp->key_version),
			       pg_bytea(cp->mac, AUDIT_HASH_BYTES)));
}

/* EXISTS for a clash of id or name (the primary key, the UNIQUE on name): two nodes creating
 * the same name at once, one wins. */
static enum coffer_err create_tx(struct pg_conn *c, void *ctx)
{
	const struct new_org *o = ctx;
	enum coffer_err err =
	    pg_exec(c, "INSERT INTO orgs (id, name, created_at, charter) VALUES ($1, $2, $3, $4)",
		    PG_ARGS(pg_text(o->org_id), pg_text(o->name), pg_int(o->now),
			    o->charter_len > 0 ? pg_bytea(o->charter, o->charter_len) : pg_null()));
	if (err == COFFER_OK)
		err = pg_org_key_insert(c, o->org_id, o->key, o->now);
	/* Its chain's first checkpoint, of an empty chain: from now on a chain that is empty
	 * because it was emptied is told from one that never had anything. */
	static const uint8_t zeros[AUDIT_HASH_BYTES];
	struct audit_checkpoint cp;
	if (err == COFFER_OK)
		err = audit_sign_head(audit_signer_get(), o->org_id, 0, zeros, &cp);
	if (err == COFFER_OK)
		err = checkpoint_put(c, &cp);
	return err;
}

enum coffer_err pg_store_org_create(struct pg_store *st, const char *org_id, const char *name,
				    const uint8_t *charter, size_t charter_len,
				    const struct org_key_record *key, int64_t now)
{
	struct new_org o = {org_id, name, charter, charter_len, key, now};
	if (charter_len > STORE_CHARTER_MAX || (charter == NULL && charter_len > 0))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, create_tx, &o);
}

enum coffer_err pg_store_org_charter_set(struct pg_store *st, const char *org_id,
					 const uint8_t *charter, size_t charter_len)
{
	if (charter == NULL || charter_len == 0 || charter_len > STORE_CHARTER_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_change(st, "UPDATE orgs SET charter = $1 WHERE id = $2",
			     PG_ARGS(pg_bytea(charter, charter_len), pg_text(org_id)));
}

/* An organisation's columns, in the order read_org() reads them. */
#define ORG_COLUMNS                                                                                \
	"SELECT o.id, o.name, o.created_at, o.founded_at, o.charter, "                             \
	"(SELECT count(*) FROM memberships m WHERE m.org_id = o.id), d.state, d.delete_after "     \
	"FROM orgs o LEFT JOIN org_deletions d ON d.org_id = o.id "

/* Column 6's deletion state ("deleting", "shredding", NULL) and column 7's due time. */
static bool read_state(const PGresult *r, int row, struct org_record *o)
{
	char state[16];
	if (pg_get_null(r, row, 6))
		return true; /* ORG_ACTIVE, 0 */
	if (!pg_get_text(r, row, 6, state, sizeof state) ||
	    !pg_get_int(r, row, 7, &o->delete_after))
		return false;
	o->state = strcmp(state, "shredding") == 0 ? ORG_SHREDDING : ORG_DELETING;
	return true;
}

static enum coffer_err read_org(const PGresult *r, int row, void *out)
{
	struct org_record *o = out;
	int64_t members = 0;
	memset(o, 0, sizeof *o);
	bool ok = pg_get_text(r, row, 0, o->id, sizeof o->id) &&
		  pg_get_text(r, row, 1, o->name, sizeof o->name) &&
		  pg_get_int(r, row, 2, &o->created_at) && pg_get_int(r, row, 5, &members) &&
		  members >= 0 && read_state(r, row, o);
	if (ok && !pg_get_null(r, row, 3)) /* NULL: never founded, 0 */
		ok = pg_get_int(r, row, 3, &o->founded_at);
	if (ok && !pg_get_null(r, row, 4)) /* NULL: no charter, charter_len 0 */
		ok = pg_get_bytea_max(r, row, 4, o->charter, sizeof o->charter, &o->charter_len);
	o->member_count = (size_t)members;
	return ok ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_org_get(struct pg_store *st, const char *org_id, struct org_record *out)
{
	struct org_record o; /* OUT changes only on success */
	enum coffer_err err =
	    pg_sys_row(st, ORG_COLUMNS "WHERE o.id = $1", PG_ARGS(pg_text(org_id)), read_org, &o);
	if (err == COFFER_OK)
		*out = o;
	return err;
}

/* Reads every row of R into a malloc'd array *OUT (NULL when there is none), *N set. */
static enum coffer_err read_all(const PGresult *r, struct org_record **out, size_t *n)
{
	int rows = PQntuples(r);
	struct org_record *list = NULL;
	if (rows > 0) {
		list = calloc((size_t)rows, sizeof *list);
		if (list == NULL)
			return COFFER_ERR_NOMEM;
	}
	enum coffer_err err = COFFER_OK;
	for (int i = 0; i < rows && err == COFFER_OK; i++)
		err = read_org(r, i, &list[i]);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	*out = list;
	*n = (size_t)rows;
	return COFFER_OK;
}

enum coffer_err pg_store_orgs_list(struct pg_store *st, struct org_record **out, size_t *n)
{
	struct pg_conn *c = NULL;
	PGresult *r = NULL;
	enum coffer_err err = pg_pool_get(st->pool, NULL, &c);
	if (err != COFFER_OK)
		return err;
	/* COLLATE "C": by bytes, as SQLite orders text, whatever the database's collation. */
	err = pg_query(c, ORG_COLUMNS "ORDER BY o.name COLLATE \"C\", o.id COLLATE \"C\"",
		       PG_NO_ARGS, PG_BINARY_RESULTS, &r);
	pg_pool_put(st->pool, c);
	if (err == COFFER_OK)
		err = read_all(r, out, n);
	PQclear(r);
	return err;
}
