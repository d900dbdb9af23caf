/* org_deletion.c — DELETE /api/v1/admin/orgs/{org} and POST …/cancel-deletion: a sysadmin asks
 * for an organisation's deletion, or takes it back within the week it waits
 * (docs/API.md, "Deleting an organisation").
 *
 * Design points:
 * - The name typed back in "confirm" must equal the organisation's, byte for byte: a deletion
 *   is never one mistaken id away.
 * - Nothing is destroyed here. The organisation shows "status": "deleting" for
 *   STORE_ORG_DELETE_DELAY_S, its members are told (a notice) and may read and export what it
 *   holds, but not change it (access.c refuses writes with org_deleting); then the server's
 *   reaper (store/org_reaper.h) shreds it. Both acts are in the system chain and in the
 *   organisation's own.
 * - No key is released or made here, so keyd is not asked: the route table lets only a
 *   sysadmin's session in, and what this changes is rows the web process keeps anyway. The
 *   destruction that follows removes keys; it never needs one.
 */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/json_body.h"
#include "http/reply.h"

#define NOTICE_DELETING	 "deletion"
#define NOTICE_CANCELLED "deletion_cancelled"

// clang-format off
static const struct json_field delete_fields[] = {
	{.name = "confirm", .type = JSON_FIELD_STRING, .max_len = STORE_ORG_NAME_MAX},
};
// clang-format on
const struct json_schema admin_org_delete_schema = JSON_SCHEMA(delete_fields);

/* The organisation the path names, into ORG. COFFER_ERR_NOT_FOUND for none (or no id). */
static enum coffer_err path_org(struct request *rq, struct org_record *org)
{
	char id[STORE_ID_MAX + 1];
	if (!route_param(&rq->params, "org", id, sizeof id) || !uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	return store_org_get(rq->app->store, id, org);
}

static enum coffer_err refuse(struct request *rq, const struct org_record *org, const char *action,
			      enum coffer_err err, const char *message)
{
	system_audit(rq, api_actor(rq), action, org->id, "refused", coffer_err_info(err)->code);
	return reply_error(rq, err, message);
}

enum coffer_err admin_org_delete(struct request *rq)
{
	struct org_record *org = calloc(1, sizeof *org);
	if (org == NULL)
		return COFFER_ERR_NOMEM;
	const char *confirm = json_string_value(json_object_get(rq->json, "confirm"));
	int64_t now = time_now(), due = now + STORE_ORG_DELETE_DELAY_S;
	char when[TIMEFMT_RFC3339_LEN];
	enum coffer_err err = path_org(rq, org);
	if (err != COFFER_OK)
		goto out;
	if (confirm == NULL || strcmp(confirm, org->name) != 0) {
		err = refuse(rq, org, "org.delete.request", COFFER_ERR_CONFIRM_MISMATCH,
			     confirm == NULL
				 ? "field 'confirm': required, the organisation's name typed back"
				 : "field 'confirm': not the organisation's name");
		goto out;
	}
	err = store_org_deletion_request(rq->app->store, org->id, api_actor(rq), now, due);
	if (err == COFFER_ERR_EXISTS) {
		err = refuse(rq, org, "org.delete.request", COFFER_ERR_ORG_DELETING,
			     "This organisation's deletion has already been asked for.");
		goto out;
	}
	if (err != COFFER_OK)
		goto out; /* COFFER_ERR_NOT_FOUND: removed meanwhile */
	timefmt_rfc3339(due, when);
	system_audit(rq, api_actor(rq), "org.delete.request", org->id, "success", when);
	if ((err = org_audit_event(rq, org->id, "org.delete.request", "", when)) != COFFER_OK)
		goto out;
	if ((err = store_notice_add(rq->app->store, org->id, NOTICE_DELETING, when, now)) !=
	    COFFER_OK)
		goto out;
	err = reply_json(rq, 202,
			 json_pack("{s:s,s:s,s:s,s:s}", "id", org->id, "name", org->name, "status",
				   "deleting", "delete_after", when));
out:
	free(org);
	return err;
}

enum coffer_err admin_org_deletion_cancel(struct request *rq)
{
	struct org_record *org = calloc(1, sizeof *org);
	if (org == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = path_org(rq, org);
	if (err != COFFER_OK)
		goto out;
	err = store_org_deletion_cancel(rq->app->store, org->id);
	if (err == COFFER_ERR_NOT_FOUND) {
		err = refuse(rq, org, "org.delete.cancel", COFFER_ERR_ORG_NOT_DELETING,
			     "This organisation is not being deleted.");
		goto out;
	}
	if (err == COFFER_ERR_ORG_DELETING) {
		err = refuse(rq, org, "org.delete.cancel", COFFER_ERR_ORG_DELETING,
			     "This organisation's shredding has begun: it cannot be taken back.");
		goto out;
	}
	if (err != COFFER_OK)
		goto out;
	system_audit(rq, api_actor(rq), "org.delete.cancel", org->id, "success", "");
	if ((err = org_audit_event(rq, org->id, "org.delete.cancel", "", "")) != COFFER_OK)
		goto out;
	if ((err = store_notice_add(rq->app->store, org->id, NOTICE_CANCELLED, "", time_now())) !=
	    COFFER_OK)
		goto out;
	err = reply_json(
	    rq, 200,
	    json_pack("{s:s,s:s,s:s}", "id", org->id, "name", org->name, "status", "active"));
out:
	free(org);
	return err;
}
