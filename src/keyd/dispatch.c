/* dispatch.c — keyd's table: every request it serves, who may send it, what handles it; and
 * keyd_handle, which puts each request through it.
 *
 * Design points:
 * - A type not in the table, or a request that does not read whole, ends keyd (OpenSSH's
 *   monitor: "unpermitted request").
 * - A request is read whole, then its permit is checked (permit.h), then, for the rows marked
 *   AUTH_RECENT, how long ago the session's holder last proved who they are; only then does
 *   its handler run, with the session the check verified. A refused request is answered DENIED
 *   with the reason, so the web process can answer its client precisely.
 * - The request and the check's findings are wiped after every request (of the request, what
 *   its row says its reader and handler write).
 * - Only BREACH_LIST carries a descriptor, and it must: any other request that comes with one,
 *   or a BREACH_LIST without, is malformed. A descriptor its handler did not take is closed.
 */
#include "keyd/dispatch.h"

#include <sodium.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include "keyd/handlers.h"

/* What of a request its reader and handler write, and so what is wiped after it: the whole
 * request (some 80 KiB) unless the row says less. A key request writes only its session and
 * its first object: wiping all of it cost a read more than unwrapping its key did. */
enum wipe { WIPE_ALL, WIPE_SESSION_AND_FIRST_OBJECT };

struct row {
	enum keyd_msg type;
	enum keyd_permit permit;
	const char *what; /* in the log line of a refusal */
	keyd_reader read;
	keyd_answerer answer;
	enum wipe wipe;
	enum keyd_auth_age auth; /* checked after the permit, for a session's requests */
};

// clang-format off
static const struct row table[] = {
	{KEYD_MSG_PING,           PERMIT_NONE,        "ping",
	 keyd_read_ping,           keyd_answer_ping,           WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_ORG_KEY_NEW,    PERMIT_NONE,        "organisation key",
	 keyd_read_org_key_new,    keyd_answer_org_key_new,    WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_DATA_KEY_NEW,   PERMIT_MEMBER,      "data key",
	 keyd_read_data_key_new,   keyd_answer_data_key_new,   WIPE_SESSION_AND_FIRST_OBJECT, AUTH_ANY},
	{KEYD_MSG_DATA_KEY_OPEN,  PERMIT_MEMBER,      "data key",
	 keyd_read_data_key_open,  keyd_answer_data_key_open,  WIPE_SESSION_AND_FIRST_OBJECT, AUTH_ANY},
	{KEYD_MSG_DATA_KEYS_OPEN, PERMIT_MEMBER_EACH, "data keys",
	 keyd_read_data_keys_open, keyd_answer_data_keys_open, WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_ORG_CREATE,     PERMIT_SYSADMIN,    "organisation creation",
	 keyd_read_org_create,     keyd_answer_org_create,     WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_INVITE_SEAL,    PERMIT_INVITER,     "invite seal",
	 keyd_read_invite_seal,    keyd_answer_invite_seal,    WIPE_ALL, AUTH_RECENT},
	{KEYD_MSG_MEMBER_SET,     PERMIT_ORG_ADMIN,   "membership change",
	 keyd_read_member_set,     keyd_answer_member_set,     WIPE_ALL, AUTH_RECENT},
	{KEYD_MSG_RESET_SEAL,     PERMIT_ORG_ADMIN,   "reset seal",
	 keyd_read_reset_seal,     keyd_answer_reset_seal,     WIPE_ALL, AUTH_RECENT},
	{KEYD_MSG_RESET_ACCEPT,   PERMIT_NONE,        "reset acceptance",
	 keyd_read_reset_accept,   keyd_answer_reset_accept,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_TICKET_RENEW,   PERMIT_SESSION,     "ticket renewal",
	 keyd_read_ticket_renew,   keyd_answer_ticket_renew,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_REAUTHENTICATE, PERMIT_SESSION,     "re-authentication",
	 keyd_read_reauthenticate, keyd_answer_reauthenticate, WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_ACCEPT,         PERMIT_NONE,        "invite acceptance",
	 keyd_read_accept,         keyd_answer_accept,         WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_TOTP_CONFIRM,   PERMIT_NONE,        "TOTP confirmation",
	 keyd_read_totp_confirm,   keyd_answer_totp_confirm,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_LOGIN,          PERMIT_NONE,        "login",
	 keyd_read_login,          keyd_answer_login,          WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_PASSWORD_SET,   PERMIT_NONE,        "password change",
	 keyd_read_password_set,   keyd_answer_password_set,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_BREACH_LIST,    PERMIT_NONE,        "breached-password list",
	 keyd_read_breach_list,    keyd_answer_breach_list,    WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_BREACH_CHECK,   PERMIT_SESSION,     "breach check",
	 keyd_read_breach_check,   keyd_answer_breach_check,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_AUDIT_LINK,     PERMIT_NONE,        "audit link",
	 keyd_read_audit_link,     keyd_answer_audit_link,     WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_AUDIT_CHECK,    PERMIT_NONE,        "audit checkpoint check",
	 keyd_read_audit_check,    keyd_answer_audit_check,    WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_BACKUP_KEY,     PERMIT_NONE,        "backup key",
	 keyd_read_backup_key,     keyd_answer_backup_key,     WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_SECRET_GET,     PERMIT_NONE,        "sealed credential",
	 keyd_read_secret_get,     keyd_answer_secret_get,     WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_WEBAUTHN_SET,   PERMIT_NONE,        "WebAuthn relying party",
	 keyd_read_webauthn_set,   keyd_answer_webauthn_set,   WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_PASSKEY_LOGIN_BEGIN, PERMIT_NONE,   "passkey challenge",
	 keyd_read_passkey_login_begin, keyd_answer_passkey_login_begin, WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_PASSKEY_REGISTER_BEGIN, PERMIT_SESSION, "passkey challenge",
	 keyd_read_passkey_register_begin, keyd_answer_passkey_register_begin, WIPE_ALL, AUTH_ANY},
	{KEYD_MSG_PASSKEY_REGISTER, PERMIT_SESSION,   "passkey registration",
	 keyd_read_passkey_register, keyd_answer_passkey_register, WIPE_ALL, AUTH_RECENT},
	{KEYD_MSG_PASSKEY_REMOVE, PERMIT_SESSION,     "passkey removal",
	 keyd_read_passkey_remove, keyd_answer_passkey_remove, WIPE_ALL, AUTH_RECENT},
	{KEYD_MSG_PASSKEY_LIST,   PERMIT_SESSION,     "passkey list",
	 keyd_read_passkey_list,   keyd_answer_passkey_list,   WIPE_ALL, AUTH_ANY},
};
// clang-format on

static const struct row *row_of(uint8_t type)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (table[i].type == type)
			return &table[i];
	}
	return NULL;
}

bool keyd_permit_of(uint8_t type, enum keyd_permit *out)
{
	const struct row *row = row_of(type);
	if (row != NULL)
		*out = row->permit;
	return row != NULL;
}

bool keyd_auth_age_of(uint8_t type, enum keyd_auth_age *out)
{
	const struct row *row = row_of(type);
	if (row != NULL)
		*out = row->auth;
	return row != NULL;
}

bool keyd_handle(const struct keyd_keys *keys, uint8_t type, struct wire_reader *r,
		 struct frame_writer *reply)
{
	return keyd_handle_fd(keys, type, r, reply, -1);
}

/* The request being handled, and what its permit check found: one of each per thread. */
static __thread struct keyd_request q;
static __thread struct keyd_caller caller;

bool keyd_request_left_wiped(void)
{
	/* Every byte but the descriptor number's, which is not a secret and not wiped by every
	 * row. */
	const unsigned char *p = (const unsigned char *)&q;
	const size_t fd_at = offsetof(struct keyd_request, passed_fd),
		     after_fd = fd_at + sizeof q.passed_fd;
	return sodium_is_zero(p, fd_at) && sodium_is_zero(p + after_fd, sizeof q - after_fd) &&
	       sodium_is_zero((const unsigned char *)&caller, sizeof caller);
}

bool keyd_handle_fd(const struct keyd_keys *keys, uint8_t type, struct wire_reader *r,
		    struct frame_writer *reply, int passed)
{
	const struct row *row = row_of(type);
	if (row == NULL || (passed >= 0) != (type == KEYD_MSG_BREACH_LIST)) {
		if (passed >= 0)
			close(passed);
		return false;
	}
	const bool whole = row->read(r, &q) && wire_reader_end(r);
	q.passed_fd = passed;
	if (whole) {
		enum coffer_err err = keyd_permit_check(keys->ticket_key, keys->seals, row->permit,
							&q, (int64_t)time(NULL), &caller);
		if (err == COFFER_OK && row->auth == AUTH_RECENT)
			err = keyd_auth_recent(&caller);
		if (err == COFFER_OK)
			row->answer(keys, &caller, &q, reply);
		else
			keyd_refuse(reply, row->what, err);
	}
	if (q.passed_fd >= 0)
		close(q.passed_fd); /* not taken: refused, or the request did not parse */
	if (row->wipe == WIPE_SESSION_AND_FIRST_OBJECT) {
		sodium_memzero(&q.session, sizeof q.session);
		sodium_memzero(&q.objects[0], sizeof q.objects[0]);
		q.n_objects = 0;
	} else {
		sodium_memzero(&q, sizeof q);
	}
	sodium_memzero(&caller, sizeof caller);
	return whole && frame_end(reply);
}
