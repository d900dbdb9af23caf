/* audit_trail.c — GET /api/v1/admin/audit (the system chain, sysadmins only) and
 * GET /api/v1/orgs/{org}/audit (that organisation's chain, its org_admin or a sysadmin): a page
 * of a chain, ?after=SEQ&limit=N → {"entries": [...], "next": SEQ|null}.
 */
#include <sodium.h>
#include <stdlib.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "common/timefmt.h"
#include "http/query.h"
#include "http/reply.h"

#define AUDIT_PAGE_MAX 1000

/* Lists up to MAX entries of a chain after seq AFTER (as store_audit_list). */
typedef enum coffer_err (*chain_lister)(void *ctx, uint64_t after, struct audit_entry *out,
					size_t max, size_t *n);

static json_t *entry_json(const struct audit_entry *e)
{
	char when[TIMEFMT_RFC3339_LEN], hash[AUDIT_HASH_BYTES * 2 + 1];
	timefmt_rfc3339(e->time, when);
	sodium_bin2hex(hash, sizeof hash, e->hash, sizeof e->hash);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "time",
			 when, "actor", e->actor, "action", e->action, "target", e->target, "ip",
			 e->ip, "outcome", e->outcome, "reason", e->reason, "hash", hash);
}

/* Replies with the page of a chain that ?after= and ?limit= ask for. */
static enum coffer_err reply_page(struct request *rq, chain_lister lister, void *ctx)
{
	static const char *const allowed[] = {"after", "limit", NULL};
	uint64_t after, limit;
	if (!query_only(rq, allowed) || !query_uint(rq, "after", 0, 0, INT64_MAX, &after) ||
	    !query_uint(rq, "limit", AUDIT_PAGE_MAX, 1, AUDIT_PAGE_MAX, &limit))
		return COFFER_ERR_INVALID_INPUT; /* rq->msg says which */
	struct audit_entry *entries = calloc(limit, sizeof *entries);
	size_t n = 0;
	if (entries == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = lister(ctx, after, entries, limit, &n);
	json_t *list = json_array();
	for (size_t i = 0; err == COFFER_OK && list != NULL && i < n; i++)
		json_array_append_new(list, entry_json(&entries[i]));
	json_t *next =
	    n == limit && n > 0 ? json_integer((json_int_t)entries[n - 1].seq) : json_null();
	free(entries);
	if (err != COFFER_OK) {
		json_decref(list);
		json_decref(next);
		return err;
	}
	return reply_json(rq, 200, json_pack("{s:o*,s:o*}", "entries", list, "next", next));
}

static enum coffer_err list_system(void *ctx, uint64_t after, struct audit_entry *out, size_t max,
				   size_t *n)
{
	return store_audit_list(ctx, after, out, max, n);
}

enum coffer_err admin_audit_get(struct request *rq)
{
	return reply_page(rq, list_system, rq->app->store);
}

static enum coffer_err list_org(void *ctx, uint64_t after, struct audit_entry *out, size_t max,
				size_t *n)
{
	return store_org_audit_list(ctx, after, out, max, n);
}

/* The route's access level (ACCESS_ORG_ADMIN) has checked the caller and the organisation. */
enum coffer_err org_audit_get(struct request *rq)
{
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(rq->app->orgs, api_caller(rq)->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = reply_page(rq, list_org, odb);
	store_org_return(rq->app->orgs, odb);
	return err;
}
