/* org_audit.c — the organisation's audit chain, as the content routes write it (org_audit.h). */
#include "api/org_audit.h"

#include <stdio.h>
#include <string.h>

#include "api/alert_rules.h"
#include "api/app.h"
#include "api/caller.h"
#include "audit/batch.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/reply.h"
#include "http/server.h"

static const char *route_action(const struct request *rq)
{
	return rq->route->audit != NULL ? rq->route->audit : "";
}

static void fill(const struct request *rq, const char *target, const char *outcome,
		 const char *reason, struct audit_entry *e)
{
	memset(e, 0, sizeof *e);
	e->time = time_now();
	snprintf(e->actor, sizeof e->actor, "%s", api_actor(rq));
	snprintf(e->action, sizeof e->action, "%s", route_action(rq));
	snprintf(e->target, sizeof e->target, "%s", target);
	snprintf(e->ip, sizeof e->ip, "%s", rq->client_text);
	snprintf(e->outcome, sizeof e->outcome, "%s", outcome);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

/* The object the path names: its {id} when well-formed, "" on a list or a creation. */
static void path_target(const struct request *rq, char target[UUID_TEXT_LEN + 1])
{
	if (!route_param(&rq->params, "id", target, UUID_TEXT_LEN + 1) || !uuid_valid(target))
		target[0] = '\0';
}

void org_audit_entry(const struct request *rq, const char *target, struct audit_entry *out)
{
	fill(rq, target, "success", "", out);
}

void org_audit_refused(struct request *rq, const char *org_id, const char *reason)
{
	char target[UUID_TEXT_LEN + 1];
	struct audit_entry e;
	path_target(rq, target);
	fill(rq, target, "refused", reason, &e);
	if (!audit_batch_submit(rq->app->audit, org_id, &e, NULL, NULL))
		log_msg(LOG_ERROR, "audit",
			"request %s: the audit queue is full; an entry of %s "
			"was not recorded",
			rq->id, e.action);
}

enum coffer_err org_audit_event(struct request *rq, const char *org_id, const char *action,
				const char *target, const char *reason)
{
	struct audit_entry e;
	fill(rq, target, "success", reason, &e);
	snprintf(e.action, sizeof e.action, "%s", action);
	enum coffer_err err = org_audit_commit(rq->app->orgs, org_id, &e, 1);
	if (err != COFFER_OK)
		log_msg(LOG_ERROR, "audit", "request %s: %s could not be recorded in %s's chain",
			rq->id, action, org_id);
	return err;
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

void org_audit_read(struct request *rq)
{
	const struct caller *c = api_caller(rq);
	char target[UUID_TEXT_LEN + 1];
	struct audit_entry e;
	path_target(rq, target);
	fill(rq, target, "success", "", &e);
	if (c != NULL)
		alert_rules_read(rq, c->org_id, c->user.id);
	if (c == NULL || !audit_batch_submit(rq->app->audit, c->org_id, &e, read_recorded, rq)) {
		/* the queue is full: the server is overloaded */
		reply_discard(rq);
		reply_error(rq, COFFER_ERR_UNAVAILABLE, NULL);
		http_request_release(rq);
	}
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
