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
#include "api/routes.h"
#include "api/system_audit.h"
#include "api/user_json.h"
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
	char id[UUID_TEXT_LEN + 1];
	struct keyd_org_key key;
	uuid_generate(id);
	/* keyd makes the organisation's key and hands it out only wrapped by the master key. */
	enum coffer_err err = keyd_org_key_new(rq->app->keyd, id, 1, &key);
	if (err != COFFER_OK)
		return err;
	struct org_key_record rec = {.version = key.version, .master_version = key.master_version};
	memcpy(rec.wrapped, key.wrapped, sizeof rec.wrapped);
	err = store_org_create(rq->app->store, id, name, &rec, time_now());
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

static json_t *org_json(const void *item)
{
	const struct org_record *org = item;
	char created[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(org->created_at, created);
	return json_pack("{s:s,s:s,s:s}", "id", org->id, "name", org->name, "created_at", created);
}

enum coffer_err admin_orgs_get(struct request *rq)
{
	struct org_record *orgs = NULL;
	size_t n = 0;
	enum coffer_err err = store_orgs_list(rq->app->store, &orgs, &n);
	return err != COFFER_OK ? err : reply_list(rq, "orgs", orgs, n, sizeof *orgs, org_json);
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

/* The URL an invitee opens: on the address the server is configured to be reached at. */
static void invite_url(const struct request *rq, const char *token, char *out, size_t outlen)
{
	struct listen_addr shown = rq->app->cfg->listen;
	char host[CONFIG_HOST_MAX + 16];
	if (strcmp(shown.host, "0.0.0.0") == 0 || strcmp(shown.host, "::") == 0)
		snprintf(shown.host, sizeof shown.host, "localhost");
	listen_addr_format(&shown, host, sizeof host);
	snprintf(out, outlen, "https://%s/invite/%s", host, token);
}

static uint8_t invite_role_code(const char *role)
{
	return strcmp(role, "sysadmin") == 0 ? INVITE_SYSADMIN
	       : strcmp(role, "member") == 0 ? INVITE_MEMBER
					     : INVITE_ORG_ADMIN;
}

enum coffer_err admin_invites_post(struct request *rq)
{
	json_t *j = rq->json;
	const struct caller *caller = api_caller(rq);
	const char *role = json_string_value(json_object_get(j, "role"));
	const char *org_id = json_string_value(json_object_get(j, "org_id"));
	const char *clearance = json_string_value(json_object_get(j, "clearance"));
	bool sysadmin = strcmp(role, "sysadmin") == 0;
	struct invite_record rec;
	struct invite inv;
	struct org_record org;
	memset(&rec, 0, sizeof rec);
	memset(&inv, 0, sizeof inv);

	if (!email_normalize(json_string_value(json_object_get(j, "email")), rec.email))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'email': not an email address");
	if (sysadmin && (org_id != NULL || clearance != NULL))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "fields 'org_id' and 'clearance' are only for the roles "
				   "member and org_admin");
	if (!sysadmin && org_id == NULL)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'org_id': required for the roles member and org_admin");
	enum level level = LEVEL_CONFIDENTIAL;
	if (clearance != NULL && !level_parse(clearance, &level))
		return COFFER_ERR_INVALID_INPUT; /* the schema allows only level names */
	if (!sysadmin) {
		if (!uuid_valid(org_id))
			return reply_error(rq, COFFER_ERR_INVALID_INPUT,
					   "field 'org_id': not an organisation id");
		enum coffer_err err = store_org_get(rq->app->store, org_id, &org);
		if (err == COFFER_ERR_NOT_FOUND)
			return reply_error(rq, COFFER_ERR_NOT_FOUND, "No such organisation.");
		if (err != COFFER_OK)
			return err;
		snprintf(rec.org_id, sizeof rec.org_id, "%s", org_id);
		snprintf(rec.clearance, sizeof rec.clearance, "%s", level_name(level));
	}
	snprintf(rec.role, sizeof rec.role, "%s", role);
	snprintf(rec.created_by, sizeof rec.created_by, "%s", caller->user.id);
	rec.created_at = time_now();
	rec.expires_at = rec.created_at + INVITE_TTL_S;

	/* keyd seals what this sysadmin's session grants, so acceptance cannot grant more. */
	char token[TOKEN_TEXT_LEN + 1];
	token_generate(token, &inv.token);
	memcpy(inv.email, rec.email, sizeof inv.email);
	inv.role = invite_role_code(role);
	memcpy(inv.org_id, rec.org_id, sizeof inv.org_id);
	inv.clearance = sysadmin ? 0 : (uint8_t)level;
	inv.expires_at = rec.expires_at;
	struct keyd_session s = {.token = caller->token,
				 .ticket = caller->session.ticket,
				 .ticket_len = caller->session.ticket_len};
	struct keyd_sealed *sealed = calloc(1, sizeof *sealed);
	enum coffer_err err = sealed != NULL
				  ? keyd_invite_seal(rq->app->keyd, &s, &inv, NULL, 0, sealed, NULL)
				  : COFFER_ERR_NOMEM;
	if (err == COFFER_OK && sealed->len > sizeof rec.sealed)
		err = COFFER_ERR_INTERNAL;
	if (err == COFFER_OK) {
		memcpy(rec.sealed, sealed->bytes, sealed->len);
		rec.sealed_len = sealed->len;
		err = store_invite_add(rq->app->store, &inv.token, &rec);
	}
	free(sealed);
	if (err == COFFER_OK) {
		char url[512], expires[TIMEFMT_RFC3339_LEN];
		invite_url(rq, token, url, sizeof url);
		timefmt_rfc3339(rec.expires_at, expires);
		system_audit(rq, caller->user.id, "invite.create", rec.email, "success", role);
		err = reply_json(
		    rq, 201,
		    json_pack("{s:s,s:s,s:s}", "token", token, "url", url, "expires_at", expires));
		sodium_memzero(url, sizeof url);
	}
	sodium_memzero(token, sizeof token);
	return err;
}

/* --- users -------------------------------------------------------------------------------- */

static json_t *listed_user_json(const void *item)
{
	return user_json(item);
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
	system_audit(rq, api_actor(rq),
		     strcmp(status, "disabled") == 0 ? "user.disable" : "user.enable", id,
		     "success", "");
	return reply_no_content(rq);
}

enum coffer_err admin_user_disable(struct request *rq)
{
	return set_status(rq, "disabled");
}

enum coffer_err admin_user_enable(struct request *rq)
{
	return set_status(rq, "active");
}
