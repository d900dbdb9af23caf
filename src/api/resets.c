/* resets.c — /api/v1/resets/{token}: a member completing the sign-in reset an org_admin of
 * their organisation made (members.c). An unknown, used, expired or malformed token all answer
 * the same 404.
 *
 * The member chooses a new password (keyd hashes it and makes a new TOTP secret, so this runs
 * on a worker), then confirms the new secret with a code. Until that confirmation the old
 * password, the old TOTP secret and every session are already void (the reset made them so);
 * choosing again (the page was reloaded and the QR code lost) replaces the pending account with
 * a fresh secret. The reset's seal and its token are keyd's proof that an org_admin made it for
 * this member.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/account_notices.h"
#include "api/app.h"
#include "api/guarded_state.h"
#include "api/org_audit.h"
#include "api/password_checks.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "api/totp_enrolment.h"
#include "api/user_rules.h"
#include "common/timefmt.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"
#include "signin/password_policy.h"
#include "signin/totp.h"

static const struct json_field password_fields[] = {
    {.name = "password",
     .type = JSON_FIELD_STRING,
     .required = true,
     .min_len = 1,
     .max_len = PASSWORD_INPUT_MAX_CHARS},
};
const struct json_schema reset_accept_schema = JSON_SCHEMA(password_fields);

static const struct json_field code_fields[] = {
    {.name = "code", .type = JSON_FIELD_STRING, .required = true, .max_len = 16},
};
const struct json_schema reset_totp_schema = JSON_SCHEMA(code_fields);

/* The reset named by the path's token, unused and unexpired. */
static enum coffer_err find_reset(struct request *rq, char token[TOKEN_TEXT_LEN + 1],
				  struct token_hash *hash, struct reset_record *r)
{
	if (!route_param(&rq->params, "token", token, TOKEN_TEXT_LEN + 1) ||
	    !token_hash_text(token, hash))
		return COFFER_ERR_NOT_FOUND;
	return store_reset_get(rq->app->store, hash, time_now(), r);
}

/* What a reset's routes work on: guarded memory, wiped at the end (accounts, the secret). */
struct reset_state {
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct reset_record reset;
	struct user_record user;
	struct org_record org;
	struct keyd_sealed account;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
};

static enum coffer_err do_get(struct request *rq, void *state)
{
	struct reset_state *st = state;
	enum coffer_err err = find_reset(rq, st->token, &st->hash, &st->reset);
	if (err == COFFER_OK)
		err = store_org_get(rq->app->store, st->reset.org_id, &st->org);
	if (err != COFFER_OK)
		return err;
	char expires[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(st->reset.expires_at, expires);
	return reply_json(rq, 200,
			  json_pack("{s:s,s:{s:s,s:s},s:s}", "email", st->reset.email, "org", "id",
				    st->org.id, "name", st->org.name, "expires_at", expires));
}

enum coffer_err resets_get(struct request *rq)
{
	return with_guarded_state(rq, sizeof(struct reset_state), do_get);
}

static enum coffer_err do_accept(struct request *rq, void *state)
{
	struct reset_state *st = state;
	json_t *pw = json_object_get(rq->json, "password");
	const char *password = json_string_value(pw);
	size_t password_len = json_string_length(pw);
	enum coffer_err err = find_reset(rq, st->token, &st->hash, &st->reset);
	if (err == COFFER_OK)
		err = store_user_get(rq->app->store, st->reset.user_id, &st->user);
	if (err != COFFER_OK)
		return err;

	struct password_rules rules;
	bool require_totp = false;
	err = user_password_rules(rq, false, &st->user, NULL, &rules, &require_totp);
	if (err == COFFER_OK)
		err = password_acceptable(rq, &rules, password, password_len);
	if (err != COFFER_OK)
		return err;
	err = keyd_reset_accept(rq->app->keyd, st->token, st->reset.sealed, st->reset.sealed_len,
				st->user.account, st->user.account_len, password, password_len,
				&st->account, st->secret);
	if (err == COFFER_ERR_UNAUTHENTICATED)
		return COFFER_ERR_NOT_FOUND; /* a seal, token or account that does not match */
	if (err == COFFER_ERR_FORBIDDEN)
		return reply_error(rq, COFFER_ERR_SHARED_ACCOUNT, NULL);
	if (err == COFFER_OK)
		err = store_reset_stage(rq->app->store, &st->hash, st->account.bytes,
					st->account.len, time_now());
	if (err != COFFER_OK)
		return err;
	system_audit(rq, st->user.id, "reset.accept", st->reset.org_id, "success", "totp_pending");
	return totp_enrolment_reply(rq, st->user.email, st->secret);
}

enum coffer_err resets_accept(struct request *rq)
{
	return with_guarded_state(rq, sizeof(struct reset_state), do_accept);
}

static enum coffer_err do_totp(struct request *rq, void *state)
{
	struct reset_state *st = state;
	const char *code = json_string_value(json_object_get(rq->json, "code"));
	int64_t step = 0;
	enum coffer_err err = find_reset(rq, st->token, &st->hash, &st->reset);
	if (err != COFFER_OK)
		return err;
	if (!totp_code_valid(code))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, "field 'code': must be 6 digits");
	if (st->reset.pending_len == 0)
		return reply_error(rq, COFFER_ERR_NOT_FOUND, "Choose a new password first.");
	err = keyd_totp_confirm(rq->app->keyd, st->reset.pending_account, st->reset.pending_len,
				code, &st->account, &step);
	if (err == COFFER_ERR_INVALID_CREDENTIALS || err == COFFER_ERR_INVALID_INPUT) {
		system_audit(rq, st->reset.user_id, "reset.totp", "", "failure", "totp_wrong");
		return reply_error(rq, COFFER_ERR_INVALID_CREDENTIALS,
				   "That code is not right; check the time on your device and "
				   "enter the current code.");
	}
	if (err == COFFER_OK)
		err = store_reset_confirm(rq->app->store, &st->hash, st->account.bytes,
					  st->account.len, step, time_now());
	if (err == COFFER_OK)
		err = store_user_email(rq->app->store, st->reset.user_id, st->user.email);
	if (err != COFFER_OK)
		return err;
	system_audit(rq, st->reset.user_id, "reset.complete", st->reset.org_id, "success", "");
	/* The organisation sees its member's sign-in renewed; the actor is the member. */
	err = org_audit_event(rq, st->reset.org_id, "member.reset_complete", st->user.email, "");
	if (err != COFFER_OK)
		return err;
	/* Told even though the member did it: the reset was an administrator's, and the notice
	 * is how a member learns of one they did not ask for. */
	account_notice(rq, st->reset.user_id, st->user.email, ACCOUNT_SIGNIN_RESET);
	return reply_json(rq, 200, json_pack("{s:s}", "status", "active"));
}

enum coffer_err resets_totp(struct request *rq)
{
	return with_guarded_state(rq, sizeof(struct reset_state), do_totp);
}
