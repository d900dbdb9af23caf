/* audit_rows.c — an audit chain's rows in SQLite (audit_rows.h; format: audit/chain.h).
 *
 * Design points:
 * - An entry's seq and link are computed from the last stored entry inside the write
 *   transaction that inserts it (BEGIN IMMEDIATE takes the database's write lock first), so
 *   appends from many threads, or many processes on the same file, form one chain: never two
 *   entries with one seq, never two entries after the same one. The links come from the
 *   process's audit signer (keyd in `coffer serve`) in one round trip per append, which also
 *   seals the checkpoint handed on once the transaction has committed.
 * - A walk reads every row in seq order in one statement (one read snapshot) and feeds them to
 *   the walk shared with the PostgreSQL store (store/audit_walk_pages.h), which has the signer
 *   link them again a page at a time and reports the first entry that does not follow.
 */
#include "store/sqlite/audit_rows.h"

#include <stdlib.h>
#include <string.h>

#include "audit/signer.h"
#include "store/audit_walk_pages.h"
#include "store/sqlite/query.h"

#define ENTRY_COLUMNS                                                                              \
	"SELECT seq, time, actor, action, target, ip, outcome, reason, hash, key_version FROM "    \
	"audit "

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
	int64_t v = sqlite3_column_int64(s, 9);
	e->key_version = v >= 0 && v <= UINT32_MAX ? (uint32_t)v : UINT32_MAX;
	return db_column_blob(s, 8, e->hash, AUDIT_HASH_BYTES) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* Bounded: audit_digest has refused a longer field before anything is bound. */
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

enum coffer_err audit_rows_append(sqlite3 *db, const char *chain, struct audit_entry *e, size_t n,
				  struct audit_checkpoint *cp)
{
	struct last prev = {0}; /* an empty chain: seq 0 and a hash of zeros */
	enum coffer_err err = db_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
				     DB_NO_ARGS, read_last, &prev);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK;
	for (size_t i = 0; i < n; i++)
		e[i].seq = prev.seq + 1 + i;
	if (err == COFFER_OK && n > 0)
		err = audit_sign_entries(audit_signer_get(), chain, prev.hash, e, n, cp);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		err = db_exec(db,
			      "INSERT INTO audit (seq, time, actor, action, target, ip, outcome, "
			      "reason, hash, key_version) VALUES (?,?,?,?,?,?,?,?,?,?)",
			      DB_ARGS(db_int((int64_t)e[i].seq), db_int(e[i].time),
				      field(e[i].actor), field(e[i].action), field(e[i].target),
				      field(e[i].ip), field(e[i].outcome), field(e[i].reason),
				      db_blob(e[i].hash, AUDIT_HASH_BYTES),
				      db_int((int64_t)e[i].key_version)));
	}
	return err;
}

/* Entries to append to a chain. */
struct append {
	const char *chain;
	struct audit_entry *e;
	size_t n;
	struct audit_checkpoint cp;
};

static enum coffer_err append_tx(sqlite3 *db, void *ctx)
{
	struct append *a = ctx;
	return audit_rows_append(db, a->chain, a->e, a->n, &a->cp);
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
	struct append a = {.chain = chain, .e = next, .n = n};
	enum coffer_err err = db_pool_write(pool, append_tx, &a);
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

enum coffer_err audit_rows_list(struct db_pool *pool, uint64_t after, struct audit_entry *out,
				size_t max, size_t *n)
{
	return db_pool_rows(pool, ENTRY_COLUMNS "WHERE seq > ? ORDER BY seq LIMIT ?",
			    DB_ARGS(db_int(after > INT64_MAX ? INT64_MAX : (int64_t)after),
				    db_int(max > INT64_MAX ? INT64_MAX : (int64_t)max)),
			    read_entry, DB_ITEMS(out, max), n, NULL);
}

static enum coffer_err walk_entry(sqlite3_stmt *s, void *ctx)
{
	struct audit_entry e;
	return audit_walk_pages_next(ctx, read_entry(s, &e) == COFFER_OK ? &e : NULL);
}

enum coffer_err audit_rows_walk(struct db_pool *pool, const char *chain, struct audit_walk *out)
{
	struct audit_walk_pages *w = NULL;
	enum coffer_err err = audit_walk_pages_start(chain, out, &w);
	if (err != COFFER_OK)
		return err;
	sqlite3 *db = db_pool_get(pool);
	err = db_each(db, ENTRY_COLUMNS "ORDER BY seq", DB_NO_ARGS, walk_entry, w);
	db_pool_put(pool, db);
	return audit_walk_pages_finish(w, err);
}

enum coffer_err audit_rows_verify(struct db_pool *pool, const char *chain, uint64_t *n,
				  uint64_t *broken)
{
	struct audit_walk w = {.pin_seq = 0};
	enum coffer_err err = audit_rows_walk(pool, chain, &w);
	if (err != COFFER_OK)
		return err;
	*n = w.n;
	*broken = w.broken;
	return w.broken != 0 ? COFFER_ERR_CRYPTO : COFFER_OK;
}

/* Re-links every entry of a chain, in a write transaction. */
struct relink {
	const char *chain;
	struct audit_checkpoint *cp;
	uint64_t n;
};

static enum coffer_err relink_tx(sqlite3 *db, void *ctx)
{
	struct relink *r = ctx;
	uint8_t prev[AUDIT_HASH_BYTES] = {0};
	struct audit_entry *page = calloc(AUDIT_LINK_MAX, sizeof *page);
	if (page == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = COFFER_OK;
	uint64_t after = 0;
	for (;;) {
		size_t got = 0;
		err = db_rows(db, ENTRY_COLUMNS "WHERE seq > ? ORDER BY seq LIMIT ?",
			      DB_ARGS(db_int((int64_t)after), db_int(AUDIT_LINK_MAX)), read_entry,
			      DB_ITEMS(page, AUDIT_LINK_MAX), &got, NULL);
		if (err != COFFER_OK || got == 0)
			break;
		err = audit_sign_entries(audit_signer_get(), r->chain, prev, page, got, NULL);
		for (size_t i = 0; err == COFFER_OK && i < got; i++)
			err =
			    db_exec(db, "UPDATE audit SET hash = ?, key_version = ? WHERE seq = ?",
				    DB_ARGS(db_blob(page[i].hash, AUDIT_HASH_BYTES),
					    db_int((int64_t)page[i].key_version),
					    db_int((int64_t)page[i].seq)));
		if (err != COFFER_OK)
			break;
		memcpy(prev, page[got - 1].hash, AUDIT_HASH_BYTES);
		after = page[got - 1].seq;
		r->n = after;
	}
	free(page);
	if (err == COFFER_OK)
		err = audit_sign_head(audit_signer_get(), r->chain, r->n, prev, r->cp);
	return err;
}

enum coffer_err audit_rows_upgrade(struct db_pool *pool, const char *chain,
				   struct audit_checkpoint *cp, uint64_t *legacy)
{
	struct audit_walk w = {.pin_seq = 0};
	enum coffer_err err = audit_rows_walk(pool, chain, &w);
	if (err != COFFER_OK)
		return err;
	*legacy = w.legacy;
	if (w.broken != 0)
		return COFFER_ERR_CRYPTO; /* never re-link what does not verify */
	if (w.legacy == 0)
		return audit_sign_head(audit_signer_get(), chain, w.n, w.head, cp);
	struct relink r = {.chain = chain, .cp = cp, .n = 0};
	return db_pool_write(pool, relink_tx, &r);
}
