/* breach_requests.c — keyd's breached-password requests: a new list handed over (BREACH_LIST)
 * and an account's password looked up in it (BREACH_CHECK); keyproto/protocol.h has the
 * fields, dispatch.c the permits, breach_list.h the list and its allowance.
 *
 * Design points:
 * - The password's SHA-1 never leaves keyd: it is sealed in the account when keyd sets or
 *   verifies the password (account.h), opened here into the request's work area (wiped after
 *   the request, as every request is) and only compared with the list. The answer is one of
 *   four verdicts.
 * - BREACH_CHECK asks about the account of the live session that asks (the account's user and
 *   role are the ticket's), so it can be put only while the person is signed in.
 */
#include <sodium.h>
#include <string.h>

#include "keyd/breach_list.h"
#include "keyd/handlers.h"

/* ---- BREACH_LIST (PERMIT_NONE: the web process's hand-over; the allowance bounds it) ----- */

bool keyd_read_breach_list(struct wire_reader *r, struct keyd_request *q)
{
	(void)q;
	return !r->bad; /* no fields: the list is the descriptor */
}

void keyd_answer_breach_list(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply)
{
	uint64_t generation = 0;
	int fd = q->passed_fd;
	q->passed_fd = -1; /* taken, whatever happens */
	enum coffer_err err = keyd_breach_list_take(keys->breach, fd, caller->now, &generation);
	if (err == COFFER_OK) {
		log_msg(LOG_INFO, "keyd", "breached-password list %llu taken",
			(unsigned long long)generation);
		wire_put_u64(frame_begin(reply, KEYD_MSG_BREACH_LISTED), generation);
	} else {
		keyd_refuse(reply, "breached-password list", err);
	}
}

/* ---- BREACH_CHECK (PERMIT_SESSION: the live session and its own account's seal) ---------- */

bool keyd_read_breach_check(struct wire_reader *r, struct keyd_request *q)
{
	keyd_read_session(r, &q->session);
	q->account.account_len = wire_get_bytes(r, q->account.account, sizeof q->account.account);
	return !r->bad;
}

static enum coffer_err breach_check(const struct keyd_keys *keys, const struct keyd_caller *caller,
				    const struct keyd_account_fields *in,
				    struct keyd_account_work *x, uint8_t *verdict,
				    uint64_t *generation)
{
	struct account *a = &x->a;
	bool found = false;
	if (account_open(keys->seals, in->account, in->account_len, a) != COFFER_OK ||
	    strcmp(a->user_id, caller->ticket.user_id) != 0 || a->role != caller->ticket.role)
		return COFFER_ERR_UNAUTHENTICATED;
	enum coffer_err err = account_breach_open(keys->seals, a, x->digest);
	if (err == COFFER_ERR_NOT_FOUND) {
		*verdict = KEYD_BREACH_NO_DIGEST;
		*generation = keyd_breach_list_generation(keys->breach);
		return COFFER_OK;
	}
	if (err == COFFER_OK)
		err = keyd_breach_list_check(keys->breach, x->digest, &found, generation);
	sodium_memzero(x->digest, sizeof x->digest);
	if (err != COFFER_OK)
		return err;
	*verdict = *generation == 0 ? KEYD_BREACH_NO_LIST
				    : (found ? KEYD_BREACH_FOUND : KEYD_BREACH_CLEAR);
	return COFFER_OK;
}

void keyd_answer_breach_check(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply)
{
	uint8_t verdict = KEYD_BREACH_NO_LIST;
	uint64_t generation = 0;
	enum coffer_err err =
	    breach_check(keys, caller, &q->account, &q->work, &verdict, &generation);
	if (err == COFFER_OK) {
		struct wire_writer *w = frame_begin(reply, KEYD_MSG_BREACH_RESULT);
		wire_put_u8(w, verdict);
		wire_put_u64(w, generation);
	} else {
		keyd_refuse(reply, "breach check", err);
	}
}
