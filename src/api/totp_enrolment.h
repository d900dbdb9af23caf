/* totp_enrolment.h — the answer that enrols an authenticator app, for an invitation and for a
 * sign-in reset alike: shown once, then the secret is wiped.
 */
#ifndef COFFER_API_TOTP_ENROLMENT_H
#define COFFER_API_TOTP_ENROLMENT_H

#include <stdint.h>

#include "common/err.h"
#include "http/request.h"
#include "keyproto/protocol.h"

/* Replies 200 {"totp_required": true, "totp_secret", "otpauth_uri", "qr_svg"} for EMAIL's new
 * SECRET: the secret in base32, its otpauth URI and the URI as a QR code. */
COFFER_MUST_CHECK enum coffer_err
totp_enrolment_reply(struct request *rq, const char *email,
		     const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES]);

#endif
