/* alerts.c — alerts on suspicious activity and the addresses each user signed in from, in the
 * embedded system database (store.h, "alerts"). */
#include <string.h>

#include "store/sqlite/db.h"
#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

static enum coffer_err insert_alert(sqlite3 *db, void *ctx)
{
	struct alert_record *a = ctx;
	enum coffer_err err =
	    db_exec(db,
		    "INSERT INTO alerts (time, kind, org_id, subject, detail) "
		    "VALUES (?,?,?,?,?)",
		    DB_ARGS(db_int(a->time), db_text(a->kind), db_text_or_null(a->org_id),
			    db_text(a->subject), db_text(a->detail)));
	if (err == COFFER_OK)
		a->seq = sqlite3_last_insert_rowid(db);
	return err;
}

enum coffer_err sqlite_store_alert_add(struct sqlite_store *st, struct alert_record *a)
{
	return db_pool_write(&st->pool, insert_alert, a);
}

static enum coffer_err read_alert(sqlite3_stmt *s, void *out)
{
	struct alert_record *r = out;
	r->seq = sqlite3_column_int64(s, 0);
	r->time = sqlite3_column_int64(s, 1);
	db_column_text(s, 2, r->kind, sizeof r->kind);
	db_column_text(s, 3, r->org_id, sizeof r->org_id);
	db_column_text(s, 4, r->subject, sizeof r->subject);
	db_column_text(s, 5, r->detail, sizeof r->detail);
	return COFFER_OK;
}

enum coffer_err sqlite_store_alerts_list(struct sqlite_store *st, const char *org_id,
					 int64_t before, struct alert_record *out, size_t max,
					 size_t *n, bool *more)
{
	int64_t below = before > 0 ? before : INT64_MAX;
	if (org_id == NULL)
		return db_pool_rows(&st->pool,
				    "SELECT seq, time, kind, org_id, subject, detail FROM alerts "
				    "WHERE seq < ? ORDER BY seq DESC",
				    DB_ARGS(db_int(below)), read_alert, DB_ITEMS(out, max), n,
				    more);
	return db_pool_rows(&st->pool,
			    "SELECT seq, time, kind, org_id, subject, detail FROM alerts "
			    "WHERE org_id = ? AND seq < ? ORDER BY seq DESC",
			    DB_ARGS(db_text(org_id), db_int(below)), read_alert, DB_ITEMS(out, max),
			    n, more);
}

struct address_note {
	const char *user_id, *address;
	int64_t now, previous;
	bool known;
};

static enum coffer_err read_seen(sqlite3_stmt *s, void *out)
{
	struct address_note *a = out;
	a->known = sqlite3_column_int64(s, 0) > 0;
	a->previous = sqlite3_column_int64(s, 1);
	return COFFER_OK;
}

static enum coffer_err note_address(sqlite3 *db, void *ctx)
{
	struct address_note *a = ctx;
	enum coffer_err err =
	    db_row(db,
		   "SELECT count(*), coalesce(max(CASE WHEN address = ?2 THEN last_seen END), 0) "
		   "FROM signin_addresses WHERE user_id = ?1",
		   DB_ARGS(db_text(a->user_id), db_text(a->address)), read_seen, a);
	if (err != COFFER_OK)
		return err;
	return db_exec(db,
		       "INSERT INTO signin_addresses (user_id, address, last_seen) VALUES (?,?,?) "
		       "ON CONFLICT (user_id, address) DO UPDATE SET "
		       "last_seen = max(last_seen, excluded.last_seen)",
		       DB_ARGS(db_text(a->user_id), db_text(a->address), db_int(a->now)));
}

enum coffer_err sqlite_store_signin_address_note(struct sqlite_store *st, const char *user_id,
						 const char *address, int64_t now,
						 int64_t *previous, bool *known)
{
	size_t len = strnlen(address, STORE_SIGNIN_ADDRESS_MAX + 1);
	if (len == 0 || len > STORE_SIGNIN_ADDRESS_MAX)
		return COFFER_ERR_INVALID_INPUT;
	struct address_note a = {.user_id = user_id, .address = address, .now = now};
	enum coffer_err err = db_pool_write(&st->pool, note_address, &a);
	if (err == COFFER_OK) {
		*previous = a.previous;
		*known = a.known;
	}
	return err;
}
