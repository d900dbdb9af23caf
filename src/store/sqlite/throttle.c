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

#include "store/sqlite/query.h"
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

static enum coffer_err read_account(sqlite3_stmt *s, void *out)
{
	struct throttle_state *r = out;
	r->account_failures = (uint32_t)sqlite3_column_int64(s, 0);
	r->account_last = sqlite3_column_int64(s, 1);
	return COFFER_OK;
}

static enum coffer_err read_address(sqlite3_stmt *s, void *out)
{
	struct throttle_state *r = out;
	r->address_failures = (uint32_t)sqlite3_column_int64(s, 0);
	r->address_last = sqlite3_column_int64(s, 1);
	return COFFER_OK;
}

/* A look-up or a failure: the account and address, and the clock. */
struct throttle_query {
	const char *account, *address;
	int64_t now, window;
	struct throttle_state state; /* what a look-up found */
};

static enum coffer_err get_tx(sqlite3 *db, void *ctx)
{
	struct throttle_query *q = ctx;
	enum coffer_err err = db_row(db,
				     "SELECT failures, last_failure FROM throttle_accounts "
				     "WHERE account = ? AND last_failure > ?",
				     DB_ARGS(db_text(q->account), db_int(q->now - ACCOUNT_IDLE_S)),
				     read_account, &q->state);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK; /* no failures, or none for a day */
	if (err == COFFER_OK) {
		err = db_row(db,
			     "SELECT count(*), coalesce(max(time), 0) FROM throttle_addresses "
			     "WHERE address = ? AND time > ?",
			     DB_ARGS(db_text(q->address), db_int(q->now - q->window)), read_address,
			     &q->state);
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_ERR_STORAGE; /* an aggregate always gives its one row */
	}
	return err;
}

static bool query_ok(const struct throttle_query *q)
{
	return key_ok(q->account) && key_ok(q->address) && q->now >= 0 && q->window > 0;
}

enum coffer_err store_throttle_get(struct store *st, const char *account, const char *address,
				   int64_t now, int64_t window, struct throttle_state *out)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!query_ok(&q))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = db_pool_read(&st->pool, get_tx, &q);
	if (err == COFFER_OK)
		*out = q.state;
	return err;
}

static enum coffer_err fail_tx(sqlite3 *db, void *ctx)
{
	const struct throttle_query *q = ctx;
	int64_t idle = q->now - ACCOUNT_IDLE_S, stale = q->now - q->window;
	/* A count idle for a day starts again; the cap (2^30) is far past any back-off and far
	 * from wrapping a uint32_t; last_failure never moves back (clocks of several servers a
	 * little apart). */
	enum coffer_err err =
	    db_exec(db,
		    "INSERT INTO throttle_accounts (account, failures, last_failure) "
		    "VALUES (?1, 1, ?2) ON CONFLICT (account) DO UPDATE SET "
		    "failures = CASE WHEN last_failure > ?3 "
		    "THEN min(failures + 1, 1073741824) ELSE 1 END, "
		    "last_failure = max(last_failure, ?2)",
		    DB_ARGS(db_text(q->account), db_int(q->now), db_int(idle)));
	if (err == COFFER_OK)
		err = db_exec(db, "INSERT INTO throttle_addresses (address, time) VALUES (?, ?)",
			      DB_ARGS(db_text(q->address), db_int(q->now)));
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM throttle_addresses WHERE address = ? AND time <= ?",
			      DB_ARGS(db_text(q->address), db_int(stale)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "DELETE FROM throttle_addresses WHERE rowid IN (SELECT rowid FROM "
			      "throttle_addresses WHERE time <= ? LIMIT ?)",
			      DB_ARGS(db_int(stale), db_int(SWEEP_ROWS)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "DELETE FROM throttle_accounts WHERE rowid IN (SELECT rowid FROM "
			      "throttle_accounts WHERE last_failure <= ? LIMIT ?)",
			      DB_ARGS(db_int(idle), db_int(SWEEP_ROWS)));
	return err;
}

enum coffer_err store_throttle_fail(struct store *st, const char *account, const char *address,
				    int64_t now, int64_t window)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!query_ok(&q))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, fail_tx, &q);
}

enum coffer_err store_throttle_reset(struct store *st, const char *account)
{
	if (!key_ok(account))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_exec(&st->pool, "DELETE FROM throttle_accounts WHERE account = ?",
			    DB_ARGS(db_text(account)));
}
