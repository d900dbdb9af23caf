/* accounts.c — the web process's account and session calls to keyd: ACCEPT, TOTP_CONFIRM,
 * LOGIN, REAUTHENTICATE, PASSWORD_SET (messages in keyproto/protocol.h, channels in channel.h).
 *
 * Design points:
 * - Every argument is checked here before keyd sees it: a field keyd could not parse (a token
 *   of the wrong length, a record or password too long for its field) would end keyd, and with
 *   it the server. Refused here: COFFER_ERR_UNAUTHENTICATED for a session, invite token or
 *   sealed record that cannot be keyd's; COFFER_ERR_INVALID_CREDENTIALS for a TOTP code that is
 *   not six digits at confirmation, or a current password that is empty or longer than
 *   KEYD_PASSWORD_MAX (no such password was ever set); COFFER_ERR_INVALID_INPUT for anything
 *   else (a missing argument, an empty or too long password to set or to log in with).
 * - LOGIN, REAUTHENTICATE: a code that is not six digits is sent as "-", which keyd refuses as a
 * wrong code once the password has been checked, exactly as it would the code itself: the answer
 * and the time taken are the same, and keyd never sees a code longer than it parses.
 * - Passwords travel in the channel's request buffer, tokens and TOTP secrets in its reply:
 *   keyd_channel_release wipes both. Copies made here are wiped too.
 */
#include "keyclient/keyclient.h"

#include <sodium.h>
#include <string.h>

#include "keyclient/channel.h"
#include "keyclient/checks.h"
#include "signin/totp.h"

bool keyd_text_ok(const char *s, size_t min, size_t max)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, max + 1);
	return n >= min && n <= max;
}

bool keyd_password_ok(const char *pw, size_t len)
{
	return pw != NULL && len >= 1 && len <= KEYD_PASSWORD_MAX;
}

bool keyd_sealed_ok(const uint8_t *p, size_t len, size_t max)
{
	return p != NULL && len >= 1 && len <= max;
}

bool keyd_session_ok(const struct keyd_session *s)
{
	return s != NULL && keyd_text_ok(s->token, TOKEN_TEXT_LEN, TOKEN_TEXT_LEN) &&
	       keyd_sealed_ok(s->ticket, s->ticket_len, TICKET_SEALED_MAX);
}

void keyd_put_session(struct wire_writer *w, const struct keyd_session *s)
{
	wire_put_str(w, s->token);
	wire_put_bytes(w, s->ticket, s->ticket_len);
}

bool keyd_get_sealed(struct wire_reader *r, struct keyd_sealed *out, size_t max)
{
	size_t len = wire_get_bytes(r, out->bytes, max);
	out->len = len;
	return len > 0;
}

bool keyd_get_account_only(struct wire_reader *r, struct keyd_sealed *out)
{
	bool got = keyd_get_sealed(r, out, ACCOUNT_SEALED_MAX);
	size_t secret_len = wire_get_bytes(r, NULL, 0);
	return got && wire_reader_end(r) && secret_len == 0;
}

enum coffer_err keyd_accept(struct keyd_client *c, const struct keyd_accept *in,
			    struct keyd_sealed *account,
			    uint8_t totp_secret[ACCOUNT_TOTP_SECRET_BYTES], bool *has_totp_secret)
{
	struct wire_reader r;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	if (c == NULL || in == NULL || account == NULL || totp_secret == NULL ||
	    has_totp_secret == NULL)
		return COFFER_ERR_INVALID_INPUT;
	const bool joining = in->account_len > 0;
	if (!keyd_text_ok(in->invite_token, TOKEN_TEXT_LEN, TOKEN_TEXT_LEN) ||
	    !keyd_sealed_ok(in->invite, in->invite_len, INVITE_SEALED_MAX) ||
	    (joining && !keyd_sealed_ok(in->account, in->account_len, ACCOUNT_SEALED_MAX)))
		return COFFER_ERR_UNAUTHENTICATED;
	if ((!joining && !keyd_text_ok(in->user_id, 1, TICKET_ID_MAX)) ||
	    !keyd_password_ok(in->password, in->password_len))
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_ACCEPT);
	wire_put_str(w, in->invite_token);
	wire_put_bytes(w, in->invite, in->invite_len);
	wire_put_bytes(w, joining ? in->account : NULL, joining ? in->account_len : 0);
	wire_put_str(w, joining ? "" : in->user_id); /* keyd ignores it when joining */
	wire_put_bytes(w, in->password, in->password_len);
	wire_put_u8(w, in->with_totp ? 1 : 0);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ACCOUNT, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, account, ACCOUNT_SEALED_MAX);
		size_t n = wire_get_bytes(&r, secret, sizeof secret);
		if (!got || !wire_reader_end(&r) || (n != 0 && n != sizeof secret)) {
			err = COFFER_ERR_UNAVAILABLE;
		} else {
			*has_totp_secret = n == sizeof secret;
			if (n == sizeof secret)
				memcpy(totp_secret, secret, sizeof secret);
		}
	}
	sodium_memzero(secret, sizeof secret);
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_totp_confirm(struct keyd_client *c, const uint8_t *account, size_t account_len,
				  const char *code, struct keyd_sealed *out, int64_t *step)
{
	struct wire_reader r;
	if (c == NULL || out == NULL || step == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (!totp_code_valid(code))
		return COFFER_ERR_INVALID_CREDENTIALS;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_TOTP_CONFIRM);
	wire_put_bytes(w, account, account_len);
	wire_put_str(w, code);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_TOTP_OK, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, out, ACCOUNT_SEALED_MAX);
		int64_t s = (int64_t)wire_get_u64(&r);
		if (!got || !wire_reader_end(&r) || s < 0)
			err = COFFER_ERR_UNAVAILABLE;
		else
			*step = s;
	}
	keyd_channel_release(ch);
	return err;
}

/* A passkey assertion (NULL: none) whose every field keyd can parse: a credential id,
 * authenticator data, client data and signature, each within its bound; a user handle or none. */
static bool assertion_ok(const struct keyd_assertion *p)
{
	return p == NULL ||
	       (keyd_sealed_ok(p->cred_id, p->cred_id_len, WEBAUTHN_CRED_ID_MAX) &&
		keyd_sealed_ok(p->auth_data, p->auth_data_len, WEBAUTHN_AUTH_DATA_MAX) &&
		keyd_sealed_ok(p->client_data, p->client_data_len, WEBAUTHN_CLIENT_DATA_MAX) &&
		keyd_sealed_ok(p->signature, p->signature_len, WEBAUTHN_SIGNATURE_MAX) &&
		(p->user_handle_len == 0 ||
		 keyd_sealed_ok(p->user_handle, p->user_handle_len, WEBAUTHN_USER_HANDLE_MAX)));
}

enum coffer_err keyd_login(struct keyd_client *c, const struct keyd_login *in,
			   struct keyd_login_result *out)
{
	struct wire_reader r;
	enum keyd_login_failure failure = 0;
	if (c == NULL || in == NULL || out == NULL ||
	    (in->account_len > 0 &&
	     !keyd_sealed_ok(in->account, in->account_len, ACCOUNT_SEALED_MAX)) ||
	    !keyd_password_ok(in->password, in->password_len) || !assertion_ok(in->passkey))
		return COFFER_ERR_INVALID_INPUT;
	_Static_assert(KEYD_CODE_MAX == TOTP_DIGITS, "keyd parses a six-digit code");
	const char *code = "-"; /* a code keyd refuses as wrong */
	if (in->code == NULL || in->code[0] == '\0')
		code = "";
	else if (totp_code_valid(in->code))
		code = in->code;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_LOGIN);
	wire_put_bytes(w, in->account_len > 0 ? in->account : NULL, in->account_len);
	wire_put_bytes(w, in->password, in->password_len);
	wire_put_str(w, code);
	wire_put_u64(w, (uint64_t)in->last_step);
	wire_put_u32(w, in->ttl_s);
	const struct keyd_assertion *p = in->passkey, none = {0};
	if (p == NULL)
		p = &none;
	wire_put_bytes(w, p->cred_id, p->cred_id_len);
	wire_put_bytes(w, p->auth_data, p->auth_data_len);
	wire_put_bytes(w, p->client_data, p->client_data_len);
	wire_put_bytes(w, p->signature, p->signature_len);
	wire_put_bytes(w, p->user_handle, p->user_handle_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_SESSION_NEW, &r, &failure);
	if (err == COFFER_OK) {
		wire_get_str(&r, out->token, TOKEN_TEXT_LEN);
		out->ticket_len = wire_get_bytes(&r, out->ticket, sizeof out->ticket);
		out->expires_at = (int64_t)wire_get_u64(&r);
		out->step = (int64_t)wire_get_u64(&r);
		out->account.len =
		    wire_get_bytes(&r, out->account.bytes, sizeof out->account.bytes);
		out->factor = (enum keyd_second_factor)wire_get_u8(&r);
		out->failure = 0;
		if (!wire_reader_end(&r) || strlen(out->token) != TOKEN_TEXT_LEN ||
		    out->ticket_len == 0 || out->step < TOTP_STEP_NONE ||
		    out->factor > KEYD_FACTOR_PASSKEY) {
			sodium_memzero(out, sizeof *out);
			err = COFFER_ERR_UNAVAILABLE;
		}
	} else if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		out->failure = failure;
	}
	keyd_channel_release(ch);
	return err;
}

/* The code as keyd is sent it (accounts.c's design points): "" for none, "-" for one that is
 * not six digits. */
static const char *code_to_send(const char *code)
{
	if (code == NULL || code[0] == '\0')
		return "";
	return totp_code_valid(code) ? code : "-";
}

enum coffer_err keyd_reauthenticate(struct keyd_client *c, const struct keyd_session *s,
				    const struct keyd_reauth *in, struct keyd_reauth_result *out)
{
	struct wire_reader r;
	enum keyd_login_failure failure = 0;
	if (!keyd_session_ok(s) || in == NULL ||
	    !keyd_sealed_ok(in->account, in->account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || out == NULL || !keyd_password_ok(in->password, in->password_len) ||
	    in->last_step < TOTP_STEP_NONE)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_REAUTHENTICATE);
	keyd_put_session(w, s);
	wire_put_bytes(w, in->account, in->account_len);
	wire_put_bytes(w, in->password, in->password_len);
	wire_put_str(w, code_to_send(in->code));
	wire_put_u64(w, (uint64_t)in->last_step);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_REAUTHENTICATED, &r, &failure);
	out->failure = 0;
	if (err == COFFER_OK) {
		out->ticket_len = wire_get_bytes(&r, out->ticket, sizeof out->ticket);
		out->step = (int64_t)wire_get_u64(&r);
		if (!wire_reader_end(&r) || out->ticket_len == 0 || out->step < TOTP_STEP_NONE) {
			sodium_memzero(out, sizeof *out);
			err = COFFER_ERR_UNAVAILABLE;
		}
	} else if (err == COFFER_ERR_INVALID_CREDENTIALS) {
		out->failure = failure;
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_password_set(struct keyd_client *c, const uint8_t *account, size_t account_len,
				  const char *current, size_t current_len, const char *new_password,
				  size_t new_len, struct keyd_sealed *out)
{
	struct wire_reader r;
	if (c == NULL || out == NULL || !keyd_password_ok(new_password, new_len))
		return COFFER_ERR_INVALID_INPUT;
	if (!keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (!keyd_password_ok(current, current_len))
		return COFFER_ERR_INVALID_CREDENTIALS;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_PASSWORD_SET);
	wire_put_bytes(w, account, account_len);
	wire_put_bytes(w, current, current_len);
	wire_put_bytes(w, new_password, new_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ACCOUNT, &r, NULL);
	if (err == COFFER_OK && !keyd_get_account_only(&r, out))
		err = COFFER_ERR_UNAVAILABLE;
	keyd_channel_release(ch);
	return err;
}
