/* pg_data_keys.c — an organisation's data keys in its PostgreSQL database (as the SQLite
 * store's org_db.c): one per object version, wrapped by a version of the organisation's key.
 * Records and files insert theirs inside their own writes (pg_data_key_insert). */
#include <string.h>

#include "common/uuid.h"
#include "store/content_rules.h"
#include "store/postgres/pg_content.h"

#define INSERT_SQL                                                                                 \
	"INSERT INTO data_keys (kind, object_id, object_version, level, org_key_version, "         \
	"wrapped) VALUES ($1, $2, $3, $4, $5, $6)"
/* Checked by data_key_check first: kind and object_id end within their arrays. */
#define INSERT_ARGS(k)                                                                             \
	PG_ARGS(pg_text((k)->kind), pg_text((k)->object_id), pg_int((k)->object_version),          \
		pg_int((k)->level), pg_int((k)->org_key_version),                                  \
		pg_bytea((k)->wrapped, KEYWRAP_BYTES))

enum coffer_err pg_data_key_insert(struct pg_conn *c, const struct data_key_record *k)
{
	enum coffer_err err = data_key_check(k);
	if (err == COFFER_OK)
		err = pg_exec(c, INSERT_SQL, INSERT_ARGS(k));
	return err;
}

enum coffer_err pg_store_data_key_put(struct pg_org_db *odb, const struct data_key_record *k)
{
	enum coffer_err err = data_key_check(k);
	if (err == COFFER_OK)
		err = pg_org_exec(odb, INSERT_SQL, INSERT_ARGS(k));
	return err;
}

/* A column that must hold a version number (1..UINT32_MAX). */
static bool get_version(const PGresult *r, int row, int col, uint32_t *out)
{
	int64_t v = 0;
	if (!pg_get_int(r, row, col, &v) || v < 1 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum coffer_err pg_data_key_read(const PGresult *r, int row, int first, struct data_key_record *out)
{
	int64_t level = -1;
	if (!pg_get_text(r, row, first, out->kind, sizeof out->kind) ||
	    !pg_get_text(r, row, first + 1, out->object_id, sizeof out->object_id) ||
	    !get_version(r, row, first + 2, &out->object_version) ||
	    !pg_get_int(r, row, first + 3, &level) || level < LEVEL_PUBLIC ||
	    level > LEVEL_RESTRICTED || !get_version(r, row, first + 4, &out->org_key_version) ||
	    !pg_get_bytea_exact(r, row, first + 5, out->wrapped, KEYWRAP_BYTES))
		return COFFER_ERR_STORAGE;
	out->level = (enum level)level;
	return COFFER_OK;
}

/* A row of PG_DATA_KEY_COLUMNS. */
static enum coffer_err read_data_key(const PGresult *r, int row, void *out)
{
	return pg_data_key_read(r, row, 0, out);
}

enum coffer_err pg_store_data_key_get(struct pg_org_db *odb, const char *kind,
				      const char *object_id, uint32_t object_version,
				      struct data_key_record *out)
{
	struct data_key_record k; /* OUT changes only on success */
	/* Bounded before they are sent: an id that is not one names no key. */
	if (!uuid_valid(object_id) || strnlen(kind, sizeof out->kind) >= sizeof out->kind)
		return COFFER_ERR_NOT_FOUND;
	enum coffer_err err = pg_org_row(
	    odb,
	    "SELECT " PG_DATA_KEY_COLUMNS " FROM data_keys k WHERE "
	    "k.kind = $1 AND k.object_id = $2 AND k.object_version = $3",
	    PG_ARGS(pg_text(kind), pg_text(object_id), pg_int(object_version)), read_data_key, &k);
	if (err == COFFER_OK)
		*out = k;
	return err;
}

enum coffer_err pg_store_data_keys_wrapped_before(struct pg_org_db *odb, uint32_t org_key_version,
						  struct data_key_record *out, size_t max,
						  size_t *n)
{
	if (max > INT32_MAX)
		max = INT32_MAX; /* more than a result can hold */
	/* The organisation's databases use the C locale: the order is SQLite's, byte by byte. */
	return pg_org_rows(odb,
			   "SELECT " PG_DATA_KEY_COLUMNS " FROM data_keys k WHERE "
			   "k.org_key_version < $1 ORDER BY k.kind, k.object_id, k.object_version "
			   "LIMIT $2",
			   PG_ARGS(pg_int(org_key_version), pg_int((int64_t)max)), read_data_key,
			   out, sizeof *out, max, n);
}

/* Data keys re-wrapped: KEYS[i] replaces the one wrapped by version OLD_VERSION[i]. */
struct rewrapped {
	const struct data_key_record *keys;
	const uint32_t *old_version;
	size_t n;
};

/* Each row changes only if it is still wrapped by the version it was read with: one statement
 * each, a compare and set that a concurrent rewrap or deletion cannot be overwritten by. */
static enum coffer_err rewrap_tx(struct pg_conn *c, void *ctx)
{
	const struct rewrapped *rw = ctx;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < rw->n; i++) {
		const struct data_key_record *k = &rw->keys[i];
		if (!PG_FIELD_TERMINATED(k->kind) || !PG_FIELD_TERMINATED(k->object_id))
			return COFFER_ERR_INVALID_INPUT;
		err =
		    pg_exec(c,
			    "UPDATE data_keys SET wrapped = $1, org_key_version = $2 WHERE "
			    "kind = $3 AND object_id = $4 AND object_version = $5 AND "
			    "org_key_version = $6",
			    PG_ARGS(pg_bytea(k->wrapped, KEYWRAP_BYTES), pg_int(k->org_key_version),
				    pg_text(k->kind), pg_text(k->object_id),
				    pg_int(k->object_version), pg_int(rw->old_version[i])));
	}
	return err;
}

enum coffer_err pg_store_data_keys_rewrapped(struct pg_org_db *odb,
					     const struct data_key_record *keys,
					     const uint32_t *old_version, size_t n)
{
	struct rewrapped rw = {keys, old_version, n};
	return pg_org_tx(odb, rewrap_tx, &rw);
}
