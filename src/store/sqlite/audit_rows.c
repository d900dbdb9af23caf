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

#include <string.h>

#define ENTRY_COLUMNS                                                                              \
	"SELECT seq, time, actor, action, target, ip, outcome, reason, hash FROM audit "

/* Reads the current row (ENTRY_COLUMNS); false when its hash is not AUDIT_HASH_BYTES long. */
static bool read_entry(sqlite3_stmt *s, struct audit_entry *e)
{
	e->seq = (uint64_t)sqlite3_column_int64(s, 0);
	e->time = sqlite3_column_int64(s, 1);
	db_column_text(s, 2, e->actor, sizeof e->actor);
	db_column_text(s, 3, e->action, sizeof e->action);
	db_column_text(s, 4, e->target, sizeof e->target);
	db_column_text(s, 5, e->ip, sizeof e->ip);
	db_column_text(s, 6, e->outcome, sizeof e->outcome);
	db_column_text(s, 7, e->reason, sizeof e->reason);
	return db_column_blob(s, 8, e->hash, AUDIT_HASH_BYTES);
}

/* Bounded: audit_hash has refused a longer field before anything is bound. */
static void bind_field(sqlite3_stmt *s, int idx, const char *field)
{
	sqlite3_bind_text(s, idx, field, (int)strnlen(field, AUDIT_FIELD_MAX), SQLITE_STATIC);
}

/* The seq and hash of the chain's last entry (0 and zeros for an empty chain). */
static enum coffer_err last_entry(sqlite3 *db, uint64_t *seq, uint8_t hash[AUDIT_HASH_BYTES])
{
	sqlite3_stmt *q = NULL;
	*seq = 0;
	memset(hash, 0, AUDIT_HASH_BYTES);
	enum coffer_err err =
	    db_prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &q);
	if (err == COFFER_OK) {
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*seq = (uint64_t)sqlite3_column_int64(q, 0);
			if (!db_column_blob(q, 1, hash, AUDIT_HASH_BYTES))
				err = COFFER_ERR_STORAGE;
		} else if (rc != SQLITE_DONE) {
			err = db_err(rc);
		}
	}
	db_finish(q);
	return err;
}

enum coffer_err audit_rows_append(sqlite3 *db, const char *chain, struct audit_entry *e, size_t n)
{
	uint8_t prev[AUDIT_HASH_BYTES];
	uint64_t last = 0;
	sqlite3_stmt *ins = NULL;
	enum coffer_err err = last_entry(db, &last, prev);
	if (err == COFFER_OK && n > 0)
		err = db_prepare(db,
				 "INSERT INTO audit (seq, time, actor, action, target, ip, "
				 "outcome, reason, hash) VALUES (?,?,?,?,?,?,?,?,?)",
				 &ins);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		e[i].seq = last + 1 + i;
		err = audit_hash(chain, prev, &e[i], e[i].hash);
		if (err != COFFER_OK)
			break;
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)e[i].seq);
		sqlite3_bind_int64(ins, 2, e[i].time);
		bind_field(ins, 3, e[i].actor);
		bind_field(ins, 4, e[i].action);
		bind_field(ins, 5, e[i].target);
		bind_field(ins, 6, e[i].ip);
		bind_field(ins, 7, e[i].outcome);
		bind_field(ins, 8, e[i].reason);
		sqlite3_bind_blob(ins, 9, e[i].hash, AUDIT_HASH_BYTES, SQLITE_STATIC);
		err = db_step_done(ins);
		memcpy(prev, e[i].hash, AUDIT_HASH_BYTES);
	}
	db_finish(ins);
	return err;
}

enum coffer_err audit_rows_list(sqlite3 *db, uint64_t after, struct audit_entry *out, size_t max,
				size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t got = 0;
	int rc = SQLITE_DONE;
	enum coffer_err err =
	    db_prepare(db, ENTRY_COLUMNS "WHERE seq > ? ORDER BY seq LIMIT ?", &s);
	if (err == COFFER_OK) {
		sqlite3_bind_int64(s, 1, after > INT64_MAX ? INT64_MAX : (sqlite3_int64)after);
		sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	}
	while (err == COFFER_OK && got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!read_entry(s, &out[got++]))
			err = COFFER_ERR_STORAGE;
	}
	if (err == COFFER_OK && got < max && rc != SQLITE_DONE)
		err = db_err(rc);
	db_finish(s);
	if (err == COFFER_OK)
		*n = got;
	return err;
}

enum coffer_err audit_rows_verify(sqlite3 *db, const char *chain, uint64_t *n, uint64_t *broken)
{
	struct audit_verifier v;
	struct audit_entry e;
	uint64_t good = 0, bad = 0;
	int rc = SQLITE_DONE;
	sqlite3_stmt *s = NULL;
	audit_verify_start(&v, chain);
	enum coffer_err err = db_prepare(db, ENTRY_COLUMNS "ORDER BY seq", &s);
	while (err == COFFER_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* The position this entry should hold: the verifier forgets it on a failure. */
		uint64_t want = v.next_seq;
		if (!read_entry(s, &e) || audit_verify_next(&v, &e) != COFFER_OK) {
			bad = want;
			break;
		}
		good++;
	}
	if (err == COFFER_OK && bad == 0 && rc != SQLITE_DONE)
		err = db_err(rc);
	db_finish(s);
	if (err != COFFER_OK)
		return err;
	*n = good;
	*broken = bad;
	return bad == 0 ? COFFER_OK : COFFER_ERR_CRYPTO;
}
