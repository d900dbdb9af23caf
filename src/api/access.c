/* access.c — the organisation and clearance checks (access.h). */
#include "api/access.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/org_audit.h"
#include "common/level.h"
#include "common/uuid.h"
#include "http/router.h"

static bool is_sysadmin(const struct api_auth *a)
{
	return strcmp(a->user.role, "sysadmin") == 0;
}

static const struct membership_record *membership(const struct api_auth *a, const char *org_id)
{
	for (size_t i = 0; i < a->user.n_orgs && i < STORE_ORGS_MAX; i++) {
		if (strcmp(a->user.orgs[i].org_id, org_id) == 0)
			return &a->user.orgs[i];
	}
	return NULL;
}

/* A refusal on a content route goes into the organisation's chain when it exists (an id
 * nobody created has no chain). */
static void note_refusal(struct request *rq, const char *org_id, const char *reason)
{
	struct org_record org;
	char target[UUID_TEXT_LEN + 1];
	if (!route_param(&rq->params, "id", target, sizeof target) || !uuid_valid(target))
		target[0] = '\0';
	if (rq->route->audit != NULL && store_org_get(rq->app->store, org_id, &org) == COFFER_OK)
		org_audit_note(rq, org_id, rq->route->audit, target, "refused", reason);
}

enum coffer_err access_org(struct request *rq, struct api_auth *a, bool admin)
{
	if (!route_param(&rq->params, "org", a->org_id, sizeof a->org_id) ||
	    !uuid_valid(a->org_id)) {
		a->org_id[0] = '\0';
		snprintf(rq->msg, sizeof rq->msg, "The organisation id is not well-formed.");
		return COFFER_ERR_INVALID_INPUT;
	}
	const struct membership_record *m = membership(a, a->org_id);
	if (admin && is_sysadmin(a)) {
		/* A sysadmin administers every organisation, but only ones that exist. */
		struct org_record org;
		return store_org_get(rq->app->store, a->org_id, &org);
	}
	if (is_sysadmin(a) || m == NULL) {
		note_refusal(rq, a->org_id, is_sysadmin(a) ? "sysadmin" : "not_member");
		return COFFER_ERR_FORBIDDEN;
	}
	if (admin && strcmp(m->role, "org_admin") != 0)
		return COFFER_ERR_FORBIDDEN;
	if (!level_parse(m->clearance, &a->clearance))
		return COFFER_ERR_FORBIDDEN; /* a clearance we cannot read grants nothing */
	a->member = m;
	return COFFER_OK;
}

enum coffer_err access_level(struct request *rq, enum level level, const char *target)
{
	const struct api_auth *a = api_caller(rq);
	if (a != NULL && a->member != NULL && level <= a->clearance)
		return COFFER_OK;
	if (a != NULL && rq->route->audit != NULL)
		org_audit_note(rq, a->org_id, rq->route->audit, target, "refused", "clearance");
	return COFFER_ERR_FORBIDDEN;
}
