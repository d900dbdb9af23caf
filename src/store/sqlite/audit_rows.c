/* audit_rows.c — an audit chain's rows in SQLite (audit_rows.h; format: audit/chain.h).
 *
 * Design points:
 * - An entry's seq and hash are computed from the last stored entry inside the write
 *   transaction that inserts it (BEGIN IMMEDIATE takes the database's write lock first), so
 *   appends from many threads, or many processes on the same file, form one chain: never two
 *   entries with one seq, never two entries after the same one.
 * - Verification walks every row in seq order in one statement (one read snapshot) and reports
 *   the position of the first entry that does not follow: a gap (a deleted row), an edited
 *   field, or rows whose contents were exchanged all break it there.
 */
#include "store/sqlite/audit_rows.h"

#include <stdlib.h>
#include <string.h>

#include "store/sqlite/query.h"

#define ENTRY_COLUMNS                                                                              \
	"SELECT seq, time, actor, action, target, ip, outcome, reason, hash FROM audit "

/* Reads the current row (ENTRY_COLUMNS); COFFER_ERR_STORAGE when its hash is not
 * AUDIT_HASH_BYTES long. */
static enum coffer_err read_entry(sqlite3_stmt *s, void *out)
{
	struct audit_entry *e = out;
	e->seq = (uint64_t)sqlite3_column_int64(s, 0);
	e->time = sqlite3_column_int64(s, 1);
	db_column_text(s, 2, e->actor, sizeof e->actor);
	db_column_text(s, 3, e->action, sizeof e->action);
	db_column_text(s, 4, e->target, sizeof e->target);
	db_column_text(s, 5, e->ip, sizeof e->ip);
	db_column_text(s, 6, e->outcome, sizeof e->outcome);
	db_column_text(s, 7, e->reason, sizeof e->reason);
	return db_column_blob(s, 8, e->hash, AUDIT_HASH_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* Bounded: audit_hash has refused a longer field before anything is bound. */
static struct db_arg field(const char *f)
{
	return db_text_n(f, strnlen(f, AUDIT_FIELD_MAX));
}

/* The chain's last entry: its seq and hash. */
struct last {
	uint64_t seq;
	uint8_t hash[AUDIT_HASH_BYTES];
};

static enum coffer_err read_last(sqlite3_stmt *s, void *out)
{
	struct last *l = out;
	l->seq = (uint64_t)sqlite3_column_int64(s, 0);
	return db_column_blob(s, 1, l->hash, AUDIT_HASH_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

enum coffer_err audit_rows_append(sqlite3 *db, const char *chain, struct audit_entry *e, size_t n)
{
	struct last prev = {0}; /* an empty chain: seq 0 and a hash of zeros */
	enum coffer_err err = db_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
				     DB_NO_ARGS, read_last, &prev);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		e[i].seq = prev.seq + 1 + i;
		err = audit_hash(chain, prev.hash, &e[i], e[i].hash);
		if (err != COFFER_OK)
			break;
		err = db_exec(db,
			      "INSERT INTO audit (seq, time, actor, action, target, ip, outcome, "
			      "reason, hash) VALUES (?,?,?,?,?,?,?,?,?)",
			      DB_ARGS(db_int((int64_t)e[i].seq), db_int(e[i].time),
				      field(e[i].actor), field(e[i].action), field(e[i].target),
				      field(e[i].ip), field(e[i].outcome), field(e[i].reason),
				      db_blob(e[i].hash, AUDIT_HASH_BYTES)));
		memcpy(prev.hash, e[i].hash, AUDIT_HASH_BYTES);
	}
	return err;
}

/* Entries to append to a chain. */
struct append {
	const char *chain;
	struct audit_entry *e;
	size_t n;
};

static enum coffer_err append_tx(sqlite3 *db, void *ctx)
{
	const struct append *a = ctx;
	return audit_rows_append(db, a->chain, a->e, a->n);
}

enum coffer_err audit_rows_commit(struct db_pool *pool, const char *chain, struct audit_entry *e,
				  size_t n)
{
	if (n == 0)
		return COFFER_OK;
	/* Copies: E's seqs and hashes change only once the entries are committed. */
	struct audit_entry *next = calloc(n, sizeof *next);
	if (next == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(next, e, n * sizeof *next);
	struct append a = {chain, next, n};
	enum coffer_err err = db_pool_write(pool, append_tx, &a);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		e[i].seq = next[i].seq;
		memcpy(e[i].hash, next[i].hash, AUDIT_HASH_BYTES);
	}
	free(next);
	return err;
}

enum coffer_err audit_rows_list(struct db_pool *pool, uint64_t after, struct audit_entry *out,
				size_t max, size_t *n)
{
	return db_pool_rows(pool, ENTRY_COLUMNS "WHERE seq > ? ORDER BY seq LIMIT ?",
			    DB_ARGS(db_int(after > INT64_MAX ? INT64_MAX : (int64_t)after),
				    db_int(max > INT64_MAX ? INT64_MAX : (int64_t)max)),
			    read_entry, DB_ITEMS(out, max), n, NULL);
}

/* A walk over the chain: the verifier, the entries that followed, and the position of the
 * first that did not. */
struct walk {
	struct audit_verifier v;
	uint64_t good, bad;
};

static enum coffer_err verify_entry(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct audit_entry e;
	/* The position this entry should hold: the verifier forgets it on a failure. */
	uint64_t want = w->v.next_seq;
	if (read_entry(s, &e) != COFFER_OK || audit_verify_next(&w->v, &e) != COFFER_OK) {
		w->bad = want;
		return COFFER_ERR_CRYPTO;
	}
	w->good++;
	return COFFER_OK;
}

enum coffer_err audit_rows_verify(struct db_pool *pool, const char *chain, uint64_t *n,
				  uint64_t *broken)
{
	struct walk w = {.good = 0, .bad = 0};
	audit_verify_start(&w.v, chain);
	sqlite3 *db = db_pool_get(pool);
	enum coffer_err err =
	    db_each(db, ENTRY_COLUMNS "ORDER BY seq", DB_NO_ARGS, verify_entry, &w);
	db_pool_put(pool, db);
	if (err != COFFER_OK && w.bad == 0)
		return err;
	*n = w.good;
	*broken = w.bad;
	return err;
}
