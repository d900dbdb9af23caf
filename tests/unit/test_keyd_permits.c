/* test_keyd_permits.c — keyd's table held to its permit column, through keyd_handle itself.
 *
 * First the column: every message type keyd serves has the permit this test expects, and no
 * other type is served. Then every row, by its class: a request with a session that is live
 * and entitled is answered; the same request with no ticket, a forged ticket, another
 * session's token, an expired ticket, a sysadmin's, a user's of another organisation, a
 * user's whose clearance is below the object's level, or an object whose level is none, is
 * refused with exactly its reason (DENIED, or each object's code in a DATA_KEYS); a session
 * authenticated over KEYD_REAUTH_AFTER_S ago is refused (REAUTHENTICATION_REQUIRED) exactly on
 * the rows of the auth-age column that want a recent one, and let through on the others. Requests
 * of PERMIT_NONE rows carry no session and are answered by their handler, which checks their own
 * proof (a sealed record, a password). BREACH_LIST alone comes with a descriptor, and must.
 * SECRET_GET hands out the defined credentials keyd holds, and nothing else. */
#include "test_util.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "crypto/keywrap.h"
#include "crypto/secrets_file.h"
#include "keyd/account.h"
#include "keyd/dispatch.h"
#include "keyd/keys.h"
#include "keyd/ticket.h"
#include "keyproto/frame.h"
#include "test_audit_signer.h"

static const struct {
	uint8_t type;
	enum keyd_permit permit;
} column[] = {
    {KEYD_MSG_PING, PERMIT_NONE},
    {KEYD_MSG_ORG_KEY_NEW, PERMIT_NONE},
    {KEYD_MSG_DATA_KEY_NEW, PERMIT_MEMBER},
    {KEYD_MSG_DATA_KEY_OPEN, PERMIT_MEMBER},
    {KEYD_MSG_DATA_KEYS_OPEN, PERMIT_MEMBER_EACH},
    {KEYD_MSG_ORG_CREATE, PERMIT_SYSADMIN},
    {KEYD_MSG_INVITE_SEAL, PERMIT_INVITER},
    {KEYD_MSG_MEMBER_SET, PERMIT_ORG_ADMIN},
    {KEYD_MSG_RESET_SEAL, PERMIT_ORG_ADMIN},
    {KEYD_MSG_RESET_ACCEPT, PERMIT_NONE},
    {KEYD_MSG_TICKET_RENEW, PERMIT_SESSION},
    {KEYD_MSG_REAUTHENTICATE, PERMIT_SESSION},
    {KEYD_MSG_ACCEPT, PERMIT_NONE},
    {KEYD_MSG_TOTP_CONFIRM, PERMIT_NONE},
    {KEYD_MSG_LOGIN, PERMIT_NONE},
    {KEYD_MSG_PASSWORD_SET, PERMIT_NONE},
    {KEYD_MSG_BREACH_LIST, PERMIT_NONE},
    {KEYD_MSG_BREACH_CHECK, PERMIT_SESSION},
    {KEYD_MSG_AUDIT_LINK, PERMIT_NONE},
    {KEYD_MSG_AUDIT_CHECK, PERMIT_NONE},
    {KEYD_MSG_BACKUP_KEY, PERMIT_NONE},
    {KEYD_MSG_SECRET_GET, PERMIT_NONE},
    {KEYD_MSG_WEBAUTHN_SET, PERMIT_NONE},
    {KEYD_MSG_PASSKEY_LOGIN_BEGIN, PERMIT_NONE},
    {KEYD_MSG_PASSKEY_REGISTER_BEGIN, PERMIT_SESSION},
    {KEYD_MSG_PASSKEY_REGISTER, PERMIT_SESSION},
    {KEYD_MSG_PASSKEY_REMOVE, PERMIT_SESSION},
    {KEYD_MSG_PASSKEY_LIST, PERMIT_SESSION},
};

/* Who asks. The user is an org_admin of org-a with clearance internal (or a plain member);
 * the object is org-a's, at level internal, and so is the clearance a request about people
 * grants or the member it changes has, unless the case says otherwise. */
enum who {
	MEMBER,
	PLAIN_MEMBER,
	NO_TICKET,
	FORGED,
	OTHER_TOKEN,
	EXPIRED,
	EXPIRES_NOW,
	SYSADMIN,
	OTHER_ORG,
	LOW_CLEARANCE,
	LEVEL_NONE,
	STALE, /* an org_admin, signed in (or re-authenticated) over 15 minutes ago */
	WHO__COUNT
};

/* The rows that want a session authenticated recently: invitations, membership changes and
 * resets (keyd/permit.h, AUTH_RECENT). */
static bool wants_recent(uint8_t type)
{
	return type == KEYD_MSG_INVITE_SEAL || type == KEYD_MSG_MEMBER_SET ||
	       type == KEYD_MSG_RESET_SEAL || type == KEYD_MSG_PASSKEY_REGISTER ||
	       type == KEYD_MSG_PASSKEY_REMOVE;
}

static const char *const who_names[WHO__COUNT] = {"member (org_admin)",
						  "member (not an org_admin)",
						  "no ticket",
						  "forged ticket",
						  "another session's token",
						  "expired",
						  "expires now",
						  "sysadmin",
						  "other organisation",
						  "clearance too low",
						  "level that is none",
						  "authenticated too long ago"};

static struct keyd_keys keys;
static struct frame_writer req, reply;
static uint8_t org_a[KEYWRAP_BYTES], org_b[KEYWRAP_BYTES], data_key_wrapped[KEYWRAP_BYTES];

/* The reason the class PERMIT refuses WHO's request of TYPE, COFFER_OK for one it lets
 * through. */
static enum coffer_err want(enum keyd_permit permit, uint8_t type, enum who who)
{
	const bool people = permit == PERMIT_ORG_ADMIN || permit == PERMIT_INVITER;
	switch (who) {
	case STALE:
		if (permit == PERMIT_SYSADMIN)
			return COFFER_ERR_FORBIDDEN;
		return wants_recent(type) ? COFFER_ERR_REAUTHENTICATION_REQUIRED : COFFER_OK;
	case MEMBER: return permit == PERMIT_SYSADMIN ? COFFER_ERR_FORBIDDEN : COFFER_OK;
	case PLAIN_MEMBER:
		return permit == PERMIT_SYSADMIN || people ? COFFER_ERR_FORBIDDEN : COFFER_OK;
	case SYSADMIN:
		return permit == PERMIT_SYSADMIN || permit == PERMIT_SESSION ? COFFER_OK
									     : COFFER_ERR_FORBIDDEN;
	case OTHER_ORG:
	case LOW_CLEARANCE: return permit == PERMIT_SESSION ? COFFER_OK : COFFER_ERR_FORBIDDEN;
	case LEVEL_NONE:
		if (permit == PERMIT_SYSADMIN)
			return COFFER_ERR_FORBIDDEN;
		/* A reset grants no clearance, and a session's renewal none either. */
		if (permit == PERMIT_SESSION || type == KEYD_MSG_RESET_SEAL)
			return COFFER_OK;
		return COFFER_ERR_INVALID_INPUT;
	default: return COFFER_ERR_UNAUTHENTICATED;
	}
}

/* SESSION for WHO. */
static void put_session(struct wire_writer *w, enum who who)
{
	static struct ticket t;
	static uint8_t sealed[TICKET_SEALED_MAX];
	char token[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1];
	struct token_hash unused;
	size_t len = 0;
	const int64_t now = (int64_t)time(NULL);
	memset(&t, 0, sizeof t);
	token_generate(token, &t.token);
	token_generate(other, &unused);
	strcpy(t.user_id, "user-1");
	t.role = who == SYSADMIN ? TICKET_ROLE_SYSADMIN : TICKET_ROLE_USER;
	t.issued_at = now - 60;
	t.expires_at = who == EXPIRED ? now - 1 : who == EXPIRES_NOW ? now : now + 3600;
	t.authenticated_at = now - 30;
	if (who == STALE) {
		t.issued_at = now - 2 * KEYD_REAUTH_AFTER_S;
		t.authenticated_at = now - KEYD_REAUTH_AFTER_S - 5;
	}
	if (who != SYSADMIN) {
		t.n_orgs = 1;
		strcpy(t.orgs[0].org_id, "org-a");
		t.orgs[0].org_role = who == PLAIN_MEMBER ? TICKET_ORG_MEMBER : TICKET_ORG_ADMIN;
		t.orgs[0].clearance = LEVEL_INTERNAL;
	}
	assert_int_equal(ticket_seal(keys.ticket_key, &t, sealed, &len), COFFER_OK);
	if (who == FORGED)
		sealed[len - 1] ^= 0x20;
	wire_put_str(w, who == OTHER_TOKEN ? other : token);
	wire_put_bytes(w, sealed, who == NO_TICKET ? 0 : len);
}

/* ORG_KEY_REF | OBJECT | (the wrapped data key, when WRAPPED) for WHO. */
static void put_object(struct wire_writer *w, enum who who, bool wrapped)
{
	const uint8_t level = who == LEVEL_NONE	     ? LEVEL_RESTRICTED + 1
			      : who == LOW_CLEARANCE ? LEVEL_CONFIDENTIAL
						     : LEVEL_INTERNAL;
	wire_put_str(w, who == OTHER_ORG ? "org-b" : "org-a");
	wire_put_u32(w, 1);
	wire_put_u32(w, 1);
	wire_put_bytes(w, who == OTHER_ORG ? org_b : org_a, KEYWRAP_BYTES);
	wire_put_str(w, "record");
	wire_put_str(w, "rec-1");
	wire_put_u32(w, 1);
	wire_put_u8(w, level);
	if (wrapped)
		wire_put_bytes(w, data_key_wrapped, KEYWRAP_BYTES);
}

/* The organisation and the level (a clearance to grant, an object's level) of WHO's request. */
static const char *org_of(enum who who)
{
	return who == OTHER_ORG ? "org-b" : "org-a";
}

static uint8_t level_of(enum who who)
{
	return who == LEVEL_NONE      ? LEVEL_RESTRICTED + 1
	       : who == LOW_CLEARANCE ? LEVEL_CONFIDENTIAL
				      : LEVEL_INTERNAL;
}

/* The sealed account of "user-1" (the session's own user: SYSADMIN's is a sysadmin's), a member
 * of WHO's organisation at WHO's level (internal, when that is none). */
static void put_account(struct wire_writer *w, enum who who)
{
	static uint8_t sealed[ACCOUNT_SEALED_MAX];
	struct account a;
	size_t len = 0;
	memset(&a, 0, sizeof a);
	strcpy(a.user_id, "user-1");
	strcpy(a.email, "ivy@example.org");
	strcpy(a.password_hash, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
	a.role = who == SYSADMIN ? TICKET_ROLE_SYSADMIN : TICKET_ROLE_USER;
	if (who != SYSADMIN) {
		a.n_orgs = 1;
		strcpy(a.orgs[0].org_id, org_of(who));
		a.orgs[0].org_role = TICKET_ORG_MEMBER;
		a.orgs[0].clearance = who == LEVEL_NONE ? LEVEL_INTERNAL : level_of(who);
	}
	assert_int_equal(account_seal(keys.seals, &a, sealed, &len), COFFER_OK);
	wire_put_bytes(w, sealed, len);
}

/* A request of TYPE (a row that wants a session) made by WHO. */
static void build(uint8_t type, enum who who)
{
	struct token_hash h;
	char unused[TOKEN_TEXT_LEN + 1];
	token_generate(unused, &h);
	struct wire_writer *w = frame_begin(&req, type);
	put_session(w, who);
	switch (type) {
	case KEYD_MSG_DATA_KEYS_OPEN:
		wire_put_u32(w, 1);
		put_object(w, who, true);
		break;
	case KEYD_MSG_DATA_KEY_NEW:
	case KEYD_MSG_DATA_KEY_OPEN: put_object(w, who, type != KEYD_MSG_DATA_KEY_NEW); break;
	case KEYD_MSG_ORG_CREATE: break;
	case KEYD_MSG_INVITE_SEAL:
		wire_put_bytes(w, h.bytes, TOKEN_HASH_BYTES);
		wire_put_str(w, "ivy@example.org");
		wire_put_u8(w, INVITE_MEMBER);
		wire_put_str(w, org_of(who));
		wire_put_u8(w, level_of(who));
		wire_put_u64(w, (uint64_t)time(NULL) + 3600);
		wire_put_bytes(w, NULL, 0); /* no charter */
		break;
	case KEYD_MSG_MEMBER_SET:
		put_account(w, who);
		wire_put_str(w, org_of(who));
		wire_put_u8(w, TICKET_ORG_MEMBER);
		wire_put_u8(w, level_of(who));
		break;
	case KEYD_MSG_RESET_SEAL:
		put_account(w, who);
		wire_put_str(w, org_of(who));
		wire_put_bytes(w, h.bytes, TOKEN_HASH_BYTES);
		wire_put_u64(w, (uint64_t)time(NULL) + 3600);
		break;
	case KEYD_MSG_TICKET_RENEW:
	case KEYD_MSG_PASSKEY_LIST:
	case KEYD_MSG_BREACH_CHECK: put_account(w, who); break;
	case KEYD_MSG_PASSKEY_REGISTER_BEGIN: break;
	case KEYD_MSG_PASSKEY_REGISTER: /* fields only the handler judges (outcome) */
		put_account(w, who);
		wire_put_str(w, "key");
		wire_put_bytes(w, "{}", 2);
		wire_put_bytes(w, "\xa0", 1);
		break;
	case KEYD_MSG_PASSKEY_REMOVE: /* an id the account does not hold (outcome) */
		put_account(w, who);
		wire_put_bytes(w, "id", 2);
		break;
	case KEYD_MSG_REAUTHENTICATE: /* the account's hash is no password's: a wrong one */
		put_account(w, who);
		wire_put_bytes(w, "a password", 10);
		wire_put_str(w, "");
		wire_put_u64(w, (uint64_t)-1);
		break;
	default: fail_msg("no request made here for type %u", type);
	}
	assert_true(frame_end(&req));
}

/* The answer TYPE gets when it is let through. */
static uint8_t answer_of(uint8_t type)
{
	switch (type) {
	case KEYD_MSG_ORG_CREATE: return KEYD_MSG_ORG_CREATED;
	case KEYD_MSG_INVITE_SEAL:
	case KEYD_MSG_RESET_SEAL: return KEYD_MSG_SEALED;
	case KEYD_MSG_MEMBER_SET: return KEYD_MSG_ACCOUNT;
	case KEYD_MSG_TICKET_RENEW: return KEYD_MSG_TICKET;
	case KEYD_MSG_REAUTHENTICATE: return KEYD_MSG_LOGIN_FAILED;
	case KEYD_MSG_BREACH_CHECK: return KEYD_MSG_BREACH_RESULT;
	case KEYD_MSG_PASSKEY_REGISTER_BEGIN: return KEYD_MSG_PASSKEY_CHALLENGE;
	case KEYD_MSG_PASSKEY_LIST: return KEYD_MSG_PASSKEYS;
	default: return KEYD_MSG_DATA_KEY;
	}
}

/* Runs REQ through keyd_handle (with the descriptor PASSED: -1 for none); the reply's type,
 * with R over its payload. */
static uint8_t handle_fd(struct wire_reader *r, int passed)
{
	uint8_t type = 0;
	struct wire_reader in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_true(keyd_handle_fd(&keys, req.buf[5], &in, &reply, passed));
	assert_true(frame_open(reply.buf + 4, reply.w.len - 4, &type, r));
	return type;
}

static uint8_t handle(struct wire_reader *r)
{
	return handle_fd(r, -1);
}

/* A descriptor of an empty file: an empty breached-password list. */
static int empty_list(void)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	return fd;
}

/* What keyd answered REQ: COFFER_OK when it released or sealed, else the refusal. */
static enum coffer_err outcome(uint8_t type)
{
	struct wire_reader r;
	uint8_t got = handle(&r);
	if (got == KEYD_MSG_DENIED) {
		uint32_t why = wire_get_u32(&r);
		assert_true(wire_reader_end(&r));
		/* Let through, then refused by the handler for the fields build() made. */
		if ((type == KEYD_MSG_PASSKEY_REGISTER && why == COFFER_ERR_INVALID_INPUT) ||
		    (type == KEYD_MSG_PASSKEY_REMOVE && why == COFFER_ERR_NOT_FOUND))
			return COFFER_OK;
		return (enum coffer_err)why;
	}
	if (type == KEYD_MSG_DATA_KEYS_OPEN) {
		assert_int_equal(got, KEYD_MSG_DATA_KEYS);
		return (enum coffer_err)wire_get_u32(&r); /* the one object's code */
	}
	assert_int_equal(got, answer_of(type));
	return COFFER_OK;
}

static void test_column(void **state)
{
	(void)state;
	for (unsigned int type = 0; type < 256; type++) {
		enum keyd_permit got = 0;
		bool served = keyd_permit_of((uint8_t)type, &got);
		size_t i = 0;
		while (i < ARRAY_LEN(column) && column[i].type != type)
			i++;
		if (served != (i < ARRAY_LEN(column)))
			fail_msg("type %u: served %d, expected %d", type, served,
				 i < ARRAY_LEN(column));
		if (served && got != column[i].permit)
			fail_msg("type %u: permit %d, expected %d", type, got, column[i].permit);
		enum keyd_auth_age age = AUTH_ANY;
		if (keyd_auth_age_of((uint8_t)type, &age) != served)
			fail_msg("type %u: an auth age without a permit, or none", type);
		if (served && (age == AUTH_RECENT) != wants_recent((uint8_t)type))
			fail_msg("type %u: auth age %d", type, age);
	}
}

/* Every row that wants a session: each caller refused exactly as its class says. */
static void test_sessions_by_class(void **state)
{
	(void)state;
	struct wire_reader rp;
	/* The passkey rows answer only once keyd has its relying party (the same one as
	 * test_rows_without_session's, which it may set again). */
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_WEBAUTHN_SET);
	wire_put_str(w, "localhost");
	wire_put_str(w, "https://localhost:8443");
	assert_true(frame_end(&req));
	assert_int_equal(handle(&rp), KEYD_MSG_WEBAUTHN_OK);
	for (size_t i = 0; i < ARRAY_LEN(column); i++) {
		if (column[i].permit == PERMIT_NONE)
			continue;
		for (int who = 0; who < WHO__COUNT; who++) {
			build(column[i].type, (enum who)who);
			enum coffer_err got = outcome(column[i].type);
			enum coffer_err expected =
			    want(column[i].permit, column[i].type, (enum who)who);
			if (got != expected)
				fail_msg("type %u, %s: got %d, want %d", column[i].type,
					 who_names[who], got, expected);
		}
	}
}

/* Rows that want no session answer without one: their handlers check their own proof. */
static void test_rows_without_session(void **state)
{
	(void)state;
	static const uint8_t junk[64] = {1, 2, 3};
	struct wire_reader r;
	for (size_t i = 0; i < ARRAY_LEN(column); i++) {
		if (column[i].permit != PERMIT_NONE)
			continue;
		const uint8_t type = column[i].type;
		struct wire_writer *w = frame_begin(&req, type);
		uint8_t want_type = KEYD_MSG_DENIED;
		switch (type) {
		case KEYD_MSG_PING:
			wire_put_u64(w, 7);
			want_type = KEYD_MSG_PONG;
			break;
		case KEYD_MSG_ORG_KEY_NEW:
			wire_put_str(w, "org-c");
			wire_put_u32(w, 1);
			want_type = KEYD_MSG_ORG_KEY;
			break;
		case KEYD_MSG_ACCEPT: /* an invite keyd did not seal */
			wire_put_str(w, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
			wire_put_bytes(w, junk, sizeof junk);
			wire_put_bytes(w, NULL, 0);
			wire_put_str(w, "");
			wire_put_bytes(w, "pw", 2);
			wire_put_u8(w, 0);
			break;
		case KEYD_MSG_TOTP_CONFIRM: /* an account keyd did not seal */
			wire_put_bytes(w, junk, sizeof junk);
			wire_put_str(w, "123456");
			break;
		case KEYD_MSG_LOGIN: /* no account: the dummy hash, then LOGIN_FAILED */
			wire_put_bytes(w, NULL, 0);
			wire_put_bytes(w, "pw", 2);
			wire_put_str(w, "");
			wire_put_u64(w, (uint64_t)-1);
			wire_put_u32(w, 3600);
			for (int f = 0; f < 5; f++)
				wire_put_bytes(w, NULL, 0);
			want_type = KEYD_MSG_LOGIN_FAILED;
			break;
		case KEYD_MSG_WEBAUTHN_SET: /* the relying party, once (the rows after need it) */
			wire_put_str(w, "localhost");
			wire_put_str(w, "https://localhost:8443");
			want_type = KEYD_MSG_WEBAUTHN_OK;
			break;
		case KEYD_MSG_PASSKEY_LOGIN_BEGIN: /* a challenge names nobody */
			want_type = KEYD_MSG_PASSKEY_CHALLENGE;
			break;
		case KEYD_MSG_RESET_ACCEPT: /* a reset keyd did not seal */
			wire_put_str(w, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
			wire_put_bytes(w, junk, sizeof junk);
			wire_put_bytes(w, junk, sizeof junk);
			wire_put_bytes(w, "pw", 2);
			break;
		case KEYD_MSG_PASSWORD_SET: /* an account keyd did not seal */
			wire_put_bytes(w, junk, sizeof junk);
			wire_put_bytes(w, "pw", 2);
			wire_put_bytes(w, "new", 3);
			break;
		case KEYD_MSG_BREACH_LIST: /* the list is the descriptor */
			want_type = KEYD_MSG_BREACH_LISTED;
			break;
		case KEYD_MSG_AUDIT_LINK: /* the web process's own: links for any chain */
			wire_put_u32(w, 0);
			wire_put_str(w, "system");
			wire_put_bytes(w, junk, 32);
			wire_put_u64(w, 1);
			wire_put_u32(w, 1);
			wire_put_raw(w, junk, 32);
			wire_put_u8(w, 1);
			want_type = KEYD_MSG_AUDIT_LINKS;
			break;
		case KEYD_MSG_AUDIT_CHECK: /* a checkpoint keyd did not seal: not believed */
			wire_put_str(w, "system");
			wire_put_u32(w, 1);
			wire_put_u64(w, 1);
			wire_put_bytes(w, junk, 32);
			wire_put_u64(w, 1);
			wire_put_bytes(w, junk, 32);
			want_type = KEYD_MSG_AUDIT_CHECKED;
			break;
		case KEYD_MSG_BACKUP_KEY: /* a new snapshot's key: nothing that exists */
			want_type = KEYD_MSG_BACKUP_KEYS;
			break;
		case KEYD_MSG_SECRET_GET: /* a defined credential keyd holds */
			wire_put_str(w, SECRET_PG_PASSWORD);
			want_type = KEYD_MSG_SECRET;
			break;
		default: fail_msg("no request made here for type %u", type);
		}
		assert_true(frame_end(&req));
		uint8_t got = handle_fd(&r, type == KEYD_MSG_BREACH_LIST ? empty_list() : -1);
		if (got != want_type)
			fail_msg("type %u: answered %u, not %u", type, got, want_type);
		if (got == KEYD_MSG_DENIED)
			assert_int_equal(wire_get_u32(&r), COFFER_ERR_UNAUTHENTICATED);
		if (got == KEYD_MSG_AUDIT_CHECKED)
			assert_int_equal(wire_get_u8(&r), 0);
		if (got ==
		    KEYD_MSG_BACKUP_KEYS) { /* version 1, a fresh salt and key, nothing else */
			assert_int_equal(wire_get_u32(&r), 1);
			assert_non_null(wire_get_raw(&r, 32));
			assert_non_null(wire_get_raw(&r, 32));
			assert_true(wire_reader_end(&r));
		}
		if (got == KEYD_MSG_SECRET) {
			char value[SECRET_VALUE_MAX + 1];
			wire_get_str(&r, value, SECRET_VALUE_MAX);
			assert_true(wire_reader_end(&r));
			assert_string_equal(value, "the pg password");
		}
	}
}

static uint8_t secret_get(const char *name, struct wire_reader *r)
{
	wire_put_str(frame_begin(&req, KEYD_MSG_SECRET_GET), name);
	assert_true(frame_end(&req));
	return handle(r);
}

/* SECRET_GET: a defined name keyd holds is answered with its value; a defined name not set is
 * NOT_FOUND; a name that is not defined is FORBIDDEN even when the file holds it; a name
 * beyond the limit, or bytes after it, end keyd. With no secrets file, every name is
 * NOT_FOUND. */
static void test_secret_get(void **state)
{
	(void)state;
	struct wire_reader r;
	assert_int_equal(secret_get(SECRET_PG_PASSWORD, &r), KEYD_MSG_SECRET);
	assert_int_equal(secret_get(SECRET_S3_SECRET_ACCESS_KEY, &r), KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_NOT_FOUND);
	assert_int_equal(secret_get("a_later_name", &r), KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_FORBIDDEN);
	assert_int_equal(secret_get("pg_password2", &r), KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_FORBIDDEN);
	char long_name[SECRET_NAME_MAX + 2];
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	wire_put_str(frame_begin(&req, KEYD_MSG_SECRET_GET), long_name);
	assert_true(frame_end(&req));
	struct wire_reader in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle(&keys, KEYD_MSG_SECRET_GET, &in, &reply));
	struct wire_writer *w = frame_begin(&req, KEYD_MSG_SECRET_GET);
	wire_put_str(w, SECRET_PG_PASSWORD);
	wire_put_u8(w, 0);
	assert_true(frame_end(&req));
	in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle(&keys, KEYD_MSG_SECRET_GET, &in, &reply));
	(void)frame_begin(&req, KEYD_MSG_SECRET_GET);
	assert_true(frame_end(&req));
	in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle(&keys, KEYD_MSG_SECRET_GET, &in, &reply));
	/* No file: nothing set. */
	struct secrets *held = keys.secrets;
	keys.secrets = NULL;
	assert_int_equal(secret_get(SECRET_PG_PASSWORD, &r), KEYD_MSG_DENIED);
	assert_int_equal(wire_get_u32(&r), COFFER_ERR_NOT_FOUND);
	keys.secrets = held;
}

/* Only BREACH_LIST carries a descriptor, and it must: otherwise the request is malformed (keyd
 * ends), and the descriptor is closed. */
static void test_descriptors(void **state)
{
	(void)state;
	struct wire_reader in;
	(void)frame_begin(&req, KEYD_MSG_BREACH_LIST);
	assert_true(frame_end(&req));
	in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle(&keys, KEYD_MSG_BREACH_LIST, &in, &reply));
	wire_put_u64(frame_begin(&req, KEYD_MSG_PING), 7);
	assert_true(frame_end(&req));
	int fd = empty_list();
	in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle_fd(&keys, KEYD_MSG_PING, &in, &reply, fd));
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	/* A BREACH_LIST with bytes after its (no) fields is malformed too, its descriptor closed.
	 */
	wire_put_u8(frame_begin(&req, KEYD_MSG_BREACH_LIST), 1);
	assert_true(frame_end(&req));
	fd = empty_list();
	in = wire_reader_init(req.buf + 8, req.w.len - 8);
	assert_false(keyd_handle_fd(&keys, KEYD_MSG_BREACH_LIST, &in, &reply, fd));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static int setup(void **state)
{
	(void)state;
	uint8_t org_key[AEAD_KEY_BYTES], data_key[AEAD_KEY_BYTES];
	struct master_keyring *ring = sodium_malloc(sizeof *ring);
	if (ring == NULL)
		return -1;
	memset(ring, 0, sizeof *ring);
	ring->count = 1;
	ring->keys[0].version = 1;
	randombytes_buf(ring->keys[0].key, MASTER_KEY_BYTES);
	const uint8_t *mk = ring->keys[0].key;
	randombytes_buf(org_key, sizeof org_key);
	randombytes_buf(data_key, sizeof data_key);
	const struct object_ctx ctx = {"org-a", "record", "rec-1", 1, LEVEL_INTERNAL};
	if (keywrap_org_key(mk, "org-a", 1, org_key, org_a) != COFFER_OK ||
	    keywrap_data_key(org_key, &ctx, data_key, data_key_wrapped) != COFFER_OK ||
	    keywrap_org_key(mk, "org-b", 1, org_key, org_b) != COFFER_OK)
		return -1;
	sodium_mprotect_readonly(ring);
	if (keyd_keys_from_ring(ring, &keys) != COFFER_OK)
		return -1;
	/* What keyd_secrets_load would have opened: a defined name and one a later coffer set. */
	return secrets_new(&keys.secrets) == COFFER_OK &&
		       secrets_put(keys.secrets, SECRET_PG_PASSWORD,
				   (const uint8_t *)"the pg password", 15, 1) == COFFER_OK &&
		       secrets_put(keys.secrets, "a_later_name", (const uint8_t *)"x", 1, 1) ==
			   COFFER_OK
		   ? 0
		   : -1;
}

static int teardown(void **state)
{
	(void)state;
	keyd_keys_free(&keys);
	return 0;
}

int main(void)
{
	(void)test_audit_signer_install();
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_column),
	    cmocka_unit_test(test_sessions_by_class),
	    cmocka_unit_test(test_rows_without_session),
	    cmocka_unit_test(test_descriptors),
	    cmocka_unit_test(test_secret_get),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
