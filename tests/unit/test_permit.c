/* test_permit.c — keyd/permit.h keyd_permit_check, table-driven, with tickets sealed here:
 * PERMIT_MEMBER releases iff the session is live and the user's clearance in the object's
 * organisation is at or above its level (non-members, near-miss organisation ids and sysadmins
 * are FORBIDDEN; a level that is none is INVALID_INPUT before anything else); a session is
 * live iff its ticket is keyd's, the token presented hashes to the ticket's and it has not
 * expired (else UNAUTHENTICATED, checked before the role); PERMIT_SYSADMIN wants a live
 * sysadmin's; PERMIT_MEMBER_EACH decides each object alone; PERMIT_NONE lets anything by. */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "keyd/permit.h"

#define ISSUED	1700000000
#define EXPIRES (ISSUED + 3600)

static uint8_t key[MAC_KEY_BYTES];
static char token[TOKEN_TEXT_LEN + 1], other_token[TOKEN_TEXT_LEN + 1];
static struct keyd_request q;
static struct keyd_caller caller;

/* A user in "org-1" (clearance CLEARANCE, member) and "org-2" (restricted, admin). */
static void member(struct ticket *t, uint8_t clearance)
{
	memset(t, 0, sizeof *t);
	assert_true(token_hash_text(token, &t->token));
	strcpy(t->user_id, "user-1");
	t->role = TICKET_ROLE_USER;
	t->issued_at = t->authenticated_at = ISSUED;
	t->expires_at = EXPIRES;
	t->n_orgs = 2;
	strcpy(t->orgs[0].org_id, "org-1");
	t->orgs[0].org_role = TICKET_ORG_MEMBER;
	t->orgs[0].clearance = clearance;
	strcpy(t->orgs[1].org_id, "org-2");
	t->orgs[1].org_role = TICKET_ORG_ADMIN;
	t->orgs[1].clearance = LEVEL_RESTRICTED;
}

static void sysadmin(struct ticket *t)
{
	member(t, LEVEL_PUBLIC);
	t->role = TICKET_ROLE_SYSADMIN;
	t->n_orgs = 0;
}

/* Q's session: T sealed here, presented with PRESENTED. */
static void present(const struct ticket *t, const char *presented)
{
	memset(&q, 0, sizeof q);
	snprintf(q.session.token, sizeof q.session.token, "%s", presented);
	assert_int_equal(ticket_seal(key, t, q.session.ticket, &q.session.ticket_len), COFFER_OK);
}

static void object(uint32_t i, const char *org, uint8_t level)
{
	snprintf(q.objects[i].org_id, sizeof q.objects[i].org_id, "%s", org);
	q.objects[i].level = level;
	q.n_objects = i + 1;
}

/* The PERMIT_MEMBER verdict on ORG's object at LEVEL for T, presented with PRESENTED. */
static enum coffer_err member_check(const struct ticket *t, const char *presented, int64_t now,
				    const char *org, uint8_t level)
{
	present(t, presented);
	object(0, org, level);
	return keyd_permit_check(key, NULL, PERMIT_MEMBER, &q, now, &caller);
}

static void test_clearance_against_level(void **state)
{
	(void)state;
	struct ticket t;
	/* want[clearance][level] */
	static const enum coffer_err want[4][4] = {
	    {COFFER_OK, COFFER_ERR_FORBIDDEN, COFFER_ERR_FORBIDDEN, COFFER_ERR_FORBIDDEN},
	    {COFFER_OK, COFFER_OK, COFFER_ERR_FORBIDDEN, COFFER_ERR_FORBIDDEN},
	    {COFFER_OK, COFFER_OK, COFFER_OK, COFFER_ERR_FORBIDDEN},
	    {COFFER_OK, COFFER_OK, COFFER_OK, COFFER_OK},
	};
	for (int c = LEVEL_PUBLIC; c <= LEVEL_RESTRICTED; c++) {
		member(&t, (uint8_t)c);
		for (int l = LEVEL_PUBLIC; l <= LEVEL_RESTRICTED; l++) {
			enum coffer_err got =
			    member_check(&t, token, ISSUED + 1, "org-1", (uint8_t)l);
			if (got != want[c][l])
				fail_msg("clearance %d, level %d: got %d, want %d", c, l, got,
					 want[c][l]);
			/* The admin role elsewhere changes nothing in org-1... */
			t.orgs[0].org_role = TICKET_ORG_ADMIN;
			assert_int_equal(member_check(&t, token, ISSUED + 1, "org-1", (uint8_t)l),
					 want[c][l]);
			t.orgs[0].org_role = TICKET_ORG_MEMBER;
			/* ...and org-2's clearance is org-2's own. */
			assert_int_equal(member_check(&t, token, ISSUED + 1, "org-2", (uint8_t)l),
					 COFFER_OK);
		}
	}
	/* The verified session is handed on. */
	assert_int_equal(member_check(&t, token, ISSUED + 1, "org-1", LEVEL_PUBLIC), COFFER_OK);
	assert_string_equal(caller.ticket.user_id, "user-1");
	assert_true(caller.now == ISSUED + 1);
}

static void test_who_is_refused(void **state)
{
	(void)state;
	struct ticket t;
	static const struct {
		const char *what;
		const char *org;
		int64_t now;
		int who; /* 0 member, 1 wrong token, 2 sysadmin, 3 no orgs, 4 forged, 5 no ticket */
		uint8_t level;
		enum coffer_err want;
	} cases[] = {
	    {"member, first second", "org-1", ISSUED, 0, LEVEL_PUBLIC, COFFER_OK},
	    {"member, last second", "org-1", EXPIRES - 1, 0, LEVEL_RESTRICTED, COFFER_OK},
	    {"other org", "org-3", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"prefix of member org", "org-", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"member org is a prefix", "org-10", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"member org with suffix", "org-1 ", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"member org, other case", "ORG-1", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"shorter than member org", "org", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"empty org id", "", ISSUED + 1, 0, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"member in no org", "org-1", ISSUED + 1, 3, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"sysadmin", "org-1", ISSUED + 1, 2, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"sysadmin, any org", "org-3", ISSUED + 1, 2, LEVEL_PUBLIC, COFFER_ERR_FORBIDDEN},
	    {"expires now", "org-1", EXPIRES, 0, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"expired", "org-1", EXPIRES + 1, 0, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"expired long ago", "org-1", INT64_MAX, 0, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"sysadmin, expired", "org-1", EXPIRES, 2, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"wrong token", "org-1", ISSUED + 1, 1, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"wrong token, non-member", "org-3", ISSUED + 1, 1, LEVEL_PUBLIC,
	     COFFER_ERR_UNAUTHENTICATED},
	    {"wrong token, expired", "org-1", EXPIRES, 1, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"forged ticket", "org-1", ISSUED + 1, 4, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"no ticket", "org-1", ISSUED + 1, 5, LEVEL_PUBLIC, COFFER_ERR_UNAUTHENTICATED},
	    {"level that is none", "org-1", ISSUED + 1, 0, LEVEL_RESTRICTED + 1,
	     COFFER_ERR_INVALID_INPUT},
	    {"level that is none, expired", "org-1", EXPIRES, 0, 0xff, COFFER_ERR_INVALID_INPUT},
	    {"level that is none, no ticket", "org-1", ISSUED + 1, 5, 4, COFFER_ERR_INVALID_INPUT},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		member(&t, LEVEL_RESTRICTED);
		const char *presented = token;
		if (cases[i].who == 1)
			presented = other_token;
		else if (cases[i].who == 2)
			sysadmin(&t);
		else if (cases[i].who == 3)
			t.n_orgs = 0;
		present(&t, presented);
		if (cases[i].who == 4)
			q.session.ticket[q.session.ticket_len - 1] ^= 1;
		else if (cases[i].who == 5)
			q.session.ticket_len = 0;
		object(0, cases[i].org, cases[i].level);
		enum coffer_err got =
		    keyd_permit_check(key, NULL, PERMIT_MEMBER, &q, cases[i].now, &caller);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what, got, cases[i].want);
	}
}

static void test_token_hash_compared_in_full(void **state)
{
	(void)state;
	struct ticket t;
	member(&t, LEVEL_RESTRICTED);
	/* A ticket whose token hash differs from the presented token's in any one byte is
	 * another session's. */
	for (size_t i = 0; i < TOKEN_HASH_BYTES; i++) {
		struct ticket other = t;
		other.token.bytes[i] ^= 0x01;
		if (member_check(&other, token, ISSUED + 1, "org-1", LEVEL_PUBLIC) !=
		    COFFER_ERR_UNAUTHENTICATED)
			fail_msg("byte %zu of the token hash is not compared", i);
	}
	/* A token that is not a token at all. */
	char bad[TOKEN_TEXT_LEN + 1];
	memset(bad, '!', TOKEN_TEXT_LEN);
	bad[TOKEN_TEXT_LEN] = '\0';
	assert_int_equal(member_check(&t, bad, ISSUED + 1, "org-1", LEVEL_PUBLIC),
			 COFFER_ERR_UNAUTHENTICATED);
}

/* Sealed under another key: not keyd's. */
static void test_ticket_of_another_key(void **state)
{
	(void)state;
	struct ticket t;
	uint8_t other_key[MAC_KEY_BYTES];
	member(&t, LEVEL_RESTRICTED);
	present(&t, token);
	object(0, "org-1", LEVEL_PUBLIC);
	randombytes_buf(other_key, sizeof other_key);
	assert_int_equal(keyd_permit_check(other_key, NULL, PERMIT_MEMBER, &q, ISSUED + 1, &caller),
			 COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(
	    keyd_permit_check(other_key, NULL, PERMIT_SYSADMIN, &q, ISSUED + 1, &caller),
	    COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_MEMBER, &q, ISSUED + 1, &caller),
			 COFFER_OK);
}

/* Memberships are looked up by exact id wherever they are in the list, up to the last. */
static void test_membership_anywhere_in_list(void **state)
{
	(void)state;
	struct ticket t;
	member(&t, LEVEL_PUBLIC);
	t.n_orgs = TICKET_ORGS_MAX;
	for (uint32_t i = 0; i < TICKET_ORGS_MAX; i++) {
		snprintf(t.orgs[i].org_id, sizeof t.orgs[i].org_id, "org-x%u", (unsigned int)i);
		t.orgs[i].org_role = TICKET_ORG_MEMBER;
		t.orgs[i].clearance = (uint8_t)(i % 4);
	}
	for (uint32_t i = 0; i < TICKET_ORGS_MAX; i++) {
		char org[TICKET_ID_MAX + 1];
		snprintf(org, sizeof org, "org-x%u", (unsigned int)i);
		for (int l = LEVEL_PUBLIC; l <= LEVEL_RESTRICTED; l++) {
			enum coffer_err want = (int)(i % 4) >= l ? COFFER_OK : COFFER_ERR_FORBIDDEN;
			assert_int_equal(member_check(&t, token, ISSUED + 1, org, (uint8_t)l),
					 want);
		}
	}
	/* Only the first n_orgs count. */
	t.n_orgs = 10;
	assert_int_equal(member_check(&t, token, ISSUED + 1, "org-x10", LEVEL_PUBLIC),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(member_check(&t, token, ISSUED + 1, "org-x9", LEVEL_PUBLIC), COFFER_OK);
}

static void test_sysadmin(void **state)
{
	(void)state;
	struct ticket t;
	sysadmin(&t);
	present(&t, token);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, ISSUED + 1, &caller),
			 COFFER_OK);
	assert_int_equal(caller.ticket.role, TICKET_ROLE_SYSADMIN);
	/* Live: until its expiry, by this token, as sealed. */
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, EXPIRES - 1, &caller),
			 COFFER_OK);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, EXPIRES, &caller),
			 COFFER_ERR_UNAUTHENTICATED);
	present(&t, other_token);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, ISSUED + 1, &caller),
			 COFFER_ERR_UNAUTHENTICATED);
	present(&t, token);
	q.session.ticket[5] ^= 0x10;
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, ISSUED + 1, &caller),
			 COFFER_ERR_UNAUTHENTICATED);
	/* A user's live session, whatever their memberships: FORBIDDEN. */
	member(&t, LEVEL_RESTRICTED);
	present(&t, token);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, ISSUED + 1, &caller),
			 COFFER_ERR_FORBIDDEN);
	/* ...and an expired one UNAUTHENTICATED, as any session that is not live. */
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_SYSADMIN, &q, EXPIRES, &caller),
			 COFFER_ERR_UNAUTHENTICATED);
}

/* Each object of a batch on its own: the request passes, each verdict is PERMIT_MEMBER's. */
static void test_member_each(void **state)
{
	(void)state;
	struct ticket t;
	member(&t, LEVEL_INTERNAL);
	present(&t, token);
	object(0, "org-1", LEVEL_PUBLIC);
	object(1, "org-1", LEVEL_CONFIDENTIAL);
	object(2, "org-3", LEVEL_PUBLIC);
	object(3, "org-2", LEVEL_RESTRICTED);
	object(4, "org-1", 9);
	const enum coffer_err want[] = {COFFER_OK, COFFER_ERR_FORBIDDEN, COFFER_ERR_FORBIDDEN,
					COFFER_OK, COFFER_ERR_INVALID_INPUT};
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_MEMBER_EACH, &q, ISSUED + 1, &caller),
			 COFFER_OK);
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		assert_int_equal(caller.verdict[i], want[i]);
	/* Expired: every object UNAUTHENTICATED but the one whose level is none. */
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_MEMBER_EACH, &q, EXPIRES, &caller),
			 COFFER_OK);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(caller.verdict[i], COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(caller.verdict[4], COFFER_ERR_INVALID_INPUT);
	/* A sysadmin: FORBIDDEN, every object. */
	sysadmin(&t);
	present(&t, token);
	for (uint32_t i = 0; i < 4; i++)
		object(i, "org-1", LEVEL_PUBLIC);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_MEMBER_EACH, &q, ISSUED + 1, &caller),
			 COFFER_OK);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(caller.verdict[i], COFFER_ERR_FORBIDDEN);
}

/* PERMIT_NONE asks for nothing, not even a ticket; a permit that is no class is refused. */
static void test_none_and_unknown(void **state)
{
	(void)state;
	memset(&q, 0, sizeof q);
	assert_int_equal(keyd_permit_check(key, NULL, PERMIT_NONE, &q, ISSUED, &caller), COFFER_OK);
	assert_true(caller.now == ISSUED);
	struct ticket t;
	member(&t, LEVEL_RESTRICTED);
	present(&t, token);
	object(0, "org-1", LEVEL_PUBLIC);
	assert_int_equal(keyd_permit_check(key, NULL, (enum keyd_permit)0, &q, ISSUED + 1, &caller),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(
	    keyd_permit_check(key, NULL, (enum keyd_permit)99, &q, ISSUED + 1, &caller),
	    COFFER_ERR_FORBIDDEN);
}

/* keyd_auth_recent: at most KEYD_REAUTH_AFTER_S old at keyd's clock (a time after it, from a
 * keyd whose clock runs ahead, counts as recent). */
static void test_auth_recent(void **state)
{
	(void)state;
	static const struct {
		int64_t age;
		enum coffer_err want;
	} cases[] = {
	    {-30, COFFER_OK},
	    {0, COFFER_OK},
	    {KEYD_REAUTH_AFTER_S - 1, COFFER_OK},
	    {KEYD_REAUTH_AFTER_S, COFFER_OK},
	    {KEYD_REAUTH_AFTER_S + 1, COFFER_ERR_REAUTHENTICATION_REQUIRED},
	    {EXPIRES - ISSUED, COFFER_ERR_REAUTHENTICATION_REQUIRED},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		memset(&caller, 0, sizeof caller);
		caller.ticket.authenticated_at = ISSUED;
		caller.now = ISSUED + cases[i].age;
		if (keyd_auth_recent(&caller) != cases[i].want)
			fail_msg("authenticated %lld s ago", (long long)cases[i].age);
	}
	assert_int_equal(KEYD_REAUTH_AFTER_S, 15 * 60);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	struct token_hash ignored;
	randombytes_buf(key, sizeof key);
	token_generate(token, &ignored);
	token_generate(other_token, &ignored);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clearance_against_level),
	    cmocka_unit_test(test_who_is_refused),
	    cmocka_unit_test(test_token_hash_compared_in_full),
	    cmocka_unit_test(test_ticket_of_another_key),
	    cmocka_unit_test(test_membership_anywhere_in_list),
	    cmocka_unit_test(test_sysadmin),
	    cmocka_unit_test(test_member_each),
	    cmocka_unit_test(test_none_and_unknown),
	    cmocka_unit_test(test_auth_recent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
