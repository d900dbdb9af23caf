/* pg_notices.c — notices in the PostgreSQL system database (as the SQLite store's notices.c):
 * to the members of an organisation, stored once per organisation, and what each user has seen
 * once per user and notice, so a member who joins later sees the earlier notices too; and to
 * one user about their own account. Both kinds share the table's id sequence. */
#include "store/notice_rules.h"
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

static enum coffer_err read_nothing(const PGresult *r, int row, void *out)
{
	(void)r;
	(void)row;
	(void)out;
	return COFFER_OK;
}

static enum coffer_err read_id(const PGresult *r, int row, void *out)
{
	return pg_get_int(r, row, 0, out) ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* A personal notice of the same kind made within the quiet time stops the insert. */
struct personal {
	const struct user_notice *n;
	int64_t quiet_s;
	int64_t id;
};

/* The user's row is locked first (NOT_FOUND when there is none), so that two servers adding a
 * notice of the same kind at once take turns, and the second sees the first's. */
static enum coffer_err personal_tx(struct pg_conn *c, void *ctx)
{
	struct personal *p = ctx;
	const struct user_notice *n = p->n;
	enum coffer_err err = pg_row(c, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
				     PG_ARGS(pg_text(n->user_id)), read_nothing, NULL);
	if (err == COFFER_OK && p->quiet_s > 0) {
		err = pg_row(c,
			     "SELECT 1 FROM notices WHERE user_id = $1 AND kind = $2 "
			     "AND created_at > $3",
			     PG_ARGS(pg_text(n->user_id), pg_text(n->kind),
				     pg_int(n->created_at - p->quiet_s)),
			     read_nothing, NULL);
		if (err == COFFER_OK)
			return COFFER_ERR_EXISTS;
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK;
	}
	if (err == COFFER_OK)
		err = pg_row(c,
			     "INSERT INTO notices (user_id, kind, subject, detail, address, "
			     "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			     PG_ARGS(pg_text(n->user_id), pg_text(n->kind), pg_text(n->subject),
				     pg_text(n->detail),
				     n->address[0] != '\0' ? pg_text(n->address) : pg_null(),
				     pg_int(n->created_at)),
			     read_id, &p->id);
	return err;
}

enum coffer_err pg_store_user_notice_add(struct pg_store *st, const struct user_notice *n,
					 int64_t quiet_s, int64_t *id)
{
	if (!store_user_notice_valid(n))
		return COFFER_ERR_INVALID_INPUT;
	struct personal p = {n, quiet_s, 0};
	enum coffer_err err = pg_sys_tx(st, personal_tx, &p);
	if (err == COFFER_OK)
		*id = p.id;
	return err;
}

/* id, personal, org_id, org name, kind, subject, detail, address, created_at */
static enum coffer_err read_notice(const PGresult *r, int row, void *out)
{
	struct notice_record *n = out;
	int64_t personal = 0;
	memset(n, 0, sizeof *n);
	if (!pg_get_int(r, row, 0, &n->id) || !pg_get_int(r, row, 1, &personal) ||
	    !pg_get_text(r, row, 2, n->org_id, sizeof n->org_id) ||
	    !pg_get_text(r, row, 3, n->org_name, sizeof n->org_name) ||
	    !pg_get_text(r, row, 4, n->kind, sizeof n->kind) ||
	    !pg_get_text(r, row, 5, n->subject, sizeof n->subject) ||
	    !pg_get_text(r, row, 6, n->detail, sizeof n->detail) ||
	    !pg_get_text(r, row, 7, n->address, sizeof n->address) ||
	    !pg_get_int(r, row, 8, &n->created_at))
		return COFFER_ERR_STORAGE;
	n->personal = personal != 0;
	return COFFER_OK;
}

enum coffer_err pg_store_notices_unseen(struct pg_store *st, const char *user_id,
					struct notice_record *out, size_t max, size_t *n)
{
	if (max > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return pg_sys_rows(st,
			   "SELECT id, personal, org_id, org_name, kind, subject, detail, address, "
			   "created_at FROM ("
			   "SELECT n.id, false AS personal, n.org_id, o.name AS org_name, n.kind, "
			   "n.subject, n.detail, coalesce(n.address, '') AS address, n.created_at "
			   "FROM memberships m JOIN notices n ON n.org_id = m.org_id "
			   "JOIN orgs o ON o.id = n.org_id WHERE m.user_id = $1 "
			   "UNION ALL "
			   "SELECT id, true, '', '', kind, subject, detail, coalesce(address, ''), "
			   "created_at FROM notices WHERE user_id = $1) AS u "
			   "WHERE NOT EXISTS (SELECT 1 FROM notices_seen s "
			   "WHERE s.user_id = $1 AND s.notice_id = u.id) "
			   "ORDER BY created_at, id LIMIT $2",
			   PG_ARGS(pg_text(user_id), pg_int((int64_t)max)), read_notice, out,
			   sizeof *out, max, n);
}

/* Notices seen by USER_ID: the N at IDS. */
struct seen {
	const char *user_id;
	const int64_t *ids;
	size_t n;
};

/* The user's row is locked against deletion first (NOT_FOUND when there is none, also when
 * every id is skipped); each notice's row is locked as it is read, so one deleted meanwhile is
 * skipped, as an id of no notice is, rather than failing its foreign key. Another user's own
 * notice is skipped too. */
static enum coffer_err mark_tx(struct pg_conn *c, void *ctx)
{
	const struct seen *s = ctx;
	enum coffer_err err = pg_row(c, "SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE",
				     PG_ARGS(pg_text(s->user_id)), read_nothing, NULL);
	for (size_t i = 0; i < s->n && err == COFFER_OK; i++)
		err = pg_exec(c,
			      "INSERT INTO notices_seen (user_id, notice_id) "
			      "SELECT $1, id FROM notices WHERE id = $2 "
			      "AND (user_id IS NULL OR user_id = $1) FOR KEY SHARE "
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
