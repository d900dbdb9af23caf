/* people.c — the web process's calls to keyd about who belongs to an organisation: ORG_CREATE,
 * INVITE_SEAL, MEMBER_SET, RESET_SEAL, RESET_ACCEPT and TICKET_RENEW (keyproto/protocol.h).
 *
 * As in accounts.c, every argument is checked here before keyd sees it: UNAUTHENTICATED for a
 * session or sealed record that cannot be keyd's, INVALID_INPUT for anything else out of range.
 * Who may ask is keyd's to decide (keyd/permit.h); a refusal comes back as keyd's reason.
 */
#include <sodium.h>
#include <string.h>

#include "keyclient/channel.h"
#include "keyclient/checks.h"

enum coffer_err keyd_org_create(struct keyd_client *c, const struct keyd_session *s,
				struct keyd_org_created *out)
{
	struct wire_reader r;
	if (!keyd_session_ok(s))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || out == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	keyd_put_session(frame_begin(&ch->request, KEYD_MSG_ORG_CREATE), s);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ORG_CREATED, &r, NULL);
	if (err == COFFER_OK) {
		wire_get_str(&r, out->org_id, TICKET_ID_MAX);
		out->master_version = wire_get_u32(&r);
		wire_get_exact(&r, out->wrapped, KEYWRAP_BYTES);
		bool charter = keyd_get_sealed(&r, &out->charter, INVITE_SEALED_MAX);
		if (!charter || !wire_reader_end(&r) || out->org_id[0] == '\0')
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_invite_seal(struct keyd_client *c, const struct keyd_session *s,
				 const struct invite *inv, const uint8_t *charter,
				 size_t charter_len, struct keyd_sealed *out,
				 struct keyd_sealed *renewed)
{
	struct wire_reader r;
	struct keyd_sealed ignored;
	if (!keyd_session_ok(s))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || inv == NULL || out == NULL || !keyd_text_ok(inv->email, 1, EMAIL_MAX) ||
	    !keyd_text_ok(inv->org_id, 0, TICKET_ID_MAX) || charter_len > INVITE_SEALED_MAX ||
	    (charter_len > 0 && charter == NULL))
		return COFFER_ERR_INVALID_INPUT;
	if (renewed == NULL)
		renewed = &ignored;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_INVITE_SEAL);
	keyd_put_session(w, s);
	wire_put_bytes(w, inv->token.bytes, TOKEN_HASH_BYTES);
	wire_put_str(w, inv->email);
	wire_put_u8(w, inv->role);
	wire_put_str(w, inv->org_id);
	wire_put_u8(w, inv->clearance);
	wire_put_u64(w, (uint64_t)inv->expires_at);
	wire_put_bytes(w, charter, charter_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_SEALED, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, out, INVITE_SEALED_MAX);
		renewed->len = wire_get_bytes(&r, renewed->bytes, INVITE_SEALED_MAX);
		if (!got || !wire_reader_end(&r))
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}

/* The start of MEMBER_SET and RESET_SEAL: the admin's session, the member's account, the org. */
static enum coffer_err member_ref_ok(struct keyd_client *c, const struct keyd_session *s,
				     const uint8_t *account, size_t account_len, const char *org_id)
{
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || !keyd_text_ok(org_id, 1, TICKET_ID_MAX))
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

static struct wire_writer *member_ref_put(struct keyd_channel *ch, uint8_t type,
					  const struct keyd_session *s, const uint8_t *account,
					  size_t account_len, const char *org_id)
{
	struct wire_writer *w = frame_begin(&ch->request, type);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	wire_put_str(w, org_id);
	return w;
}

enum coffer_err keyd_member_set(struct keyd_client *c, const struct keyd_session *s,
				const uint8_t *account, size_t account_len, const char *org_id,
				uint8_t org_role, uint8_t clearance, struct keyd_sealed *out)
{
	struct wire_reader r;
	enum coffer_err err = member_ref_ok(c, s, account, account_len, org_id);
	if (err != COFFER_OK)
		return err;
	if (out == NULL || org_role > 2 || clearance > 3 || (org_role == 0 && clearance != 0))
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w =
	    member_ref_put(ch, KEYD_MSG_MEMBER_SET, s, account, account_len, org_id);
	wire_put_u8(w, org_role);
	wire_put_u8(w, clearance);
	err = keyd_channel_round_trip(ch, KEYD_MSG_ACCOUNT, &r, NULL);
	if (err == COFFER_OK && !keyd_get_account_only(&r, out))
		err = COFFER_ERR_UNAVAILABLE;
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_reset_seal(struct keyd_client *c, const struct keyd_session *s,
				const uint8_t *account, size_t account_len, const char *org_id,
				const struct token_hash *token, int64_t expires_at,
				struct keyd_sealed *out)
{
	struct wire_reader r;
	enum coffer_err err = member_ref_ok(c, s, account, account_len, org_id);
	if (err != COFFER_OK)
		return err;
	if (out == NULL || token == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w =
	    member_ref_put(ch, KEYD_MSG_RESET_SEAL, s, account, account_len, org_id);
	wire_put_bytes(w, token->bytes, TOKEN_HASH_BYTES);
	wire_put_u64(w, (uint64_t)expires_at);
	err = keyd_channel_round_trip(ch, KEYD_MSG_SEALED, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, out, INVITE_SEALED_MAX);
		size_t charter_len = wire_get_bytes(&r, NULL, 0);
		if (!got || !wire_reader_end(&r) || charter_len != 0)
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_reset_accept(struct keyd_client *c, const char *reset_token,
				  const uint8_t *reset, size_t reset_len, const uint8_t *account,
				  size_t account_len, const char *password, size_t password_len,
				  struct keyd_sealed *out,
				  uint8_t totp_secret[ACCOUNT_TOTP_SECRET_BYTES])
{
	struct wire_reader r;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	if (!keyd_text_ok(reset_token, TOKEN_TEXT_LEN, TOKEN_TEXT_LEN) ||
	    !keyd_sealed_ok(reset, reset_len, INVITE_SEALED_MAX) ||
	    !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || out == NULL || totp_secret == NULL ||
	    !keyd_password_ok(password, password_len))
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_RESET_ACCEPT);
	wire_put_str(w, reset_token);
	wire_put_bytes(w, reset, reset_len);
	wire_put_bytes(w, account, account_len);
	wire_put_bytes(w, password, password_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_ACCOUNT, &r, NULL);
	if (err == COFFER_OK) {
		bool got = keyd_get_sealed(&r, out, ACCOUNT_SEALED_MAX);
		size_t n = wire_get_bytes(&r, secret, sizeof secret);
		if (!got || !wire_reader_end(&r) || n != sizeof secret)
			err = COFFER_ERR_UNAVAILABLE;
		else
			memcpy(totp_secret, secret, sizeof secret);
	}
	sodium_memzero(secret, sizeof secret);
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_ticket_renew(struct keyd_client *c, const struct keyd_session *s,
				  const uint8_t *account, size_t account_len,
				  uint8_t ticket[TICKET_SEALED_MAX], size_t *ticket_len)
{
	struct wire_reader r;
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || ticket == NULL || ticket_len == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_TICKET_RENEW);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_TICKET, &r, NULL);
	if (err == COFFER_OK) {
		*ticket_len = wire_get_bytes(&r, ticket, TICKET_SEALED_MAX);
		if (*ticket_len == 0 || !wire_reader_end(&r))
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}
