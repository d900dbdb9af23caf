/* passkeys.c — the passkey routes: POST /api/v1/login/passkey-options (a sign-in challenge),
 * and the caller's own passkeys, POST /api/v1/me/passkeys/options (registration options),
 * POST /api/v1/me/passkeys (register), GET /api/v1/me/passkeys, DELETE /api/v1/me/passkeys/{id}.
 *
 * keyd decides everything (keyd/passkey_requests.c): it seals the challenges, checks the
 * browser's answers and keeps the passkeys in the sealed account; this file takes the JSON at
 * the edge and stores the account keyd hands back, with a compare-and-set on its version so
 * that a change made meanwhile is not lost (409 then: try again). The registration options
 * ask for a discoverable credential (a passkey), so that a sign-in needs no list of
 * credential ids, and nobody learns from the sign-in challenge whether an email has passkeys.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/passkey_input.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "common/timefmt.h"
#include "config/config_webauthn.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"

#define NAME_CHARS_MAX 64 /* and at most ACCOUNT_PASSKEY_NAME_MAX bytes */

// clang-format off
static const struct json_field register_fields[] = {
	{.name = "name", .type = JSON_FIELD_STRING, .required = true, .single_line = true,
	 .min_len = 1, .max_len = NAME_CHARS_MAX},
	PASSKEY_B64_FIELD("client_data_json", true, WEBAUTHN_CLIENT_DATA_MAX),
	PASSKEY_B64_FIELD("attestation_object", true, WEBAUTHN_ATTESTATION_MAX),
};
// clang-format on
const struct json_schema passkey_register_schema = JSON_SCHEMA(register_fields);

static const char *alg_name(int32_t alg)
{
	return alg == WEBAUTHN_ES256 ? "ES256" : alg == WEBAUTHN_EDDSA ? "EdDSA" : "unknown";
}

/* A challenge as base64url, and when it expires, in the object O. */
static bool put_challenge(json_t *o, const struct keyd_challenge *c)
{
	char b64[PASSKEY_B64_LEN(CHALLENGE_BYTES_MAX) + 1], when[TIMEFMT_RFC3339_LEN];
	if (!webauthn_b64url_encode(c->bytes, c->len, b64, sizeof b64))
		return false;
	timefmt_rfc3339(c->expires_at, when);
	return json_object_set_new(o, "challenge", json_string(b64)) == 0 &&
	       json_object_set_new(o, "expires_at", json_string(when)) == 0 &&
	       json_object_set_new(o, "timeout_ms", json_integer(KEYD_CHALLENGE_TTL * 1000)) == 0;
}

/* The refusal answered for keyd's ERR at a passkey request, or ERR itself. */
static enum coffer_err refusal(struct request *rq, enum coffer_err err)
{
	switch (err) {
	case COFFER_ERR_INVALID_INPUT:
		return reply_error(rq, err,
				   "The passkey's answer is malformed or not supported "
				   "(coffer takes ES256 and EdDSA keys).");
	case COFFER_ERR_INVALID_CREDENTIALS:
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "The passkey's answer does not match this site or challenge, or "
				   "the challenge expired: try again.");
	case COFFER_ERR_EXISTS: return reply_error(rq, err, "This passkey is registered already.");
	case COFFER_ERR_TOO_LARGE:
		return reply_error(rq, COFFER_ERR_VERSION_CONFLICT,
				   "No room for another passkey: remove one first.");
	case COFFER_ERR_CONFIG:
		return reply_error(rq, COFFER_ERR_UNAVAILABLE, "Passkeys are not configured.");
	default: return err;
	}
}

enum coffer_err login_passkey_options_post(struct request *rq)
{
	char rp_id[CONFIG_RP_ID_MAX + 1], origin[CONFIG_ORIGIN_MAX + 1];
	struct keyd_challenge c;
	enum coffer_err err = keyd_passkey_challenge(rq->app->keyd, NULL, &c);
	if (err != COFFER_OK)
		return refusal(rq, err);
	config_webauthn(rq->app->cfg, rp_id, origin);
	json_t *o = json_pack("{s:s,s:s}", "rp_id", rp_id, "user_verification", "preferred");
	if (o == NULL || !put_challenge(o, &c)) {
		json_decref(o);
		return COFFER_ERR_NOMEM;
	}
	return reply_json(rq, 200, o);
}

/* The caller's passkeys, from keyd, into OUT (ACCOUNT_PASSKEYS_MAX). */
static enum coffer_err own_passkeys(struct request *rq, struct keyd_passkey_info *out, size_t *n)
{
	const struct caller *caller = api_caller(rq);
	struct keyd_session s;
	caller_keyd_session(caller, &s);
	return keyd_passkey_list(rq->app->keyd, &s, caller->user.account, caller->user.account_len,
				 out, n);
}

/* The ids of LIST (N) as WebAuthn credential descriptors. */
static json_t *descriptors(const struct keyd_passkey_info *list, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		char id[PASSKEY_B64_LEN(WEBAUTHN_CRED_ID_MAX) + 1];
		if (!webauthn_b64url_encode(list[i].id, list[i].id_len, id, sizeof id) ||
		    json_array_append_new(
			a, json_pack("{s:s,s:s}", "type", "public-key", "id", id)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

enum coffer_err me_passkey_options_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	char rp_id[CONFIG_RP_ID_MAX + 1], origin[CONFIG_ORIGIN_MAX + 1];
	char user_id[PASSKEY_B64_LEN(STORE_ID_MAX) + 1];
	struct keyd_passkey_info list[ACCOUNT_PASSKEYS_MAX];
	struct keyd_challenge c;
	struct keyd_session s;
	size_t n = 0;
	caller_keyd_session(caller, &s);
	enum coffer_err err = own_passkeys(rq, list, &n);
	if (err == COFFER_OK)
		err = keyd_passkey_challenge(rq->app->keyd, &s, &c);
	if (err != COFFER_OK)
		return refusal(rq, err);
	config_webauthn(rq->app->cfg, rp_id, origin);
	/* The user handle is the user's id: keyd checks it at sign-in when one comes back. */
	if (!webauthn_b64url_encode((const uint8_t *)caller->user.id, strlen(caller->user.id),
				    user_id, sizeof user_id))
		return COFFER_ERR_INTERNAL;
	json_t *o =
	    json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:i},{s:s,s:i}],s:o*,s:s,s:s,s:s}",
		      "rp", "id", rp_id, "name", "coffer", "user", "id", user_id, "name",
		      caller->user.email, "display_name", caller->user.email, "pub_key_cred_params",
		      "type", "public-key", "alg", WEBAUTHN_ES256, "type", "public-key", "alg",
		      WEBAUTHN_EDDSA, "exclude_credentials", descriptors(list, n), "attestation",
		      "none", "resident_key", "required", "user_verification", "preferred");
	if (o == NULL || !put_challenge(o, &c)) {
		json_decref(o);
		return COFFER_ERR_NOMEM;
	}
	return reply_json(rq, 200, o);
}

/* Stores ACCOUNT, the caller's account as keyd changed it, if the stored one is still the one
 * keyd was given (409 otherwise: something else changed it meanwhile). */
static enum coffer_err store_changed_account(struct request *rq, const struct keyd_sealed *a)
{
	const struct caller *caller = api_caller(rq);
	enum coffer_err err =
	    store_user_account_reseal(rq->app->store, caller->user.id, a->bytes, a->len,
				      caller->user.account_version, time_now());
	if (err == COFFER_ERR_VERSION_CONFLICT)
		return reply_error(rq, err, "Your account changed meanwhile: try again.");
	return err;
}

static json_t *passkey_json(const uint8_t *id, size_t id_len, const char *name, int64_t created_at,
			    uint32_t sign_count, int32_t alg)
{
	char b64[PASSKEY_B64_LEN(WEBAUTHN_CRED_ID_MAX) + 1], when[TIMEFMT_RFC3339_LEN];
	if (!webauthn_b64url_encode(id, id_len, b64, sizeof b64))
		return NULL;
	timefmt_rfc3339(created_at, when);
	return json_pack("{s:s,s:s,s:s,s:I,s:s}", "id", b64, "name", name, "created_at", when,
			 "sign_count", (json_int_t)sign_count, "algorithm", alg_name(alg));
}

enum coffer_err me_passkeys_post(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	json_t *j = rq->json;
	const char *name = json_string_value(json_object_get(j, "name"));
	uint8_t client_data[WEBAUTHN_CLIENT_DATA_MAX], att[WEBAUTHN_ATTESTATION_MAX];
	struct keyd_passkey_info added;
	size_t cdl = 0, al = 0;
	struct keyd_session s;
	if (strlen(name) > ACCOUNT_PASSKEY_NAME_MAX)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "field 'name': at most 64 bytes of UTF-8");
	if (!passkey_b64_member(rq, j, "", "client_data_json", client_data, sizeof client_data,
				&cdl) ||
	    !passkey_b64_member(rq, j, "", "attestation_object", att, sizeof att, &al))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, rq->msg);
	struct keyd_sealed *account = sodium_malloc(sizeof *account);
	if (account == NULL)
		return COFFER_ERR_NOMEM;
	caller_keyd_session(caller, &s);
	enum coffer_err err =
	    keyd_passkey_register(rq->app->keyd, &s, caller->user.account, caller->user.account_len,
				  name, client_data, cdl, att, al, account, &added);
	if (err == COFFER_OK)
		err = store_changed_account(rq, account);
	sodium_free(account);
	if (err != COFFER_OK) {
		if (err != COFFER_ERR_VERSION_CONFLICT)
			system_audit(rq, caller->user.id, "passkey.register", caller->user.id,
				     "failure", coffer_err_info(err)->code);
		return refusal(rq, err);
	}
	system_audit(rq, caller->user.id, "passkey.register", caller->user.id, "success", "");
	return reply_json(
	    rq, 201,
	    passkey_json(added.id, added.id_len, name, time_now(), added.sign_count, added.alg));
}

enum coffer_err me_passkeys_get(struct request *rq)
{
	struct keyd_passkey_info list[ACCOUNT_PASSKEYS_MAX];
	size_t n = 0;
	enum coffer_err err = own_passkeys(rq, list, &n);
	if (err != COFFER_OK)
		return err;
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, passkey_json(list[i].id, list[i].id_len, list[i].name,
							  list[i].created_at, list[i].sign_count,
							  list[i].alg)) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a == NULL ? COFFER_ERR_NOMEM
			 : reply_json(rq, 200, json_pack("{s:o}", "passkeys", a));
}

enum coffer_err me_passkey_delete(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	char text[PASSKEY_B64_LEN(WEBAUTHN_CRED_ID_MAX) + 2];
	uint8_t id[WEBAUTHN_CRED_ID_MAX];
	size_t idl = 0;
	struct keyd_session s;
	if (!route_param(&rq->params, "id", text, sizeof text) ||
	    !webauthn_b64url_decode(text, strlen(text), id, sizeof id, &idl) || idl == 0)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT,
				   "The passkey id must be base64url without padding.");
	struct keyd_sealed *account = sodium_malloc(sizeof *account);
	if (account == NULL)
		return COFFER_ERR_NOMEM;
	caller_keyd_session(caller, &s);
	enum coffer_err err = keyd_passkey_remove(rq->app->keyd, &s, caller->user.account,
						  caller->user.account_len, id, idl, account);
	if (err == COFFER_OK)
		err = store_changed_account(rq, account);
	sodium_free(account);
	if (err == COFFER_ERR_NOT_FOUND)
		return reply_error(rq, err, "No such passkey.");
	if (err == COFFER_ERR_ADMIN_NEEDS_TOTP)
		return reply_error(rq, err,
				   "An administrator always keeps a second factor: this is your "
				   "last one. Enrol another first.");
	if (err != COFFER_OK)
		return err;
	system_audit(rq, caller->user.id, "passkey.remove", caller->user.id, "success", "");
	return reply_no_content(rq);
}
