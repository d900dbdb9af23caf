/* passkey_input.h — what the browser sends of a WebAuthn ceremony, taken from a JSON body at
 * the edge: each field base64url without padding (as PublicKeyCredential's ArrayBuffers are
 * sent), decoded and bounded by signin/webauthn.h's limits before keyd sees it. */
#ifndef COFFER_API_PASSKEY_INPUT_H
#define COFFER_API_PASSKEY_INPUT_H

#include <jansson.h>

#include "http/json_body.h"
#include "http/request.h"
#include "keyclient/keyclient.h"
#include "signin/webauthn.h"

/* The characters base64url without padding takes for N bytes. */
#define PASSKEY_B64_LEN(n) (((n)*4 + 2) / 3)

/* A json_body field of base64url for at most MAX_BYTES bytes (its exact bound is checked when
 * it is decoded). */
#define PASSKEY_B64_FIELD(field, req, max_bytes)                                                   \
	{                                                                                          \
		.name = (field), .type = JSON_FIELD_STRING, .required = (req),                     \
		.single_line = true, .min_len = 1, .max_len = PASSKEY_B64_LEN(max_bytes)           \
	}

/* A sign-in's assertion, decoded; KEYD points into it. */
struct passkey_assertion {
	uint8_t cred_id[WEBAUTHN_CRED_ID_MAX];
	uint8_t auth_data[WEBAUTHN_AUTH_DATA_MAX];
	uint8_t client_data[WEBAUTHN_CLIENT_DATA_MAX];
	uint8_t signature[WEBAUTHN_SIGNATURE_MAX];
	uint8_t user_handle[WEBAUTHN_USER_HANDLE_MAX];
	struct keyd_assertion keyd;
};

/* Decodes the string member NAME of OBJ (PREFIX names OBJ in a message: "passkey.") into OUT
 * (CAP bytes), *LEN its length (0 when absent). False when it is not base64url of 1..CAP
 * bytes, with a message naming the field in RQ->msg, for a 400. */
bool passkey_b64_member(struct request *rq, json_t *obj, const char *prefix, const char *name,
			uint8_t *out, size_t cap, size_t *len);

/* The login body's "passkey" object (validated by its schema) into OUT; false as above. */
bool passkey_assertion_from_json(struct request *rq, json_t *obj, struct passkey_assertion *out);

#endif
