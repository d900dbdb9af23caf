/* breach.c — the web process's breached-password requests to keyd: handing it the list
 * (BREACH_LIST, with the descriptor) and asking about a session's password (BREACH_CHECK). */
#include "keyclient/channel.h"
#include "keyclient/checks.h"

enum coffer_err keyd_breach_list(struct keyd_client *c, int fd, uint64_t *generation)
{
	struct wire_reader r;
	if (c == NULL || fd < 0 || generation == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	(void)frame_begin(&ch->request, KEYD_MSG_BREACH_LIST);
	enum coffer_err err = keyd_channel_round_trip_fd(ch, KEYD_MSG_BREACH_LISTED, &r, NULL, fd);
	if (err == COFFER_OK) {
		*generation = wire_get_u64(&r);
		if (!wire_reader_end(&r) || *generation == 0)
			err = COFFER_ERR_UNAVAILABLE;
	}
	keyd_channel_release(ch);
	return err;
}

enum coffer_err keyd_breach_check(struct keyd_client *c, const struct keyd_session *s,
				  const uint8_t *account, size_t account_len,
				  enum keyd_breach_verdict *verdict, uint64_t *generation)
{
	struct wire_reader r;
	if (!keyd_session_ok(s) || !keyd_sealed_ok(account, account_len, ACCOUNT_SEALED_MAX))
		return COFFER_ERR_UNAUTHENTICATED;
	if (c == NULL || verdict == NULL || generation == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	struct wire_writer *w = frame_begin(&ch->request, KEYD_MSG_BREACH_CHECK);
	keyd_put_session(w, s);
	wire_put_bytes(w, account, account_len);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_BREACH_RESULT, &r, NULL);
	if (err == COFFER_OK) {
		uint8_t v = wire_get_u8(&r);
		*generation = wire_get_u64(&r);
		if (!wire_reader_end(&r) || v > KEYD_BREACH_NO_LIST)
			err = COFFER_ERR_UNAVAILABLE;
		else
			*verdict = (enum keyd_breach_verdict)v;
	}
	keyd_channel_release(ch);
	return err;
}
