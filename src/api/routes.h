/* routes.h — the route table of coffer's HTTP API, and every handler in it. */
#ifndef COFFER_ROUTES_H
#define COFFER_ROUTES_H

#include <stddef.h>

#include "http/json_body.h"
#include "http/request.h"
#include "http/router.h"

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* src/api/backups.c */
enum coffer_err admin_backups_get(struct request *rq);
enum coffer_err admin_backups_post(struct request *rq);
/* src/api/check.c */
enum coffer_err admin_check_get(struct request *rq);
/* src/api/health.c */
enum coffer_err health_get(struct request *rq);
/* src/api/invites.c */
extern const struct json_schema invite_accept_schema, invite_totp_schema;
enum coffer_err invites_get(struct request *rq);
enum coffer_err invites_accept(struct request *rq);
enum coffer_err invites_totp(struct request *rq);
/* src/api/login.c */
extern const struct json_schema login_schema;
enum coffer_err login_post(struct request *rq);
enum coffer_err logout_post(struct request *rq);
enum coffer_err session_get(struct request *rq);
/* src/api/notices.c */
extern const struct json_schema notices_seen_schema;
enum coffer_err notices_seen_post(struct request *rq);
/* src/api/me.c */
extern const struct json_schema me_password_schema;
enum coffer_err me_password_post(struct request *rq);
/* passkeys.c */
extern const struct json_schema passkey_register_schema;
enum coffer_err login_passkey_options_post(struct request *rq);
enum coffer_err me_passkey_options_post(struct request *rq);
enum coffer_err me_passkeys_post(struct request *rq);
enum coffer_err me_passkeys_get(struct request *rq);
enum coffer_err me_passkey_delete(struct request *rq);
/* src/api/reauthenticate.c */
extern const struct json_schema me_reauthenticate_schema;
enum coffer_err me_reauthenticate_post(struct request *rq);
/* src/api/me_sessions.c */
enum coffer_err me_sessions_get(struct request *rq);
enum coffer_err me_sessions_delete(struct request *rq);
enum coffer_err me_session_delete(struct request *rq);
/* src/api/admin.c */
extern const struct json_schema admin_org_schema, admin_invite_schema;
enum coffer_err admin_orgs_post(struct request *rq);
enum coffer_err admin_orgs_get(struct request *rq);
enum coffer_err admin_invites_post(struct request *rq);
enum coffer_err admin_users_get(struct request *rq);
enum coffer_err admin_user_disable(struct request *rq);
enum coffer_err admin_user_enable(struct request *rq);
/* src/api/org_deletion.c */
extern const struct json_schema admin_org_delete_schema;
enum coffer_err admin_org_delete(struct request *rq);
enum coffer_err admin_org_deletion_cancel(struct request *rq);
/* src/api/members.c */
extern const struct json_schema org_invite_schema, member_change_schema;
enum coffer_err members_get(struct request *rq);
enum coffer_err org_invites_post(struct request *rq);
enum coffer_err member_patch(struct request *rq);
enum coffer_err member_delete(struct request *rq);
enum coffer_err member_reset_post(struct request *rq);
/* src/api/resets.c */
extern const struct json_schema reset_accept_schema, reset_totp_schema;
enum coffer_err resets_get(struct request *rq);
enum coffer_err resets_accept(struct request *rq);
enum coffer_err resets_totp(struct request *rq);
/* src/api/member_policy.c */
enum coffer_err member_policy_get(struct request *rq);
enum coffer_err member_policy_put(struct request *rq);
/* src/api/policy_endpoints.c */
enum coffer_err policy_org_get(struct request *rq);
enum coffer_err policy_org_put(struct request *rq);
enum coffer_err policy_system_get(struct request *rq);
enum coffer_err policy_system_put(struct request *rq);
/* src/api/records.c */
extern const struct json_schema record_create_schema, record_update_schema;
enum coffer_err records_post(struct request *rq);
enum coffer_err records_list(struct request *rq);
enum coffer_err records_get_one(struct request *rq);
enum coffer_err records_put(struct request *rq);
enum coffer_err records_delete(struct request *rq);
enum coffer_err records_history(struct request *rq);
/* src/api/files.c */
extern const struct route_stream files_upload_stream;
enum coffer_err files_upload(struct request *rq);
enum coffer_err files_list(struct request *rq);
enum coffer_err files_download(struct request *rq);
enum coffer_err files_delete(struct request *rq);
/* src/api/audit_trail.c */
extern const struct json_schema export_create_schema;
enum coffer_err exports_post(struct request *rq);
enum coffer_err exports_get(struct request *rq);
enum coffer_err exports_download(struct request *rq);

enum coffer_err admin_audit_get(struct request *rq);
enum coffer_err org_audit_get(struct request *rq);
enum coffer_err admin_alerts_get(struct request *rq);
enum coffer_err org_alerts_get(struct request *rq);

#endif
