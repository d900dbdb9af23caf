/* pg_alerts.c — alerts on suspicious activity and the addresses each user signed in from, in
 * the PostgreSQL system database (as the SQLite store's alerts.c). */
#include "store/postgres/pg_people.h"
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_alert_add(struct pg_store *st, struct alert_record *a)
{
	return pg_sys_row(st,
			  "INSERT INTO alerts (time, kind, org_id, subject, detail) "
			  "VALUES ($1, $2, $3, $4, $5) RETURNING seq",
			  PG_ARGS(pg_int(a->time), pg_text(a->kind),
				  a->org_id[0] ? pg_text(a->org_id) : pg_null(),
				  pg_text(a->subject), pg_text(a->detail)),
			  people_read_int, &a->seq);
}

static enum coffer_err read_alert(const PGresult *r, int row, void *out)
{
	struct alert_record *a = out;
	if (!pg_get_int(r, row, 0, &a->seq) || !pg_get_int(r, row, 1, &a->time) ||
	    !pg_get_text(r, row, 2, a->kind, sizeof a->kind) ||
	    (!pg_get_null(r, row, 3) && !pg_get_text(r, row, 3, a->org_id, sizeof a->org_id)) ||
	    !pg_get_text(r, row, 4, a->subject, sizeof a->subject) ||
	    !pg_get_text(r, row, 5, a->detail, sizeof a->detail))
		return COFFER_ERR_STORAGE;
	if (pg_get_null(r, row, 3))
		a->org_id[0] = '\0';
	return COFFER_OK;
}

enum coffer_err pg_store_alerts_list(struct pg_store *st, const char *org_id, int64_t before,
				     struct alert_record *out, size_t max, size_t *n, bool *more)
{
	int64_t below = before > 0 ? before : INT64_MAX;
	/* $1 NULL: every organisation's and the system's. */
	struct pg_arg org = org_id != NULL ? pg_text(org_id) : pg_null();
	enum coffer_err err =
	    pg_sys_rows(st,
			"SELECT seq, time, kind, org_id, subject, detail FROM alerts "
			"WHERE ($1::text IS NULL OR org_id = $1) AND seq < $2 "
			"ORDER BY seq DESC LIMIT $3",
			PG_ARGS(org, pg_int(below), pg_int((int64_t)max)), read_alert, out,
			sizeof *out, max, n);
	if (err != COFFER_OK || more == NULL)
		return err;
	*more = false;
	if (*n == max && max > 0) {
		int64_t older = 0;
		err = pg_sys_row(st,
				 "SELECT count(*) FROM (SELECT 1 FROM alerts WHERE "
				 "($1::text IS NULL OR org_id = $1) AND seq < $2 LIMIT 1) o",
				 PG_ARGS(org, pg_int(out[*n - 1].seq)), people_read_int, &older);
		*more = older > 0;
	}
	return err;
}

static enum coffer_err read_note(const PGresult *r, int row, void *out)
{
	int64_t *v = out; /* [known count, previous] */
	return pg_get_int(r, row, 0, &v[0]) && pg_get_int(r, row, 1, &v[1]) ? COFFER_OK
									    : COFFER_ERR_STORAGE;
}

enum coffer_err pg_store_signin_address_note(struct pg_store *st, const char *user_id,
					     const char *address, int64_t now, int64_t *previous,
					     bool *known)
{
	size_t len = strnlen(address, STORE_SIGNIN_ADDRESS_MAX + 1);
	if (len == 0 || len > STORE_SIGNIN_ADDRESS_MAX)
		return COFFER_ERR_INVALID_INPUT;
	/* One statement: what was there before (the CTE's snapshot), then the upsert. */
	int64_t v[2] = {0, 0};
	enum coffer_err err =
	    pg_sys_row(st,
		       "WITH before AS (SELECT count(*) AS n, "
		       "coalesce(max(last_seen) FILTER (WHERE address = $2), 0) AS seen "
		       "FROM signin_addresses WHERE user_id = $1), "
		       "up AS (INSERT INTO signin_addresses (user_id, address, last_seen) "
		       "VALUES ($1, $2, $3) ON CONFLICT (user_id, address) DO UPDATE SET "
		       "last_seen = GREATEST(signin_addresses.last_seen, excluded.last_seen)) "
		       "SELECT n, seen FROM before",
		       PG_ARGS(pg_text(user_id), pg_text(address), pg_int(now)), read_note, v);
	if (err == COFFER_OK) {
		*known = v[0] > 0;
		*previous = v[1];
	}
	return err;
}
