/* routes.c — the one table from method and path to handler, with who may call each and what
 * the audit trail records of it: to find the code behind a URL, or who can reach it, start
 * here. A route without an access level is refused to everyone (api_authorize).
 *
 * A route marked reauth is a sensitive change: the caller must have proved who they are
 * recently (fresh_auth.h: the password again, POST /api/v1/me/reauthenticate).
 *
 * A content route names its audit action once, here: its refusals and the change it makes are
 * recorded under that name (org_audit.h). A read of content (READ_AUDITED) is recorded too, and
 * the server holds its answer until that record is durable.
 */
#include "api/routes.h"

#include "api/access.h"
#include "http/static_files.h"
#include "signin/org_policy.h"

#define JSON(s) .body = ROUTE_BODY_JSON, .schema = &(s)
/* A record's body may be 1 MiB of text, which JSON escaping can make up to six times longer
 * (\uXXXX); the exact limit is checked on the decoded body. */
#define RECORD_BODY(s)	     JSON(s), .max_body = 6 * RECORD_BODY_MAX + 64 * 1024
#define READ_AUDITED(action) .audit = (action), .audit_read = true

// clang-format off
const struct route api_routes[] = {
	{.method = "GET", .pattern = "/healthz", .handler = health_get, .api = true,
	 .access = ACCESS_PUBLIC},

	/* invitations */
	{.method = "GET", .pattern = "/api/v1/invites/{token}", .handler = invites_get,
	 .api = true, .access = ACCESS_PUBLIC},
	{.method = "POST", .pattern = "/api/v1/invites/{token}/accept", .handler = invites_accept,
	 JSON(invite_accept_schema), .api = true, .access = ACCESS_PUBLIC, .slow = true},
	{.method = "POST", .pattern = "/api/v1/invites/{token}/totp", .handler = invites_totp,
	 JSON(invite_totp_schema), .api = true, .access = ACCESS_PUBLIC},

	/* sign-in resets an org_admin made: the member sets a new password and TOTP secret */
	{.method = "GET", .pattern = "/api/v1/resets/{token}", .handler = resets_get,
	 .api = true, .access = ACCESS_PUBLIC},
	{.method = "POST", .pattern = "/api/v1/resets/{token}/accept", .handler = resets_accept,
	 JSON(reset_accept_schema), .api = true, .access = ACCESS_PUBLIC, .slow = true},
	{.method = "POST", .pattern = "/api/v1/resets/{token}/totp", .handler = resets_totp,
	 JSON(reset_totp_schema), .api = true, .access = ACCESS_PUBLIC},

	/* sessions and passwords */
	{.method = "POST", .pattern = "/api/v1/login", .handler = login_post, JSON(login_schema),
	 .api = true, .access = ACCESS_PUBLIC, .slow = true},
	{.method = "POST", .pattern = "/api/v1/logout", .handler = logout_post, .api = true,
	 .access = ACCESS_SESSION_ANY},
	{.method = "GET", .pattern = "/api/v1/session", .handler = session_get, .api = true,
	 .access = ACCESS_SESSION_ANY},
	{.method = "POST", .pattern = "/api/v1/me/password", .handler = me_password_post,
	 JSON(me_password_schema), .api = true, .access = ACCESS_SESSION_ANY, .slow = true},
	{.method = "POST", .pattern = "/api/v1/login/passkey-options",
	 .handler = login_passkey_options_post, .api = true, .access = ACCESS_PUBLIC},

	/* the caller's own passkeys (passkeys.c) */
	{.method = "POST", .pattern = "/api/v1/me/passkeys/options",
	 .handler = me_passkey_options_post, .api = true, .access = ACCESS_SESSION},
	{.method = "GET", .pattern = "/api/v1/me/passkeys", .handler = me_passkeys_get,
	 .api = true, .access = ACCESS_SESSION},
	{.method = "POST", .pattern = "/api/v1/me/passkeys", .handler = me_passkeys_post,
	 JSON(passkey_register_schema), .api = true, .access = ACCESS_SESSION, .reauth = true},
	{.method = "DELETE", .pattern = "/api/v1/me/passkeys/{id}", .handler = me_passkey_delete,
	 .api = true, .access = ACCESS_SESSION, .reauth = true},

	/* the caller's sessions, and proving again who they are (me_sessions.c, reauthenticate.c) */
	{.method = "POST", .pattern = "/api/v1/me/reauthenticate",
	 .handler = me_reauthenticate_post, JSON(me_reauthenticate_schema), .api = true,
	 .access = ACCESS_SESSION, .slow = true},
	{.method = "GET", .pattern = "/api/v1/me/sessions", .handler = me_sessions_get,
	 .api = true, .access = ACCESS_SESSION},
	{.method = "DELETE", .pattern = "/api/v1/me/sessions", .handler = me_sessions_delete,
	 .api = true, .access = ACCESS_SESSION, .reauth = true},
	{.method = "DELETE", .pattern = "/api/v1/me/sessions/{id}", .handler = me_session_delete,
	 .api = true, .access = ACCESS_SESSION, .reauth = true},
	{.method = "POST", .pattern = "/api/v1/notices/seen", .handler = notices_seen_post,
	 JSON(notices_seen_schema), .api = true, .access = ACCESS_SESSION},

	/* administration: sysadmins */
	{.method = "GET", .pattern = "/api/v1/admin/orgs", .handler = admin_orgs_get, .api = true,
	 .access = ACCESS_SYSADMIN},
	{.method = "POST", .pattern = "/api/v1/admin/orgs", .handler = admin_orgs_post,
	 JSON(admin_org_schema), .api = true, .access = ACCESS_SYSADMIN},
	{.method = "DELETE", .pattern = "/api/v1/admin/orgs/{org}", .handler = admin_org_delete,
	 JSON(admin_org_delete_schema), .api = true, .access = ACCESS_SYSADMIN, .reauth = true},
	{.method = "POST", .pattern = "/api/v1/admin/orgs/{org}/cancel-deletion",
	 .handler = admin_org_deletion_cancel, .api = true, .access = ACCESS_SYSADMIN},
	{.method = "POST", .pattern = "/api/v1/admin/invites", .handler = admin_invites_post,
	 JSON(admin_invite_schema), .api = true, .access = ACCESS_SYSADMIN, .reauth = true},
	{.method = "GET", .pattern = "/api/v1/admin/users", .handler = admin_users_get,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "POST", .pattern = "/api/v1/admin/users/{id}/disable",
	 .handler = admin_user_disable, .api = true, .access = ACCESS_SYSADMIN, .reauth = true},
	{.method = "POST", .pattern = "/api/v1/admin/users/{id}/enable",
	 .handler = admin_user_enable, .api = true, .access = ACCESS_SYSADMIN, .reauth = true},
	{.method = "GET", .pattern = "/api/v1/admin/backups", .handler = admin_backups_get,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "POST", .pattern = "/api/v1/admin/backups", .handler = admin_backups_post,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "GET", .pattern = "/api/v1/admin/check", .handler = admin_check_get,
	 .api = true, .access = ACCESS_SYSADMIN, .slow = true},
	{.method = "GET", .pattern = "/api/v1/admin/audit", .handler = admin_audit_get,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "GET", .pattern = "/api/v1/admin/alerts", .handler = admin_alerts_get,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "GET", .pattern = "/api/v1/admin/policy", .handler = policy_system_get,
	 .api = true, .access = ACCESS_SYSADMIN},
	{.method = "PUT", .pattern = "/api/v1/admin/policy", .handler = policy_system_put,
	 JSON(org_policy_schema), .api = true, .access = ACCESS_SYSADMIN, .reauth = true},

	/* an organisation's administration: its own org_admins, never a sysadmin */
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/members", .handler = members_get,
	 .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "POST", .pattern = "/api/v1/orgs/{org}/invites", .handler = org_invites_post,
	 JSON(org_invite_schema), .api = true, .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "PATCH", .pattern = "/api/v1/orgs/{org}/members/{user}",
	 .handler = member_patch, JSON(member_change_schema), .api = true,
	 .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "DELETE", .pattern = "/api/v1/orgs/{org}/members/{user}",
	 .handler = member_delete, .api = true, .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "POST", .pattern = "/api/v1/orgs/{org}/members/{user}/reset",
	 .handler = member_reset_post, .api = true, .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/members/{user}/login-policy",
	 .handler = member_policy_get, .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "PUT", .pattern = "/api/v1/orgs/{org}/members/{user}/login-policy",
	 .handler = member_policy_put, JSON(member_policy_schema), .api = true,
	 .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/policy", .handler = policy_org_get,
	 .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "PUT", .pattern = "/api/v1/orgs/{org}/policy", .handler = policy_org_put,
	 JSON(org_policy_schema), .api = true, .access = ACCESS_ORG_ADMIN, .reauth = true},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/audit", .handler = org_audit_get,
	 .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/alerts", .handler = org_alerts_get,
	 .api = true, .access = ACCESS_ORG_ADMIN},

	/* an organisation's own export (exports.c): its org_admins, within their clearance */
	{.method = "POST", .pattern = "/api/v1/orgs/{org}/exports", .handler = exports_post,
	 JSON(export_create_schema), .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/exports/{id}", .handler = exports_get,
	 .api = true, .access = ACCESS_ORG_ADMIN},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/exports/{id}/download",
	 .handler = exports_download, .api = true, .access = ACCESS_ORG_ADMIN},

	/* confidential records: members of the org, within their clearance */
	{.method = "POST", .pattern = "/api/v1/orgs/{org}/records", .handler = records_post,
	 RECORD_BODY(record_create_schema), .api = true, .access = ACCESS_ORG_MEMBER,
	 .audit = "record.create", .durable = true},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/records", .handler = records_list,
	 .api = true, .access = ACCESS_ORG_MEMBER, READ_AUDITED("record.list")},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}",
	 .handler = records_get_one, .api = true, .access = ACCESS_ORG_MEMBER,
	 READ_AUDITED("record.read")},
	{.method = "PUT", .pattern = "/api/v1/orgs/{org}/records/{id}", .handler = records_put,
	 RECORD_BODY(record_update_schema), .api = true, .access = ACCESS_ORG_MEMBER,
	 .audit = "record.update", .durable = true},
	{.method = "DELETE", .pattern = "/api/v1/orgs/{org}/records/{id}",
	 .handler = records_delete, .api = true, .access = ACCESS_ORG_MEMBER,
	 .audit = "record.delete", .durable = true},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/records/{id}/history",
	 .handler = records_history, .api = true, .access = ACCESS_ORG_MEMBER,
	 .audit = "record.history"},

	/* files: streamed in and out, for members of the org within their clearance */
	{.method = "POST", .pattern = "/api/v1/orgs/{org}/files", .handler = files_upload,
	 .body = ROUTE_BODY_STREAM, .stream = &files_upload_stream, .api = true,
	 .access = ACCESS_ORG_MEMBER, .audit = "file.upload"},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/files", .handler = files_list,
	 .api = true, .access = ACCESS_ORG_MEMBER, READ_AUDITED("file.list")},
	{.method = "GET", .pattern = "/api/v1/orgs/{org}/files/{id}", .handler = files_download,
	 .api = true, .access = ACCESS_ORG_MEMBER, READ_AUDITED("file.download")},
	{.method = "DELETE", .pattern = "/api/v1/orgs/{org}/files/{id}", .handler = files_delete,
	 .api = true, .access = ACCESS_ORG_MEMBER, .audit = "file.delete", .durable = true},

	/* the web application (static_files.h): the page, for / and for the invite links that
	 * init and invites print, and its versioned assets; the page then uses the API above */
	{.method = "GET", .pattern = "/", .handler = static_index, .access = ACCESS_PUBLIC},
	{.method = "GET", .pattern = "/invite/{token}", .handler = static_index,
	 .access = ACCESS_PUBLIC},
	{.method = "GET", .pattern = "/reset/{token}", .handler = static_index,
	 .access = ACCESS_PUBLIC},
	{.method = "GET", .pattern = "/assets/{version}/{file}", .handler = static_asset,
	 .access = ACCESS_PUBLIC},
	{.method = "GET", .pattern = "/assets/{version}/js/{file}", .handler = static_asset,
	 .access = ACCESS_PUBLIC},
};
// clang-format on

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
