/* pg_org_keys.c — the versions of the organisations' keys in the PostgreSQL system database,
 * each wrapped by a master key version (as the SQLite store's org_keys.c). A rotation reads
 * the newest version before it adds the next, and destroying an organisation's keys must not
 * race a rotation that would leave one behind: both take PG_LOCK_ORG_KEYS, so that, as with
 * SQLite's one writer, they run one after the other on every node. */
#include "store/postgres/pg_org_keys.h"

enum coffer_err pg_org_key_insert(struct pg_conn *c, const char *org_id,
				  const struct org_key_record *k, int64_t now)
{
	return pg_exec(c,
		       "INSERT INTO org_keys (org_id, version, master_version, wrapped, "
		       "created_at) VALUES ($1, $2, $3, $4, $5)",
		       PG_ARGS(pg_text(org_id), pg_int(k->version), pg_int(k->master_version),
			       pg_bytea(k->wrapped, KEYWRAP_BYTES), pg_int(now)));
}

#define KEY_COLUMNS "SELECT version, master_version, wrapped"

/* A version number from column COL: a uint32_t as the C side has it (the CHECKs keep it ≥ 1). */
static bool get_version(const PGresult *r, int row, int col, uint32_t *out)
{
	int64_t v = 0;
	if (!pg_get_int(r, row, col, &v) || v < 1 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum coffer_err pg_org_key_read_at(const PGresult *r, int row, int base, struct org_key_record *k)
{
	return get_version(r, row, base, &k->version) &&
		       get_version(r, row, base + 1, &k->master_version) &&
		       pg_get_bytea_exact(r, row, base + 2, k->wrapped, KEYWRAP_BYTES)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

/* Reads one key row: version, master_version, wrapped. */
static enum coffer_err read_key(const PGresult *r, int row, void *out)
{
	return pg_org_key_read_at(r, row, 0, out);
}

enum coffer_err pg_store_org_key_newest(struct pg_store *st, const char *org_id,
					struct org_key_record *out)
{
	return pg_sys_row(
	    st, KEY_COLUMNS " FROM org_keys WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
	    PG_ARGS(pg_text(org_id)), read_key, out);
}

enum coffer_err pg_store_org_key_get(struct pg_store *st, const char *org_id, uint32_t version,
				     struct org_key_record *out)
{
	if (version == 0)
		return COFFER_ERR_NOT_FOUND;
	return pg_sys_row(st, KEY_COLUMNS " FROM org_keys WHERE org_id = $1 AND version = $2",
			  PG_ARGS(pg_text(org_id), pg_int(version)), read_key, out);
}

/* A new version of an organisation's key. */
struct new_key {
	const char *org_id;
	const struct org_key_record *key;
	int64_t now;
};

static enum coffer_err read_newest(const PGresult *r, int row, void *out)
{
	return pg_get_int(r, row, 0, out) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* Adds the version after the newest: NOT_FOUND when there is none (no such organisation, or
 * its keys were destroyed), VERSION_CONFLICT when another was added meanwhile. Under the lock,
 * each statement sees every rotation committed before it (READ COMMITTED). */
static enum coffer_err add_tx(struct pg_conn *c, void *ctx)
{
	const struct new_key *k = ctx;
	int64_t newest = 0;
	enum coffer_err err = pg_lock(c, PG_LOCK_ORG_KEYS);
	if (err == COFFER_OK)
		err = pg_row(c,
			     "SELECT version FROM org_keys WHERE org_id = $1 "
			     "ORDER BY version DESC LIMIT 1",
			     PG_ARGS(pg_text(k->org_id)), read_newest, &newest);
	if (err == COFFER_OK && (uint64_t)newest + 1 != k->key->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = pg_org_key_insert(c, k->org_id, k->key, k->now);
	/* The primary key would still refuse a second writer of the same version, had it not
	 * taken the lock: the same answer. */
	return err == COFFER_ERR_EXISTS ? COFFER_ERR_VERSION_CONFLICT : err;
}

enum coffer_err pg_store_org_key_add(struct pg_store *st, const char *org_id,
				     const struct org_key_record *key, int64_t now)
{
	struct new_key k = {org_id, key, now};
	return pg_sys_tx(st, add_tx, &k);
}

/* Reads one key row with its organisation: version, master_version, wrapped, org_id. */
static enum coffer_err read_key_ref(const PGresult *r, int row, void *out)
{
	struct org_key_ref *ref = out;
	if (!pg_get_text(r, row, 3, ref->org_id, sizeof ref->org_id))
		return COFFER_ERR_STORAGE;
	return read_key(r, row, &ref->key);
}

enum coffer_err pg_store_org_keys_wrapped_before(struct pg_store *st, uint32_t master_version,
						 struct org_key_ref *out, size_t max, size_t *n)
{
	/* COLLATE "C": by bytes, as SQLite orders text, whatever the database's collation. */
	return pg_sys_rows(
	    st,
	    KEY_COLUMNS ", org_id FROM org_keys WHERE master_version < $1 "
			"ORDER BY org_id COLLATE \"C\", version LIMIT $2",
	    PG_ARGS(pg_int(master_version), pg_int(max > INT64_MAX ? INT64_MAX : (int64_t)max)),
	    read_key_ref, out, sizeof *out, max, n);
}

/* Organisation keys re-wrapped, with the master key version that wrapped each before. */
struct rewrapped {
	const struct org_key_ref *refs;
	const uint32_t *old_master;
	size_t n;
};

/* Each row changes only while it still has the master version it was read with: a
 * compare-and-set, so one that another node re-wrapped (or that was destroyed) meanwhile is
 * left as it is, as in SQLite. */
static enum coffer_err rewrap_tx(struct pg_conn *c, void *ctx)
{
	const struct rewrapped *r = ctx;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; i < r->n && err == COFFER_OK; i++) {
		const struct org_key_ref *ref = &r->refs[i];
		err = pg_exec(c,
			      "UPDATE org_keys SET wrapped = $1, master_version = $2 "
			      "WHERE org_id = $3 AND version = $4 AND master_version = $5",
			      PG_ARGS(pg_bytea(ref->key.wrapped, KEYWRAP_BYTES),
				      pg_int(ref->key.master_version), pg_text(ref->org_id),
				      pg_int(ref->key.version), pg_int(r->old_master[i])));
	}
	return err;
}

enum coffer_err pg_store_org_keys_rewrapped(struct pg_store *st, const struct org_key_ref *refs,
					    const uint32_t *old_master, size_t n)
{
	struct rewrapped r = {refs, old_master, n};
	if (n == 0)
		return COFFER_OK;
	return pg_sys_tx(st, rewrap_tx, &r);
}

/* The organisation whose keys go. */
struct doomed {
	const char *org_id;
};

static enum coffer_err destroy_tx(struct pg_conn *c, void *ctx)
{
	const struct doomed *d = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_ORG_KEYS);
	if (err == COFFER_OK)
		err = pg_change(c, "DELETE FROM org_keys WHERE org_id = $1",
				PG_ARGS(pg_text(d->org_id)));
	return err;
}

enum coffer_err pg_store_org_keys_destroy(struct pg_store *st, const char *org_id)
{
	struct doomed d = {org_id};
	enum coffer_err err = pg_sys_tx(st, destroy_tx, &d);
	/* A deleted row stays in its page as a dead tuple, and a plain VACUUM, though it frees
	 * the tuple, leaves its bytes in the page's free space. VACUUM FULL writes the live rows
	 * to a new file and removes the old one, so the database's files hold no wrapped key of
	 * ORG_ID (docs/STORAGE.md says what PostgreSQL cannot promise beyond that). The table is
	 * a few rows per organisation: its lock (every key read waits) is held for moments. It
	 * runs outside any transaction, after the delete committed; also when nothing was
	 * deleted, so that a retry after a failed vacuum finishes it. */
	if (err == COFFER_OK || err == COFFER_ERR_NOT_FOUND) {
		enum coffer_err vac = pg_sys_exec(st, "VACUUM (FULL) org_keys", PG_NO_ARGS);
		if (vac != COFFER_OK)
			err = vac;
	}
	return err;
}
