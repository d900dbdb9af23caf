/* login.c — POST /api/v1/login, POST /api/v1/logout, GET /api/v1/session: signing in and out.
 *
 * A login runs on a worker thread (the route is slow): keyd verifies the password with
 * Argon2id and the TOTP code, and issues the session's ticket. The order of the checks matters:
 *   1. throttling, from the counts in the system database: 429 at once, never a sleep. A
 *      browser holding a device cookie of the account (device_cookie.h) is judged by its own
 *      count, not the account's, so that a stranger's guesses do not keep the owner out
 *      (guess_throttle.h, signin/throttle.h);
 *   2. the credentials, all in keyd; an unknown, pending, disabled or reset-pending account
 *      still costs a full verification, and every failure answers the same 401;
 *   3. the TOTP step, recorded with a compare-and-set so a code is used once across servers;
 *      then, when too many wrong codes were tried for the account from untrusted clients, a
 *      429 even for the right code: only someone holding the password and a right code ever
 *      sees it, so it tells a guesser nothing;
 *   4. only then the login policy (address, days, hours), answered 403 login_policy: it says
 *      nothing to someone who does not hold the credentials.
 * A success answers with the user's unseen notices (notices.h) and hands the browser a fresh
 * device cookie. The audit trail gets every attempt, with a reason code and never a secret.
 */
#include <stdio.h>
#include <string.h>

#include "api/login_failure.h"
#include "api/account_notices.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/guarded_state.h"
#include "api/device_cookie.h"
#include "api/alert_rules.h"
#include "api/guess_throttle.h"
#include "metrics/metrics.h"
#include "api/notices.h"
#include "api/passkey_input.h"
#include "api/password_checks.h"
#include "api/routes.h"
#include "api/session_cookie.h"
#include "api/system_audit.h"
#include "api/user_json.h"
#include "api/user_rules.h"
#include "common/email.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "http/user_agent.h"
#include "keyclient/keyclient.h"
#include "signin/org_policy.h"
#include "signin/password_policy.h"
#include "signin/totp.h"

_Static_assert(USER_AGENT_MAX == STORE_BROWSER_MAX, "a session's browser is its User-Agent");
_Static_assert(sizeof((struct request *)0)->client_text == STORE_ADDRESS_MAX + 1,
	       "a session's address is its client's");

// clang-format off
static const struct json_field passkey_fields[] = {
	PASSKEY_B64_FIELD("id", true, WEBAUTHN_CRED_ID_MAX),
	PASSKEY_B64_FIELD("authenticator_data", true, WEBAUTHN_AUTH_DATA_MAX),
	PASSKEY_B64_FIELD("client_data_json", true, WEBAUTHN_CLIENT_DATA_MAX),
	PASSKEY_B64_FIELD("signature", true, WEBAUTHN_SIGNATURE_MAX),
	PASSKEY_B64_FIELD("user_handle", false, WEBAUTHN_USER_HANDLE_MAX),
};
static const struct json_schema passkey_schema = JSON_SCHEMA(passkey_fields);

static const struct json_field login_fields[] = {
	{.name = "email", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 3, .max_len = EMAIL_MAX},
	{.name = "password", .type = JSON_FIELD_STRING, .required = true, .min_len = 1,
	 .max_len = PASSWORD_INPUT_MAX_CHARS},
	{.name = "totp", .type = JSON_FIELD_STRING, .required = false, .max_len = 6},
	{.name = "passkey", .type = JSON_FIELD_OBJECT, .required = false,
	 .object = &passkey_schema},
};
// clang-format on
const struct json_schema login_schema = JSON_SCHEMA(login_fields);

/* Everything a login handles, in guarded memory (a user record is large) and wiped at the
 * end. */
struct login_state {
	char email[EMAIL_MAX + 1];
	struct user_record user;
	bool known;
	struct signin_guess guess;
	struct keyd_login_result result;
	struct passkey_assertion passkey; /* the body's, decoded, when it has one */
	struct session_record session;
	json_t *notices; /* the answer's, owned until it is sent */
};

/* 401 invalid_credentials, counted for throttling (WRONG_CODE: a right password with a wrong
 * or reused code) and audited with REASON. */
static enum coffer_err fail(struct request *rq, struct login_state *st, const char *reason,
			    bool wrong_code)
{
	signin_guess_failed(rq, &st->guess, wrong_code);
	metrics_signin(METRICS_SIGNIN_FAILED);
	system_audit(rq, st->known ? st->user.id : st->email, "login", "", "failure", reason);
	alert_rules_signin_failed(rq, st->known ? st->user.id : st->email,
				  st->guess.verdict.trusted ? 0 : st->guess.account_failures + 1,
				  st->guess.address_failures + 1);
	/* Whoever sent it holds the password: its owner is told (at most once an hour). */
	if (st->known && wrong_code)
		account_notice(rq, st->user.id, st->user.email,
			       strcmp(reason, "totp_reused") == 0 ? ACCOUNT_TOTP_REUSED
								  : ACCOUNT_TOTP_WRONG);
	return COFFER_ERR_INVALID_CREDENTIALS;
}

/* The right password of an administrator (a sysadmin or an org_admin) whose account has no
 * active authenticator, which keyd never lets in (ASVS V4.3.1): told why when the account is
 * otherwise usable, since only its password's owner gets this far; like a wrong password
 * otherwise. */
static enum coffer_err admin_without_totp(struct request *rq, struct login_state *st)
{
	if (strcmp(st->user.status, "active") != 0 || st->user.reset_pending)
		return fail(rq, st, "totp_not_enrolled", false);
	metrics_signin(METRICS_SIGNIN_FAILED);
	system_audit(rq, st->user.id, "login", "", "refused", "admin_totp_required");
	return reply_error(rq, COFFER_ERR_LOGIN_POLICY,
			   "An administrator always signs in with an authenticator app, and this "
			   "account has none: ask another administrator of your organisation to "
			   "reset your sign-in.");
}

/* Stores the account keyd sealed again at this sign-in (one sealed in an older format, its
 * password hash in clear: keyd encrypts it; or the passkey's new signature counter), before
 * the session is made, so that the session is issued for the account as stored. Another
 * change of the account meanwhile wins a re-encryption (keyd seals it again at the next
 * sign-in), but not a counter: a sign-in whose counter is not kept could be replayed, so it
 * fails (401). */
static enum coffer_err keep_resealed_account(struct request *rq, struct login_state *st)
{
	const struct keyd_sealed *a = &st->result.account;
	const bool counter = st->result.factor == KEYD_FACTOR_PASSKEY;
	if (a->len == 0)
		return COFFER_OK;
	enum coffer_err err = store_user_account_reseal(
	    rq->app->store, st->user.id, a->bytes, a->len, st->user.account_version, time_now());
	if (err == COFFER_OK) {
		st->user.account_version++;
		system_audit(rq, st->user.id, "account.reseal", st->user.id, "success",
			     counter ? "passkey_counter" : "password_hash_encrypted");
	}
	if (err == COFFER_ERR_VERSION_CONFLICT && counter)
		return fail(rq, st, "passkey_counter_conflict", false);
	return err == COFFER_ERR_VERSION_CONFLICT ? COFFER_OK : err;
}

/* The refusal of a sign-in whose second factor (FACTOR, enum keyd_second_factor) is not the
 * one the policies ask for (KINDS, enum org_second_factor), or that they refuse outright
 * (!ALLOWED). */
static enum coffer_err policy_refusal(struct request *rq, struct login_state *st, bool allowed,
				      uint8_t kinds)
{
	const char *reason = !allowed			      ? "login_policy"
			     : kinds == SECOND_FACTOR_PASSKEY ? "passkey_required"
							      : "totp_required";
	const char *why = NULL;
	if (allowed && kinds == SECOND_FACTOR_PASSKEY)
		why = "Your organisation requires a passkey: sign in with your passkey, or ask an "
		      "administrator for help if you have none.";
	else if (allowed && st->result.factor == KEYD_FACTOR_PASSKEY)
		why = "Your organisation requires the code of an authenticator app.";
	else if (allowed)
		why = "Your organisation requires an authenticator app; ask an administrator for a "
		      "new invitation.";
	metrics_signin(METRICS_SIGNIN_FAILED);
	system_audit(rq, st->user.id, "login", "", "refused", reason);
	if (!allowed && strcmp(st->user.role, "sysadmin") == 0)
		alert_rules_admin_refused(rq, st->user.id);
	return reply_error(rq, COFFER_ERR_LOGIN_POLICY, why);
}

static enum coffer_err login_reply(struct request *rq, struct login_state *st)
{
	const struct coffer_config *cfg = rq->app->cfg;
	session_cookie_set(rq, st->result.token, cfg->session_absolute_ttl);
	device_cookie_issue(rq, st->user.id);
	json_t *notices = st->notices;
	st->notices = NULL; /* json_pack's "o" takes it, even when it fails */
	json_t *body = json_pack("{s:o*,s:s,s:b,s:o}", "user", user_json(&st->user), "csrf_token",
				 st->session.csrf_token, "must_change_password",
				 st->session.must_change_password, "notices", notices);
	return reply_json(rq, 200, body);
}

/* The checks after keyd accepted the password (and code): the account's state, the code's
 * single use and the window of wrong codes. COFFER_OK to go on; otherwise what to return. */
static enum coffer_err after_keyd(struct request *rq, struct login_state *st)
{
	enum coffer_err err;
	if (strcmp(st->user.status, "active") != 0)
		return fail(rq, st, "disabled", false);
	/* A reset under way: the old password no longer signs in, and says so no differently
	 * from a wrong one (keyd did the same work). */
	if (st->user.reset_pending)
		return fail(rq, st, "reset_pending", false);
	if (st->result.step >= 0) {
		err = store_totp_step_use(rq->app->store, st->user.id, st->result.step);
		if (err == COFFER_ERR_VERSION_CONFLICT)
			return fail(rq, st, "totp_reused", true);
		if (err != COFFER_OK)
			return err;
		if (st->guess.verdict.codes_wait > 0) {
			metrics_signin(METRICS_SIGNIN_THROTTLED);
			return guess_refuse(rq, st->user.id, "login", "throttled_codes",
					    st->guess.verdict.codes_wait);
		}
	}
	return COFFER_OK;
}

static enum coffer_err do_login(struct request *rq, void *state)
{
	struct login_state *st = state;
	json_t *j = rq->json;
	const char *password = json_string_value(json_object_get(j, "password"));
	size_t password_len = json_string_length(json_object_get(j, "password"));
	const char *code = json_string_value(json_object_get(j, "totp"));
	enum coffer_err err;

	if (!email_normalize(json_string_value(json_object_get(j, "email")), st->email))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'email': not an email address");
	if (code != NULL && code[0] != '\0' && !totp_code_valid(code))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, "field 'totp': must be 6 digits");
	json_t *pk = json_object_get(j, "passkey");
	if (pk != NULL && !passkey_assertion_from_json(rq, pk, &st->passkey))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, rq->msg);

	err = store_user_by_email(rq->app->store, st->email, &st->user);
	if (err != COFFER_OK && err != COFFER_ERR_NOT_FOUND)
		return err;
	/* A pending invitee has no password worth checking yet: treated as unknown. */
	st->known = err == COFFER_OK && strcmp(st->user.status, "invited") != 0;
	st->guess.account = st->email;
	st->guess.user_id = st->known ? st->user.id : NULL;
	/* A cookie is read (and its MAC checked) whether or not the account is known, so that
	 * the time taken says nothing about it; "" matches no cookie. */
	st->guess.has_device =
	    device_cookie_of_request(rq, st->known ? st->user.id : "", &st->guess.device);
	if (signin_guess_throttled(rq, &st->guess, &err)) {
		metrics_signin(METRICS_SIGNIN_THROTTLED);
		return err;
	}

	struct keyd_login in = {
	    .passkey = pk != NULL ? &st->passkey.keyd : NULL,
	    .account = st->known ? st->user.account : NULL,
	    .account_len = st->known ? st->user.account_len : 0,
	    .password = password,
	    .password_len = password_len,
	    .code = code != NULL ? code : "",
	    .last_step = st->known ? st->user.totp_last_step : TOTP_STEP_NONE,
	    .ttl_s = (uint32_t)rq->app->cfg->session_absolute_ttl,
	};
	err = keyd_login(rq->app->keyd, &in, &st->result);
	if (err == COFFER_ERR_INVALID_CREDENTIALS && st->known &&
	    st->result.failure == KEYD_LOGIN_TOTP_NOT_ENROLLED)
		return admin_without_totp(rq, st);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		enum keyd_login_failure f = st->result.failure;
		/* A wrong passkey counts as a wrong code: the password was right. */
		return fail(rq, st, st->known ? login_failure_reason(f) : "unknown_account",
			    st->known &&
				(f == KEYD_LOGIN_TOTP_WRONG || f == KEYD_LOGIN_TOTP_REUSED ||
				 f == KEYD_LOGIN_PASSKEY_WRONG || f == KEYD_LOGIN_PASSKEY_UNKNOWN ||
				 f == KEYD_LOGIN_PASSKEY_COUNTER));
	}
	if (err != COFFER_OK)
		return err;
	if ((err = after_keyd(rq, st)) != COFFER_OK)
		return err;
	if ((err = keep_resealed_account(rq, st)) != COFFER_OK)
		return err;

	bool allowed = false, require_2fa = false;
	uint8_t kinds = SECOND_FACTOR_EITHER;
	err = user_login_allowed(rq, &st->user, &rq->client, &allowed, &require_2fa, &kinds);
	if (err != COFFER_OK)
		return err;
	const uint8_t used = st->result.factor == KEYD_FACTOR_TOTP	? SECOND_FACTOR_TOTP
			     : st->result.factor == KEYD_FACTOR_PASSKEY ? SECOND_FACTOR_PASSKEY
									: 0;
	if (!allowed || (require_2fa && (used & kinds) == 0))
		return policy_refusal(rq, st, allowed, kinds);
	/* Read before the session is made, so that a failure here leaves nothing behind. */
	if ((err = notices_json(rq->app->store, st->user.id, &st->notices)) != COFFER_OK)
		return err;

	int64_t now = time_now();
	struct session_record *s = &st->session;
	struct token_hash ignored;
	if (!token_hash_text(st->result.token, &s->token))
		return COFFER_ERR_UNAVAILABLE;
	token_generate(s->csrf_token, &ignored);
	memcpy(s->user_id, st->user.id, sizeof s->user_id);
	memcpy(s->ticket, st->result.ticket, st->result.ticket_len);
	s->ticket_len = st->result.ticket_len;
	s->account_version = st->user.account_version; /* the account keyd issued it from */
	s->created_at = s->last_seen = s->authenticated_at = now;
	s->expires_at = st->result.expires_at;
	/* What its user is shown of it (GET /api/v1/me/sessions): a name unrelated to the
	 * token, where it signed in from and with what. */
	uuid_generate(s->public_id);
	snprintf(s->address, sizeof s->address, "%s", rq->client_text);
	user_agent_of_request(rq, s->browser);
	s->must_change_password = password_breached(rq, password, password_len);
	if ((err = store_session_add(rq->app->store, s, now)) != COFFER_OK)
		return err;
	signin_guess_succeeded(rq, &st->guess);
	metrics_signin(METRICS_SIGNIN_SUCCEEDED);
	system_audit(rq, st->user.id, "login", "", "success",
		     s->must_change_password ? "password_breached" : "");
	alert_rules_signed_in(rq, st->user.id, st->user.email);
	return login_reply(rq, st);
}

static enum coffer_err do_login_and_free(struct request *rq, void *state)
{
	struct login_state *st = state;
	enum coffer_err err = do_login(rq, st);
	signin_guess_done(rq, &st->guess); /* neither failed nor succeeded: taken back */
	json_decref(st->notices);	   /* when the login stopped before its answer */
	return err;
}

enum coffer_err login_post(struct request *rq)
{
	/* the state is wiped at the end: the token, the ticket and the account */
	return with_guarded_state(rq, sizeof(struct login_state), do_login_and_free);
}

enum coffer_err logout_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	enum coffer_err err = store_session_delete(rq->app->store, &caller->session.token);
	if (err != COFFER_OK)
		return err;
	system_audit(rq, caller->user.id, "logout", "", "success", "");
	session_cookie_set(rq, NULL, 0);
	return reply_no_content(rq);
}

enum coffer_err session_get(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	json_t *notices = NULL;
	enum coffer_err err = notices_json(rq->app->store, caller->user.id, &notices);
	if (err != COFFER_OK)
		return err;
	return reply_json(rq, 200,
			  json_pack("{s:o*,s:s,s:b,s:o}", "user", user_json(&caller->user),
				    "csrf_token", caller->session.csrf_token,
				    "must_change_password", caller->session.must_change_password,
				    "notices", notices));
}
