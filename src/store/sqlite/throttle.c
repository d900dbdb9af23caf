/* throttle.c — failed-guess counts in the embedded system database, shared by every server:
 * consecutive failures per account, failures per source address in a sliding window, and
 * (signin/throttle.h) the sliding windows of failures per device cookie and of wrong TOTP codes
 * per user; and the key of the device cookies.
 *
 * Design points:
 * - An account's count is forgotten once it has been idle for a day (GUESS_ACCOUNT_IDLE_S): reads
 *   ignore such a row and the next failure starts again from one.
 * - The tables cannot grow without bound: each failure adds at most one row to each table it
 *   counts in, and removes up to GUESS_SWEEP_ROWS stale rows from each of them (rows older than
 *   their window, of any key; account rows idle for a day), so an attacker spraying addresses,
 *   accounts or device cookies never outpaces the sweep, and no call does more than a fixed
 *   amount of work beyond its own rows.
 * - A window is read as "full until": the MAX-th newest failure in it plus its length, one
 *   indexed look-up (ORDER BY time DESC LIMIT 1 OFFSET MAX - 1), never a scan of the window.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "store/guess_rules.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

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

/* ACCOUNT's consecutive failures, unless idle for a day, into OUT. */
static enum coffer_err get_account(sqlite3 *db, const char *account, int64_t now,
				   struct throttle_state *out)
{
	enum coffer_err err = db_row(db,
				     "SELECT failures, last_failure FROM throttle_accounts "
				     "WHERE account = ? AND last_failure > ?",
				     DB_ARGS(db_text(account), db_int(now - GUESS_ACCOUNT_IDLE_S)),
				     read_account, out);
	return err == COFFER_ERR_NOT_FOUND ? COFFER_OK : err; /* none, or none for a day */
}

/* ADDRESS's failures in the WINDOW before NOW into OUT. */
static enum coffer_err get_address(sqlite3 *db, const char *address, int64_t now, int64_t window,
				   struct throttle_state *out)
{
	enum coffer_err err =
	    db_row(db,
		   "SELECT count(*), coalesce(max(time), 0) FROM throttle_addresses "
		   "WHERE address = ? AND time > ?",
		   DB_ARGS(db_text(address), db_int(now - window)), read_address, out);
	/* an aggregate always gives its one row */
	return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_STORAGE : err;
}

static enum coffer_err get_tx(sqlite3 *db, void *ctx)
{
	struct throttle_query *q = ctx;
	enum coffer_err err = get_account(db, q->account, q->now, &q->state);
	if (err == COFFER_OK)
		err = get_address(db, q->address, q->now, q->window, &q->state);
	return err;
}

enum coffer_err sqlite_store_throttle_get(struct sqlite_store *st, const char *account,
					  const char *address, int64_t now, int64_t window,
					  struct throttle_state *out)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!guess_throttle_ok(account, address, now, window))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = db_pool_read(&st->pool, get_tx, &q);
	if (err == COFFER_OK)
		*out = q.state;
	return err;
}

/* One failure from ADDRESS at NOW, counted over WINDOW; its row's id to *ROW (unless NULL). */
static enum coffer_err fail_address(sqlite3 *db, const char *address, int64_t now, int64_t window,
				    int64_t *row)
{
	int64_t stale = now - window;
	enum coffer_err err =
	    db_exec(db, "INSERT INTO throttle_addresses (address, time) VALUES (?, ?)",
		    DB_ARGS(db_text(address), db_int(now)));
	if (err == COFFER_OK && row != NULL)
		*row = sqlite3_last_insert_rowid(db);
	if (err == COFFER_OK)
		err = db_exec(db, "DELETE FROM throttle_addresses WHERE address = ? AND time <= ?",
			      DB_ARGS(db_text(address), db_int(stale)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "DELETE FROM throttle_addresses WHERE rowid IN (SELECT rowid FROM "
			      "throttle_addresses WHERE time <= ? LIMIT ?)",
			      DB_ARGS(db_int(stale), db_int(GUESS_SWEEP_ROWS)));
	return err;
}

/* One more consecutive failure for ACCOUNT at NOW. */
static enum coffer_err fail_account(sqlite3 *db, const char *account, int64_t now)
{
	int64_t idle = now - GUESS_ACCOUNT_IDLE_S;
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
		    DB_ARGS(db_text(account), db_int(now), db_int(idle)));
	if (err == COFFER_OK)
		err = db_exec(db,
			      "DELETE FROM throttle_accounts WHERE rowid IN (SELECT rowid FROM "
			      "throttle_accounts WHERE last_failure <= ? LIMIT ?)",
			      DB_ARGS(db_int(idle), db_int(GUESS_SWEEP_ROWS)));
	return err;
}

static enum coffer_err fail_tx(sqlite3 *db, void *ctx)
{
	const struct throttle_query *q = ctx;
	enum coffer_err err = fail_account(db, q->account, q->now);
	if (err == COFFER_OK)
		err = fail_address(db, q->address, q->now, q->window, NULL);
	return err;
}

enum coffer_err sqlite_store_throttle_fail(struct sqlite_store *st, const char *account,
					   const char *address, int64_t now, int64_t window)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!guess_throttle_ok(account, address, now, window))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, fail_tx, &q);
}

enum coffer_err sqlite_store_throttle_reset(struct sqlite_store *st, const char *account)
{
	if (!guess_key_ok(account))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_exec(&st->pool, "DELETE FROM throttle_accounts WHERE account = ?",
			    DB_ARGS(db_text(account)));
}

/* --- device cookies and wrong codes ---------------------------------------------------- */

/* A look-up or a failure of struct guess_who. */
struct guess_query {
	const struct guess_who *who;
	const struct guess_limits *lim;
	unsigned int flags;
	int64_t now;
	struct guess_state state; /* what a look-up found */
};

/* When the window W of SQL's rows (their times, for ARG) stops being full: the MAX-th newest
 * row newer than the window, plus its length; 0 when there are fewer. */
static enum coffer_err window_until(sqlite3 *db, const char *sql, struct db_arg arg,
				    const struct store_window *w, int64_t now, int64_t *until)
{
	int64_t nth = 0;
	enum coffer_err err =
	    db_row(db, sql, DB_ARGS(arg, db_int(now - w->window), db_int(w->max - 1)),
		   db_read_int64, &nth);
	*until = 0;
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_OK;
	if (err == COFFER_OK)
		*until = nth + w->window;
	return err;
}

static const char device_window_sql[] =
    "SELECT time FROM throttle_devices WHERE device = ?1 AND time > ?2 "
    "ORDER BY time DESC LIMIT 1 OFFSET ?3";
static const char devices_window_sql[] =
    "SELECT time FROM throttle_devices WHERE user_id = ?1 AND time > ?2 "
    "ORDER BY time DESC LIMIT 1 OFFSET ?3";
static const char codes_window_sql[] =
    "SELECT time FROM throttle_codes WHERE user_id = ?1 AND time > ?2 "
    "ORDER BY time DESC LIMIT 1 OFFSET ?3";

static enum coffer_err guess_get_tx(sqlite3 *db, void *ctx)
{
	struct guess_query *g = ctx;
	const struct guess_who *w = g->who;
	enum coffer_err err = COFFER_OK;
	if (w->account != NULL)
		err = get_account(db, w->account, g->now, &g->state.untrusted);
	if (err == COFFER_OK)
		err = get_address(db, w->address, g->now, g->lim->address_window,
				  &g->state.untrusted);
	if (err == COFFER_OK && w->device != NULL)
		err = window_until(db, device_window_sql, db_blob(w->device, STORE_DEVICE_ID_BYTES),
				   &g->lim->device, g->now, &g->state.device_until);
	if (err == COFFER_OK && w->device != NULL)
		err = window_until(db, devices_window_sql, db_text(w->user_id), &g->lim->devices,
				   g->now, &g->state.devices_until);
	if (err == COFFER_OK && w->user_id != NULL)
		err = window_until(db, codes_window_sql, db_text(w->user_id), &g->lim->codes,
				   g->now, &g->state.codes_until);
	return err;
}

enum coffer_err sqlite_store_guess_get(struct sqlite_store *st, const struct guess_who *who,
				       const struct guess_limits *lim, int64_t now,
				       struct guess_state *out)
{
	struct guess_query g = {who, lim, 0, now, {{0}, 0, 0, 0}};
	if (!guess_who_ok(who, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = db_pool_read(&st->pool, guess_get_tx, &g);
	if (err == COFFER_OK)
		*out = g.state;
	return err;
}

/* One failure at NOW in a window table: INSERT_SQL adds its row (with ARGS; its id to *ROW
 * unless NULL), SWEEP_SQL forgets up to GUESS_SWEEP_ROWS rows of any key older than STALE. */
static enum coffer_err fail_window(sqlite3 *db, const char *insert_sql, struct db_args args,
				   int64_t *row, const char *sweep_sql, int64_t stale)
{
	enum coffer_err err = db_exec(db, insert_sql, args);
	if (err == COFFER_OK && row != NULL)
		*row = sqlite3_last_insert_rowid(db);
	if (err == COFFER_OK)
		err = db_exec(db, sweep_sql, DB_ARGS(db_int(stale), db_int(GUESS_SWEEP_ROWS)));
	return err;
}

/* Counts one failure by W at NOW against what FLAGS name; what it added to CLAIM (unless
 * NULL). */
static enum coffer_err count_tx(sqlite3 *db, const struct guess_who *w, unsigned int flags,
				const struct guess_limits *lim, int64_t now,
				struct guess_claim *claim)
{
	enum coffer_err err = COFFER_OK;
	if (flags & STORE_GUESS_ADDRESS)
		err = fail_address(db, w->address, now, lim->address_window,
				   claim != NULL ? &claim->address_row : NULL);
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = fail_account(db, w->account, now);
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE)) {
		int64_t longest = lim->device.window > lim->devices.window ? lim->device.window
									   : lim->devices.window;
		err = fail_window(db,
				  "INSERT INTO throttle_devices (device, user_id, time) "
				  "VALUES (?,?,?)",
				  DB_ARGS(db_blob(w->device, STORE_DEVICE_ID_BYTES),
					  db_text(w->user_id), db_int(now)),
				  claim != NULL ? &claim->device_row : NULL,
				  "DELETE FROM throttle_devices WHERE rowid IN (SELECT rowid FROM "
				  "throttle_devices WHERE time <= ? LIMIT ?)",
				  now - longest);
	}
	if (err == COFFER_OK && (flags & STORE_GUESS_CODE))
		err = fail_window(db, "INSERT INTO throttle_codes (user_id, time) VALUES (?, ?)",
				  DB_ARGS(db_text(w->user_id), db_int(now)), NULL,
				  "DELETE FROM throttle_codes WHERE rowid IN (SELECT rowid FROM "
				  "throttle_codes WHERE time <= ? LIMIT ?)",
				  now - lim->codes.window);
	if (err == COFFER_OK && claim != NULL)
		claim->flags = flags;
	return err;
}

static enum coffer_err guess_fail_tx(sqlite3 *db, void *ctx)
{
	const struct guess_query *g = ctx;
	return count_tx(db, g->who, g->flags, g->lim, g->now, NULL);
}

enum coffer_err sqlite_store_guess_fail(struct sqlite_store *st, const struct guess_who *who,
					unsigned int flags, const struct guess_limits *lim,
					int64_t now)
{
	struct guess_query g = {who, lim, flags, now, {{0}, 0, 0, 0}};
	if (!guess_who_ok(who, lim, now) || !guess_flags_ok(who, flags))
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_write(&st->pool, guess_fail_tx, &g);
}

/* A claim: the look-up, the decision and the counting, in one write transaction, so that
 * guesses made at the same moment (on any server) are judged one after the other. */
struct claim_query {
	struct guess_query g;
	guess_decide_fn decide;
	void *ctx;
	struct guess_claim claim;
};

static enum coffer_err claim_tx(sqlite3 *db, void *ctx)
{
	struct claim_query *c = ctx;
	memset(&c->claim, 0, sizeof c->claim);
	enum coffer_err err = guess_get_tx(db, &c->g);
	if (err != COFFER_OK)
		return err;
	unsigned int flags = c->decide(&c->g.state, c->g.now, c->ctx);
	if (!guess_flags_ok(c->g.who, flags))
		return COFFER_ERR_INVALID_INPUT; /* a bug in DECIDE */
	return count_tx(db, c->g.who, flags, c->g.lim, c->g.now, &c->claim);
}

enum coffer_err sqlite_store_guess_claim(struct sqlite_store *st, const struct guess_who *who,
					 const struct guess_limits *lim, int64_t now,
					 guess_decide_fn decide, void *ctx,
					 struct guess_claim *claim)
{
	struct claim_query c = {{who, lim, 0, now, {{0}, 0, 0, 0}}, decide, ctx, {0, 0, 0}};
	if (!guess_who_ok(who, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = db_pool_write(&st->pool, claim_tx, &c);
	if (err == COFFER_OK)
		*claim = c.claim;
	return err;
}

/* Confirming a claim as a failure. */
struct confirm_query {
	struct guess_query g;
	const struct guess_claim *claim;
};

static enum coffer_err confirm_tx(sqlite3 *db, void *ctx)
{
	const struct confirm_query *c = ctx;
	unsigned int flags = c->claim->flags;
	int64_t now = c->g.now;
	enum coffer_err err = COFFER_OK;
	/* Times never move back (several servers' clocks a little apart). */
	if (flags & STORE_GUESS_ADDRESS)
		err =
		    db_exec(db, "UPDATE throttle_addresses SET time = max(time, ?) WHERE rowid = ?",
			    DB_ARGS(db_int(now), db_int(c->claim->address_row)));
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE))
		err = db_exec(db, "UPDATE throttle_devices SET time = max(time, ?) WHERE rowid = ?",
			      DB_ARGS(db_int(now), db_int(c->claim->device_row)));
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = db_exec(db,
			      "UPDATE throttle_accounts SET last_failure = max(last_failure, ?) "
			      "WHERE account = ?",
			      DB_ARGS(db_int(now), db_text(c->g.who->account)));
	if (err == COFFER_OK && c->g.flags != 0)
		err = count_tx(db, c->g.who, c->g.flags, c->g.lim, now, NULL);
	return err;
}

enum coffer_err sqlite_store_guess_confirm(struct sqlite_store *st, const struct guess_who *who,
					   const struct guess_claim *claim, unsigned int code,
					   const struct guess_limits *lim, int64_t now)
{
	struct confirm_query c = {{who, lim, code, now, {{0}, 0, 0, 0}}, claim};
	if (!guess_confirm_ok(who, claim, code, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	if (claim->flags == 0 && code == 0)
		return COFFER_OK;
	return db_pool_write(&st->pool, confirm_tx, &c);
}

/* Taking back a claim. */
struct forgive_query {
	const struct guess_who *who;
	const struct guess_claim *claim;
};

static enum coffer_err forgive_tx(sqlite3 *db, void *ctx)
{
	const struct forgive_query *f = ctx;
	unsigned int flags = f->claim->flags;
	enum coffer_err err = COFFER_OK;
	if (flags & STORE_GUESS_ADDRESS)
		err = db_exec(db, "DELETE FROM throttle_addresses WHERE rowid = ?",
			      DB_ARGS(db_int(f->claim->address_row)));
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE))
		err = db_exec(db, "DELETE FROM throttle_devices WHERE rowid = ?",
			      DB_ARGS(db_int(f->claim->device_row)));
	/* One failure fewer; the time of the last stays (a wait counted from it can only be
	 * longer, never shorter). */
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err =
		    db_exec(db, "DELETE FROM throttle_accounts WHERE account = ? AND failures = 1",
			    DB_ARGS(db_text(f->who->account)));
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = db_exec(db,
			      "UPDATE throttle_accounts SET failures = failures - 1 "
			      "WHERE account = ? AND failures > 1",
			      DB_ARGS(db_text(f->who->account)));
	return err;
}

enum coffer_err sqlite_store_guess_forgive(struct sqlite_store *st, const struct guess_who *who,
					   const struct guess_claim *claim)
{
	struct forgive_query f = {who, claim};
	if (!guess_forgive_ok(who, claim))
		return COFFER_ERR_INVALID_INPUT;
	if (claim->flags == 0)
		return COFFER_OK;
	return db_pool_write(&st->pool, forgive_tx, &f);
}

/* The key made by whichever server needed it first. */
struct device_key_query {
	const uint8_t *fresh;
	int64_t now;
	uint8_t *out;
};

static enum coffer_err read_key(sqlite3_stmt *s, void *out)
{
	return db_column_blob(s, 0, out, 32) ? COFFER_OK : COFFER_ERR_STORAGE;
}

static enum coffer_err device_key_tx(sqlite3 *db, void *ctx)
{
	const struct device_key_query *k = ctx;
	/* Two servers may race to make it: the first insert wins, and both read that one. */
	enum coffer_err err =
	    db_exec(db,
		    "INSERT INTO device_key (id, key, created_at) VALUES (1, ?, ?) "
		    "ON CONFLICT (id) DO NOTHING",
		    DB_ARGS(db_blob(k->fresh, 32), db_int(k->now)));
	if (err == COFFER_OK)
		err = db_row(db, "SELECT key FROM device_key WHERE id = 1", DB_NO_ARGS, read_key,
			     k->out);
	return err;
}

enum coffer_err sqlite_store_device_key(struct sqlite_store *st, const uint8_t fresh[32],
					int64_t now, uint8_t out[32])
{
	uint8_t key[32];
	struct device_key_query k = {fresh, now, key};
	/* Read first: only the very first call of a deployment writes. */
	enum coffer_err err = db_pool_row(&st->pool, "SELECT key FROM device_key WHERE id = 1",
					  DB_NO_ARGS, read_key, key);
	if (err == COFFER_ERR_NOT_FOUND)
		err = db_pool_write(&st->pool, device_key_tx, &k);
	if (err == COFFER_OK)
		memcpy(out, key, sizeof key);
	sodium_memzero(key, sizeof key);
	return err;
}
