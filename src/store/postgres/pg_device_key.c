/* pg_device_key.c — the key that authenticates device cookies (api/device_cookie.h), one per
 * deployment in the PostgreSQL system database, shared by every node.
 *
 * Design points:
 * - Made by whichever node needs it first: each node reads it, and only when none is stored
 *   offers its FRESH key with INSERT … ON CONFLICT DO NOTHING and reads again, in one
 *   transaction. Two nodes racing: the second's insert waits for the first's to commit, does
 *   nothing, and its read (a new snapshot, READ COMMITTED) finds the first's key; both use
 *   that one. No lock is needed.
 * - The key is a secret: it is never logged (a failed statement logs its SQLSTATE only), and
 *   the copies of ours are wiped once handed over. */
#include <sodium.h>

#include "store/postgres/pg_store_db.h"

#define DEVICE_KEY_BYTES 32

static enum coffer_err read_key(const PGresult *r, int row, void *out)
{
	return pg_get_bytea_exact(r, row, 0, out, DEVICE_KEY_BYTES) ? COFFER_OK
								    : COFFER_ERR_STORAGE;
}

static const char read_key_sql[] = "SELECT key FROM device_key WHERE id = 1";

/* The key made by whichever node needed it first. */
struct device_key_query {
	const uint8_t *fresh;
	int64_t now;
	uint8_t *out;
};

static enum coffer_err device_key_tx(struct pg_conn *c, void *ctx)
{
	const struct device_key_query *k = ctx;
	enum coffer_err err =
	    pg_exec(c,
		    "INSERT INTO device_key (id, key, created_at) VALUES (1, $1, $2) "
		    "ON CONFLICT (id) DO NOTHING",
		    PG_ARGS(pg_bytea(k->fresh, DEVICE_KEY_BYTES), pg_int(k->now)));
	if (err == COFFER_OK)
		err = pg_row(c, read_key_sql, PG_NO_ARGS, read_key, k->out);
	return err;
}

enum coffer_err pg_store_device_key(struct pg_store *st, const uint8_t fresh[32], int64_t now,
				    uint8_t out[32])
{
	uint8_t key[DEVICE_KEY_BYTES];
	struct device_key_query k = {fresh, now, key};
	/* Read first: only the very first call of a deployment writes. */
	enum coffer_err err = pg_sys_row(st, read_key_sql, PG_NO_ARGS, read_key, key);
	if (err == COFFER_ERR_NOT_FOUND)
		err = pg_sys_tx(st, device_key_tx, &k);
	if (err == COFFER_OK)
		memcpy(out, key, sizeof key);
	sodium_memzero(key, sizeof key);
	return err;
}
