/* pg_pool.c — the PostgreSQL connection pool (see pg_pool.h).
 *
 * Connections are made with PQconnectdbParams from arrays of keywords and values, never from
 * a conninfo string put together from settings (where a value holding "host=…" would be read
 * as a keyword). Each connection is made so that nothing waits for ever: connect_timeout
 * bounds the connect, TCP keepalives and tcp_user_timeout notice a peer that vanished without
 * closing, and the server's statement_timeout and idle_in_transaction_session_timeout end a
 * statement or a forgotten transaction that runs too long.
 *
 * The slots array holds every connection; a slot is FREE (no connection), OPENING (reserved
 * by a borrower that is connecting outside the lock), IDLE or BUSY. Opening and closing never
 * run under the lock: a slow server must not stall borrowers of connections already open.
 *
 * Borrowers that find no slot wait in line, each on its own condition variable; a slot that
 * comes back (or is freed) wakes the first in line that can take it (hand_off). Waking every
 * waiter at each give-back instead costs, with many more threads than connections, more CPU in
 * wake-ups and context switches than the statements themselves. */
#include "store/postgres/pg_pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "store/postgres/pg_prepared.h"
#include "store/postgres/pg_query.h"

enum slot_state { SLOT_FREE, SLOT_OPENING, SLOT_IDLE, SLOT_BUSY };

#define DEFAULT_CONNECT_TIMEOUT_S    5
#define DEFAULT_STATEMENT_TIMEOUT_MS 30000
#define DEFAULT_BORROW_TIMEOUT_MS    5000
#define POOL_SIZE_MAX		     1024

struct pg_pool {
	pthread_mutex_t mu;
	pthread_condattr_t waiter_clock; /* CLOCK_MONOTONIC, for the waiters' deadlines */
	struct waiter *waiters;		 /* borrowers waiting for a slot, first come first */
	struct pg_conn *slots;
	unsigned int size;
	uint64_t clock; /* ticks at each give-back: orders idle connections by last use */
	uint64_t opened, closed;
	/* The connection settings, as libpq keywords and values (the password's value points
	 * into guarded memory; "dbname" is filled per connection). */
	char host[256], port[8], user[PG_DB_NAME_MAX + 1], system_db[PG_DB_NAME_MAX + 1];
	char sslmode[16], sslrootcert[1025], connect_timeout[12], options[160];
	char *password; /* sodium_malloc'd, read-only; NULL when none */
	unsigned int borrow_timeout_ms, statement_timeout_ms;
	bool prepare;
};

static bool copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);
	if (n >= dstlen)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

enum coffer_err pg_pool_open(const struct pg_target *t, const char *password, struct pg_pool **out)
{
	*out = NULL;
	if (t->size == 0 || t->size > POOL_SIZE_MAX || t->port == 0 || t->port > 65535)
		return COFFER_ERR_CONFIG;
	struct pg_pool *pool = calloc(1, sizeof *pool);
	if (pool == NULL)
		return COFFER_ERR_NOMEM;
	unsigned int stmt_ms =
	    t->statement_timeout_ms ? t->statement_timeout_ms : DEFAULT_STATEMENT_TIMEOUT_MS;
	unsigned int conn_s =
	    t->connect_timeout_s ? t->connect_timeout_s : DEFAULT_CONNECT_TIMEOUT_S;
	pool->borrow_timeout_ms =
	    t->borrow_timeout_ms ? t->borrow_timeout_ms : DEFAULT_BORROW_TIMEOUT_MS;
	pool->prepare = !t->no_prepare;
	pool->statement_timeout_ms = stmt_ms;
	snprintf(pool->port, sizeof pool->port, "%u", t->port);
	snprintf(pool->connect_timeout, sizeof pool->connect_timeout, "%u", conn_s);
	/* Server settings for the session: a statement that runs past the timeout is cancelled
	 * (57014), and so is a session left idle inside a transaction (a bug of ours, or a node
	 * that froze), which would otherwise hold its locks. Numbers only: nothing to quote. */
	snprintf(pool->options, sizeof pool->options,
		 "-c statement_timeout=%u -c idle_in_transaction_session_timeout=%u", stmt_ms,
		 stmt_ms * 2);
	enum coffer_err err = COFFER_ERR_CONFIG;
	if (!copy_str(pool->host, sizeof pool->host, t->host) ||
	    !copy_str(pool->user, sizeof pool->user, t->user) ||
	    !copy_str(pool->system_db, sizeof pool->system_db, t->system_db) ||
	    !copy_str(pool->sslmode, sizeof pool->sslmode,
		      t->sslmode ? t->sslmode : "verify-full") ||
	    (t->sslrootcert != NULL &&
	     !copy_str(pool->sslrootcert, sizeof pool->sslrootcert, t->sslrootcert)))
		goto fail;
	err = COFFER_ERR_NOMEM;
	if (password != NULL) {
		size_t n = strlen(password);
		pool->password = sodium_malloc(n + 1);
		if (pool->password == NULL)
			goto fail;
		memcpy(pool->password, password, n + 1);
		sodium_mprotect_readonly(pool->password);
	}
	pool->slots = calloc(t->size, sizeof *pool->slots);
	if (pool->slots == NULL)
		goto fail;
	pool->size = t->size;
	pthread_condattr_init(&pool->waiter_clock);
	pthread_condattr_setclock(&pool->waiter_clock, CLOCK_MONOTONIC);
	pthread_mutex_init(&pool->mu, NULL);
	*out = pool;
	return COFFER_OK;
fail:
	if (pool->password != NULL)
		sodium_free(pool->password);
	free(pool);
	return err;
}

void pg_pool_close(struct pg_pool *pool)
{
	if (pool == NULL)
		return;
	for (unsigned int i = 0; i < pool->size; i++) {
		if (pool->slots[i].state == SLOT_BUSY || pool->slots[i].state == SLOT_OPENING)
			log_msg(LOG_ERROR, "pg", "pool closed with a connection still out");
		PQfinish(pool->slots[i].pq);
		pg_prepared_free(&pool->slots[i]);
	}
	free(pool->slots);
	if (pool->password != NULL)
		sodium_free(pool->password); /* wipes */
	pthread_condattr_destroy(&pool->waiter_clock);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}

/* Opens a connection to DB. libpq keeps its own copy of the password while the connection
 * lives (and clears it when the connection is freed). */
static enum coffer_err connect_db(struct pg_pool *pool, struct pg_conn *slot, const char *db,
				  PGconn **out)
{
	const char *keys[20], *vals[20];
	size_t n = 0;
#define KV(k, v) (keys[n] = (k), vals[n] = (v), n++)
	KV("host", pool->host);
	KV("port", pool->port);
	KV("dbname", db);
	KV("user", pool->user);
	if (pool->password != NULL)
		KV("password", pool->password);
	KV("sslmode", pool->sslmode);
	if (pool->sslrootcert[0] != '\0')
		KV("sslrootcert", pool->sslrootcert);
	KV("gssencmode", "disable"); /* no Kerberos probe before every connection */
	KV("connect_timeout", pool->connect_timeout);
	/* A peer that vanishes without closing: probes after 30 s idle, every 10 s, 3 times;
	 * and data unacknowledged for 15 s ends the connection even while a statement waits. */
	KV("keepalives", "1");
	KV("keepalives_idle", "30");
	KV("keepalives_interval", "10");
	KV("keepalives_count", "3");
	KV("tcp_user_timeout", "15000");
	KV("application_name", "coffer");
	KV("client_encoding", "UTF8");
	KV("options", pool->options);
#undef KV
	keys[n] = vals[n] = NULL;
	/* expand_dbname 0: the database name is a name, never read as a conninfo string. */
	PGconn *pq = PQconnectdbParams(keys, vals, 0);
	if (pq == NULL)
		return COFFER_ERR_NOMEM;
	if (PQstatus(pq) != CONNECTION_OK) {
		/* libpq's message names the host and the reason, never the password. */
		const char *why = PQerrorMessage(pq);
		size_t len = strcspn(why, "\n");
		log_msg(LOG_WARN, "pg", "cannot connect to database %s: %.*s", db, (int)len, why);
		PQfinish(pq);
		return COFFER_ERR_UNAVAILABLE;
	}
	/* Notices never reach stderr (pg_commit_notice); errors come back as results. */
	PQsetNoticeReceiver(pq, pg_commit_notice, slot);
	*out = pq;
	return COFFER_OK;
}

/* Whether an idle connection still stands. An idle connection has nothing to read unless the
 * server spoke on its own: a notice, or its last words before closing (57P01 on a shutdown)
 * followed by the end of the stream. So a socket with nothing to read is alive; one with
 * something is read (and what was read parsed, PQisBusy) until nothing is left, and libpq
 * marks the connection bad when the read meets the end. An end of stream stays readable, so
 * a few rounds always find it. */
static bool idle_alive(PGconn *pq)
{
	for (int round = 0; round < 4; round++) {
		struct pollfd p = {.fd = PQsocket(pq), .events = POLLIN};
		if (p.fd < 0)
			return false;
		int r;
		do
			r = poll(&p, 1, 0);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return PQstatus(pq) == CONNECTION_OK;
		if (r < 0 || PQconsumeInput(pq) == 0)
			return false;
		(void)PQisBusy(pq);
		PGnotify *note;
		while ((note = PQnotifies(pq)) != NULL)
			PQfreemem(note);
		if (PQstatus(pq) != CONNECTION_OK)
			return false;
	}
	return false; /* the server keeps talking to a connection that asked nothing */
}

static void deadline_after(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* How many slots hold (or are opening) a connection to DB. */
static unsigned int held_by(const struct pg_pool *pool, const char *db)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < pool->size; i++) {
		const struct pg_conn *s = &pool->slots[i];
		n += s->state != SLOT_FREE && strcmp(s->db, db) == 0;
	}
	return n;
}

/* Under the lock: the idle connection to DB used last (most likely still warm), the free
 * slot, and the idle connection of another database to close for DB, each NULL when there is
 * none. That one is the least recently used idle connection, taken only when its database
 * holds more connections than DB: two busy databases (the system's and an organisation's)
 * settle at a share each rather than close each other's connections in turn, which would
 * cost a connection set-up per statement. */
static void scan(struct pg_pool *pool, const char *db, struct pg_conn **mine,
		 struct pg_conn **free_slot, struct pg_conn **oldest)
{
	*mine = *free_slot = *oldest = NULL;
	for (unsigned int i = 0; i < pool->size; i++) {
		struct pg_conn *s = &pool->slots[i];
		if (s->state == SLOT_FREE && *free_slot == NULL)
			*free_slot = s;
		if (s->state != SLOT_IDLE)
			continue;
		if (strcmp(s->db, db) == 0 && (*mine == NULL || s->used > (*mine)->used))
			*mine = s;
		if (strcmp(s->db, db) != 0 && (*oldest == NULL || s->used < (*oldest)->used))
			*oldest = s;
	}
	if (*mine == NULL && *free_slot == NULL && *oldest != NULL &&
	    held_by(pool, (*oldest)->db) <= held_by(pool, db))
		*oldest = NULL; /* wait for one of DB's own to come back */
}

/* A borrower waiting for a slot of DB. */
struct waiter {
	pthread_cond_t cv;
	const char *db;
	bool woken; /* handed a slot it can take (which another may still take first) */
	struct waiter *next;
};

/* With the lock held, once a slot has become IDLE or FREE: wakes the first waiter not woken
 * yet that scan would give a slot now. */
static void hand_off(struct pg_pool *pool)
{
	for (struct waiter *w = pool->waiters; w != NULL; w = w->next) {
		if (w->woken)
			continue;
		struct pg_conn *mine, *free_slot, *oldest;
		scan(pool, w->db, &mine, &free_slot, &oldest);
		if (mine != NULL || free_slot != NULL || oldest != NULL) {
			w->woken = true;
			pthread_cond_signal(&w->cv);
			return;
		}
	}
}

/* With the lock held: waits at the end of the line until a slot is handed to this borrower
 * (true) or DEADLINE passes (false). */
static bool wait_in_line(struct pg_pool *pool, const char *db, const struct timespec *deadline)
{
	struct waiter w = {.db = db};
	pthread_cond_init(&w.cv, &pool->waiter_clock);
	struct waiter **end = &pool->waiters;
	while (*end != NULL)
		end = &(*end)->next;
	*end = &w;
	int rc = 0;
	while (!w.woken && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w.cv, &pool->mu, deadline);
	for (struct waiter **p = &pool->waiters; *p != NULL; p = &(*p)->next) {
		if (*p == &w) {
			*p = w.next;
			break;
		}
	}
	pthread_cond_destroy(&w.cv);
	return w.woken;
}

enum coffer_err pg_pool_get(struct pg_pool *pool, const char *db, struct pg_conn **out)
{
	*out = NULL;
	if (db == NULL)
		db = pool->system_db;
	if (strlen(db) > PG_DB_NAME_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct timespec deadline;
	deadline_after(&deadline, pool->borrow_timeout_ms);
	pthread_mutex_lock(&pool->mu);
	bool woken = false;
	for (;;) {
		struct pg_conn *mine, *free_slot, *oldest;
		scan(pool, db, &mine, &free_slot, &oldest);
		struct pg_conn *s = mine != NULL ? mine : free_slot != NULL ? free_slot : oldest;
		if (s != NULL) {
			PGconn *old = s->pq;
			bool reuse = s == mine;
			s->state = SLOT_OPENING;
			/* Counted as DB's from now on (scan: held_by), while it connects. */
			memcpy(s->db, db, strlen(db) + 1);
			pthread_mutex_unlock(&pool->mu);
			if (reuse && idle_alive(old)) {
				pthread_mutex_lock(&pool->mu);
				s->state = SLOT_BUSY;
				pthread_mutex_unlock(&pool->mu);
				*out = s;
				return COFFER_OK;
			}
			/* A dead connection to DB, or another database's that makes room. */
			PQfinish(old);
			PGconn *pq = NULL;
			enum coffer_err err = connect_db(pool, s, db, &pq);
			pthread_mutex_lock(&pool->mu);
			pool->closed += old != NULL;
			s->pq = pq;
			if (err != COFFER_OK) {
				s->state = SLOT_FREE;
				hand_off(pool);
				pthread_mutex_unlock(&pool->mu);
				return err;
			}
			pool->opened++;
			s->serial = pool->opened;
			s->state = SLOT_BUSY;
			s->broken = s->retire = false;
			s->prepare = pool->prepare;
			s->commit_timeout_ms = pool->statement_timeout_ms;
			memcpy(s->db, db, strlen(db) + 1);
			pthread_mutex_unlock(&pool->mu);
			*out = s;
			return COFFER_OK;
		}
		/* Woken for a slot someone else took first, or that the rule of scan now keeps
		 * for its own database: pass the turn on before waiting again. */
		if (woken)
			hand_off(pool);
		/* Every connection is borrowed: wait in line for one to come back. */
		if (!wait_in_line(pool, db, &deadline)) {
			pthread_mutex_unlock(&pool->mu);
			log_msg(LOG_WARN, "pg", "no connection free within %u ms (pg_pool_size %u)",
				pool->borrow_timeout_ms, pool->size);
			return COFFER_ERR_UNAVAILABLE;
		}
		woken = true;
	}
}

void pg_pool_put(struct pg_pool *pool, struct pg_conn *c)
{
	if (c == NULL)
		return;
	/* Only a healthy connection outside any transaction is handed out again: one inside a
	 * transaction (a caller that did not end it) would give the next borrower its state. */
	PGconn *drop = NULL;
	if (c->broken || c->retire || PQstatus(c->pq) != CONNECTION_OK ||
	    PQtransactionStatus(c->pq) != PQTRANS_IDLE || c->begin_pending) {
		if (!c->broken && !c->retire && PQstatus(c->pq) == CONNECTION_OK)
			log_msg(LOG_ERROR, "pg", "a connection came back inside a transaction");
		drop = c->pq;
		c->pq = NULL;
		c->begin_pending = false; /* the slot's next connection starts outside one */
	}
	pthread_mutex_lock(&pool->mu);
	if (drop != NULL) {
		c->state = SLOT_FREE;
		pool->closed++;
	} else {
		c->state = SLOT_IDLE;
		c->used = ++pool->clock;
	}
	hand_off(pool);
	pthread_mutex_unlock(&pool->mu);
	PQfinish(drop);
}

void pg_pool_retire_db(struct pg_pool *pool, const char *db)
{
	PGconn *drop[64];
	size_t n;
	do {
		n = 0;
		pthread_mutex_lock(&pool->mu);
		for (unsigned int i = 0; i < pool->size; i++) {
			struct pg_conn *s = &pool->slots[i];
			if (s->state == SLOT_FREE || strcmp(s->db, db) != 0)
				continue;
			if (s->state != SLOT_IDLE) {
				s->retire = true; /* BUSY: closed when it comes back */
			} else if (n < sizeof drop / sizeof drop[0]) {
				drop[n++] = s->pq;
				s->pq = NULL;
				s->state = SLOT_FREE;
				pool->closed++;
			}
		}
		for (size_t i = 0; i < n; i++)
			hand_off(pool);
		pthread_mutex_unlock(&pool->mu);
		for (size_t i = 0; i < n; i++)
			PQfinish(drop[i]);
	} while (n == sizeof drop / sizeof drop[0]);
}

void pg_pool_stats(struct pg_pool *pool, struct pg_pool_stats *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&pool->mu);
	for (unsigned int i = 0; i < pool->size; i++) {
		int st = pool->slots[i].state;
		out->open += st == SLOT_IDLE || st == SLOT_BUSY;
		out->busy += st == SLOT_BUSY;
	}
	out->opened = pool->opened;
	out->closed = pool->closed;
	pthread_mutex_unlock(&pool->mu);
}
