/* err.h — the one error enum of coffer, and its table of JSON codes and HTTP statuses. */
#ifndef COFFER_ERR_H
#define COFFER_ERR_H

/* A function that can fail returns this; results go through out-parameters only on success. */
#define COFFER_MUST_CHECK __attribute__((warn_unused_result))

enum coffer_err {
	COFFER_OK = 0,
	/* Client errors (4xx): the peer sent something we refuse. */
	COFFER_ERR_INVALID_INPUT,
	COFFER_ERR_UNAUTHENTICATED,
	COFFER_ERR_INVALID_CREDENTIALS,
	COFFER_ERR_FORBIDDEN,
	COFFER_ERR_CSRF,
	COFFER_ERR_LOGIN_POLICY,
	COFFER_ERR_PASSWORD_CHANGE_REQUIRED,
	COFFER_ERR_NOT_FOUND,
	COFFER_ERR_METHOD_NOT_ALLOWED,
	COFFER_ERR_VERSION_CONFLICT,
	COFFER_ERR_TOO_LARGE,
	COFFER_ERR_HEADERS_TOO_LARGE,
	COFFER_ERR_UNSUPPORTED_MEDIA_TYPE,
	COFFER_ERR_THROTTLED,
	COFFER_ERR_PASSWORD_POLICY,
	COFFER_ERR_PASSWORD_COMPROMISED,
	COFFER_ERR_ORG_OWNED,	   /* only the organisation's own org_admins may do this */
	COFFER_ERR_LAST_ADMIN,	   /* it would leave the organisation without an org_admin */
	COFFER_ERR_SHARED_ACCOUNT, /* the sign-in belongs to other organisations too */
	COFFER_ERR_IDEMPOTENCY_KEY_REUSED, /* an Idempotency-Key sent again with another request */
	COFFER_ERR_ORG_DELETING,	   /* the organisation is being deleted */
	COFFER_ERR_ORG_NOT_DELETING,	   /* no deletion of the organisation to take back */
	COFFER_ERR_CONFIRM_MISMATCH,	   /* a destructive request without its name typed back */
	COFFER_ERR_ADMIN_NEEDS_TOTP, /* an admin role for an account without an authenticator */
	COFFER_ERR_REAUTHENTICATION_REQUIRED, /* a sensitive change: sign-in older than allowed */
	/* Server-side failures (5xx, or exit status 1 on the command line). */
	COFFER_ERR_INTERNAL,
	COFFER_ERR_NOMEM,
	COFFER_ERR_IO,
	COFFER_ERR_CRYPTO,
	COFFER_ERR_STORAGE,
	COFFER_ERR_CONFIG,
	COFFER_ERR_EXISTS,
	COFFER_ERR_UNAVAILABLE,
	COFFER_ERR__COUNT
};

struct coffer_err_info {
	const char *code; /* snake_case code for the JSON error object */
	unsigned int http_status;
	const char *message; /* plain default message, safe to show to any client */
};

/* Borrowed pointer into a static table; never NULL (unknown values map to "internal"). */
const struct coffer_err_info *coffer_err_info(enum coffer_err err);

#endif
