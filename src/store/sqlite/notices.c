/* notices.c — notices in the embedded system database, shown at sign-in until marked seen: to
 * the members of an organisation (an organisation recovered on the server, say), and to one
 * user about their own account (a password changed, a wrong code). An organisation's notice is
 * stored once, and what each user has seen once per user and notice: a member who joins later
 * sees the organisation's earlier notices too. Both kinds share one id sequence, so that one
 * list of ids marks either. */
#include <string.h>

#include "store/notice_rules.h"
#include "store/sqlite/db.h"
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

/* A personal notice of the same kind made within the quiet time stops the insert. */
struct personal {
	const struct user_notice *n;
	int64_t quiet_s;
	int64_t id;
};

static enum coffer_err insert_personal(sqlite3 *db, void *ctx)
{
	struct personal *p = ctx;
	const struct user_notice *n = p->n;
	enum coffer_err err = COFFER_OK;
	if (p->quiet_s > 0) {
		err = db_row(db,
			     "SELECT 1 FROM notices WHERE user_id = ? AND kind = ? "
			     "AND created_at > ?",
			     DB_ARGS(db_text(n->user_id), db_text(n->kind),
				     db_int(n->created_at - p->quiet_s)),
			     NULL, NULL);
		if (err == COFFER_OK)
			return COFFER_ERR_EXISTS;
		if (err != COFFER_ERR_NOT_FOUND)
			return err;
	}
	/* NOT_FOUND (the foreign key): no such user. */
	err = db_exec(db,
		      "INSERT INTO notices (user_id, kind, subject, detail, address, created_at) "
		      "VALUES (?,?,?,?,?,?)",
		      DB_ARGS(db_text(n->user_id), db_text(n->kind), db_text(n->subject),
			      db_text(n->detail), db_text_or_null(n->address),
			      db_int(n->created_at)));
	if (err == COFFER_OK)
		p->id = sqlite3_last_insert_rowid(db);
	return err;
}

enum coffer_err sqlite_store_user_notice_add(struct sqlite_store *st, const struct user_notice *n,
					     int64_t quiet_s, int64_t *id)
{
	if (!store_user_notice_valid(n))
		return COFFER_ERR_INVALID_INPUT;
	struct personal p = {n, quiet_s, 0};
	enum coffer_err err = db_pool_write(&st->pool, insert_personal, &p);
	if (err == COFFER_OK)
		*id = p.id;
	return err;
}

static enum coffer_err read_notice(sqlite3_stmt *s, void *out)
{
	struct notice_record *r = out;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->personal = sqlite3_column_int64(s, 1) != 0;
	db_column_text(s, 2, r->org_id, sizeof r->org_id);
	db_column_text(s, 3, r->org_name, sizeof r->org_name);
	db_column_text(s, 4, r->kind, sizeof r->kind);
	db_column_text(s, 5, r->subject, sizeof r->subject);
	db_column_text(s, 6, r->detail, sizeof r->detail);
	db_column_text(s, 7, r->address, sizeof r->address);
	r->created_at = sqlite3_column_int64(s, 8);
	return COFFER_OK;
}

enum coffer_err sqlite_store_notices_unseen(struct sqlite_store *st, const char *user_id,
					    struct notice_record *out, size_t max, size_t *n)
{
	if (max > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return db_pool_rows(
	    &st->pool,
	    "SELECT id, personal, org_id, org_name, kind, subject, detail, address, "
	    "created_at FROM ("
	    "SELECT n.id, 0 AS personal, n.org_id, o.name AS org_name, n.kind, "
	    "n.subject, n.detail, n.address, n.created_at "
	    "FROM memberships m JOIN notices n ON n.org_id = m.org_id "
	    "JOIN orgs o ON o.id = n.org_id WHERE m.user_id = ?1 "
	    "UNION ALL "
	    "SELECT id, 1, '', '', kind, subject, detail, address, created_at "
	    "FROM notices WHERE user_id = ?1) AS u "
	    "WHERE NOT EXISTS (SELECT 1 FROM notices_seen s "
	    "WHERE s.user_id = ?1 AND s.notice_id = u.id) "
	    "ORDER BY created_at, id LIMIT ?2",
	    DB_ARGS(db_text(user_id), db_int((int64_t)max)), read_notice, DB_ITEMS(out, max), n,
	    NULL);
}

/* Notices seen by USER_ID: IDS. */
struct seen {
	const char *user_id;
	const int64_t *ids;
};

static enum coffer_err mark_one(sqlite3 *db, const void *ctx, size_t i)
{
	const struct seen *s = ctx;
	/* The SELECT skips an id of no notice (the foreign key would refuse it) and of another
	 * user's own notice; the WHERE also keeps the upsert's ON CONFLICT from being read as a
	 * join's ON. */
	return db_exec(db,
		       "INSERT INTO notices_seen (user_id, notice_id) "
		       "SELECT ?1, id FROM notices WHERE id = ?2 "
		       "AND (user_id IS NULL OR user_id = ?1) ON CONFLICT DO NOTHING",
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
