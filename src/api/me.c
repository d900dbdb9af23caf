/* me.c — POST /api/v1/me/password: the caller changes their own password.
 *
 * keyd checks the current password and hashes the new one. Every other session of the user
 * ends at once; this one stays (the person is using it) and its must_change_password clears.
 */
#include <sodium.h>
#include <string.h>

#include "api/account_notices.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/guess_throttle.h"
#include "api/password_checks.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "api/user_rules.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"
#include "signin/password_policy.h"

// clang-format off
static const struct json_field password_fields[] = {
	{.name = "current_password", .type = JSON_FIELD_STRING, .required = true, .min_len = 1,
	 .max_len = PASSWORD_INPUT_MAX_CHARS},
	{.name = "new_password", .type = JSON_FIELD_STRING, .required = true, .min_len = 1,
	 .max_len = PASSWORD_INPUT_MAX_CHARS},
};
// clang-format on
const struct json_schema me_password_schema = JSON_SCHEMA(password_fields);

enum coffer_err me_password_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	json_t *cur = json_object_get(rq->json, "current_password");
	json_t *new = json_object_get(rq->json, "new_password");
	struct password_rules rules;
	bool require_totp;
	bool sysadmin = strcmp(caller->user.role, "sysadmin") == 0;
	enum coffer_err err =
	    user_password_rules(rq, sysadmin, &caller->user, NULL, &rules, &require_totp);
	if (err != COFFER_OK)
		return err;
	if (json_equal(cur, new))
		return reply_error(rq, COFFER_ERR_PASSWORD_POLICY,
				   "The new password must differ from the current one.");
	err = password_acceptable(rq, &rules, json_string_value(new), json_string_length(new));
	if (err != COFFER_OK)
		return err;
	/* A stolen session must not become an oracle for the password: guesses of the current
	 * one are throttled like logins, on the same counts. */
	if (guess_throttled(rq, caller->user.email, "password.change", &err))
		return err;
	struct keyd_sealed *account = sodium_malloc(sizeof *account);
	if (account == NULL)
		return COFFER_ERR_NOMEM;
	err = keyd_password_set(rq->app->keyd, caller->user.account, caller->user.account_len,
				json_string_value(cur), json_string_length(cur),
				json_string_value(new), json_string_length(new), account);
	if (err == COFFER_OK)
		err = store_user_set_account(rq->app->store, caller->user.id, account->bytes,
					     account->len, &caller->session.token, time_now());
	sodium_free(account);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		guess_failed(rq, caller->user.email);
		system_audit(rq, caller->user.id, "password.change", caller->user.id, "failure",
			     "bad_password");
		return reply_error(rq, err, "The current password is not right.");
	}
	if (err != COFFER_OK)
		return err;
	if (store_throttle_reset(rq->app->store, caller->user.email) != COFFER_OK)
		log_msg(LOG_ERROR, "password", "could not reset a throttle count");
	system_audit(rq, caller->user.id, "password.change", caller->user.id, "success", "");
	account_notice(rq, caller->user.id, caller->user.email, ACCOUNT_PASSWORD_CHANGED);
	return reply_no_content(rq);
}
