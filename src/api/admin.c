/* admin.c — /api/v1/admin/orgs, …/invites and …/users: a sysadmin's organisations,
 * invitations and users. Every route here is ACCESS_SYSADMIN: api_authorize has checked the
 * role. A sysadmin administers; keyd never gives one a data key, so nothing here reaches
 * content.
 */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/invite_issue.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "common/email.h"
#include "common/level.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/json_body.h"
#include "http/query.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"

/* --- organisations ------------------------------------------------------------------------ */

static const struct json_field org_fields[] = {
    {.name = "name",
     .type = JSON_FIELD_STRING,
     .required = true,
     .single_line = true,
     .min_len = 1,
     .max_len = STORE_ORG_NAME_MAX},
};
const struct json_schema admin_org_schema = JSON_SCHEMA(org_fields);

enum coffer_err admin_orgs_post(struct request *rq)
{
	const char *name = json_string_value(json_object_get(rq->json, "name"));
	struct keyd_session s;
	caller_keyd_session(api_caller(rq), &s);
	/* keyd names the organisation, makes its key (handed out only wrapped by the master key)
	 * and seals its charter: the one warrant for a sysadmin to invite its first org_admin. */
	struct keyd_org_created *made = calloc(1, sizeof *made);
	if (made == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = keyd_org_create(rq->app->keyd, &s, made);
	char id[STORE_ID_MAX + 1];
	snprintf(id, sizeof id, "%s", made->org_id);
	struct org_key_record rec = {.version = 1, .master_version = made->master_version};
	memcpy(rec.wrapped, made->wrapped, sizeof rec.wrapped);
	if (err == COFFER_OK)
		err = store_org_create(rq->app->store, id, name, made->charter.bytes,
				       made->charter.len, &rec, time_now());
	free(made);
	if (err == COFFER_ERR_EXISTS)
		return reply_error(rq, err, "An organisation with this name already exists.");
	struct org_db *odb = NULL;
	if (err == COFFER_OK)
		err = store_org_borrow(rq->app->orgs, id, true, &odb);
	if (odb != NULL)
		store_org_return(rq->app->orgs, odb);
	if (err != COFFER_OK)
		return err;
	system_audit(rq, api_actor(rq), "org.create", id, "success", "");
	if ((err = org_audit_event(rq, id, "org.create", "", "")) != COFFER_OK)
		return err;
	return reply_json(rq, 201, json_pack("{s:s,s:s}", "id", id, "name", name));
}

/* Replies {FIELD: [...]} with the JSON of the N items of SIZE bytes at ITEMS, and frees ITEMS. */
static enum coffer_err reply_list(struct request *rq, const char *field, void *items, size_t n,
				  size_t size, json_t *(*to_json)(const void *item))
{
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, to_json((const char *)items + i * size));
	free(items);
	return reply_json(rq, 200, json_pack("{s:o*}", field, list));
}

/* What a sysadmin sees of an organisation: its metadata, never who is in it or what it
 * keeps. */
static json_t *org_json(const struct org_record *org, uint64_t storage_bytes)
{
	char created[TIMEFMT_RFC3339_LEN], due[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(org->created_at, created);
	timefmt_rfc3339(org->delete_after, due);
	static const char *const states[] = {
	    [ORG_ACTIVE] = "active", [ORG_DELETING] = "deleting", [ORG_SHREDDING] = "deleting"};
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:s,s:s?}", "id", org->id, "name", org->name,
			 "created_at", created, "member_count", (json_int_t)org->member_count,
			 "storage_bytes", (json_int_t)storage_bytes, "founded",
			 org->founded_at != 0, "status", states[org->state], "delete_after",
			 org->state == ORG_ACTIVE ? NULL : due);
}

/* Where the deployment keeps what the organisations store, for the sysadmins who answer for
 * it: the database, the blob store and, when one is promised, the region data stays in. */
static json_t *storage_json(const struct request *rq)
{
	const struct coffer_config *cfg = rq->app->cfg;
	bool s3 = cfg->blob_store == CONFIG_BLOBS_S3;
	return json_pack("{s:s,s:s,s:s*,s:s*}", "database",
			 cfg->database == CONFIG_DB_POSTGRESQL ? "postgresql" : "sqlite",
			 "blob_store", s3 ? "s3" : "file", "s3_region", s3 ? cfg->s3_region : NULL,
			 "data_region", cfg->data_region[0] != '\0' ? cfg->data_region : NULL);
}

enum coffer_err admin_orgs_get(struct request *rq)
{
	struct org_record *orgs = NULL;
	size_t n = 0;
	enum coffer_err err = store_orgs_list(rq->app->store, &orgs, &n);
	if (err != COFFER_OK)
		return err;
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++) {
		uint64_t bytes = 0;
		if (store_org_storage_bytes_in(rq->app->store, orgs[i].id, &bytes) != COFFER_OK)
			bytes = 0; /* no directory yet: nothing stored */
		json_array_append_new(list, org_json(&orgs[i], bytes));
	}
	free(orgs);
	return reply_json(rq, 200,
			  json_pack("{s:o*,s:o*}", "orgs", list, "storage", storage_json(rq)));
}

/* --- invitations -------------------------------------------------------------------------- */

static const char *const invite_roles[] = {"sysadmin", "member", "org_admin", NULL};

// clang-format off
static const struct json_field invite_fields[] = {
	{.name = "email", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 3, .max_len = EMAIL_MAX},
	{.name = "role", .type = JSON_FIELD_STRING, .required = true, .one_of = invite_roles},
	{.name = "org_id", .type = JSON_FIELD_STRING, .single_line = true, .min_len = 1,
	 .max_len = 64},
	{.name = "clearance", .type = JSON_FIELD_STRING, .one_of = level_names},
};
// clang-format on
const struct json_schema admin_invite_schema = JSON_SCHEMA(invite_fields);

/* A sysadmin invites another sysadmin, or the first org_admin of an organisation that has
 * never had one, with the charter keyd sealed when it was created. Anything else inside an
 * organisation is its own org_admins' to do: keyd refuses it too. */
enum coffer_err admin_invites_post(struct request *rq)
{
	json_t *j = rq->json;
	const char *role = json_string_value(json_object_get(j, "role"));
	const char *org_id = json_string_value(json_object_get(j, "org_id"));
	const char *clearance = json_string_value(json_object_get(j, "clearance"));
	bool sysadmin = strcmp(role, "sysadmin") == 0;
	struct invite_order o = {.email = json_string_value(json_object_get(j, "email")),
				 .role = role,
				 .clearance = LEVEL_CONFIDENTIAL};
	if (sysadmin && (org_id != NULL || clearance != NULL))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "fields 'org_id' and 'clearance' are only for the roles "
				   "member and org_admin");
	if (sysadmin)
		return invite_issue(rq, &o);
	if (org_id == NULL)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'org_id': required for the roles member and org_admin");
	if (clearance != NULL && !level_parse(clearance, &o.clearance))
		return COFFER_ERR_INVALID_INPUT; /* the schema allows only level names */
	if (!uuid_valid(org_id))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'org_id': not an organisation id");
	struct org_record *org = calloc(1, sizeof *org);
	if (org == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = store_org_get(rq->app->store, org_id, org);
	const char *refusal = NULL;
	if (err == COFFER_OK && org->founded_at != 0)
		refusal = "This organisation has its own administrators: only they invite its "
			  "members.";
	else if (err == COFFER_OK && strcmp(role, "org_admin") != 0)
		refusal = "A sysadmin invites only an organisation's first org_admin, who then "
			  "invites its members.";
	if (err == COFFER_OK && org->state != ORG_ACTIVE) {
		system_audit(rq, api_actor(rq), "invite.create", org_id, "refused", "org_deleting");
		err = reply_error(rq, COFFER_ERR_ORG_DELETING,
				  "This organisation is being deleted: nobody joins it.");
	} else if (refusal != NULL) {
		system_audit(rq, api_actor(rq), "invite.create", org_id, "refused", "org_owned");
		err = reply_error(rq, COFFER_ERR_ORG_OWNED, refusal);
	} else if (err == COFFER_ERR_NOT_FOUND) {
		err = reply_error(rq, COFFER_ERR_NOT_FOUND, "No such organisation.");
	} else if (err == COFFER_OK) {
		o.org_id = org->id;
		o.founding = org;
		err = invite_issue(rq, &o);
		if (err == COFFER_ERR_FORBIDDEN) /* keyd: the charter has lapsed */
			err = reply_error(
			    rq, COFFER_ERR_FORBIDDEN,
			    "The time to invite this organisation's first administrator "
			    "has passed (72 hours after its creation or its last such "
			    "invitation); the operator can use coffer org recover.");
	}
	free(org);
	return err;
}

/* --- users -------------------------------------------------------------------------------- */

/* An account as a sysadmin sees it: enough to tell it and to disable it, and how many
 * organisations it belongs to, but not which (those are the organisations' own business). */
static json_t *listed_user_json(const void *item)
{
	const struct user_record *u = item;
	return json_pack("{s:s,s:s,s:s,s:s,s:I}", "id", u->id, "email", u->email, "role", u->role,
			 "status", u->status, "org_count", (json_int_t)u->n_orgs);
}

enum coffer_err admin_users_get(struct request *rq)
{
	struct user_record *users = NULL;
	size_t n = 0;
	enum coffer_err err = store_users_list(rq->app->store, &users, &n);
	return err != COFFER_OK
		   ? err
		   : reply_list(rq, "users", users, n, sizeof *users, listed_user_json);
}

static enum coffer_err set_status(struct request *rq, const char *status)
{
	char id[UUID_TEXT_LEN + 1];
	if (!route_param(&rq->params, "id", id, sizeof id) || !uuid_valid(id))
		return COFFER_ERR_NOT_FOUND;
	if (strcmp(id, api_actor(rq)) == 0)
		return reply_error(rq, COFFER_ERR_FORBIDDEN,
				   "You cannot disable or enable your own account.");
	enum coffer_err err = store_user_set_status(rq->app->store, id, status, time_now());
	if (err != COFFER_OK)
		return err;
	const char *action = strcmp(status, "disabled") == 0 ? "user.disable" : "user.enable";
	system_audit(rq, api_actor(rq), action, id, "success", "");
	/* A sysadmin's act on a member concerns each of the member's organisations: they see it
	 * in their own chains. */
	struct user_record *u = calloc(1, sizeof *u);
	if (u == NULL)
		return COFFER_ERR_NOMEM;
	err = store_user_get(rq->app->store, id, u);
	for (size_t i = 0; err == COFFER_OK && i < u->n_orgs; i++)
		err = org_audit_event(rq, u->orgs[i].org_id, action, u->email, "");
	sodium_memzero(u, sizeof *u);
	free(u);
	return err != COFFER_OK ? err : reply_no_content(rq);
}

enum coffer_err admin_user_disable(struct request *rq)
{
	return set_status(rq, "disabled");
}

enum coffer_err admin_user_enable(struct request *rq)
{
	return set_status(rq, "active");
}
