/* notices.c — notices to the members of an organisation in the embedded system database (an
 * organisation recovered on the server, say), shown to each member at sign-in until the member
 * marks them seen. A notice is stored once per organisation, and what each user has seen once
 * per user and notice: a member who joins later sees the organisation's earlier notices too. */
#include <string.h>

#include "store/sqlite/query.h"
#include "store/sqlite/system_db.h"
#include "store/store.h"

enum coffer_err sqlite_store_notice_add(struct sqlite_store *st, const char *org_id,
					const char *kind, const char *subject, int64_t now)
{
	size_t kind_len = strnlen(kind, STORE_NOTICE_KIND_MAX + 1);
	size_t subject_len = strnlen(subject, EMAIL_MAX + 1);
	if (kind_len == 0 || kind_len > STORE_NOTICE_KIND_MAX || subject_len > EMAIL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* NOT_FOUND (the foreign key): no such organisation. */
	return db_pool_exec(&st->pool,
			    "INSERT INTO notices (org_id, kind, subject, created_at) "
			    "VALUES (?,?,?,?)",
			    DB_ARGS(db_text(org_id), db_text_n(kind, kind_len),
				    db_text_n(subject, subject_len), db_int(now)));
}

static enum coffer_err read_notice(sqlite3_stmt *s, void *out)
{
	struct notice_record *r = out;
	r->id = sqlite3_column_int64(s, 0);
	db_column_text(s, 1, r->org_id, sizeof r->org_id);
	db_column_text(s, 2, r->org_name, sizeof r->org_name);
	db_column_text(s, 3, r->kind, sizeof r->kind);
	db_column_text(s, 4, r->subject, sizeof r->subject);
	r->created_at = sqlite3_column_int64(s, 5);
	return COFFER_OK;
}

enum coffer_err sqlite_store_notices_unseen(struct sqlite_store *st, const char *user_id,
					    struct notice_record *out, size_t max, size_t *n)
{
	if (max > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_rows(&st->pool,
			    "SELECT n.id, n.org_id, o.name, n.kind, n.subject, n.created_at "
			    "FROM memberships m JOIN notices n ON n.org_id = m.org_id "
			    "JOIN orgs o ON o.id = n.org_id WHERE m.user_id = ?1 "
			    "AND NOT EXISTS (SELECT 1 FROM notices_seen s "
			    "WHERE s.user_id = ?1 AND s.notice_id = n.id) "
			    "ORDER BY n.created_at, n.id LIMIT ?2",
			    DB_ARGS(db_text(user_id), db_int((int64_t)max)), read_notice,
			    DB_ITEMS(out, max), n, NULL);
}

/* Notices seen by USER_ID: IDS. */
struct seen {
	const char *user_id;
	const int64_t *ids;
};

static enum coffer_err mark_one(sqlite3 *db, const void *ctx, size_t i)
{
	const struct seen *s = ctx;
	/* The SELECT skips an id of no notice (the foreign key would refuse it); the WHERE also
	 * keeps the upsert's ON CONFLICT from being read as a join's ON. */
	return db_exec(db,
		       "INSERT INTO notices_seen (user_id, notice_id) "
		       "SELECT ?1, id FROM notices WHERE id = ?2 ON CONFLICT DO NOTHING",
		       DB_ARGS(db_text(s->user_id), db_int(s->ids[i])));
}

enum coffer_err sqlite_store_notices_mark_seen(struct sqlite_store *st, const char *user_id,
					       const int64_t *ids, size_t n)
{
	const struct seen s = {user_id, ids};
	/* Checked apart: when every id is skipped, no insert meets the foreign key on users. */
	enum coffer_err err = db_pool_row(&st->pool, "SELECT 1 FROM users WHERE id = ?",
					  DB_ARGS(db_text(user_id)), NULL, NULL);
	if (err == COFFER_OK && n > 0)
		err = db_pool_write_each(&st->pool, mark_one, &s, n);
	return err;
}
