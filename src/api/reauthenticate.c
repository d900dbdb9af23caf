/* reauthenticate.c — POST /api/v1/me/reauthenticate {"password", "totp"?}: a signed-in user
 * proves again who they are before a sensitive change (OWASP ASVS V3.7.1, fresh_auth.h).
 *
 * Design points:
 * - keyd decides, as for a sign-in: it checks the password (and the TOTP code, when the account
 *   has an authenticator) against the session's own account, and re-issues the session's ticket
 *   with its authentication time moved to now (REAUTHENTICATE, keyproto/protocol.h). keyd's
 *   own check of the changes it makes (invitations, members, resets) reads that time, so no
 *   answer of the web process alone can make a session recent.
 * - It is a password guess, made with a session that may be stolen: throttled on the same
 *   counts as sign-ins and password changes (guess_throttle.h), and a wrong code also counts
 *   in the account's window of codes. A code is used once, across servers, as at sign-in.
 * - Every failure answers the same 401 invalid_credentials; the audit trail gets the reason
 *   code, never the password or the code.
 */
#include <sodium.h>
#include <string.h>

#include "api/login_failure.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/guess_throttle.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"
#include "signin/password_policy.h"
#include "signin/totp.h"

// clang-format off
static const struct json_field reauth_fields[] = {
	{.name = "password", .type = JSON_FIELD_STRING, .required = true, .min_len = 1,
	 .max_len = PASSWORD_INPUT_MAX_CHARS},
	{.name = "totp", .type = JSON_FIELD_STRING, .required = false, .max_len = 6},
};
// clang-format on
const struct json_schema me_reauthenticate_schema = JSON_SCHEMA(reauth_fields);

/* 401 invalid_credentials, counted and audited with REASON (WRONG_CODE: a right password with
 * a wrong or reused code, which also fills the account's window of codes). */
static enum coffer_err fail(struct request *rq, const struct caller *caller, const char *reason,
			    bool wrong_code)
{
	guess_failed(rq, caller->user.email);
	if (wrong_code)
		code_guess_failed(rq, caller->user.id);
	system_audit(rq, caller->user.id, "reauthenticate", "", "failure", reason);
	return reply_error(rq, COFFER_ERR_INVALID_CREDENTIALS,
			   "The password or the authenticator code is not right.");
}

static enum coffer_err reauthenticate(struct request *rq, struct keyd_reauth_result *res)
{
	const struct caller *caller = api_caller(rq);
	json_t *pw = json_object_get(rq->json, "password");
	const char *code = json_string_value(json_object_get(rq->json, "totp"));
	enum coffer_err err;
	if (code != NULL && code[0] != '\0' && !totp_code_valid(code))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, "field 'totp': must be 6 digits");
	const bool has_code = code != NULL && code[0] != '\0';
	if (guess_throttled(rq, caller->user.email, "reauthenticate", &err) ||
	    (has_code && code_guess_throttled(rq, caller->user.id, "reauthenticate", &err)))
		return err;

	struct keyd_session ks;
	caller_keyd_session(caller, &ks);
	const struct keyd_reauth in = {
	    .account = caller->user.account,
	    .account_len = caller->user.account_len,
	    .password = json_string_value(pw),
	    .password_len = json_string_length(pw),
	    .code = has_code ? code : "",
	    .last_step = caller->user.totp_last_step,
	};
	err = keyd_reauthenticate(rq->app->keyd, &ks, &in, res);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		enum keyd_login_failure f = res->failure;
		return fail(rq, caller, login_failure_reason(f),
			    f == KEYD_LOGIN_TOTP_WRONG || f == KEYD_LOGIN_TOTP_REUSED);
	}
	if (err != COFFER_OK)
		return err;
	if (res->step >= 0) {
		err = store_totp_step_use(rq->app->store, caller->user.id, res->step);
		if (err == COFFER_ERR_VERSION_CONFLICT) /* a replay that raced this one */
			return fail(rq, caller, "totp_reused", true);
		if (err != COFFER_OK)
			return err;
	}
	int64_t now = time_now();
	/* The ticket keyd re-issued carries the memberships of the account as the caller's user
	 * has it now: it is current for that account version. */
	err = store_session_reauthenticated(rq->app->store, &caller->session.token, res->ticket,
					    res->ticket_len, caller->user.account_version, now);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_ERR_UNAUTHENTICATED; /* ended meanwhile */
	if (err != COFFER_OK)
		return err;
	if (store_throttle_reset(rq->app->store, caller->user.email) != COFFER_OK)
		log_msg(LOG_ERROR, "reauthenticate", "could not reset a throttle count");
	system_audit(rq, caller->user.id, "reauthenticate", "", "success", "");
	char at[TIMEFMT_RFC3339_LEN], until[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(now, at);
	timefmt_rfc3339(now + rq->app->cfg->reauthenticate_after, until);
	return reply_json(rq, 200,
			  json_pack("{s:s,s:s}", "authenticated_at", at, "recent_until", until));
}

enum coffer_err me_reauthenticate_post(struct request *rq)
{
	/* the re-issued ticket is a session secret: guarded memory, wiped */
	struct keyd_reauth_result *res = sodium_malloc(sizeof *res);
	if (res == NULL)
		return COFFER_ERR_NOMEM;
	memset(res, 0, sizeof *res);
	enum coffer_err err = reauthenticate(rq, res);
	sodium_free(res);
	return err;
}
