/* passkeys.c — the web process's passkey calls to keyd: WEBAUTHN_SET, PASSKEY_LOGIN_BEGIN,
 * PASSKEY_REGISTER_BEGIN, PASSKEY_REGISTER, PASSKEY_REMOVE, PASSKEY_LIST (messages in
 * keyproto/protocol.h). As in accounts.c, every field is checked against keyd's limits here
 * first: one keyd could not parse would end it. */
#include "keyclient/keyclient.h"

#include <string.h>

#include "keyclient/channel.h"
#include "keyclient/checks.h"

enum coffer_err keyd_webauthn_set(struct keyd_client *c, const char *rp_id, const char *origin)
{
	struct wire_reader r;
	if (c == NULL || !keyd_text_ok(rp_id, 1, 255) ||
	    !keyd_text_ok(origin, 1, WEBAUTHN_ORIGIN_MAX))
		return COFFER_ERR_CONFIG;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_WEBAUTHN_SET);
	wire_put_str(w, rp_id);
	wire_put_str(w, origin);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_WEBAUTHN_OK, &r, NULL);
	if (err == COFFER_OK && !wire_reader_end(&r))
		err = COFFER_ERR_UNAVAILABLE;
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_passkey_challenge(struct keyd_client *c, const struct keyd_session *s,
				       struct keyd_challenge *out)
{
	struct wire_reader r;
	if (c == NULL || out == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (s != NULL && !keyd_session_ok(s))
		return COFFER_ERR_UNAUTHENTICATED;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w =
	    frame_begin(&ch->request,
			s != NULL ? KEYD_MSG_PASSKEY_REGISTER_BEGIN : KEYD_MSG_PASSKEY_LOGIN_BEGIN);
	if (s != NULL)
		keyd_put_session(w, s);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_PASSKEY_CHALLENGE, &r, NULL);
	if (err == COFFER_OK) {
		out->len = wire_get_bytes(&r, out->bytes, sizeof out->bytes);
		out->expires_at = (int64_t)wire_get_u64(&r);
		if (!wire_reader_end(&r) || out->len == 0)
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_passkey_register(struct keyd_client *c, const struct keyd_session *s,
				      const uint8_t *account, size_t account_len, const char *name,
				      const uint8_t *client_data, size_t client_data_len,
				      const uint8_t *attestation, size_t attestation_len,
				      struct keyd_sealed *out, struct keyd_passkey_info *info)
{
	struct wire_reader r;
	if (c == NULL || out == NULL || info == NULL ||
	    !keyd_text_ok(name, 1, ACCOUNT_PASSKEY_NAME_MAX) ||
	    !keyd_sealed_ok(client_data, client_data_len, WEBAUTHN_CLIENT_DATA_MAX) ||
	    !keyd_sealed_ok(attestation, attestation_len, WEBAUTHN_ATTESTATION_MAX))
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_PASSKEY_REGISTER);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	wire_put_str(w, name);
	wire_put_bytes(w, client_data, client_data_len);
	wire_put_bytes(w, attestation, attestation_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_PASSKEY_ADDED, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, out, ACCOUNT_SEALED_MAX);
		memset(info, 0, sizeof *info);
		info->id_len = wire_get_bytes(&r, info->id, sizeof info->id);
		info->alg = (int32_t)wire_get_u32(&r);
		info->sign_count = wire_get_u32(&r);
		if (!got || !wire_reader_end(&r) || info->id_len == 0)
			err = COFFER_ERR_UNAVAILABLE;
		memcpy(info->name, name, strlen(name) + 1);
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_passkey_remove(struct keyd_client *c, const struct keyd_session *s,
				    const uint8_t *account, size_t account_len,
				    const uint8_t *cred_id, size_t cred_id_len,
				    struct keyd_sealed *out)
{
	struct wire_reader r;
	if (c == NULL || out == NULL || !keyd_sealed_ok(cred_id, cred_id_len, WEBAUTHN_CRED_ID_MAX))
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_PASSKEY_REMOVE);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	wire_put_bytes(w, cred_id, cred_id_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ACCOUNT, &r, NULL);
	if (err == COFFER_OK && !keyd_get_account_only(&r, out))
		err = COFFER_ERR_UNAVAILABLE;
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_passkey_list(struct keyd_client *c, const struct keyd_session *s,
				  const uint8_t *account, size_t account_len,
				  struct keyd_passkey_info *out, size_t *n)
{
	struct wire_reader r;
	if (c == NULL || out == NULL || n == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_PASSKEY_LIST);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_PASSKEYS, &r, NULL);
	if (err == COFFER_OK) {
		size_t count = wire_get_u8(&r);
		for (size_t i = 0; i < count && i < ACCOUNT_PASSKEYS_MAX; i++) {
			struct keyd_passkey_info *p = &out[i];
			p->id_len = wire_get_bytes(&r, p->id, sizeof p->id);
			wire_get_str(&r, p->name, ACCOUNT_PASSKEY_NAME_MAX);
			p->created_at = (int64_t)wire_get_u64(&r);
			p->sign_count = wire_get_u32(&r);
			p->alg = (int32_t)wire_get_u32(&r);
		}
		if (count > ACCOUNT_PASSKEYS_MAX || !wire_reader_end(&r))
			err = COFFER_ERR_UNAVAILABLE;
		else
			*n = count;
	}
	keyd_channel_release(ch);
	return err;
}
