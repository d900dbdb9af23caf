/* pg_notices.c — notices to the members of an organisation in the PostgreSQL system database
 * (as the SQLite store's notices.c): stored once per organisation, and what each user has seen
 * once per user and notice, so a member who joins later sees the earlier notices too. */
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_notice_add(struct pg_store *st, const char *org_id, const char *kind,
				    const char *subject, int64_t now)
{
	size_t kind_len = strnlen(kind, STORE_NOTICE_KIND_MAX + 1);
	size_t subject_len = strnlen(subject, EMAIL_MAX + 1);
	if (kind_len == 0 || kind_len > STORE_NOTICE_KIND_MAX || subject_len > EMAIL_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* NOT_FOUND (the foreign key): no such organisation. The id is the identity's. */
	return pg_sys_exec(st,
			   "INSERT INTO notices (org_id, kind, subject, created_at) "
			   "VALUES ($1, $2, $3, $4)",
			   PG_ARGS(pg_text(org_id), pg_text_n(kind, kind_len),
				   pg_text_n(subject, subject_len), pg_int(now)));
}

/* id, org_id, org name, kind, subject, created_at */
static enum coffer_err read_notice(const PGresult *r, int row, void *out)
{
	struct notice_record *n = out;
	memset(n, 0, sizeof *n);
	return pg_get_int(r, row, 0, &n->id) &&
		       pg_get_text(r, row, 1, n->org_id, sizeof n->org_id) &&
		       pg_get_text(r, row, 2, n->org_name, sizeof n->org_name) &&
		       pg_get_text(r, row, 3, n->kind, sizeof n->kind) &&
		       pg_get_text(r, row, 4, n->subject, sizeof n->subject) &&
		       pg_get_int(r, row, 5, &n->created_at)
		   ? COFFER_OK
		   : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_notices_unseen(struct pg_store *st, const char *user_id,
					struct notice_record *out, size_t max, size_t *n)
{
	if (max > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_rows(st,
			   "SELECT n.id, n.org_id, o.name, n.kind, n.subject, n.created_at "
			   "FROM memberships m JOIN notices n ON n.org_id = m.org_id "
			   "JOIN orgs o ON o.id = n.org_id WHERE m.user_id = $1 "
			   "AND NOT EXISTS (SELECT 1 FROM notices_seen s "
			   "WHERE s.user_id = $1 AND s.notice_id = n.id) "
			   "ORDER BY n.created_at, n.id LIMIT $2",
			   PG_ARGS(pg_text(user_id), pg_int((int64_t)max)), read_notice, out,
			   sizeof *out, max, n);
}

/* Notices seen by USER_ID: the N at IDS. */
struct seen {
	const char *user_id;
	const int64_t *ids;
	size_t n;
};

static enum coffer_err read_nothing(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	(void)out;
	return COFFER_OK;
}

/* The user's row is locked against deletion first (NOT_FOUND when there is none, also when
 * every id is skipped); each notice's row is locked as it is read, so one deleted meanwhile is
 * skipped, as an id of no notice is, rather than failing its foreign key. */
static enum coffer_err mark_tx(struct pg_conn *c, void *ctx)
{
	const struct seen *s = ctx;
	enum coffer_err err = pg_row(c, "SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE",
				     PG_ARGS(pg_text(s->user_id)), read_nothing, NULL);
	for (size_t i = 0; i < s->n && err == COFFER_OK; i++)
		err = pg_exec(c,
			      "INSERT INTO notices_seen (user_id, notice_id) "
			      "SELECT $1, id FROM notices WHERE id = $2 FOR KEY SHARE "
			      "ON CONFLICT DO NOTHING",
			      PG_ARGS(pg_text(s->user_id), pg_int(s->ids[i])));
	return err;
}

enum coffer_err pg_store_notices_mark_seen(struct pg_store *st, const char *user_id,
					   const int64_t *ids, size_t n)
{
	struct seen s = {user_id, ids, n};
	return pg_sys_tx(st, mark_tx, &s);
}
