/* passkey_input.c — WebAuthn fields from JSON bodies (passkey_input.h). */
#include "api/passkey_input.h"

#include <stdio.h>

bool passkey_b64_member(struct request *rq, json_t *obj, const char *prefix, const char *name,
			uint8_t *out, size_t cap, size_t *len)
{
	json_t *v = json_object_get(obj, name);
	*len = 0;
	if (v == NULL)
		return true;
	if (json_is_string(v) &&
	    webauthn_b64url_decode(json_string_value(v), json_string_length(v), out, cap, len) &&
	    *len > 0)
		return true;
	snprintf(rq->msg, sizeof rq->msg,
		 "field '%s%s': must be base64url without padding, of 1 to %zu bytes", prefix, name,
		 cap);
	return false;
}

bool passkey_assertion_from_json(struct request *rq, json_t *obj, struct passkey_assertion *out)
{
	struct keyd_assertion *k = &out->keyd;
	k->cred_id = out->cred_id;
	k->auth_data = out->auth_data;
	k->client_data = out->client_data;
	k->signature = out->signature;
	k->user_handle = out->user_handle;
	return passkey_b64_member(rq, obj, "passkey.", "id", out->cred_id, sizeof out->cred_id,
				  &k->cred_id_len) &&
	       passkey_b64_member(rq, obj, "passkey.", "authenticator_data", out->auth_data,
				  sizeof out->auth_data, &k->auth_data_len) &&
	       passkey_b64_member(rq, obj, "passkey.", "client_data_json", out->client_data,
				  sizeof out->client_data, &k->client_data_len) &&
	       passkey_b64_member(rq, obj, "passkey.", "signature", out->signature,
				  sizeof out->signature, &k->signature_len) &&
	       passkey_b64_member(rq, obj, "passkey.", "user_handle", out->user_handle,
				  sizeof out->user_handle, &k->user_handle_len);
}
