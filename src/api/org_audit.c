/* org_audit.c — writing the organisation's audit chain from the content handlers
 * (org_audit.h). */
#include "api/org_audit.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/identity.h"
#include "api/routes.h"
#include "audit/batch.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/query.h"
#include "http/reply.h"
#include "http/server.h"

static void fill(const struct request *rq, const char *action, const char *target,
		 const char *outcome, const char *reason, struct audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->time = time_now();
	snprintf(e->actor, sizeof e->actor, "%s", api_actor(rq));
	snprintf(e->action, sizeof e->action, "%s", action);
	snprintf(e->target, sizeof e->target, "%s", target);
	snprintf(e->ip, sizeof e->ip, "%s", rq->client_text);
	snprintf(e->outcome, sizeof e->outcome, "%s", outcome);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

void org_audit_entry(const struct request *rq, const char *action, const char *target,
		     struct audit_entry *out)
{
	fill(rq, action, target, "success", "", out);
}

void org_audit_note(struct request *rq, const char *org_id, const char *action, const char *target,
		    const char *outcome, const char *reason)
{
	struct audit_entry e;
	fill(rq, action, target, outcome, reason, &e);
	if (!audit_batch_submit(rq->app->audit, org_id, &e, NULL, NULL))
		log_msg(LOG_ERROR, "audit",
			"request %s: the audit queue is full; an entry of %s "
			"was not recorded",
			rq->id, action);
}

void org_audit_hold(struct request *rq)
{
	http_request_hold(rq);
}

/* On the batch thread, once the entry is durable or has failed: the held reply may go. */
static void read_recorded(void *ctx, enum coffer_err err)
{
	struct request *rq = ctx;
	if (err != COFFER_OK) {
		reply_discard(rq);
		reply_error(rq, COFFER_ERR_UNAVAILABLE,
			    "The read could not be recorded in the audit trail; try again.");
	}
	http_request_release(rq);
}

enum coffer_err org_audit_release(struct request *rq, const char *action, const char *target)
{
	const struct api_auth *a = api_caller(rq);
	struct audit_entry e;
	fill(rq, action, target, "success", "", &e);
	if (!rq->replied || !audit_batch_submit(rq->app->audit, a->org_id, &e, read_recorded, rq)) {
		reply_discard(rq);
		reply_error(rq, rq->replied ? COFFER_ERR_UNAVAILABLE : COFFER_ERR_INTERNAL, NULL);
		http_request_release(rq);
	}
	return COFFER_OK;
}

enum coffer_err org_audit_commit(void *ctx, const char *chain, struct audit_entry *e, size_t n)
{
	struct org_cache *cache = ctx;
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(cache, chain, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_org_audit_append(odb, chain, e, n);
	store_org_return(cache, odb);
	return err;
}

/* --- GET /api/v1/orgs/{org}/audit (that org's org_admin, or a sysadmin) ------------------ */

static enum coffer_err list_org(void *ctx, uint64_t after, struct audit_entry *out, size_t max,
				size_t *n)
{
	return store_org_audit_list(ctx, after, out, max, n);
}

enum coffer_err org_audit_get(struct request *rq)
{
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(rq->app->orgs, api_caller(rq)->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = api_audit_page(rq, list_org, odb);
	store_org_return(rq->app->orgs, odb);
	return err;
}
