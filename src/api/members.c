/* members.c — /api/v1/orgs/{org}/members and …/invites: an organisation's people, as its own
 * org_admins manage them. Every route here is ACCESS_ORG_ADMIN (access.h): the caller is an
 * org_admin of {org}, never a sysadmin.
 *
 * keyd decides each change: it seals an invitation, a changed membership or a sign-in reset
 * only for a ticket of an org_admin of the organisation, and never beyond that admin's own
 * clearance. The checks made here first are there to answer with a clear reason. A change
 * replaces the member's sealed account, which makes every ticket issued before it stale: the
 * member's next request renews it (authorize.c), so a removal or a lowered clearance holds
 * from that request on. Every change goes into the organisation's own chain, naming the member
 * by email.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/account_notices.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/invite_issue.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "common/email.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"

static const char *const org_roles[] = {"member", "org_admin", NULL};

/* --- listing ------------------------------------------------------------------------------- */

static json_t *member_json(const struct member_row *m)
{
	char last[TIMEFMT_RFC3339_LEN];
	json_t *last_login = json_null();
	if (m->last_login_at != 0) {
		timefmt_rfc3339(m->last_login_at, last);
		last_login = json_string(last);
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o*,s:b}", "user_id", m->user_id, "email", m->email,
			 "role", m->role, "clearance", m->clearance, "status", m->status,
			 "last_login_at", last_login, "reset_pending", m->reset_pending);
}

enum coffer_err members_get(struct request *rq)
{
	struct member_row *rows = NULL;
	size_t n = 0;
	enum coffer_err err = store_org_members(rq->app->store, api_caller(rq)->org_id, &rows, &n);
	if (err != COFFER_OK)
		return err;
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < n; i++)
		json_array_append_new(list, member_json(&rows[i]));
	free(rows);
	return reply_json(rq, 200, json_pack("{s:o*}", "members", list));
}

/* --- inviting ------------------------------------------------------------------------------ */

// clang-format off
static const struct json_field invite_fields[] = {
	{.name = "email", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 3, .max_len = EMAIL_MAX},
	{.name = "role", .type = JSON_FIELD_STRING, .required = true, .one_of = org_roles},
	{.name = "clearance", .type = JSON_FIELD_STRING, .required = true, .one_of = level_names},
};
// clang-format on
const struct json_schema org_invite_schema = JSON_SCHEMA(invite_fields);

static const char above_own[] = "You cannot give a clearance above your own.";

enum coffer_err org_invites_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	json_t *j = rq->json;
	struct invite_order o = {.email = json_string_value(json_object_get(j, "email")),
				 .role = json_string_value(json_object_get(j, "role")),
				 .org_id = caller->org_id};
	if (!level_parse(json_string_value(json_object_get(j, "clearance")), &o.clearance))
		return COFFER_ERR_INVALID_INPUT; /* the schema allows only level names */
	if (o.clearance > caller->clearance)
		return reply_error(rq, COFFER_ERR_FORBIDDEN, above_own);
	return invite_issue(rq, &o);
}

/* --- one member ---------------------------------------------------------------------------- */

/* The member the path's {user} names, in the caller's organisation: large, so on the heap. */
struct member {
	struct user_record user;
	const struct membership_record *in_org; /* points into user */
	enum level clearance;
	struct keyd_sealed changed; /* the account as keyd changed it */
};

static void member_free(struct member *m)
{
	if (m != NULL)
		sodium_memzero(m, sizeof *m);
	free(m);
}

/* Finds the member, or answers 404 (an id that is no member of this organisation, whoever it
 * may be elsewhere); *OUT is NULL when an answer was given or on an error. */
static enum coffer_err member_find(struct request *rq, struct member **out)
{
	const struct caller *caller = api_caller(rq);
	char id[UUID_TEXT_LEN + 1];
	*out = NULL;
	if (!route_param(&rq->params, "user", id, sizeof id) || !uuid_valid(id))
		return reply_error(rq, COFFER_ERR_NOT_FOUND, "No such member.");
	struct member *m = calloc(1, sizeof *m);
	if (m == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = store_user_get(rq->app->store, id, &m->user);
	for (size_t i = 0; err == COFFER_OK && i < m->user.n_orgs && i < STORE_ORGS_MAX; i++) {
		if (strcmp(m->user.orgs[i].org_id, caller->org_id) == 0)
			m->in_org = &m->user.orgs[i];
	}
	if (err == COFFER_OK &&
	    (m->in_org == NULL || !level_parse(m->in_org->clearance, &m->clearance)))
		err = COFFER_ERR_NOT_FOUND;
	if (err == COFFER_ERR_NOT_FOUND)
		err = reply_error(rq, COFFER_ERR_NOT_FOUND, "No such member.");
	if (err == COFFER_OK && m->in_org != NULL)
		*out = m;
	else
		member_free(m);
	return err;
}

/* Answers a refusal of the store or keyd with its reason. */
static enum coffer_err refused(struct request *rq, enum coffer_err err)
{
	switch (err) {
	case COFFER_ERR_LAST_ADMIN:
		return reply_error(rq, err,
				   "The organisation would have no active administrator left; make "
				   "someone else org_admin first.");
	case COFFER_ERR_VERSION_CONFLICT:
		return reply_error(rq, err, "The member's account changed meanwhile; try again.");
	case COFFER_ERR_FORBIDDEN: return reply_error(rq, err, above_own);
	default: return err;
	}
}

static enum coffer_err member_reply(struct request *rq, const struct member *m)
{
	struct member_row row;
	memset(&row, 0, sizeof row);
	struct member_row *rows = NULL;
	size_t n = 0;
	/* answer with the member as the store now has them */
	enum coffer_err err = store_org_members(rq->app->store, api_caller(rq)->org_id, &rows, &n);
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		if (strcmp(rows[i].user_id, m->user.id) == 0)
			row = rows[i];
	}
	free(rows);
	if (err != COFFER_OK)
		return err;
	if (row.user_id[0] == '\0')
		return COFFER_ERR_NOT_FOUND;
	return reply_json(rq, 200, member_json(&row));
}

// clang-format off
static const struct json_field change_fields[] = {
	{.name = "role", .type = JSON_FIELD_STRING, .one_of = org_roles},
	{.name = "clearance", .type = JSON_FIELD_STRING, .one_of = level_names},
};
// clang-format on
const struct json_schema member_change_schema = JSON_SCHEMA(change_fields);

enum coffer_err member_patch(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	const char *role = json_string_value(json_object_get(rq->json, "role"));
	const char *clearance = json_string_value(json_object_get(rq->json, "clearance"));
	if (role == NULL && clearance == NULL)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "Give 'role', 'clearance' or both.");
	struct member *m = NULL;
	enum coffer_err err = member_find(rq, &m);
	if (m == NULL)
		return err;
	enum level level = m->clearance;
	if (role == NULL)
		role = m->in_org->role;
	if (clearance != NULL && !level_parse(clearance, &level)) {
		err = COFFER_ERR_INVALID_INPUT; /* the schema allows only level names */
		goto out;
	}
	if (level > caller->clearance || m->clearance > caller->clearance) {
		err = refused(rq, COFFER_ERR_FORBIDDEN);
		goto out;
	}

	struct keyd_session s;
	caller_keyd_session(caller, &s);
	uint8_t code = strcmp(role, "org_admin") == 0 ? KEYD_ORG_ADMIN : KEYD_ORG_MEMBER;
	err = keyd_member_set(rq->app->keyd, &s, m->user.account, m->user.account_len,
			      caller->org_id, code, (uint8_t)level, &m->changed);
	if (err == COFFER_OK)
		err = store_membership_set(rq->app->store, m->user.id, caller->org_id, role,
					   level_name(level), m->changed.bytes, m->changed.len,
					   m->user.account_version, time_now());
	if (err == COFFER_OK) {
		char reason[64];
		snprintf(reason, sizeof reason, "%s/%s", role, level_name(level));
		err = org_audit_event(rq, caller->org_id, "member.update", m->user.email, reason);
	}
	if (err == COFFER_OK && (strcmp(role, m->in_org->role) != 0 || level != m->clearance))
		account_notice_org(rq, m->user.id, m->user.email, ACCOUNT_MEMBERSHIP_CHANGED,
				   caller->org_id, role, level_name(level));
	err = err == COFFER_OK ? member_reply(rq, m) : refused(rq, err);
out:
	member_free(m);
	return err;
}

enum coffer_err member_delete(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	struct member *m = NULL;
	enum coffer_err err = member_find(rq, &m);
	if (m == NULL)
		return err;
	struct keyd_session s;
	caller_keyd_session(caller, &s);
	if (m->clearance > caller->clearance)
		err = COFFER_ERR_FORBIDDEN;
	else
		err = keyd_member_set(rq->app->keyd, &s, m->user.account, m->user.account_len,
				      caller->org_id, KEYD_ORG_REMOVED, 0, &m->changed);
	if (err == COFFER_OK)
		err = store_membership_remove(rq->app->store, m->user.id, caller->org_id,
					      m->changed.bytes, m->changed.len,
					      m->user.account_version, time_now());
	if (err == COFFER_OK)
		err = org_audit_event(rq, caller->org_id, "member.remove", m->user.email, "");
	if (err == COFFER_OK)
		account_notice_org(rq, m->user.id, m->user.email, ACCOUNT_MEMBERSHIP_REMOVED,
				   caller->org_id, NULL, NULL);
	err = err == COFFER_OK ? reply_no_content(rq) : refused(rq, err);
	member_free(m);
	return err;
}

/* --- a sign-in reset ----------------------------------------------------------------------- */

enum coffer_err member_reset_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	struct member *m = NULL;
	enum coffer_err err = member_find(rq, &m);
	if (m == NULL)
		return err;
	if (strcmp(m->user.id, caller->user.id) == 0) {
		err = reply_error(rq, COFFER_ERR_FORBIDDEN,
				  "Change your own password from your account; another org_admin "
				  "can reset your sign-in.");
		goto out;
	}
	if (m->user.n_orgs > 1) {
		err = reply_error(rq, COFFER_ERR_SHARED_ACCOUNT, NULL);
		goto out;
	}
	if (m->clearance > caller->clearance) {
		err = refused(rq, COFFER_ERR_FORBIDDEN);
		goto out;
	}
	struct reset_record *r = calloc(1, sizeof *r);
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct keyd_session s;
	if (r == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	token_generate(token, &hash);
	caller_keyd_session(caller, &s);
	memcpy(r->user_id, m->user.id, sizeof r->user_id);
	memcpy(r->org_id, caller->org_id, sizeof r->org_id);
	memcpy(r->created_by, caller->user.id, sizeof r->created_by);
	r->created_at = time_now();
	r->expires_at = r->created_at + INVITE_TTL_S;
	err = keyd_reset_seal(rq->app->keyd, &s, m->user.account, m->user.account_len,
			      caller->org_id, &hash, r->expires_at, &m->changed);
	if (err == COFFER_OK && m->changed.len > sizeof r->sealed)
		err = COFFER_ERR_INTERNAL;
	if (err == COFFER_OK) {
		memcpy(r->sealed, m->changed.bytes, m->changed.len);
		r->sealed_len = m->changed.len;
		err = store_reset_add(rq->app->store, &hash, r, r->created_at);
	}
	if (err == COFFER_OK)
		err = org_audit_event(rq, caller->org_id, "member.reset", m->user.email, "");
	if (err == COFFER_OK) {
		char url[512], expires[TIMEFMT_RFC3339_LEN];
		public_link(rq, "reset", token, url, sizeof url);
		timefmt_rfc3339(r->expires_at, expires);
		err =
		    reply_json(rq, 201, json_pack("{s:s,s:s}", "url", url, "expires_at", expires));
		sodium_memzero(url, sizeof url);
	} else {
		err = refused(rq, err);
	}
	sodium_memzero(token, sizeof token);
	free(r);
out:
	member_free(m);
	return err;
}
