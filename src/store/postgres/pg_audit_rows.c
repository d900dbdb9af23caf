/* pg_audit_rows.c — an audit chain's rows in PostgreSQL (pg_audit_rows.h; format:
 * audit/chain.h).
 *
 * Design points:
 * - An entry's seq and link are computed from the last stored entry inside the transaction that
 *   inserts it, after the chain's advisory lock (PG_LOCK_AUDIT_CHAIN): every node's appends to
 *   one chain run one after the other, and under READ COMMITTED each statement sees what the
 *   lock's previous holder committed, so there are never two entries with one seq nor two
 *   entries after the same one. The primary key on seq would refuse the second anyway; the
 *   lock makes it wait instead of fail. The links come from the process's audit signer in one
 *   round trip per append, which also seals the checkpoint handed on once committed.
 * - A walk reads the chain in one snapshot (a REPEATABLE READ read-only transaction), a page
 *   of rows at a time in seq order, and has the signer link them again (audit_walk_pages.h).
 */
#include "store/postgres/pg_audit_rows.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/batch.h"
#include "audit/signer.h"
#include "store/audit_walk_pages.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store_db.h"

#define ENTRY_COLUMNS                                                                              \
	"SELECT seq, time, actor, action, target, ip, outcome, reason, hash, key_version FROM "    \
	"audit "

/* Reads row ROW (ENTRY_COLUMNS) into OUT; COFFER_ERR_STORAGE when a value is not what the
 * schema promises. */
static enum coffer_err read_entry(const PGresult *r, int row, void *out)
{
	struct audit_entry *e = out;
	int64_t seq = 0, v = 0;
	if (!pg_get_int(r, row, 0, &seq) || seq < 1 || !pg_get_int(r, row, 1, &e->time) ||
	    !pg_get_text(r, row, 2, e->actor, sizeof e->actor) ||
	    !pg_get_text(r, row, 3, e->action, sizeof e->action) ||
	    !pg_get_text(r, row, 4, e->target, sizeof e->target) ||
	    !pg_get_text(r, row, 5, e->ip, sizeof e->ip) ||
	    !pg_get_text(r, row, 6, e->outcome, sizeof e->outcome) ||
	    !pg_get_text(r, row, 7, e->reason, sizeof e->reason) ||
	    !pg_get_bytea_exact(r, row, 8, e->hash, AUDIT_HASH_BYTES) || !pg_get_int(r, row, 9, &v))
		return COFFER_ERR_STORAGE;
	e->seq = (uint64_t)seq;
	e->key_version = v >= 0 && v <= UINT32_MAX ? (uint32_t)v : UINT32_MAX;
	return COFFER_OK;
}

/* Bounded: audit_digest has refused a longer field before anything is sent. */
static struct pg_arg field(const char *f)
{
	return pg_text_n(f, strnlen(f, AUDIT_FIELD_MAX));
}

/* A round of the group commit (audit/batch.h) appends tens of entries at once: they go in
 * INSERTs of 2^j rows each (the largest that fits what is left, at most INSERT_ROWS_MAX), so
 * that each INSERT is one of INSERT_SIZES texts that stay prepared on the connection, and all
 * of a round's INSERTs go in one round trip (pg_pipeline). */
#define INSERT_SIZES	6
#define INSERT_ROWS_MAX (1u << (INSERT_SIZES - 1))
#define INSERT_COLUMNS	10
#define INSERT_HEAD                                                                                \
	"INSERT INTO audit (seq, time, actor, action, target, ip, outcome, reason, hash, "         \
	"key_version) VALUES "
#define INSERT_SQL_MAX (sizeof INSERT_HEAD + INSERT_ROWS_MAX * INSERT_COLUMNS * 8)
_Static_assert(INSERT_ROWS_MAX *INSERT_COLUMNS <= PG_ARGS_MAX, "an INSERT's parameters");
_Static_assert(AUDIT_BATCH_ROUND_MAX / INSERT_ROWS_MAX + INSERT_SIZES <= PG_PIPELINE_MAX,
	       "a round's INSERTs in one pipeline");

static char insert_sql[INSERT_SIZES][INSERT_SQL_MAX];
static pthread_once_t insert_sql_once = PTHREAD_ONCE_INIT;

/* INSERT_HEAD and ROWS tuples of INSERT_COLUMNS parameters each into OUT. */
static void write_insert(char *out, size_t rows)
{
	size_t len = (size_t)snprintf(out, INSERT_SQL_MAX, "%s", INSERT_HEAD);
	for (size_t r = 0; r < rows; r++)
		for (size_t col = 1; col <= INSERT_COLUMNS; col++)
			len += (size_t)snprintf(out + len, INSERT_SQL_MAX - len, "%s$%zu%s",
						col == 1 ? (r > 0 ? ",(" : "(") : ",",
						r * INSERT_COLUMNS + col,
						col == INSERT_COLUMNS ? ")" : "");
}

static void write_inserts(void)
{
	for (size_t j = 0; j < INSERT_SIZES; j++)
		write_insert(insert_sql[j], (size_t)1 << j);
}

/* Entry E's INSERT_COLUMNS parameters at A. */
static void entry_args(const struct audit_entry *e, struct pg_arg *a)
{
	*a++ = pg_int((int64_t)e->seq);
	*a++ = pg_int(e->time);
	*a++ = field(e->actor);
	*a++ = field(e->action);
	*a++ = field(e->target);
	*a++ = field(e->ip);
	*a++ = field(e->outcome);
	*a++ = field(e->reason);
	*a++ = pg_bytea(e->hash, AUDIT_HASH_BYTES);
	*a = pg_int((int64_t)e->key_version);
}

/* Inserts the N entries at E: in one round trip for a round of the group commit, in one per
 * PG_PIPELINE_MAX statements for more. */
static enum coffer_err insert_rows(struct pg_conn *c, const struct audit_entry *e, size_t n)
{
	size_t most = n / INSERT_ROWS_MAX + INSERT_SIZES; /* statements, at most */
	struct pg_arg *args = malloc(n * INSERT_COLUMNS * sizeof *args);
	struct pg_stmt *stmts = malloc(most * sizeof *stmts);
	enum coffer_err err = args != NULL && stmts != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	pthread_once(&insert_sql_once, write_inserts);
	size_t n_stmts = 0;
	for (size_t i = 0, k = 0; err == COFFER_OK && i < n; i += k) {
		size_t j = INSERT_SIZES - 1;
		while (((size_t)1 << j) > n - i)
			j--;
		k = (size_t)1 << j;
		for (size_t r = 0; r < k; r++)
			entry_args(&e[i + r], &args[(i + r) * INSERT_COLUMNS]);
		stmts[n_stmts++] = (struct pg_stmt){insert_sql[j],
						    {&args[i * INSERT_COLUMNS], k * INSERT_COLUMNS},
						    PG_TEXT_RESULTS};
	}
	for (size_t i = 0, k = 0; err == COFFER_OK && i < n_stmts; i += k) {
		k = n_stmts - i < PG_PIPELINE_MAX ? n_stmts - i : PG_PIPELINE_MAX;
		err = pg_pipeline(c, &stmts[i], k, NULL);
	}
	free(stmts);
	free(args);
	return err;
}

/* The chain's last entry: its seq and hash. */
struct last {
	uint64_t seq;
	uint8_t hash[AUDIT_HASH_BYTES];
};

#define LAST_SQL "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"

/* The chain's last entry from R (LAST_SQL's rows) into *L: seq 0 and a hash of zeros for an
 * empty chain. */
static enum coffer_err read_last(const PGresult *r, struct last *l)
{
	memset(l, 0, sizeof *l);
	if (PQntuples(r) == 0)
		return COFFER_OK;
	int64_t seq = 0;
	if (PQntuples(r) != 1 || !pg_get_int(r, 0, 0, &seq) || seq < 1 ||
	    !pg_get_bytea_exact(r, 0, 1, l->hash, AUDIT_HASH_BYTES))
		return COFFER_ERR_STORAGE;
	l->seq = (uint64_t)seq;
	return COFFER_OK;
}

/* Links the N entries at E after PREV and inserts them (the chain's lock held). */
static enum coffer_err append_after(struct pg_conn *c, const struct last *prev, const char *chain,
				    struct audit_entry *e, size_t n, struct audit_checkpoint *cp)
{
	if (prev->seq > INT64_MAX - n)
		return COFFER_ERR_STORAGE;
	for (size_t i = 0; i < n; i++)
		e[i].seq = prev->seq + 1 + i;
	enum coffer_err err = COFFER_OK;
	if (n > 0)
		err = audit_sign_entries(audit_signer_get(), chain, prev->hash, e, n, cp);
	if (err == COFFER_OK && n > 0)
		err = insert_rows(c, e, n);
	return err;
}

/* Runs the K statements at STMTS, the last of them LAST_SQL, then links the N entries at E after
 * the last entry it read and inserts them. */
static enum coffer_err append_after_head(struct pg_conn *c, const struct pg_stmt *stmts, size_t k,
					 const char *chain, struct audit_entry *e, size_t n,
					 struct audit_checkpoint *cp)
{
	PGresult *r = NULL;
	struct last prev;
	enum coffer_err err = pg_pipeline(c, stmts, k, &r);
	if (err == COFFER_OK)
		err = read_last(r, &prev);
	PQclear(r);
	if (err == COFFER_OK)
		err = append_after(c, &prev, chain, e, n, cp);
	return err;
}

enum coffer_err pg_audit_rows_append(struct pg_conn *c, const char *chain, struct audit_entry *e,
				     size_t n, struct audit_checkpoint *cp)
{
	const struct pg_stmt head = {LAST_SQL, PG_NO_ARGS, PG_BINARY_RESULTS};
	return append_after_head(c, &head, 1, chain, e, n, cp);
}

enum coffer_err pg_audit_rows_lock_append(struct pg_conn *c, const char *chain,
					  struct audit_entry *e, size_t n,
					  struct audit_checkpoint *cp)
{
	/* The lock, then the head read by a statement that starts after the lock is held (each
	 * statement of a READ COMMITTED transaction takes its own snapshot): in one round trip. */
	const struct pg_stmt lock_then_head[] = {
	    {"SELECT pg_advisory_xact_lock($1::bigint)", PG_ARGS(pg_int(PG_LOCK_AUDIT_CHAIN)),
	     PG_TEXT_RESULTS},
	    {LAST_SQL, PG_NO_ARGS, PG_BINARY_RESULTS},
	};
	return append_after_head(c, lock_then_head, 2, chain, e, n, cp);
}

/* Entries to append to a chain. */
struct append {
	const char *chain;
	struct audit_entry *e;
	size_t n;
	struct audit_checkpoint cp;
};

static enum coffer_err append_tx(struct pg_conn *c, void *ctx)
{
	struct append *a = ctx;
	return pg_audit_rows_lock_append(c, a->chain, a->e, a->n, &a->cp);
}

enum coffer_err pg_audit_rows_commit(const struct pg_chain *ch, struct audit_entry *e, size_t n)
{
	if (n == 0)
		return COFFER_OK;
	/* Copies: E's seqs and hashes change only once the entries are committed. */
	struct audit_entry *next = calloc(n, sizeof *next);
	if (next == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(next, e, n * sizeof *next);
	struct append a = {.chain = ch->id, .e = next, .n = n};
	enum coffer_err err = pg_pool_tx(ch->pool, ch->db, append_tx, &a);
	if (err == COFFER_OK)
		audit_checkpoint_emit(&a.cp);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		e[i].seq = next[i].seq;
		e[i].key_version = next[i].key_version;
		memcpy(e[i].hash, next[i].hash, AUDIT_HASH_BYTES);
	}
	free(next);
	return err;
}

enum coffer_err pg_audit_rows_list(const struct pg_chain *ch, uint64_t after,
				   struct audit_entry *out, size_t max, size_t *n)
{
	struct pg_conn *c = NULL;
	enum coffer_err err = pg_pool_get(ch->pool, ch->db, &c);
	if (err != COFFER_OK)
		return err;
	err = pg_rows(c, ENTRY_COLUMNS "WHERE seq > $1 ORDER BY seq LIMIT $2",
		      PG_ARGS(pg_int(after > INT64_MAX ? INT64_MAX : (int64_t)after),
			      pg_int(max > INT64_MAX ? INT64_MAX : (int64_t)max)),
		      read_entry, out, sizeof *out, max, n);
	pg_pool_put(ch->pool, c);
	return err;
}

/* Rows read per statement of a walk or a re-linking: the signer's page. */
#define PAGE_ROWS AUDIT_LINK_MAX

/* Feeds every row of the chain on C to W in seq order, a page per statement, inside the
 * caller's transaction. */
static enum coffer_err walk_rows(struct pg_conn *c, struct audit_walk_pages *w)
{
	enum coffer_err err = COFFER_OK;
	uint64_t after = 0;
	for (bool more = true; err == COFFER_OK && more;) {
		PGresult *r = NULL;
		err = pg_query(c, ENTRY_COLUMNS "WHERE seq > $1 ORDER BY seq LIMIT $2",
			       PG_ARGS(pg_int((int64_t)after), pg_int(PAGE_ROWS)),
			       PG_BINARY_RESULTS, &r);
		if (err != COFFER_OK)
			break;
		int rows = PQntuples(r);
		more = rows == PAGE_ROWS;
		for (int i = 0; i < rows && err == COFFER_OK; i++) {
			struct audit_entry e;
			/* An unreadable row breaks the walk: no page follows it. */
			bool ok = read_entry(r, i, &e) == COFFER_OK;
			err = audit_walk_pages_next(w, ok ? &e : NULL);
			if (ok)
				after = e.seq;
		}
		PQclear(r);
	}
	return err;
}

static enum coffer_err walk_tx(struct pg_conn *c, void *ctx)
{
	/* One snapshot for every page: the rows walked are the chain as it was at one moment,
	 * however many appends commit meanwhile. */
	enum coffer_err err =
	    pg_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", PG_NO_ARGS);
	return err == COFFER_OK ? walk_rows(c, ctx) : err;
}

enum coffer_err pg_audit_rows_walk(const struct pg_chain *ch, struct audit_walk *out)
{
	struct audit_walk_pages *w = NULL;
	enum coffer_err err = audit_walk_pages_start(ch->id, out, &w);
	if (err != COFFER_OK)
		return err;
	err = pg_pool_tx(ch->pool, ch->db, walk_tx, w);
	return audit_walk_pages_finish(w, err);
}

enum coffer_err pg_audit_rows_verify(const struct pg_chain *ch, uint64_t *n, uint64_t *broken)
{
	struct audit_walk w = {.pin_seq = 0};
	enum coffer_err err = pg_audit_rows_walk(ch, &w);
	if (err != COFFER_OK)
		return err;
	*n = w.n;
	*broken = w.broken;
	return w.broken != 0 ? COFFER_ERR_CRYPTO : COFFER_OK;
}

/* A re-linking: the walk that decides it and the re-linking itself, in one transaction under
 * the chain's lock, so that no entry appended between the two is re-linked unverified. */
struct upgrade {
	const char *chain;
	struct audit_walk walk;
	bool walked;
	struct audit_checkpoint *cp;
};

/* Re-links every entry of the chain on C, and seals the checkpoint of its head into U->cp. */
static enum coffer_err relink(struct pg_conn *c, struct upgrade *u)
{
	uint8_t prev[AUDIT_HASH_BYTES] = {0};
	uint64_t after = 0;
	struct audit_entry *page = calloc(PAGE_ROWS, sizeof *page);
	if (page == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err;
	for (;;) {
		size_t got = 0;
		err = pg_rows(c, ENTRY_COLUMNS "WHERE seq > $1 ORDER BY seq LIMIT $2",
			      PG_ARGS(pg_int((int64_t)after), pg_int(PAGE_ROWS)), read_entry, page,
			      sizeof *page, PAGE_ROWS, &got);
		if (err != COFFER_OK || got == 0)
			break;
		err = audit_sign_entries(audit_signer_get(), u->chain, prev, page, got, NULL);
		for (size_t i = 0; err == COFFER_OK && i < got; i++)
			err = pg_change(
			    c, "UPDATE audit SET hash = $1, key_version = $2 WHERE seq = $3",
			    PG_ARGS(pg_bytea(page[i].hash, AUDIT_HASH_BYTES),
				    pg_int((int64_t)page[i].key_version),
				    pg_int((int64_t)page[i].seq)));
		if (err != COFFER_OK)
			break;
		memcpy(prev, page[got - 1].hash, AUDIT_HASH_BYTES);
		after = page[got - 1].seq;
	}
	free(page);
	if (err == COFFER_OK)
		err = audit_sign_head(audit_signer_get(), u->chain, after, prev, u->cp);
	return err;
}

static enum coffer_err upgrade_tx(struct pg_conn *c, void *ctx)
{
	struct upgrade *u = ctx;
	struct audit_walk_pages *w = NULL;
	enum coffer_err err = pg_lock(c, PG_LOCK_AUDIT_CHAIN);
	if (err == COFFER_OK)
		err = audit_walk_pages_start(u->chain, &u->walk, &w);
	if (err != COFFER_OK)
		return err;
	/* Under the lock no append runs: the pages read are the chain as it stands. */
	err = audit_walk_pages_finish(w, walk_rows(c, w));
	if (err != COFFER_OK)
		return err;
	u->walked = true;
	if (u->walk.broken != 0)
		return COFFER_ERR_CRYPTO; /* never re-link what does not verify */
	if (u->walk.legacy == 0)
		return audit_sign_head(audit_signer_get(), u->chain, u->walk.n, u->walk.head,
				       u->cp);
	return relink(c, u);
}

enum coffer_err pg_audit_rows_upgrade(const struct pg_chain *ch, struct audit_checkpoint *cp,
				      uint64_t *legacy)
{
	struct upgrade u = {.chain = ch->id, .walk = {.pin_seq = 0}, .cp = cp};
	enum coffer_err err = pg_pool_tx(ch->pool, ch->db, upgrade_tx, &u);
	if (u.walked)
		*legacy = u.walk.legacy;
	return err;
}
