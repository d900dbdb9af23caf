/* invites.c — /api/v1/invites/{token}: looking up, accepting and confirming an invitation. An
 * unknown, used, expired or malformed token all answer the same 404.
 *
 * Acceptance runs on a worker (keyd hashes the password). An invite is single-use: it makes
 * exactly one active account. Between acceptance and the TOTP confirmation the account is
 * "invited", and accepting again (the person reloaded the page and lost the QR code) replaces
 * it with a fresh secret; once confirmed, the invite is used. An invite for the email of an
 * existing active user adds the membership to that account, after keyd has checked the user's
 * current password.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/account_notices.h"
#include "api/app.h"
#include "api/guarded_state.h"
#include "api/guess_throttle.h"
#include "api/password_checks.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "api/totp_enrolment.h"
#include "api/user_rules.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"
#include "signin/password_policy.h"
#include "signin/totp.h"

static const struct json_field accept_fields[] = {
    {.name = "password",
     .type = JSON_FIELD_STRING,
     .required = true,
     .min_len = 1,
     .max_len = PASSWORD_INPUT_MAX_CHARS},
};
const struct json_schema invite_accept_schema = JSON_SCHEMA(accept_fields);

static const struct json_field totp_fields[] = {
    {.name = "code", .type = JSON_FIELD_STRING, .required = true, .max_len = 16},
};
const struct json_schema invite_totp_schema = JSON_SCHEMA(totp_fields);

/* The invite named by the path's token, unused and unexpired. */
static enum coffer_err find_invite(struct request *rq, char token[TOKEN_TEXT_LEN + 1],
				   struct token_hash *hash, struct invite_record *inv)
{
	if (!route_param(&rq->params, "token", token, TOKEN_TEXT_LEN + 1) ||
	    !token_hash_text(token, hash))
		return COFFER_ERR_NOT_FOUND;
	return store_invite_get(rq->app->store, hash, time_now(), inv);
}

enum coffer_err invites_get(struct request *rq)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct invite_record inv;
	struct org_record org;
	enum coffer_err err = find_invite(rq, token, &hash, &inv);
	if (err != COFFER_OK)
		return err;
	json_t *org_json = json_null();
	if (inv.org_id[0] != '\0') {
		if ((err = store_org_get(rq->app->store, inv.org_id, &org)) != COFFER_OK)
			return err;
		org_json = json_pack("{s:s,s:s}", "id", org.id, "name", org.name);
	}
	char expires[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(inv.expires_at, expires);
	return reply_json(rq, 200,
			  json_pack("{s:s,s:s,s:o*,s:s}", "email", inv.email, "role", inv.role,
				    "org", org_json, "expires_at", expires));
}

/* What acceptance works on: guarded memory, wiped at the end (accounts, the secret). */
struct accept_state {
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct invite_record inv;
	struct user_record existing, user;
	struct keyd_sealed account;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
};

/* Whether U is a member of ORG_ID (joining then takes the invitation's role and clearance). */
static bool member_of(const struct user_record *u, const char *org_id)
{
	for (size_t i = 0; i < u->n_orgs && i < STORE_ORGS_MAX; i++) {
		if (strcmp(u->orgs[i].org_id, org_id) == 0)
			return true;
	}
	return false;
}

static enum coffer_err do_accept(struct request *rq, void *state)
{
	struct accept_state *st = state;
	json_t *pw = json_object_get(rq->json, "password");
	const char *password = json_string_value(pw);
	size_t password_len = json_string_length(pw);
	enum coffer_err err = find_invite(rq, st->token, &st->hash, &st->inv);
	if (err != COFFER_OK)
		return err;
	const struct invite_record *inv = &st->inv;
	bool sysadmin = strcmp(inv->role, "sysadmin") == 0;

	/* New account, a pending one replaced, or an existing one joining? */
	bool join = false, pending_here = false;
	err = store_user_by_email(rq->app->store, inv->email, &st->existing);
	if (err == COFFER_OK) {
		pending_here = strcmp(st->existing.status, "invited") == 0 &&
			       strcmp(st->existing.id, inv->user_id) == 0;
		join = !pending_here && !sysadmin && strcmp(st->existing.status, "active") == 0 &&
		       strcmp(st->existing.role, "user") == 0;
		if (!pending_here && !join)
			return reply_error(rq, COFFER_ERR_EXISTS,
					   "An account with this email already exists.");
	} else if (err != COFFER_ERR_NOT_FOUND) {
		return err;
	}

	struct password_rules rules;
	bool require_totp = false;
	err = user_password_rules(rq, sysadmin, NULL, sysadmin ? NULL : inv->org_id, &rules,
				  &require_totp);
	if (err != COFFER_OK)
		return err;
	/* Joining proves the current password, so it is throttled like a login (an invitation
	 * must not become a way to guess an existing user's password); a new one meets the
	 * policy. */
	if (join && guess_throttled(rq, inv->email, "invite.join", &err))
		return err;
	if (!join && (err = password_acceptable(rq, &rules, password, password_len)) != COFFER_OK)
		return err;

	struct user_record *u = &st->user;
	if (join || pending_here)
		memcpy(u->id, st->existing.id, sizeof u->id); /* joining, or replacing */
	else
		uuid_generate(u->id);
	struct keyd_accept in = {
	    .invite_token = st->token,
	    .invite = inv->sealed,
	    .invite_len = inv->sealed_len,
	    .account = join ? st->existing.account : NULL,
	    .account_len = join ? st->existing.account_len : 0,
	    .user_id = u->id,
	    .password = password,
	    .password_len = password_len,
	    .with_totp = require_totp,
	};
	bool has_secret = false;
	err = keyd_accept(rq->app->keyd, &in, &st->account, st->secret, &has_secret);
	if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		guess_failed(rq, inv->email);
		system_audit(rq, st->existing.id, "invite.join", inv->org_id, "failure",
			     "bad_password");
		return err;
	}
	if (err == COFFER_ERR_UNAUTHENTICATED)
		return COFFER_ERR_NOT_FOUND; /* a seal or token that does not match: no such invite
					      */
	if (err == COFFER_ERR_ADMIN_NEEDS_TOTP)
		return reply_error(
		    rq, err,
		    "An org_admin always signs in with an authenticator app, and your "
		    "account has none: ask for a member's invitation instead, or for "
		    "your sign-in to be reset, which enrols one.");
	if (err != COFFER_OK)
		return err;

	memcpy(u->email, inv->email, sizeof u->email);
	snprintf(u->role, sizeof u->role, "%s", sysadmin ? "sysadmin" : "user");
	snprintf(u->status, sizeof u->status, "%s", has_secret ? "invited" : "active");
	u->totp_last_step = TOTP_STEP_NONE;
	u->created_at = time_now();
	if (!sysadmin) {
		u->n_orgs = 1;
		memcpy(u->orgs[0].org_id, inv->org_id, sizeof u->orgs[0].org_id);
		snprintf(u->orgs[0].role, sizeof u->orgs[0].role, "%s", inv->role);
		memcpy(u->orgs[0].clearance, inv->clearance, sizeof u->orgs[0].clearance);
	}
	memcpy(u->account, st->account.bytes, st->account.len);
	u->account_len = st->account.len;
	enum store_accept mode = join	      ? STORE_ACCEPT_JOIN
				 : has_secret ? STORE_ACCEPT_PENDING
					      : STORE_ACCEPT_ACTIVE;
	err = store_invite_accept(rq->app->store, &st->hash, u, mode, time_now());
	if (err == COFFER_ERR_EXISTS)
		return reply_error(rq, err,
				   join ? "You are already a member of this organisation."
					: "An account with this email already exists.");
	if (err != COFFER_OK)
		return err;
	system_audit(rq, u->id, join ? "invite.join" : "invite.accept", inv->org_id, "success",
		     has_secret ? "totp_pending" : "");
	/* An existing account's owner is told (someone holding the password could join it to an
	 * organisation); a new account is the person's own doing, and nobody else's yet. */
	if (join)
		account_notice_org(rq, u->id, u->email,
				   member_of(&st->existing, inv->org_id)
				       ? ACCOUNT_MEMBERSHIP_CHANGED
				       : ACCOUNT_MEMBERSHIP_ADDED,
				   inv->org_id, inv->role, inv->clearance);
	if (has_secret)
		return totp_enrolment_reply(rq, u->email, st->secret);
	return reply_json(rq, 200, json_pack("{s:b,s:s}", "totp_required", 0, "status", "active"));
}

enum coffer_err invites_accept(struct request *rq)
{
	return with_guarded_state(rq, sizeof(struct accept_state), do_accept);
}

enum coffer_err invites_totp(struct request *rq)
{
	char token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct invite_record inv;
	const char *code = json_string_value(json_object_get(rq->json, "code"));
	enum coffer_err err = find_invite(rq, token, &hash, &inv);
	if (err != COFFER_OK)
		return err;
	if (!totp_code_valid(code))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, "field 'code': must be 6 digits");
	if (inv.user_id[0] == '\0')
		return reply_error(rq, COFFER_ERR_NOT_FOUND,
				   "Accept the invitation (choose a password) first.");
	struct user_record *u = calloc(1, sizeof *u);
	struct keyd_sealed *account = calloc(1, sizeof *account);
	int64_t step = 0;
	if (u == NULL || account == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	err = store_user_get(rq->app->store, inv.user_id, u);
	if (err == COFFER_OK && strcmp(u->status, "invited") != 0)
		err = COFFER_ERR_NOT_FOUND;
	if (err == COFFER_OK && code_guess_throttled(rq, u->id, "invite.totp", &err))
		goto out; /* too many wrong codes: 429 */
	if (err == COFFER_OK)
		err = keyd_totp_confirm(rq->app->keyd, u->account, u->account_len, code, account,
					&step);
	if (err == COFFER_ERR_INVALID_CREDENTIALS || err == COFFER_ERR_INVALID_INPUT) {
		code_guess_failed(rq, u->id);
		system_audit(rq, u->id, "invite.totp", "", "failure", "totp_wrong");
		err = reply_error(rq, COFFER_ERR_INVALID_CREDENTIALS,
				  "That code is not right; check the time on your device and "
				  "enter the current code.");
		goto out;
	}
	if (err == COFFER_OK)
		err = store_invite_confirm(rq->app->store, &hash, u->id, account->bytes,
					   account->len, step, time_now());
	if (err == COFFER_OK) {
		system_audit(rq, u->id, "invite.totp", "", "success", "");
		err = reply_json(rq, 200, json_pack("{s:s}", "status", "active"));
	}
out:
	if (u != NULL)
		sodium_memzero(u, sizeof *u);
	free(u);
	free(account);
	return err;
}
