/* pg_caller.c — who a request's caller is, in one statement on the system database
 * (store_caller_get): the live session, its user with every membership, and the named
 * organisation's policy, the user's member policy there and the organisation's newest key.
 *
 * Every request reads these, and across a network each statement costs a round trip and a
 * snapshot in the server; as one statement they cost one, and they agree with each other (one
 * snapshot). Nothing is kept between requests: a logout, a disabled user, a changed policy or
 * a rotated key on any node holds from the next request on every node.
 *
 * The rows are the user's memberships (one row, with NULL membership columns, for none), as
 * pg_users.c reads them; the session's and the organisation's columns repeat on each and are
 * read from the first. They come unsorted and are put in PG_MEMBERSHIP_ORDER here: a Sort node
 * in the plan cost the server more than a tenth of the statement (pgbench, this machine). */
#include <stdlib.h>
#include <string.h>

#include "store/postgres/pg_org_keys.h"
#include "store/postgres/pg_people.h"

enum {
	COL_SESSION = PG_USER_N_COLUMNS,
	COL_POLICY = COL_SESSION + PG_SESSION_N_COLUMNS,
	COL_MEMBER_POLICY,
	COL_KEY, /* version, master_version, wrapped: NULL without a key */
};

#define CALLER_SELECT                                                                              \
	"SELECT " PG_USER_COLUMNS(                                                                 \
	    u.account) ", " PG_SESSION_COLUMNS ", "                                                \
		       "(SELECT json FROM policies WHERE scope = $4), "                            \
		       "(SELECT json FROM member_policies WHERE org_id = $4 AND user_id = u.id), " \
		       "k.version, k.master_version, k.wrapped "                                   \
		       "FROM sessions s JOIN users u ON u.id = s.user_id " PG_USER_MEMBERSHIPS     \
		       "LEFT JOIN LATERAL (SELECT version, master_version, wrapped FROM org_keys " \
		       "WHERE org_id = $4 ORDER BY version DESC LIMIT 1) k ON true "               \
		       "WHERE " PG_SESSION_LIVE

/* PG_MEMBERSHIP_ORDER: by name, then id, byte by byte (COLLATE "C"). */
static int membership_cmp(const void *a, const void *b)
{
	const struct membership_record *x = a, *y = b;
	int by_name = strcmp(x->org_name, y->org_name);
	return by_name != 0 ? by_name : strcmp(x->org_id, y->org_id);
}

/* A policy's JSON text from column COL into OUT (STORE_POLICY_MAX + 1 bytes); *HAS false for
 * NULL (none stored). */
static bool read_policy(const PGresult *r, int col, char *out, bool *has)
{
	*has = !pg_get_null(r, 0, col);
	if (!*has)
		return true;
	int len = PQgetlength(r, 0, col);
	return len >= 0 && len <= STORE_POLICY_MAX &&
	       pg_get_text(r, 0, col, out, STORE_POLICY_MAX + 1);
}

static enum coffer_err read_org(const PGresult *r, struct caller_org_read *org)
{
	if (!read_policy(r, COL_POLICY, org->policy, &org->has_policy) ||
	    !read_policy(r, COL_MEMBER_POLICY, org->member_policy, &org->has_member_policy))
		return COFFER_ERR_STORAGE;
	org->has_key = !pg_get_null(r, 0, COL_KEY);
	if (org->has_key && pg_org_key_read_at(r, 0, COL_KEY, &org->key) != COFFER_OK)
		return COFFER_ERR_STORAGE;
	org->read = true;
	return COFFER_OK;
}

enum coffer_err pg_store_caller_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				    int64_t idle_ttl, struct session_record *s,
				    struct user_record *u, struct caller_org_read *org)
{
	const char *org_id = org != NULL ? org->org_id : NULL;
	PGresult *r = NULL;
	enum coffer_err err =
	    pg_people_query(st, CALLER_SELECT,
			    PG_ARGS(pg_bytea(h->bytes, sizeof h->bytes), pg_int(now),
				    pg_int(idle_ttl), org_id != NULL ? pg_text(org_id) : pg_null()),
			    &r);
	if (err != COFFER_OK)
		return err;
	err = pg_user_read_one(r, u); /* one token hash, one session, one user */
	if (err == COFFER_OK)
		qsort(u->orgs, u->n_orgs, sizeof u->orgs[0], membership_cmp);
	if (err == COFFER_OK)
		err = pg_session_read_at(r, 0, COL_SESSION, s);
	if (err == COFFER_OK && org_id != NULL)
		err = read_org(r, org);
	if (err == COFFER_OK)
		s->token = *h;
	PQclear(r);
	return err;
}
