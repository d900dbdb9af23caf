/* err.c — the table that gives each coffer_err its JSON code, HTTP status and plain message. */
#include "common/err.h"

#include <stddef.h>

// clang-format off
static const struct coffer_err_info table[COFFER_ERR__COUNT] = {
	[COFFER_OK] = {"ok", 200, "ok"},
	[COFFER_ERR_INVALID_INPUT] = {"invalid_input", 400, "The request is not valid."},
	[COFFER_ERR_UNAUTHENTICATED] = {"unauthenticated", 401, "Sign in first."},
	[COFFER_ERR_INVALID_CREDENTIALS] = {"invalid_credentials", 401,
		"The email, password or code is not right."},
	[COFFER_ERR_FORBIDDEN] = {"forbidden", 403, "You are not allowed to do this."},
	[COFFER_ERR_CSRF] = {"csrf", 403, "The request lacks a valid X-CSRF-Token header."},
	[COFFER_ERR_LOGIN_POLICY] = {"login_policy", 403,
		"Sign-in is not allowed from this address or at this time."},
	[COFFER_ERR_PASSWORD_CHANGE_REQUIRED] = {"password_change_required", 403,
		"Change your password first."},
	[COFFER_ERR_NOT_FOUND] = {"not_found", 404, "Not found."},
	[COFFER_ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405,
		"This method is not allowed here."},
	[COFFER_ERR_VERSION_CONFLICT] = {"version_conflict", 409,
		"The object was changed by someone else; reload it."},
	[COFFER_ERR_TOO_LARGE] = {"too_large", 413, "The request body is too large."},
	[COFFER_ERR_HEADERS_TOO_LARGE] = {"headers_too_large", 431,
		"The request headers are too large."},
	[COFFER_ERR_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415,
		"The body must be application/json."},
	[COFFER_ERR_THROTTLED] = {"throttled", 429, "Too many attempts; try again later."},
	[COFFER_ERR_PASSWORD_POLICY] = {"password_policy", 400,
		"The password does not meet the policy."},
	[COFFER_ERR_PASSWORD_COMPROMISED] = {"password_compromised", 400,
		"The password is known to attackers; choose another."},
	[COFFER_ERR_ORG_OWNED] = {"org_owned", 403,
		"Only the organisation's own administrators may do this."},
	[COFFER_ERR_LAST_ADMIN] = {"last_admin", 409,
		"The organisation would have no administrator left."},
	[COFFER_ERR_SHARED_ACCOUNT] = {"shared_account", 409,
		"This sign-in also belongs to other organisations; only the person can change it."},
	[COFFER_ERR_IDEMPOTENCY_KEY_REUSED] = {"idempotency_key_reused", 422,
		"This Idempotency-Key was used for another request; use a new key."},
	[COFFER_ERR_ORG_DELETING] = {"org_deleting", 409,
		"The organisation is being deleted: its content can be read and exported, not "
		"changed."},
	[COFFER_ERR_ORG_NOT_DELETING] = {"org_not_deleting", 409,
		"The organisation is not being deleted."},
	[COFFER_ERR_CONFIRM_MISMATCH] = {"confirm_mismatch", 422,
		"Type the organisation's name exactly, in \"confirm\", to delete it."},
	[COFFER_ERR_ADMIN_NEEDS_TOTP] = {"admin_needs_totp", 409,
		"An administrator always signs in with an authenticator app, and this account has "
		"none: reset the member's sign-in first (they enrol one), then make them an "
		"org_admin."},
	[COFFER_ERR_REAUTHENTICATION_REQUIRED] = {"reauthentication_required", 403,
		"This change needs your password (and authenticator code) again: confirm who you "
		"are with POST /api/v1/me/reauthenticate, then repeat it."},
	[COFFER_ERR_INTERNAL] = {"internal", 500, "Internal error."},
	[COFFER_ERR_NOMEM] = {"internal", 500, "Out of memory."},
	[COFFER_ERR_IO] = {"internal", 500, "Input/output error."},
	[COFFER_ERR_CRYPTO] = {"internal", 500, "Cryptographic failure."},
	[COFFER_ERR_STORAGE] = {"internal", 500, "Storage failure."},
	[COFFER_ERR_CONFIG] = {"internal", 500, "Configuration error."},
	[COFFER_ERR_EXISTS] = {"exists", 409, "It already exists."},
	[COFFER_ERR_UNAVAILABLE] = {"unavailable", 503,
				    "The service cannot answer now (shutting down, overloaded, or its "
				    "database unreachable); try again shortly."},
};
// clang-format on

const struct coffer_err_info *coffer_err_info(enum coffer_err err)
{
	if ((unsigned int)err >= COFFER_ERR__COUNT || table[err].code == NULL)
		return &table[COFFER_ERR_INTERNAL];
	return &table[err];
}
