/* webauthn_client.c — client data JSON and base64url (webauthn.h): what the browser, not the
 * authenticator, says about a ceremony. */
#include "signin/webauthn.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

bool webauthn_b64url_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	const char *end = NULL;
	size_t n = 0;
	/* A length of 1 mod 4 cannot be base64; libsodium would take the leftover bits. */
	if (s == NULL || len % 4 == 1 ||
	    sodium_base642bin(out, cap, s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != s + len)
		return false;
	*out_len = n;
	return true;
}

bool webauthn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	if (cap < sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return false;
	sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return true;
}

enum coffer_err webauthn_client_data_parse(const uint8_t *in, size_t len,
					   struct webauthn_client_data *out)
{
	json_error_t jerr;
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	memset(out, 0, sizeof *out);
	if (in == NULL || len == 0 || len > WEBAUTHN_CLIENT_DATA_MAX)
		return err;
	json_t *j = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j))
		goto out;
	json_t *type = json_object_get(j, "type"), *ch = json_object_get(j, "challenge"),
	       *origin = json_object_get(j, "origin"), *cross = json_object_get(j, "crossOrigin");
	if (!json_is_string(type) || !json_is_string(ch) || !json_is_string(origin) ||
	    (cross != NULL && !json_is_boolean(cross)))
		goto out;
	if (strcmp(json_string_value(type), "webauthn.create") == 0)
		out->type = WEBAUTHN_CREATE;
	else if (strcmp(json_string_value(type), "webauthn.get") == 0)
		out->type = WEBAUTHN_GET;
	else
		goto out;
	size_t ol = json_string_length(origin);
	if (ol == 0 || ol > WEBAUTHN_ORIGIN_MAX || memchr(json_string_value(origin), '\0', ol))
		goto out;
	memcpy(out->origin, json_string_value(origin), ol + 1);
	if (!webauthn_b64url_decode(json_string_value(ch), json_string_length(ch), out->challenge,
				    sizeof out->challenge, &out->challenge_len) ||
	    out->challenge_len == 0)
		goto out;
	out->cross_origin = json_is_true(cross);
	err = COFFER_OK;
out:
	json_decref(j);
	if (err != COFFER_OK)
		memset(out, 0, sizeof *out);
	return err;
}
