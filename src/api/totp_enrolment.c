/* totp_enrolment.c — the answer that enrols an authenticator app (totp_enrolment.h). */
#include "api/totp_enrolment.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/reply.h"
#include "signin/qr_svg.h"
#include "signin/totp.h"

enum coffer_err totp_enrolment_reply(struct request *rq, const char *email,
				     const uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES])
{
	char base32[TOTP_BASE32_LEN + 1], uri[TOTP_URI_MAX];
	char *svg = NULL;
	totp_secret_base32(secret, base32);
	enum coffer_err err = totp_uri(email, base32, uri, sizeof uri);
	if (err == COFFER_OK)
		err = qr_svg(uri, &svg);
	if (err == COFFER_OK)
		err = reply_json(rq, 200,
				 json_pack("{s:b,s:s,s:s,s:s}", "totp_required", 1, "totp_secret",
					   base32, "otpauth_uri", uri, "qr_svg", svg));
	if (svg != NULL) {
		sodium_memzero(svg, strlen(svg));
		free(svg);
	}
	sodium_memzero(base32, sizeof base32);
	sodium_memzero(uri, sizeof uri);
	return err;
}
