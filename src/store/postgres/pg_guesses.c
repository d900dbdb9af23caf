/* pg_guesses.c — the sliding windows of failed guesses in the PostgreSQL system database
 * (signin/throttle.h says what they are for): failures per device cookie and per user over all
 * its device cookies, and wrong TOTP codes per user; and the claims that judge a guess and
 * count it at once (as the SQLite store's throttle.c).
 *
 * Design points:
 * - A claim takes PG_LOCK_GUESSES before it reads the counts, and keeps it until it has
 *   written what DECIDE named: guesses made at the same moment on any node are each judged
 *   with those before them already counted, so a burst cannot slip past a limit together.
 *   Every other write here takes the same lock first (pg_throttle.c says why).
 * - The tables have no row id (their columns are SQLite's, whose rowid PostgreSQL lacks), so
 *   a claim names the address and device rows it added by their content: WHO's key and the
 *   time it wrote, kept in the claim's address_row and device_row. Rows of one key and one
 *   time are alike in every way the windows read, so confirming or forgiving any one of them
 *   (ctid picked in the same statement, under the lock) is confirming or forgiving the one
 *   the claim added.
 * - A window is read as "full until": the MAX-th newest failure in it plus its length, one
 *   indexed look-up (ORDER BY time DESC LIMIT 1 OFFSET MAX - 1), never a scan of the window.
 */
#include "store/guess_rules.h"
#include "store/postgres/pg_store_db.h"
#include "store/postgres/pg_throttle.h"

/* A look-up or a failure of struct guess_who. */
struct guess_query {
	const struct guess_who *who;
	const struct guess_limits *lim;
	unsigned int flags;
	int64_t now;
	struct guess_state state; /* what a look-up found */
};

static enum coffer_err read_time(const PGresult *r, int row, void *out)
{
	return pg_get_int(r, row, 0, out) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* When the window W of SQL's rows (their times, for ARG) stops being full: the MAX-th newest
 * row newer than the window, plus its length; 0 when there are fewer. */
static enum coffer_err window_until(struct pg_conn *c, const char *sql, struct pg_arg arg,
				    const struct store_window *w, int64_t now, int64_t *until)
{
	int64_t nth = 0;
	enum coffer_err err =
	    pg_row(c, sql, PG_ARGS(arg, pg_int(now - w->window), pg_int((int64_t)w->max - 1)),
		   read_time, &nth);
	*until = 0;
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_OK;
	if (err == COFFER_OK)
		*until = nth + w->window;
	return err;
}

static const char device_window_sql[] =
    "SELECT time FROM throttle_devices WHERE device = $1 AND time > $2 "
    "ORDER BY time DESC LIMIT 1 OFFSET $3";
static const char devices_window_sql[] =
    "SELECT time FROM throttle_devices WHERE user_id = $1 AND time > $2 "
    "ORDER BY time DESC LIMIT 1 OFFSET $3";
static const char codes_window_sql[] =
    "SELECT time FROM throttle_codes WHERE user_id = $1 AND time > $2 "
    "ORDER BY time DESC LIMIT 1 OFFSET $3";

static enum coffer_err read_counts(struct pg_conn *c, struct guess_query *g)
{
	const struct guess_who *w = g->who;
	enum coffer_err err = pg_throttle_read(c, w->account, w->address, g->now,
					       g->lim->address_window, &g->state.untrusted);
	if (err == COFFER_OK && w->device != NULL)
		err = window_until(c, device_window_sql, pg_bytea(w->device, STORE_DEVICE_ID_BYTES),
				   &g->lim->device, g->now, &g->state.device_until);
	if (err == COFFER_OK && w->device != NULL)
		err = window_until(c, devices_window_sql, pg_text(w->user_id), &g->lim->devices,
				   g->now, &g->state.devices_until);
	if (err == COFFER_OK && w->user_id != NULL)
		err = window_until(c, codes_window_sql, pg_text(w->user_id), &g->lim->codes, g->now,
				   &g->state.codes_until);
	return err;
}

static enum coffer_err get_tx(struct pg_conn *c, void *ctx)
{
	return read_counts(c, ctx);
}

enum coffer_err pg_store_guess_get(struct pg_store *st, const struct guess_who *who,
				   const struct guess_limits *lim, int64_t now,
				   struct guess_state *out)
{
	struct guess_query g = {who, lim, 0, now, {{0}, 0, 0, 0}};
	if (!guess_who_ok(who, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = pg_sys_tx(st, get_tx, &g);
	if (err == COFFER_OK)
		*out = g.state;
	return err;
}

/* One failure at NOW in a window table: INSERT_SQL adds its row (with ARGS), SWEEP_SQL forgets
 * up to GUESS_SWEEP_ROWS rows of any key older than STALE. */
static enum coffer_err fail_window(struct pg_conn *c, const char *insert_sql, struct pg_args args,
				   const char *sweep_sql, int64_t stale)
{
	enum coffer_err err = pg_exec(c, insert_sql, args);
	if (err == COFFER_OK)
		err = pg_exec(c, sweep_sql, PG_ARGS(pg_int(stale), pg_int(GUESS_SWEEP_ROWS)));
	return err;
}

/* Counts one failure by W at NOW against what FLAGS name; what it added to CLAIM (unless
 * NULL). Inside a transaction holding PG_LOCK_GUESSES. */
static enum coffer_err count(struct pg_conn *c, const struct guess_who *w, unsigned int flags,
			     const struct guess_limits *lim, int64_t now, struct guess_claim *claim)
{
	enum coffer_err err = COFFER_OK;
	if (flags & STORE_GUESS_ADDRESS)
		err = pg_throttle_fail_address(c, w->address, now, lim->address_window);
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = pg_throttle_fail_account(c, w->account, now);
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE)) {
		int64_t longest = lim->device.window > lim->devices.window ? lim->device.window
									   : lim->devices.window;
		err = fail_window(c,
				  "INSERT INTO throttle_devices (device, user_id, time) "
				  "VALUES ($1, $2, $3)",
				  PG_ARGS(pg_bytea(w->device, STORE_DEVICE_ID_BYTES),
					  pg_text(w->user_id), pg_int(now)),
				  "DELETE FROM throttle_devices WHERE ctid = ANY (ARRAY("
				  "SELECT ctid FROM throttle_devices WHERE time <= $1 LIMIT $2))",
				  now - longest);
	}
	if (err == COFFER_OK && (flags & STORE_GUESS_CODE))
		err = fail_window(c, "INSERT INTO throttle_codes (user_id, time) VALUES ($1, $2)",
				  PG_ARGS(pg_text(w->user_id), pg_int(now)),
				  "DELETE FROM throttle_codes WHERE ctid = ANY (ARRAY("
				  "SELECT ctid FROM throttle_codes WHERE time <= $1 LIMIT $2))",
				  now - lim->codes.window);
	if (err == COFFER_OK && claim != NULL) {
		claim->flags = flags;
		/* The rows added, by the time they hold (see the design points). */
		claim->address_row = (flags & STORE_GUESS_ADDRESS) ? now : 0;
		claim->device_row = (flags & STORE_GUESS_DEVICE) ? now : 0;
	}
	return err;
}

static enum coffer_err fail_tx(struct pg_conn *c, void *ctx)
{
	const struct guess_query *g = ctx;
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	if (err == COFFER_OK)
		err = count(c, g->who, g->flags, g->lim, g->now, NULL);
	return err;
}

enum coffer_err pg_store_guess_fail(struct pg_store *st, const struct guess_who *who,
				    unsigned int flags, const struct guess_limits *lim, int64_t now)
{
	struct guess_query g = {who, lim, flags, now, {{0}, 0, 0, 0}};
	if (!guess_who_ok(who, lim, now) || !guess_flags_ok(who, flags))
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_tx(st, fail_tx, &g);
}

/* A claim: the lock, the look-up, the decision and the counting, in one transaction. */
struct claim_query {
	struct guess_query g;
	guess_decide_fn decide;
	void *ctx;
	struct guess_claim claim;
};

static enum coffer_err claim_tx(struct pg_conn *c, void *ctx)
{
	struct claim_query *q = ctx;
	memset(&q->claim, 0, sizeof q->claim);
	q->g.state = (struct guess_state){{0}, 0, 0, 0};
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	if (err == COFFER_OK)
		err = read_counts(c, &q->g);
	if (err != COFFER_OK)
		return err;
	unsigned int flags = q->decide(&q->g.state, q->g.now, q->ctx);
	if (!guess_flags_ok(q->g.who, flags))
		return COFFER_ERR_INVALID_INPUT; /* a bug in DECIDE */
	return count(c, q->g.who, flags, q->g.lim, q->g.now, &q->claim);
}

enum coffer_err pg_store_guess_claim(struct pg_store *st, const struct guess_who *who,
				     const struct guess_limits *lim, int64_t now,
				     guess_decide_fn decide, void *ctx, struct guess_claim *claim)
{
	struct claim_query q = {{who, lim, 0, now, {{0}, 0, 0, 0}}, decide, ctx, {0, 0, 0}};
	if (!guess_who_ok(who, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = pg_sys_tx(st, claim_tx, &q);
	if (err == COFFER_OK)
		*claim = q.claim;
	return err;
}

/* The one address row of WHO's that the claim added (by its time, $2). */
#define CLAIMED_ADDRESS_ROW                                                                        \
	"ctid = (SELECT ctid FROM throttle_addresses WHERE address = $1 AND time = $2 LIMIT 1)"
/* The one device row of WHO's device that the claim added (by its time, $2). */
#define CLAIMED_DEVICE_ROW                                                                         \
	"ctid = (SELECT ctid FROM throttle_devices WHERE device = $1 AND time = $2 LIMIT 1)"

/* Confirming a claim as a failure. */
struct confirm_query {
	struct guess_query g;
	const struct guess_claim *claim;
};

static enum coffer_err confirm_tx(struct pg_conn *c, void *ctx)
{
	const struct confirm_query *q = ctx;
	const struct guess_who *w = q->g.who;
	unsigned int flags = q->claim->flags;
	int64_t now = q->g.now;
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	/* Times never move back (several nodes' clocks a little apart). */
	if (err == COFFER_OK && (flags & STORE_GUESS_ADDRESS))
		err = pg_exec(
		    c,
		    "UPDATE throttle_addresses SET time = GREATEST(time, $3::bigint) "
		    "WHERE " CLAIMED_ADDRESS_ROW,
		    PG_ARGS(pg_text(w->address), pg_int(q->claim->address_row), pg_int(now)));
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE))
		err = pg_exec(c,
			      "UPDATE throttle_devices SET time = GREATEST(time, $3::bigint) "
			      "WHERE " CLAIMED_DEVICE_ROW,
			      PG_ARGS(pg_bytea(w->device, STORE_DEVICE_ID_BYTES),
				      pg_int(q->claim->device_row), pg_int(now)));
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = pg_exec(c,
			      "UPDATE throttle_accounts "
			      "SET last_failure = GREATEST(last_failure, $1::bigint) "
			      "WHERE account = $2",
			      PG_ARGS(pg_int(now), pg_text(w->account)));
	if (err == COFFER_OK && q->g.flags != 0)
		err = count(c, w, q->g.flags, q->g.lim, now, NULL);
	return err;
}

enum coffer_err pg_store_guess_confirm(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim, unsigned int code,
				       const struct guess_limits *lim, int64_t now)
{
	struct confirm_query q = {{who, lim, code, now, {{0}, 0, 0, 0}}, claim};
	if (!guess_confirm_ok(who, claim, code, lim, now))
		return COFFER_ERR_INVALID_INPUT;
	if (claim->flags == 0 && code == 0)
		return COFFER_OK;
	return pg_sys_tx(st, confirm_tx, &q);
}

/* Taking back a claim. */
struct forgive_query {
	const struct guess_who *who;
	const struct guess_claim *claim;
};

static enum coffer_err forgive_tx(struct pg_conn *c, void *ctx)
{
	const struct forgive_query *q = ctx;
	const struct guess_who *w = q->who;
	unsigned int flags = q->claim->flags;
	enum coffer_err err = pg_lock(c, PG_LOCK_GUESSES);
	if (err == COFFER_OK && (flags & STORE_GUESS_ADDRESS))
		err = pg_exec(c, "DELETE FROM throttle_addresses WHERE " CLAIMED_ADDRESS_ROW,
			      PG_ARGS(pg_text(w->address), pg_int(q->claim->address_row)));
	if (err == COFFER_OK && (flags & STORE_GUESS_DEVICE))
		err = pg_exec(c, "DELETE FROM throttle_devices WHERE " CLAIMED_DEVICE_ROW,
			      PG_ARGS(pg_bytea(w->device, STORE_DEVICE_ID_BYTES),
				      pg_int(q->claim->device_row)));
	/* One failure fewer; the time of the last stays (a wait counted from it can only be
	 * longer, never shorter). */
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err =
		    pg_exec(c, "DELETE FROM throttle_accounts WHERE account = $1 AND failures = 1",
			    PG_ARGS(pg_text(w->account)));
	if (err == COFFER_OK && (flags & STORE_GUESS_ACCOUNT))
		err = pg_exec(c,
			      "UPDATE throttle_accounts SET failures = failures - 1 "
			      "WHERE account = $1 AND failures > 1",
			      PG_ARGS(pg_text(w->account)));
	return err;
}

enum coffer_err pg_store_guess_forgive(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim)
{
	struct forgive_query q = {who, claim};
	if (!guess_forgive_ok(who, claim))
		return COFFER_ERR_INVALID_INPUT;
	if (claim->flags == 0)
		return COFFER_OK;
	return pg_sys_tx(st, forgive_tx, &q);
}
