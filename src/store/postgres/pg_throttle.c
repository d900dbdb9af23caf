/* pg_throttle.c — login throttling in the PostgreSQL system database, shared by every node:
 * consecutive failures per account and failures per source address in a sliding window (as
 * the SQLite store's throttle.c, whose design points hold here too).
 *
 * Design points:
 * - Every write to the throttling tables (here and pg_guesses.c) takes PG_LOCK_GUESSES first:
 *   they run one after the other whichever node they come from, as SQLite's one writer did.
 *   Beyond the claims that must be judged in order, this keeps two nodes' sweeps (which delete
 *   stale rows of any key) from waiting on each other's fresh rows in opposite orders, a
 *   deadlock; and each failure's statements see every failure committed before it.
 * - A reset takes the lock as well: a claim reads the account's count, decides and then counts
 *   one more; a reset landing between its read and its write would leave a count no order of
 *   the two calls gives.
 * - The sweeps delete by ctid, taken in the same statement from the bounded, indexed look-up
 *   (ctid = ANY (ARRAY(… LIMIT n))): a TID scan of at most n rows, never a scan of the table.
 */
#include "store/postgres/pg_throttle.h"

#include "store/guess_rules.h"
#include "store/postgres/pg_store_db.h"

static enum coffer_err read_account(const PGresult *r, int row, void *out)
{
	struct throttle_state *s = out;
	int64_t failures = 0, last = 0;
	if (!pg_get_int(r, row, 0, &failures) || !pg_get_int(r, row, 1, &last) || failures < 1 ||
	    failures > UINT32_MAX)
		return COFFER_ERR_STORAGE;
	s->account_failures = (uint32_t)failures;
	s->account_last = last;
	return COFFER_OK;
}

static enum coffer_err read_address(const PGresult *r, int row, void *out)
{
	struct throttle_state *s = out;
	int64_t failures = 0, last = 0;
	if (!pg_get_int(r, row, 0, &failures) || !pg_get_int(r, row, 1, &last) || failures < 0 ||
	    failures > UINT32_MAX)
		return COFFER_ERR_STORAGE;
	s->address_failures = (uint32_t)failures;
	s->address_last = last;
	return COFFER_OK;
}

enum coffer_err pg_throttle_read(struct pg_conn *c, const char *account, const char *address,
				 int64_t now, int64_t window, struct throttle_state *out)
{
	enum coffer_err err = COFFER_OK;
	if (account != NULL) {
		err = pg_row(c,
			     "SELECT failures, last_failure FROM throttle_accounts "
			     "WHERE account = $1 AND last_failure > $2",
			     PG_ARGS(pg_text(account), pg_int(now - GUESS_ACCOUNT_IDLE_S)),
			     read_account, out);
		if (err == COFFER_ERR_NOT_FOUND) /* none, or none for a day */
			err = COFFER_OK;
	}
	if (err != COFFER_OK)
		return err;
	err = pg_row(c,
		     "SELECT count(*), COALESCE(max(time), 0) FROM throttle_addresses "
		     "WHERE address = $1 AND time > $2",
		     PG_ARGS(pg_text(address), pg_int(now - window)), read_address, out);
	/* an aggregate always gives its one row */
	return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_STORAGE : err;
}

enum coffer_err pg_throttle_fail_address(struct pg_conn *c, const char *address, int64_t now,
					 int64_t window)
{
	int64_t stale = now - window;
	enum coffer_err err =
	    pg_exec(c, "INSERT INTO throttle_addresses (address, time) VALUES ($1, $2)",
		    PG_ARGS(pg_text(address), pg_int(now)));
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM throttle_addresses WHERE address = $1 AND time <= $2",
			      PG_ARGS(pg_text(address), pg_int(stale)));
	if (err == COFFER_OK)
		err = pg_exec(c,
			      "DELETE FROM throttle_addresses WHERE ctid = ANY (ARRAY("
			      "SELECT ctid FROM throttle_addresses WHERE time <= $1 LIMIT $2))",
			      PG_ARGS(pg_int(stale), pg_int(GUESS_SWEEP_ROWS)));
	return err;
}

enum coffer_err pg_throttle_fail_account(struct pg_conn *c, const char *account, int64_t now)
{
	int64_t idle = now - GUESS_ACCOUNT_IDLE_S;
	/* A count idle for a day starts again; the cap (2^30) is far past any back-off and far
	 * from wrapping a uint32_t; last_failure never moves back (clocks of several nodes a
	 * little apart). */
	enum coffer_err err =
	    pg_exec(c,
		    "INSERT INTO throttle_accounts AS a (account, failures, last_failure) "
		    "VALUES ($1, 1, $2::bigint) ON CONFLICT (account) DO UPDATE SET "
		    "failures = CASE WHEN a.last_failure > $3::bigint "
		    "THEN LEAST(a.failures + 1, 1073741824) ELSE 1 END, "
		    "last_failure = GREATEST(a.last_failure, $2::bigint)",
		    PG_ARGS(pg_text(account), pg_int(now), pg_int(idle)));
	if (err == COFFER_OK)
		err = pg_exec(
		    c,
		    "DELETE FROM throttle_accounts WHERE ctid = ANY (ARRAY("
		    "SELECT ctid FROM throttle_accounts WHERE last_failure <= $1 LIMIT $2))",
		    PG_ARGS(pg_int(idle), pg_int(GUESS_SWEEP_ROWS)));
	return err;
}

/* A look-up or a failure: the account and address, and the clock. */
struct throttle_query {
	const char *account, *address;
	int64_t now, window;
	struct throttle_state state; /* what a look-up found */
};

static enum coffer_err get_tx(struct pg_conn *c, void *ctx)
{
	struct throttle_query *q = ctx;
	return pg_throttle_read(c, q->account, q->address, q->now, q->window, &q->state);
}

enum coffer_err pg_store_throttle_get(struct pg_store *st, const char *account, const char *address,
				      int64_t now, int64_t window, struct throttle_state *out)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!guess_throttle_ok(account, address, now, window))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = pg_sys_tx(st, get_tx, &q);
	if (err == COFFER_OK)
		*out = q.state;
	return err;
}

static enum coffer_err fail_tx(struct pg_conn *c, void *ctx)
{
	const struct throttle_query *q = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	if (err == COFFER_OK)
		err = pg_throttle_fail_account(c, q->account, q->now);
	if (err == COFFER_OK)
		err = pg_throttle_fail_address(c, q->address, q->now, q->window);
	return err;
}

enum coffer_err pg_store_throttle_fail(struct pg_store *st, const char *account,
				       const char *address, int64_t now, int64_t window)
{
	struct throttle_query q = {account, address, now, window, {0}};
	if (!guess_throttle_ok(account, address, now, window))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, fail_tx, &q);
}

static enum coffer_err reset_tx(struct pg_conn *c, void *ctx)
{
	const struct throttle_query *q = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	if (err == COFFER_OK)
		err = pg_exec(c, "DELETE FROM throttle_accounts WHERE account = $1",
			      PG_ARGS(pg_text(q->account)));
	return err;
}

enum coffer_err pg_store_throttle_reset(struct pg_store *st, const char *account)
{
	struct throttle_query q = {account, NULL, 0, 0, {0}};
	if (!guess_key_ok(account))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, reset_tx, &q);
}
