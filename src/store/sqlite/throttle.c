/* throttle.c — failed-login counts in the embedded system database, shared by every server:
 * consecutive failures per account, and failures per source address in a sliding window.
 *
 * Design points:
 * - An account's count is forgotten once it has been idle for a day (ACCOUNT_IDLE_S): reads
 *   ignore such a row and the next failure starts again from one.
 * - The tables cannot grow without bound: each failure adds at most one row to each, and
 *   removes up to SWEEP_ROWS stale rows from each (address rows older than the window, of any
 *   address; account rows idle for a day), so an attacker spraying addresses or accounts never
 *   outpaces the sweep, and no call does more than a fixed amount of work beyond its own rows.
 */
#include <string.h>

#include "store/sqlite/db.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

#define ACCOUNT_IDLE_S 86400
#define SWEEP_ROWS     8
#define KEY_MAX	       320 /* an account (email) or an address, as text */

static bool key_ok(const char *key)
{
	size_t n = strnlen(key, KEY_MAX + 1);
	return n >= 1 && n <= KEY_MAX;
}

enum coffer_err store_throttle_get(struct store *st, const char *account, const char *address,
				   int64_t now, int64_t window, struct throttle_state *out)
{
	if (!key_ok(account) || !key_ok(address) || now < 0 || window <= 0)
		return COFFER_ERR_INVALID_INPUT;
	struct throttle_state r = {0};
	sqlite3 *db = db_pool_get(&st->pool);
	sqlite3_stmt *acc = NULL, *addr = NULL;
	int rc;
	enum coffer_err err = db_begin_read(db);
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "SELECT failures, last_failure FROM throttle_accounts "
				 "WHERE account = ? AND last_failure > ?",
				 &acc);
	if (err == COFFER_OK) {
		sqlite3_bind_text(acc, 1, account, -1, SQLITE_STATIC);
		sqlite3_bind_int64(acc, 2, now - ACCOUNT_IDLE_S);
		rc = sqlite3_step(acc);
		if (rc == SQLITE_ROW) {
			r.account_failures = (uint32_t)sqlite3_column_int64(acc, 0);
			r.account_last = sqlite3_column_int64(acc, 1);
		} else if (rc != SQLITE_DONE) {
			err = db_err(rc);
		}
	}
	if (err == COFFER_OK)
		err = db_prepare(db,
				 "SELECT count(*), coalesce(max(time), 0) FROM throttle_addresses "
				 "WHERE address = ? AND time > ?",
				 &addr);
	if (err == COFFER_OK) {
		sqlite3_bind_text(addr, 1, address, -1, SQLITE_STATIC);
		sqlite3_bind_int64(addr, 2, now - window);
		rc = sqlite3_step(addr);
		if (rc == SQLITE_ROW) {
			r.address_failures = (uint32_t)sqlite3_column_int64(addr, 0);
			r.address_last = sqlite3_column_int64(addr, 1);
		} else {
			err = db_err(rc) == COFFER_OK ? COFFER_ERR_STORAGE : db_err(rc);
		}
	}
	db_finish(acc);
	db_finish(addr);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	if (err == COFFER_OK)
		*out = r;
	return err;
}

/* Prepares SQL, binds the text T (when not NULL) to ?1 and the integers A and B to ?2 and ?3
 * (a parameter the statement lacks is not bound), and runs it. */
static enum coffer_err exec(sqlite3 *db, const char *sql, const char *t, int64_t a, int64_t b)
{
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_prepare(db, sql, &s);
	if (err == COFFER_OK) {
		if (t != NULL)
			sqlite3_bind_text(s, 1, t, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, a);
		sqlite3_bind_int64(s, 3, b);
		err = db_step_done(s);
	}
	db_finish(s);
	return err;
}

enum coffer_err store_throttle_fail(struct store *st, const char *account, const char *address,
				    int64_t now, int64_t window)
{
	if (!key_ok(account) || !key_ok(address) || now < 0 || window <= 0)
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err = db_begin(db);
	/* A count idle for a day starts again; the cap (2^30) is far past any back-off and far
	 * from wrapping a uint32_t; last_failure never moves back (clocks of several servers a
	 * little apart). */
	if (err == COFFER_OK)
		err = exec(db,
			   "INSERT INTO throttle_accounts (account, failures, last_failure) "
			   "VALUES (?1, 1, ?2) ON CONFLICT (account) DO UPDATE SET "
			   "failures = CASE WHEN last_failure > ?3 "
			   "THEN min(failures + 1, 1073741824) ELSE 1 END, "
			   "last_failure = max(last_failure, ?2)",
			   account, now, now - ACCOUNT_IDLE_S);
	if (err == COFFER_OK)
		err = exec(db, "INSERT INTO throttle_addresses (address, time) VALUES (?1, ?2)",
			   address, now, 0);
	if (err == COFFER_OK)
		err = exec(db, "DELETE FROM throttle_addresses WHERE address = ?1 AND time <= ?2",
			   address, now - window, 0);
	if (err == COFFER_OK)
		err = exec(db,
			   "DELETE FROM throttle_addresses WHERE rowid IN (SELECT rowid FROM "
			   "throttle_addresses WHERE time <= ?2 LIMIT ?3)",
			   NULL, now - window, SWEEP_ROWS);
	if (err == COFFER_OK)
		err = exec(db,
			   "DELETE FROM throttle_accounts WHERE rowid IN (SELECT rowid FROM "
			   "throttle_accounts WHERE last_failure <= ?2 LIMIT ?3)",
			   NULL, now - ACCOUNT_IDLE_S, SWEEP_ROWS);
	err = db_end(db, err);
	db_pool_put(&st->pool, db);
	return err;
}

enum coffer_err store_throttle_reset(struct store *st, const char *account)
{
	if (!key_ok(account))
		return COFFER_ERR_INVALID_INPUT;
	sqlite3 *db = db_pool_get(&st->pool);
	enum coffer_err err =
	    exec(db, "DELETE FROM throttle_accounts WHERE account = ?1", account, 0, 0);
	db_pool_put(&st->pool, db);
	return err;
}
