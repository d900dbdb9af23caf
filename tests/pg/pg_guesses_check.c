/* pg_guesses_check.c — the PostgreSQL store's login throttling, guess windows, claims and
 * device-cookie key (src/store/postgres/pg_throttle.c, pg_guesses.c, pg_device_key.c) against a
 * real server. tests/e2e/test_pg_guesses.py starts a throwaway PostgreSQL and runs
 *
 *	pg_guesses_check SCENARIO
 *
 * with the server in the environment as pg_check.h says. Each scenario empties the throttling
 * tables (and the device key) of the system database first, so the scenarios run one at a time.
 *	same	 one long seeded sequence of every call, valid and not, on PostgreSQL and on SQLite
 *		 (a scratch system.db): every answer, every count DECIDE is shown, and the rows
 *		 the windows still count must be the same on both
 *	race	 two nodes (two stores, each its own pool) claim at the same moment from many
 *		 threads: each limit lets exactly its number through
 *	sweep	 a failure removes its key's stale rows and a bounded number of others'
 *	device_key two nodes racing to make the key: every caller gets the same one, kept */
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <unistd.h>

#include "common/log.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"
#include "pg_check.h"

/* --- the stores ---------------------------------------------------------------------------- */

static char data_dir[] = "/tmp/pg_guesses_check.XXXXXX";

/* A node: the system database on the server in the environment, THREADS connections. */
static struct store *open_pg_store(unsigned int connections)
{
	struct pg_target t = target(connections);
	const char *path = env("COFFER_PG_PASSWORD_FILE", "");
	FILE *f = fopen(path, "r");
	char *pw = sodium_malloc(256);
	if (f == NULL || pw == NULL || fgets(pw, 256, f) == NULL) {
		fprintf(stderr, "cannot read the password file %s\n", path);
		exit(2);
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	struct store_location loc = {.data_dir = data_dir, .pg = &t, .pg_password = pw};
	struct store *st = NULL;
	enum coffer_err err = store_open(&loc, &st);
	sodium_free(pw);
	if (err != COFFER_OK) {
		fprintf(stderr, "store_open: %s\n", coffer_err_info(err)->code);
		exit(2);
	}
	return st;
}

/* Empties the tables these calls write (made first, by a store's migration), on a connection
 * of its own. */
static void empty_tables(void)
{
	store_close(open_pg_store(1));
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	if (pg_pool_get(pool, NULL, &c) != COFFER_OK ||
	    pg_exec(c,
		    "TRUNCATE throttle_accounts, throttle_addresses, throttle_devices, "
		    "throttle_codes, device_key",
		    PG_NO_ARGS) != COFFER_OK) {
		fprintf(stderr, "cannot empty the throttling tables\n");
		exit(2);
	}
	pg_pool_put(pool, c);
	pg_pool_close(pool);
}

/* --- same: PostgreSQL answers as SQLite does ---------------------------------------------- */

/* A tiny deterministic generator (the sequence must be the same on every run). */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const struct guess_limits limits = {
    .address_window = 300,
    .device = {3, 1000},
    .devices = {5, 1000},
    .codes = {3, 500},
};

static const char *const accounts[] = {"ann@example.org", "bob@example.org", NULL};
static const char *const addresses[] = {"192.0.2.1", "2001:db8::7"};
static const char *const users[] = {"00000000-0000-4000-8000-000000000001",
				    "00000000-0000-4000-8000-000000000002", NULL};
static const uint8_t devices[3][STORE_DEVICE_ID_BYTES] = {{1}, {2}, {3}};

/* A random WHO: an account or none, an address, a user or none, a device of the user or none. */
static struct guess_who random_who(void)
{
	struct guess_who w = {accounts[rnd(3)], addresses[rnd(2)], NULL, NULL};
	unsigned int u = rnd(3);
	w.user_id = users[u];
	if (w.user_id != NULL && rnd(2))
		w.device = devices[u == 0 ? rnd(2) : 2];
	return w;
}

/* What DECIDE saw, and what it answers: a function of the counts only, so that both engines
 * answer the same when they show the same counts. */
struct decide_log {
	const struct guess_who *who; /* whose guess: DECIDE names only what it has */
	struct guess_state seen;
	int64_t now;
	int calls;
};

static unsigned int decide(const struct guess_state *s, int64_t now, void *ctx)
{
	struct decide_log *log = ctx;
	log->seen = *s;
	log->now = now;
	log->calls++;
	unsigned int flags = STORE_GUESS_ADDRESS;
	if (s->untrusted.address_failures >= 3 || s->codes_until > now)
		return 0;
	if (log->who != NULL && log->who->device != NULL && s->device_until <= now &&
	    s->devices_until <= now)
		flags |= STORE_GUESS_DEVICE;
	else if (log->who == NULL || log->who->account != NULL)
		flags |= STORE_GUESS_ACCOUNT;
	return flags;
}

/* One engine's side of the sequence. */
struct side {
	struct store *st;
	struct guess_claim last_claim;
	struct guess_who last_who;
	int64_t claimed_at;
	bool have_claim;
};

/* One call's answer, to compare. */
struct answer {
	enum coffer_err err;
	struct guess_state state;
	struct guess_claim claim; /* flags only: the rows name what each engine added its way */
	struct decide_log decided;
};

/* DECIDE names only what WHO has; a bug in it is INVALID_INPUT, tried now and then. */
static unsigned int decide_wrongly(const struct guess_state *s, int64_t now, void *ctx)
{
	(void)s;
	(void)now;
	(void)ctx;
	return 64;
}

static struct answer step(struct side *sd, unsigned int op, const struct guess_who *w,
			  unsigned int flags, int64_t now)
{
	struct answer a;
	memset(&a, 0, sizeof a);
	/* A guess is confirmed or forgiven within seconds of its claim: later, its rows may have
	 * gone stale, and which stale rows a sweep took differs from engine to engine. */
	if (sd->have_claim && now - sd->claimed_at > 60)
		sd->have_claim = false;
	switch (op) {
	case 0:
		a.err = store_throttle_get(sd->st, w->account ? w->account : "nobody", w->address,
					   now, limits.address_window, &a.state.untrusted);
		break;
	case 1:
		a.err = store_throttle_fail(sd->st, w->account ? w->account : "nobody", w->address,
					    now, limits.address_window);
		break;
	case 2: a.err = store_throttle_reset(sd->st, w->account ? w->account : ""); break;
	case 3: a.err = store_guess_get(sd->st, w, &limits, now, &a.state); break;
	case 4: a.err = store_guess_fail(sd->st, w, flags, &limits, now); break;
	case 5:
		a.decided.who = w;
		a.err = store_guess_claim(sd->st, w, &limits, now, decide, &a.decided, &a.claim);
		if (a.err == COFFER_OK && a.claim.flags != 0) {
			sd->last_claim = a.claim;
			sd->last_who = *w;
			sd->claimed_at = now;
			sd->have_claim = true;
		}
		break;
	case 6:
		if (sd->have_claim) {
			a.err = store_guess_confirm(sd->st, &sd->last_who, &sd->last_claim,
						    flags & STORE_GUESS_CODE, &limits, now);
			sd->have_claim = false;
		}
		break;
	case 7:
		if (sd->have_claim) {
			a.err = store_guess_forgive(sd->st, &sd->last_who, &sd->last_claim);
			sd->have_claim = false;
		}
		break;
	case 8:
		a.err = store_guess_claim(sd->st, w, &limits, now, decide_wrongly, NULL, &a.claim);
		break;
	default: break;
	}
	a.decided.who = NULL;
	a.claim.address_row = a.claim.device_row = 0;
	return a;
}

/* The rows each window still counts at NOW, as text, from SQLite's system.db. */
static void sqlite_live_rows(int64_t now, char *out, size_t outlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/system.db", data_dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		db,
		"SELECT coalesce((SELECT group_concat(r, ';') FROM (SELECT account || ' ' || "
		"failures || ' ' || last_failure AS r FROM throttle_accounts WHERE last_failure > "
		"?1 - 86400 ORDER BY r)), '') || '|' || coalesce((SELECT group_concat(r, ';') FROM "
		"(SELECT address || ' ' || time AS r FROM throttle_addresses WHERE time > ?1 - 300 "
		"ORDER BY r)), '') || '|' || coalesce((SELECT group_concat(r, ';') FROM (SELECT "
		"hex(device) || ' ' || user_id || ' ' || time AS r FROM throttle_devices WHERE "
		"time > ?1 - 1000 ORDER BY r)), '') || '|' || coalesce((SELECT group_concat(r, "
		"';') FROM (SELECT user_id || ' ' || time AS r FROM throttle_codes WHERE time > ?1 "
		"- 500 ORDER BY r)), '')",
		-1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot read system.db: %s\n", sqlite3_errmsg(db));
		exit(2);
	}
	sqlite3_bind_int64(s, 1, now);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The same from PostgreSQL. */
static void pg_live_rows(struct pg_conn *c, int64_t now, char *out, size_t outlen)
{
	if (scalar(
		c,
		"SELECT coalesce((SELECT string_agg(r, ';' ORDER BY r COLLATE \"C\") FROM (SELECT "
		"account || ' ' || failures || ' ' || last_failure AS r FROM throttle_accounts "
		"WHERE last_failure > $1::bigint - 86400) x), '') || '|' || coalesce((SELECT "
		"string_agg(r, ';' ORDER BY r COLLATE \"C\") FROM (SELECT address || ' ' || time "
		"AS r FROM throttle_addresses WHERE time > $1::bigint - 300) x), '') || '|' || "
		"coalesce((SELECT string_agg(r, ';' ORDER BY r COLLATE \"C\") FROM (SELECT "
		"upper(encode(device, 'hex')) || ' ' || user_id || ' ' || time AS r FROM "
		"throttle_devices WHERE time > $1::bigint - 1000) x), '') || '|' || "
		"coalesce((SELECT string_agg(r, ';' ORDER BY r COLLATE \"C\") FROM (SELECT "
		"user_id || ' ' || time AS r FROM throttle_codes WHERE time > $1::bigint - 500) "
		"x), '')",
		PG_ARGS(pg_int(now)), out, outlen) != COFFER_OK) {
		fprintf(stderr, "cannot read the PostgreSQL tables\n");
		exit(2);
	}
}

static bool same_answer(const struct answer *a, const struct answer *b)
{
	return a->err == b->err && memcmp(&a->state, &b->state, sizeof a->state) == 0 &&
	       a->claim.flags == b->claim.flags && a->decided.calls == b->decided.calls &&
	       memcmp(&a->decided.seen, &b->decided.seen, sizeof a->decided.seen) == 0;
}

static void scenario_same(void)
{
	empty_tables();
	if (store_system_create(data_dir) != COFFER_OK) {
		fprintf(stderr, "cannot create the SQLite system database\n");
		exit(2);
	}
	struct side lite = {0}, post = {0};
	if (store_system_open(data_dir, &lite.st) != COFFER_OK)
		exit(2);
	post.st = open_pg_store(2);
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	if (pg_pool_get(pool, NULL, &c) != COFFER_OK)
		exit(2);

	int64_t now = 1700000000;
	int differ = 0, compared = 0, rows_differ = 0, counted = 0, refused = 0, waited = 0;
	int ops[9] = {0};
	for (int i = 0; i < 3000; i++) {
		unsigned int op = rnd(9);
		struct guess_who w = random_who();
		unsigned int flags = rnd(16);
		/* Now and then a bad call: both must refuse it alike. */
		if (rnd(40) == 0)
			w.address = "";
		if (rnd(60) == 0)
			w.user_id = NULL;
		struct answer a = step(&lite, op, &w, flags, now);
		struct answer b = step(&post, op, &w, flags, now);
		ops[op]++;
		compared++;
		if (!same_answer(&a, &b)) {
			if (differ++ < 5)
				printf("# step %d op %u: SQLite %s flags %u addr %u/%" PRId64
				       " acct %u/%" PRId64 " until %" PRId64 "/%" PRId64 "/%" PRId64
				       "; PostgreSQL %s flags %u addr %u/%" PRId64
				       " acct %u/%" PRId64 " until %" PRId64 "/%" PRId64 "/%" PRId64
				       "\n",
				       i, op, coffer_err_info(a.err)->code, a.claim.flags,
				       a.state.untrusted.address_failures,
				       a.state.untrusted.address_last,
				       a.state.untrusted.account_failures,
				       a.state.untrusted.account_last, a.state.device_until,
				       a.state.devices_until, a.state.codes_until,
				       coffer_err_info(b.err)->code, b.claim.flags,
				       b.state.untrusted.address_failures,
				       b.state.untrusted.address_last,
				       b.state.untrusted.account_failures,
				       b.state.untrusted.account_last, b.state.device_until,
				       b.state.devices_until, b.state.codes_until);
		}
		if (a.err == COFFER_ERR_INVALID_INPUT)
			refused++;
		if (op == 5 && a.err == COFFER_OK)
			(a.claim.flags ? counted++ : waited++);
		if (i % 50 == 49) {
			char x[65536], y[65536];
			sqlite_live_rows(now, x, sizeof x);
			pg_live_rows(c, now, y, sizeof y);
			if (strcmp(x, y) != 0 && rows_differ++ < 3)
				printf(
				    "# step %d rows differ:\n#  SQLite     %s\n#  PostgreSQL %s\n",
				    i, x, y);
		}
		now += rnd(25) == 0 ? rnd(900) : rnd(6);
	}
	printf("# ops:");
	for (int i = 0; i < 9; i++)
		printf(" %d", ops[i]);
	printf("; claims counted %d, told to wait %d; refused %d\n", counted, waited, refused);
	check(differ == 0, "every answer is SQLite's", "%d of %d differ", differ, compared);
	check(rows_differ == 0, "the rows the windows count are SQLite's", "%d checks differ",
	      rows_differ);
	check(counted > 50 && waited > 50 && refused > 50,
	      "the sequence claims, waits and refuses often", "%d, %d, %d", counted, waited,
	      refused);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
	store_close(post.st);
	store_close(lite.st);
}

/* --- race: claims at the same moment on two nodes --------------------------------------------- */

#define RACE_THREADS 12 /* per node */

struct racer {
	struct store *st;
	const struct guess_who *who;
	unsigned int want; /* what DECIDE names while the window lets it */
	int64_t now;
	pthread_barrier_t *start;
	enum coffer_err err;
	struct guess_claim claim;
	uint32_t seen_failures; /* the address failures DECIDE was shown */
};

static unsigned int decide_limit(const struct guess_state *s, int64_t now, void *ctx)
{
	struct racer *r = ctx;
	r->seen_failures = s->untrusted.address_failures;
	if (r->want & STORE_GUESS_DEVICE)
		return s->device_until > now ? 0 : r->want;
	return s->untrusted.address_failures >= 5 ? 0 : r->want;
}

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->start);
	r->err = store_guess_claim(r->st, r->who, &limits, r->now, decide_limit, r, &r->claim);
	return NULL;
}

/* 2 × RACE_THREADS claims by WHO at once, DECIDE naming WANT while the limit lets it; how many
 * were counted into *COUNTED, and whether each was shown the ones before it. */
static void race_once(struct store *nodes[2], const struct guess_who *who, unsigned int want,
		      int64_t now, int *counted, bool *in_order)
{
	struct racer r[2 * RACE_THREADS];
	pthread_t th[2 * RACE_THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2 * RACE_THREADS);
	for (int i = 0; i < 2 * RACE_THREADS; i++) {
		r[i] = (struct racer){nodes[i % 2], who, want, now, &start, COFFER_OK, {0}, 0};
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	bool seen[2 * RACE_THREADS + 1] = {false};
	*counted = 0;
	*in_order = true;
	for (int i = 0; i < 2 * RACE_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].err != COFFER_OK) {
			printf("# claim %d: %s\n", i, coffer_err_info(r[i].err)->code);
			*in_order = false;
			continue;
		}
		if (r[i].claim.flags != 0)
			(*counted)++;
		/* Counting the address each time, each claim is shown a different count. */
		if (want & STORE_GUESS_ADDRESS) {
			if (r[i].seen_failures > 2 * RACE_THREADS || seen[r[i].seen_failures])
				*in_order = false;
			else if (r[i].claim.flags != 0)
				seen[r[i].seen_failures] = true;
		}
	}
	pthread_barrier_destroy(&start);
}

static void scenario_race(void)
{
	empty_tables();
	struct store *nodes[2] = {open_pg_store(RACE_THREADS), open_pg_store(RACE_THREADS)};
	struct guess_who who = {"carol@example.org", "198.51.100.9", NULL, NULL};
	int counted = 0;
	bool in_order = false;
	race_once(nodes, &who, STORE_GUESS_ADDRESS | STORE_GUESS_ACCOUNT, 1700000000, &counted,
		  &in_order);
	check(counted == 5, "of 24 claims at once on two nodes, the address limit lets 5 through",
	      "%d", counted);
	check(in_order, "each was shown the ones before it counted", "a count was seen twice");
	struct throttle_state ts;
	CHECK_ERR(store_throttle_get(nodes[0], who.account, who.address, 1700000000, 300, &ts),
		  COFFER_OK, "the counts read");
	check(ts.address_failures == 5 && ts.account_failures == 5, "5 failures counted, no more",
	      "address %u, account %u", ts.address_failures, ts.account_failures);

	static const uint8_t dev[STORE_DEVICE_ID_BYTES] = {9, 9, 9};
	struct guess_who known = {"dave@example.org", "198.51.100.10",
				  "00000000-0000-4000-8000-00000000000d", dev};
	race_once(nodes, &known, STORE_GUESS_DEVICE, 1700000000, &counted, &in_order);
	check(counted == 3, "of 24 claims at once, the device window (3) lets 3 through", "%d",
	      counted);
	check(in_order, "no claim failed", "see above");
	struct guess_state gs;
	CHECK_ERR(store_guess_get(nodes[1], &known, &limits, 1700000000, &gs), COFFER_OK,
		  "the windows read");
	check(gs.device_until == 1700000000 + 1000, "the device window is full for its length",
	      "until %" PRId64, gs.device_until);

	/* Forgiving and confirming from the other node, at once. */
	struct guess_claim claims[4];
	struct decide_log log = {0};
	struct guess_who eve = {"eve@example.org", "203.0.113.5", NULL, NULL};
	for (int i = 0; i < 4; i++)
		CHECK_ERR(store_guess_claim(nodes[i % 2], &eve, &limits, 1700000100, decide, &log,
					    &claims[i]),
			  COFFER_OK, "a claim");
	check(claims[2].flags != 0 && claims[3].flags == 0, "three counted, the fourth waits",
	      "flags %u, %u", claims[2].flags, claims[3].flags);
	CHECK_ERR(store_guess_forgive(nodes[1], &eve, &claims[0]), COFFER_OK, "forgiven");
	CHECK_ERR(store_guess_forgive(nodes[0], &eve, &claims[1]), COFFER_OK, "forgiven");
	CHECK_ERR(store_guess_confirm(nodes[1], &eve, &claims[2], 0, &limits, 1700000130),
		  COFFER_OK, "confirmed later");
	CHECK_ERR(store_throttle_get(nodes[0], eve.account, eve.address, 1700000130, 300, &ts),
		  COFFER_OK, "the counts read");
	check(ts.address_failures == 1 && ts.account_failures == 1 &&
		  ts.address_last == 1700000130 && ts.account_last == 1700000130,
	      "two forgiven, one confirmed at its failure's time",
	      "address %u last %" PRId64 ", account %u last %" PRId64, ts.address_failures,
	      ts.address_last, ts.account_failures, ts.account_last);
	store_close(nodes[0]);
	store_close(nodes[1]);
}

/* --- sweep: bounded removal of stale rows --------------------------------------------------- */

static void scenario_sweep(void)
{
	empty_tables();
	struct store *st = open_pg_store(2);
	struct pg_target t = target(1);
	struct pg_pool *pool = open_pool(&t);
	struct pg_conn *c = NULL;
	char v[64];
	if (pg_pool_get(pool, NULL, &c) != COFFER_OK ||
	    pg_exec(c,
		    "INSERT INTO throttle_addresses (address, time) SELECT '10.0.0.' || (i % 50), "
		    "1000 + i FROM generate_series(1, 100) i",
		    PG_NO_ARGS) != COFFER_OK ||
	    pg_exec(c,
		    "INSERT INTO throttle_addresses (address, time) SELECT '10.9.9.9', 1000 + i "
		    "FROM generate_series(1, 30) i",
		    PG_NO_ARGS) != COFFER_OK ||
	    pg_exec(c,
		    "INSERT INTO throttle_accounts (account, failures, last_failure) SELECT 'a' || "
		    "i || '@example.org', 3, 1000 FROM generate_series(1, 40) i",
		    PG_NO_ARGS) != COFFER_OK ||
	    pg_exec(
		c,
		"INSERT INTO throttle_devices (device, user_id, time) SELECT "
		"decode(lpad(to_hex(i), 32, '0'), 'hex'), 'u', 1000 FROM generate_series(1, 30) "
		"i",
		PG_NO_ARGS) != COFFER_OK ||
	    pg_exec(c,
		    "INSERT INTO throttle_codes (user_id, time) SELECT 'u' || i, 1000 FROM "
		    "generate_series(1, 30) i",
		    PG_NO_ARGS) != COFFER_OK) {
		fprintf(stderr, "cannot fill the tables\n");
		exit(2);
	}
	int64_t now = 1000000;
	CHECK_ERR(store_throttle_fail(st, "z@example.org", "10.9.9.9", now, 300), COFFER_OK,
		  "a failure long after");
	(void)!scalar(c, "SELECT count(*) FROM throttle_addresses WHERE address = '10.9.9.9'",
		      PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "1") == 0, "its address's stale rows are gone, its own is there", "%s", v);
	(void)!scalar(c, "SELECT count(*) FROM throttle_addresses WHERE address <> '10.9.9.9'",
		      PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "92") == 0, "8 of the others' stale rows are gone", "%s left", v);
	(void)!scalar(c, "SELECT count(*) FROM throttle_accounts", PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "33") == 0, "8 accounts idle for a day are gone, the new one is there",
	      "%s left", v);
	static const uint8_t dev[STORE_DEVICE_ID_BYTES] = {0xff};
	struct guess_who w = {NULL, "10.1.1.1", "u", dev};
	CHECK_ERR(store_guess_fail(st, &w, STORE_GUESS_DEVICE | STORE_GUESS_CODE, &limits, now),
		  COFFER_OK, "a device's and a code's failure");
	(void)!scalar(c,
		      "SELECT (SELECT count(*) FROM throttle_devices) || ' ' || (SELECT count(*) "
		      "FROM throttle_codes)",
		      PG_NO_ARGS, v, sizeof v);
	check(strcmp(v, "23 23") == 0, "8 stale device and code rows are gone, one added each",
	      "%s left", v);
	/* The sweep is a TID scan of the rows picked, never a scan of the table (once the table is
	 * big enough for the planner to tell). */
	if (pg_exec(c,
		    "INSERT INTO throttle_addresses (address, time) SELECT '10.0.0.' || (i % 50), "
		    "1000 + i FROM generate_series(1, 20000) i",
		    PG_NO_ARGS) != COFFER_OK ||
	    pg_exec(c, "ANALYZE throttle_addresses", PG_NO_ARGS) != COFFER_OK) {
		fprintf(stderr, "cannot fill the tables\n");
		exit(2);
	}
	PGresult *res = NULL;
	CHECK_ERR(pg_query(c,
			   "EXPLAIN DELETE FROM throttle_addresses WHERE ctid = ANY (ARRAY("
			   "SELECT ctid FROM throttle_addresses WHERE time <= $1 LIMIT $2))",
			   PG_ARGS(pg_int(now - 300), pg_int(8)), PG_TEXT_RESULTS, &res),
		  COFFER_OK, "the sweep's plan");
	bool tid = false;
	for (int i = 0; res != NULL && i < PQntuples(res); i++)
		tid = tid || strstr(PQgetvalue(res, i, 0), "Tid Scan") != NULL;
	check(tid, "the sweep deletes by TID scan", "no Tid Scan in its plan");
	PQclear(res);
	pg_pool_put(pool, c);
	pg_pool_close(pool);
	store_close(st);
}

/* --- device_key: one key, whoever makes it ---------------------------------------------------- */

#define KEY_THREADS 8 /* per node */

struct key_racer {
	struct store *st;
	uint8_t fresh[32], got[32];
	pthread_barrier_t *start;
	enum coffer_err err;
};

static void *key_race(void *arg)
{
	struct key_racer *r = arg;
	pthread_barrier_wait(r->start);
	r->err = store_device_key(r->st, r->fresh, 1700000000, r->got);
	return NULL;
}

static void scenario_device_key(void)
{
	empty_tables();
	struct store *nodes[2] = {open_pg_store(KEY_THREADS), open_pg_store(KEY_THREADS)};
	struct key_racer r[2 * KEY_THREADS];
	pthread_t th[2 * KEY_THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2 * KEY_THREADS);
	for (int i = 0; i < 2 * KEY_THREADS; i++) {
		r[i] = (struct key_racer){.st = nodes[i % 2], .start = &start};
		randombytes_buf(r[i].fresh, sizeof r[i].fresh);
		pthread_create(&th[i], NULL, key_race, &r[i]);
	}
	int ok = 0, same = 0, mine = 0;
	for (int i = 0; i < 2 * KEY_THREADS; i++) {
		pthread_join(th[i], NULL);
		ok += r[i].err == COFFER_OK;
		same += sodium_memcmp(r[i].got, r[0].got, 32) == 0;
		mine += sodium_memcmp(r[i].got, r[i].fresh, 32) == 0;
	}
	pthread_barrier_destroy(&start);
	check(ok == 2 * KEY_THREADS, "every racer gets a key", "%d of %d", ok, 2 * KEY_THREADS);
	check(same == 2 * KEY_THREADS, "the same key", "%d of %d", same, 2 * KEY_THREADS);
	check(mine == 1, "one racer's fresh key, kept", "%d racers got their own", mine);
	uint8_t fresh[32], again[32];
	randombytes_buf(fresh, sizeof fresh);
	CHECK_ERR(store_device_key(nodes[1], fresh, 1700000500, again), COFFER_OK, "asked later");
	check(sodium_memcmp(again, r[0].got, 32) == 0, "the stored key, not the fresh one",
	      "another key");
	sodium_memzero(again, sizeof again);
	for (int i = 0; i < 2 * KEY_THREADS; i++)
		sodium_memzero(r[i].got, sizeof r[i].got);
	store_close(nodes[0]);
	store_close(nodes[1]);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: pg_guesses_check SCENARIO\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	if (mkdtemp(data_dir) == NULL) {
		fprintf(stderr, "mkdtemp failed\n");
		return 2;
	}
	static const struct {
		const char *name;
		void (*run)(void);
	} scenarios[] = {
	    {"same", scenario_same},
	    {"race", scenario_race},
	    {"sweep", scenario_sweep},
	    {"device_key", scenario_device_key},
	};
	int rc = 2;
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		if (strcmp(argv[1], scenarios[i].name) == 0) {
			scenarios[i].run();
			printf("done: %d failed\n", failures);
			rc = failures ? 1 : 0;
		}
	}
	if (rc == 2)
		fprintf(stderr, "unknown scenario %s\n", argv[1]);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf %s", data_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", data_dir);
	return rc;
}
