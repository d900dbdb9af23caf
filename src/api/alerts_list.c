/* alerts_list.c — GET /api/v1/admin/alerts (every alert, sysadmins) and
 * GET /api/v1/orgs/{org}/alerts (that organisation's, its own org_admins): newest first,
 * ?before=ID&limit=N → {"alerts": [{"id","time","kind","org_id","subject","subject_email",
 * "detail"}], "next": ID|null}. A subject that is a user id is also named by email, so that an
 * admin sees who it is about. */
#include <stdlib.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/query.h"
#include "http/reply.h"

#define ALERTS_PAGE_MAX 200

static json_t *alert_json(struct store *st, const struct alert_record *a)
{
	char when[TIMEFMT_RFC3339_LEN], email[EMAIL_MAX + 1] = "";
	timefmt_rfc3339(a->time, when);
	if (uuid_valid(a->subject) && store_user_email(st, a->subject, email) != COFFER_OK)
		email[0] = '\0';
	return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:s}", "id", (json_int_t)a->seq, "time", when,
			 "kind", a->kind, "org_id", a->org_id[0] ? a->org_id : NULL, "subject",
			 a->subject, "subject_email", email[0] ? email : NULL, "detail", a->detail);
}

static enum coffer_err reply_alerts(struct request *rq, const char *org_id)
{
	static const char *const allowed[] = {"before", "limit", NULL};
	uint64_t before, limit;
	if (!query_only(rq, allowed) || !query_uint(rq, "before", 0, 1, INT64_MAX, &before) ||
	    !query_uint(rq, "limit", 50, 1, ALERTS_PAGE_MAX, &limit))
		return COFFER_ERR_INVALID_INPUT; /* rq->msg says which */
	struct alert_record *page = calloc(limit, sizeof *page);
	if (page == NULL)
		return COFFER_ERR_NOMEM;
	size_t n = 0;
	bool more = false;
	enum coffer_err err =
	    store_alerts_list(rq->app->store, org_id, (int64_t)before, page, limit, &n, &more);
	json_t *list = err == COFFER_OK ? json_array() : NULL;
	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, alert_json(rq->app->store, &page[i]));
	json_t *next = more && n > 0 ? json_integer((json_int_t)page[n - 1].seq) : json_null();
	free(page);
	if (err != COFFER_OK) {
		json_decref(next);
		return err;
	}
	return reply_json(rq, 200, json_pack("{s:o*,s:o*}", "alerts", list, "next", next));
}

enum coffer_err admin_alerts_get(struct request *rq)
{
	return reply_alerts(rq, NULL);
}

/* The route's access level (ACCESS_ORG_ADMIN) has checked the caller and the organisation. */
enum coffer_err org_alerts_get(struct request *rq)
{
	return reply_alerts(rq, api_caller(rq)->org_id);
}
