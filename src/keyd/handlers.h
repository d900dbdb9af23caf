/* handlers.h — what keyd does with each request it serves: a reader, which takes the request's
 * fields off the wire into a struct keyd_request, and an answerer, which runs once
 * keyd_permit_check has let the request through and writes the reply. Paired with their
 * message type and permit in keyd's table (dispatch.c); key requests in key_requests.c,
 * account requests in account_requests.c.
 *
 * A reader returns false when a field does not parse (keyd then ends: it never argues with a
 * bad peer); the table checks that nothing is left over. An answerer never fails: a request it
 * refuses is answered DENIED with the reason.
 */
#ifndef COFFER_KEYD_HANDLERS_H
#define COFFER_KEYD_HANDLERS_H

#include <stdbool.h>

#include "common/log.h"
#include "common/wire.h"
#include "keyd/keys.h"
#include "keyd/permit.h"
#include "keyd/request.h"
#include "keyproto/frame.h"

typedef bool (*keyd_reader)(struct wire_reader *r, struct keyd_request *q);
typedef void (*keyd_answerer)(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);

/* Answers DENIED with the reason WHY. */
static inline void keyd_deny(struct frame_writer *reply, enum coffer_err why)
{
	wire_put_u32(frame_begin(reply, KEYD_MSG_DENIED), (uint32_t)why);
}

/* Answers DENIED with the reason WHY, and logs that the request WHAT was refused (the reason
 * code only: never a token, password or key). */
static inline void keyd_refuse(struct frame_writer *reply, const char *what, enum coffer_err why)
{
	log_msg(LOG_WARN, "keyd", "%s refused: %s", what, coffer_err_info(why)->code);
	keyd_deny(reply, why);
}

/* key_requests.c */
bool keyd_read_ping(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_ping(const struct keyd_keys *keys, const struct keyd_caller *caller,
		      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_org_key_new(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_org_key_new(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_data_key_new(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_data_key_new(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_data_key_open(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_data_key_open(const struct keyd_keys *keys, const struct keyd_caller *caller,
			       struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_data_keys_open(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_data_keys_open(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply);

/* account_requests.c: what the people requests share with the account requests */

/* A wire str of 0..MAX bytes without a NUL ("" for none), as a C string in OUT (MAX + 1). */
void keyd_get_opt_str(struct wire_reader *r, char *out, size_t max);
/* ACCOUNT: the account sealed in X, and the TOTP secret to show once, if there is one. */
void keyd_put_account(struct frame_writer *f, const struct keyd_account_work *x);
/* Gives the account X->a the password PASSWORD and, when WITH_TOTP, a new pending TOTP secret
 * (in X->secret, to show once; else none), and seals it into X->out. */
COFFER_MUST_CHECK enum coffer_err keyd_enrol(const struct keyd_keys *keys, const uint8_t *password,
					     size_t password_len, bool with_totp,
					     struct keyd_account_work *x);

/* account_requests.c */
bool keyd_read_accept(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_accept(const struct keyd_keys *keys, const struct keyd_caller *caller,
			struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_totp_confirm(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_totp_confirm(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_login(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_login(const struct keyd_keys *keys, const struct keyd_caller *caller,
		       struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_password_set(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_password_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_ticket_renew(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_ticket_renew(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_reauthenticate(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_reauthenticate(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply);

/* people_requests.c */
bool keyd_read_org_create(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_org_create(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_invite_seal(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_invite_seal(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_member_set(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_member_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_reset_seal(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_reset_seal(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_reset_accept(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_reset_accept(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);

/* audit_requests.c */
bool keyd_read_audit_link(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_audit_link(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_audit_check(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_audit_check(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply);

/* breach_requests.c */
bool keyd_read_breach_list(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_breach_list(const struct keyd_keys *keys, const struct keyd_caller *caller,
			     struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_breach_check(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_breach_check(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);

/* backup_requests.c */
bool keyd_read_backup_key(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_backup_key(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);

/* passkey_requests.c */
bool keyd_read_webauthn_set(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_webauthn_set(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_passkey_login_begin(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_passkey_login_begin(const struct keyd_keys *keys, const struct keyd_caller *caller,
				     struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_passkey_register_begin(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_passkey_register_begin(const struct keyd_keys *keys,
					const struct keyd_caller *caller, struct keyd_request *q,
					struct frame_writer *reply);
bool keyd_read_passkey_register(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_passkey_register(const struct keyd_keys *keys, const struct keyd_caller *caller,
				  struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_passkey_remove(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_passkey_remove(const struct keyd_keys *keys, const struct keyd_caller *caller,
				struct keyd_request *q, struct frame_writer *reply);
bool keyd_read_passkey_list(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_passkey_list(const struct keyd_keys *keys, const struct keyd_caller *caller,
			      struct keyd_request *q, struct frame_writer *reply);
/* Reads a LOGIN's ASSERTION (keyproto/protocol.h) into P. */
void keyd_read_assertion(struct wire_reader *r, struct keyd_passkey_fields *p);
/* Checks the passkey assertion IN against the opened account A at NOW: COFFER_OK with *FAILURE
 * 0 when it holds (A's passkey then has the new counter, and *CHANGED says whether it moved),
 * COFFER_OK with *FAILURE set when it does not, COFFER_ERR_CONFIG before WEBAUTHN_SET. */
COFFER_MUST_CHECK enum coffer_err
keyd_passkey_login(const struct keyd_keys *keys, const struct keyd_passkey_fields *in,
		   struct account *a, int64_t now, enum keyd_login_failure *failure, bool *changed);

/* secret_requests.c */
bool keyd_read_secret_get(struct wire_reader *r, struct keyd_request *q);
void keyd_answer_secret_get(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply);

#endif
