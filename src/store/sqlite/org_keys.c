/* org_keys.c — organisations and the versions of their keys in the embedded system database. */
#include "audit/signer.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static const char insert_key_sql[] = "INSERT INTO org_keys (org_id, version, master_version, "
				     "wrapped, created_at) VALUES (?,?,?,?,?)";

/* Inserts version K of ORG_ID's key. */
static enum coffer_err insert_key(sqlite3 *db, const char *org_id, const struct org_key_record *k,
				  int64_t now)
{
	return db_exec(db, insert_key_sql,
		       DB_ARGS(db_text(org_id), db_int(k->version), db_int(k->master_version),
			       db_blob(k->wrapped, KEYWRAP_BYTES), db_int(now)));
}

/* A new organisation (with its charter), or a new version of an organisation's key. */
struct new_key {
	const char *org_id, *name;
	const struct org_key_record *key;
	int64_t now;
	const uint8_t *charter;
	size_t charter_len;
};

static enum coffer_err create_tx(sqlite3 *db, void *ctx)
{
	const struct new_key *k = ctx;
	enum coffer_err err =
	    db_exec(db, "INSERT INTO orgs (id, name, created_at, charter) VALUES (?,?,?,?)",
		    DB_ARGS(db_text(k->org_id), db_text(k->name), db_int(k->now),
			    k->charter_len > 0 ? db_blob(k->charter, k->charter_len) : db_null()));
	if (err == COFFER_OK)
		err = insert_key(db, k->org_id, k->key, k->now);
	/* Its chain's first checkpoint, of an empty chain: from now on a chain that is empty
	 * because it was emptied is told from one that never had anything. */
	static const uint8_t zeros[AUDIT_HASH_BYTES];
	struct audit_checkpoint cp;
	if (err == COFFER_OK)
		err = audit_sign_head(audit_signer_get(), k->org_id, 0, zeros, &cp);
	if (err == COFFER_OK)
		err = audit_checkpoint_put_row(db, &cp);
	return err;
}

enum coffer_err sqlite_store_org_create(struct sqlite_store *st, const char *org_id,
					const char *name, const uint8_t *charter,
					size_t charter_len, const struct org_key_record *key,
					int64_t now)
{
	struct new_key k = {org_id, name, key, now, charter, charter_len};
	if (charter_len > STORE_CHARTER_MAX || (charter == NULL && charter_len > 0))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, create_tx, &k); /* EXISTS for a clash of id or name */
}

enum coffer_err sqlite_store_org_charter_set(struct sqlite_store *st, const char *org_id,
					     const uint8_t *charter, size_t charter_len)
{
	if (charter == NULL || charter_len == 0 || charter_len > STORE_CHARTER_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_change(&st->pool, "UPDATE orgs SET charter = ? WHERE id = ?",
			      DB_ARGS(db_blob(charter, charter_len), db_text(org_id)));
}

#define KEY_COLUMNS "SELECT version, master_version, wrapped"

/* Reads one key row: version, master_version, wrapped. */
static enum coffer_err read_key(sqlite3_stmt *s, void *out)
{
	struct org_key_record *k = out;
	k->version = (uint32_t)sqlite3_column_int64(s, 0);
	k->master_version = (uint32_t)sqlite3_column_int64(s, 1);
	return db_column_blob(s, 2, k->wrapped, KEYWRAP_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

#define NEWEST_KEY KEY_COLUMNS " FROM org_keys WHERE org_id = ? ORDER BY version DESC LIMIT 1"

enum coffer_err sqlite_store_org_key_newest(struct sqlite_store *st, const char *org_id,
					    struct org_key_record *out)
{
	return db_pool_row(&st->pool, NEWEST_KEY, DB_ARGS(db_text(org_id)), read_key, out);
}

enum coffer_err sqlite_org_key_newest_read(sqlite3 *db, const char *org_id,
					   struct org_key_record *out)
{
	return db_row(db, NEWEST_KEY, DB_ARGS(db_text(org_id)), read_key, out);
}

enum coffer_err sqlite_store_org_key_get(struct sqlite_store *st, const char *org_id,
					 uint32_t version, struct org_key_record *out)
{
	if (version == 0)
		return COFFER_ERR_NOT_FOUND;
	return db_pool_row(&st->pool, KEY_COLUMNS " FROM org_keys WHERE org_id = ? AND version = ?",
			   DB_ARGS(db_text(org_id), db_int(version)), read_key, out);
}

/* Adds the version after the newest: NOT_FOUND when there is none (no such organisation, or
 * its keys were destroyed), VERSION_CONFLICT when another was added meanwhile. */
static enum coffer_err add_tx(sqlite3 *db, void *ctx)
{
	const struct new_key *k = ctx;
	int64_t newest = 0;
	enum coffer_err err = db_row(db,
				     "SELECT version FROM org_keys WHERE org_id = ? "
				     "ORDER BY version DESC LIMIT 1",
				     DB_ARGS(db_text(k->org_id)), db_read_int64, &newest);
	if (err == COFFER_OK && (uint64_t)newest + 1 != k->key->version)
		err = COFFER_ERR_VERSION_CONFLICT;
	if (err == COFFER_OK)
		err = insert_key(db, k->org_id, k->key, k->now);
	return err;
}

enum coffer_err sqlite_store_org_key_add(struct sqlite_store *st, const char *org_id,
					 const struct org_key_record *key, int64_t now)
{
	struct new_key k = {org_id, NULL, key, now, NULL, 0};
	return db_pool_write(&st->pool, add_tx, &k);
}

/* Reads one key row with its organisation: version, master_version, wrapped, org_id. */
static enum coffer_err read_key_ref(sqlite3_stmt *s, void *out)
{
	struct org_key_ref *r = out;
	db_column_text(s, 3, r->org_id, sizeof r->org_id);
	return read_key(s, &r->key);
}

enum coffer_err sqlite_store_org_keys_wrapped_before(struct sqlite_store *st,
						     uint32_t master_version,
						     struct org_key_ref *out, size_t max, size_t *n)
{
	return db_pool_rows(&st->pool,
			    KEY_COLUMNS ", org_id FROM org_keys WHERE master_version < ? "
					"ORDER BY org_id, version LIMIT ?",
			    DB_ARGS(db_int(master_version), db_int((int64_t)max)), read_key_ref,
			    DB_ITEMS(out, max), n, NULL);
}

/* Organisation keys re-wrapped, with the master key version that wrapped each before. */
struct rewrapped {
	const struct org_key_ref *refs;
	const uint32_t *old_master;
};

static enum coffer_err rewrite_key(sqlite3 *db, const void *ctx, size_t i)
{
	const struct rewrapped *r = ctx;
	const struct org_key_ref *ref = &r->refs[i];
	return db_exec(db,
		       "UPDATE org_keys SET wrapped = ?, master_version = ? "
		       "WHERE org_id = ? AND version = ? AND master_version = ?",
		       DB_ARGS(db_blob(ref->key.wrapped, KEYWRAP_BYTES),
			       db_int(ref->key.master_version), db_text(ref->org_id),
			       db_int(ref->key.version), db_int(r->old_master[i])));
}

enum coffer_err sqlite_store_org_keys_rewrapped(struct sqlite_store *st,
						const struct org_key_ref *refs,
						const uint32_t *old_master, size_t n)
{
	const struct rewrapped r = {refs, old_master};
	return db_pool_write_each(&st->pool, rewrite_key, &r, n);
}

enum coffer_err sqlite_store_org_keys_destroy(struct sqlite_store *st, const char *org_id)
{
	sqlite3 *db = db_pool_get_writer(&st->pool);
	enum coffer_err err =
	    db_change(db, "DELETE FROM org_keys WHERE org_id = ?", DB_ARGS(db_text(org_id)));
	/* The deleted rows' pages are zeroed in the new versions (secure_delete), but the old
	 * versions still sit in the write-ahead log until it is checkpointed and cut back. Done
	 * even when nothing was deleted, so that a retry after a failed checkpoint finishes it. */
	if (err == COFFER_OK || err == COFFER_ERR_NOT_FOUND) {
		enum coffer_err cp = db_pool_checkpoint(&st->pool, db, true);
		if (cp != COFFER_OK)
			err = cp;
	}
	db_pool_put_writer(&st->pool, db);
	return err;
}

/* An organisation's columns, in the order read_org() reads them. */
#define ORG_COLUMNS                                                                                \
	"SELECT o.id, o.name, o.created_at, o.founded_at, o.charter, "                             \
	"(SELECT count(*) FROM memberships m WHERE m.org_id = o.id), d.state, d.delete_after "     \
	"FROM orgs o LEFT JOIN org_deletions d ON d.org_id = o.id "

static enum coffer_err read_org(sqlite3_stmt *s, void *out)
{
	struct org_record *o = out;
	char state[16];
	db_column_text(s, 6, state, sizeof state); /* NULL reads as "": active */
	o->state = strcmp(state, "shredding") == 0  ? ORG_SHREDDING
		   : strcmp(state, "deleting") == 0 ? ORG_DELETING
						    : ORG_ACTIVE;
	o->delete_after = o->state == ORG_ACTIVE ? 0 : sqlite3_column_int64(s, 7);
	db_column_text(s, 0, o->id, sizeof o->id);
	db_column_text(s, 1, o->name, sizeof o->name);
	o->created_at = sqlite3_column_int64(s, 2);
	o->founded_at = sqlite3_column_int64(s, 3); /* NULL reads as 0 */
	o->member_count = (size_t)sqlite3_column_int64(s, 5);
	return db_column_blob_max(s, 4, o->charter, sizeof o->charter, &o->charter_len)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

enum coffer_err sqlite_store_org_get(struct sqlite_store *st, const char *org_id,
				     struct org_record *out)
{
	return db_pool_row(&st->pool, ORG_COLUMNS "WHERE o.id = ?", DB_ARGS(db_text(org_id)),
			   read_org, out);
}

enum coffer_err sqlite_store_orgs_list(struct sqlite_store *st, struct org_record **out, size_t *n)
{
	void *list = NULL;
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = db_rows_alloc(db, ORG_COLUMNS "ORDER BY o.name, o.id", DB_NO_ARGS,
					    read_org, sizeof **out, &list, n);
	db_pool_put(&st->pool, db);
	if (err == COFFER_OK)
		*out = list;
	return err;
}
