/* login_failure.h — why keyd refused a password and second factor, in the audit trail's words
 * (a sign-in's and a re-authentication's alike). */
#ifndef COFFER_API_LOGIN_FAILURE_H
#define COFFER_API_LOGIN_FAILURE_H

#include "keyproto/protocol.h"

/* The audit reason for F, e.g. "totp_wrong"; "bad_password" for a wrong password. */
const char *login_failure_reason(enum keyd_login_failure f);

#endif
