/* audit_trail.c — GET /api/v1/admin/audit (the system chain, sysadmins only) and
 * GET /api/v1/orgs/{org}/audit (that organisation's chain, its own org_admins): a page of a
 * chain, ?after=SEQ&limit=N → {"entries": [...], "next": SEQ|null}. An organisation's entries
 * also name their actor by email ("actor_email"), so its admins see who did what; the chain
 * itself keeps the user id, which does not change.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "common/email.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/query.h"
#include "http/reply.h"

#define AUDIT_PAGE_MAX 1000

/* Lists up to MAX entries of a chain after seq AFTER (as store_audit_list). */
typedef enum coffer_err (*chain_lister)(void *ctx, uint64_t after, struct audit_entry *out,
					size_t max, size_t *n);

/* The emails of the actors of one page, looked up once each. */
#define ACTORS_MAX 64
struct actor_emails {
	struct store *store; /* NULL: the page is not an organisation's */
	size_t n;
	struct {
		char id[AUDIT_FIELD_MAX + 1];
		char email[EMAIL_MAX + 1]; /* "" when the id is no user's */
	} known[ACTORS_MAX];
};

/* ID's email as JSON, null when the page is not an organisation's or ID is no user's. */
static json_t *actor_email(struct actor_emails *a, const char *id)
{
	if (a->store == NULL || !uuid_valid(id))
		return json_null();
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->known[i].id, id) == 0)
			return a->known[i].email[0] != '\0' ? json_string(a->known[i].email)
							    : json_null();
	}
	char email[EMAIL_MAX + 1] = "";
	if (store_user_email(a->store, id, email) != COFFER_OK)
		email[0] = '\0';
	if (a->n < ACTORS_MAX) {
		snprintf(a->known[a->n].id, sizeof a->known[a->n].id, "%s", id);
		snprintf(a->known[a->n].email, sizeof a->known[a->n].email, "%s", email);
		a->n++;
	}
	return email[0] != '\0' ? json_string(email) : json_null();
}

static json_t *entry_json(const struct audit_entry *e, struct actor_emails *actors)
{
	char when[TIMEFMT_RFC3339_LEN], hash[AUDIT_HASH_BYTES * 2 + 1];
	timefmt_rfc3339(e->time, when);
	sodium_bin2hex(hash, sizeof hash, e->hash, sizeof e->hash);
	json_t *j =
	    json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "time",
		      when, "actor", e->actor, "action", e->action, "target", e->target, "ip",
		      e->ip, "outcome", e->outcome, "reason", e->reason, "hash", hash);
	if (j != NULL && actors->store != NULL)
		json_object_set_new(j, "actor_email", actor_email(actors, e->actor));
	return j;
}

/* Replies with the page of a chain that ?after= and ?limit= ask for. */
static enum coffer_err reply_page(struct request *rq, chain_lister lister, void *ctx,
				  struct store *emails_from)
{
	static const char *const allowed[] = {"after", "limit", NULL};
	uint64_t after, limit;
	if (!query_only(rq, allowed) || !query_uint(rq, "after", 0, 0, INT64_MAX, &after) ||
	    !query_uint(rq, "limit", AUDIT_PAGE_MAX, 1, AUDIT_PAGE_MAX, &limit))
		return COFFER_ERR_INVALID_INPUT; /* rq->msg says which */
	struct audit_entry *entries = calloc(limit, sizeof *entries);
	struct actor_emails *actors = calloc(1, sizeof *actors);
	size_t n = 0;
	if (entries == NULL || actors == NULL) {
		free(entries);
		free(actors);
		return COFFER_ERR_NOMEM;
	}
	actors->store = emails_from;
	enum coffer_err err = lister(ctx, after, entries, limit, &n);
	json_t *list = json_array();
	for (size_t i = 0; err == COFFER_OK && list != NULL && i < n; i++)
		json_array_append_new(list, entry_json(&entries[i], actors));
	free(actors);
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
	return reply_page(rq, list_system, rq->app->store, NULL);
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
	err = reply_page(rq, list_org, odb, rq->app->store);
	store_org_return(rq->app->orgs, odb);
	return err;
}
