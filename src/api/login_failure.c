/* login_failure.c — keyd's login refusals named for the audit trail (login_failure.h). */
#include "api/login_failure.h"

const char *login_failure_reason(enum keyd_login_failure f)
{
	switch (f) {
	case KEYD_LOGIN_TOTP_MISSING: return "totp_missing";
	case KEYD_LOGIN_TOTP_WRONG: return "totp_wrong";
	case KEYD_LOGIN_TOTP_REUSED: return "totp_reused";
	case KEYD_LOGIN_TOTP_NOT_ENROLLED: return "totp_not_enrolled";
	case KEYD_LOGIN_PASSKEY_UNKNOWN: return "passkey_unknown";
	case KEYD_LOGIN_PASSKEY_WRONG: return "passkey_wrong";
	case KEYD_LOGIN_PASSKEY_COUNTER: return "passkey_counter";
	case KEYD_LOGIN_SECOND_FACTOR_MISSING: return "passkey_missing";
	case KEYD_LOGIN_BAD_PASSWORD: break;
	}
	return "bad_password";
}
