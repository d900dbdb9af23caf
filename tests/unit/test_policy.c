/* test_policy.c — keyd/policy.h policy_data_key, table-driven: a member gets a data key iff
 * their clearance in the object's organisation is at or above its level; non-members, near-miss
 * organisation ids and sysadmins are FORBIDDEN; a token that does not match the ticket, or a
 * ticket at or past its expiry, is UNAUTHENTICATED (and that is checked before anything else). */
#include "test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "keyd/policy.h"

#define ISSUED	1700000000
#define EXPIRES (ISSUED + 3600)

static struct token_hash token, other_token;

/* A user in "org-1" (clearance CLEARANCE, member) and "org-2" (restricted, admin). */
static void member(struct ticket *t, uint8_t clearance)
{
	memset(t, 0, sizeof *t);
	t->token = token;
	strcpy(t->user_id, "user-1");
	t->role = TICKET_ROLE_USER;
	t->issued_at = ISSUED;
	t->expires_at = EXPIRES;
	t->n_orgs = 2;
	strcpy(t->orgs[0].org_id, "org-1");
	t->orgs[0].org_role = TICKET_ORG_MEMBER;
	t->orgs[0].clearance = clearance;
	strcpy(t->orgs[1].org_id, "org-2");
	t->orgs[1].org_role = TICKET_ORG_ADMIN;
	t->orgs[1].clearance = LEVEL_RESTRICTED;
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
			    policy_data_key(&t, &token, ISSUED + 1, "org-1", (enum level)l);
			if (got != want[c][l])
				fail_msg("clearance %d, level %d: got %d, want %d", c, l, got,
					 want[c][l]);
			/* The admin role elsewhere changes nothing in org-1... */
			t.orgs[0].org_role = TICKET_ORG_ADMIN;
			assert_int_equal(
			    policy_data_key(&t, &token, ISSUED + 1, "org-1", (enum level)l),
			    want[c][l]);
			t.orgs[0].org_role = TICKET_ORG_MEMBER;
			/* ...and org-2's clearance is org-2's own. */
			assert_int_equal(
			    policy_data_key(&t, &token, ISSUED + 1, "org-2", (enum level)l),
			    COFFER_OK);
		}
	}
}

static void test_who_is_refused(void **state)
{
	(void)state;
	struct ticket t;
	static const struct {
		const char *what;
		const char *org;
		int64_t now;
		int who; /* 0 member, 1 wrong token, 2 sysadmin, 3 no orgs */
		enum level level;
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
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		member(&t, LEVEL_RESTRICTED);
		const struct token_hash *presented = &token;
		switch (cases[i].who) {
		case 1: presented = &other_token; break;
		case 2:
			t.role = TICKET_ROLE_SYSADMIN;
			t.n_orgs = 0;
			break;
		case 3: t.n_orgs = 0; break;
		default: break;
		}
		enum coffer_err got =
		    policy_data_key(&t, presented, cases[i].now, cases[i].org, cases[i].level);
		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what, got, cases[i].want);
	}
}

/* Even a sysadmin ticket that (wrongly) lists memberships gets nothing. */
static void test_sysadmin_never_gets_a_key(void **state)
{
	(void)state;
	struct ticket t;
	member(&t, LEVEL_RESTRICTED);
	t.role = TICKET_ROLE_SYSADMIN;
	for (int l = LEVEL_PUBLIC; l <= LEVEL_RESTRICTED; l++)
		assert_int_equal(policy_data_key(&t, &token, ISSUED + 1, "org-1", (enum level)l),
				 COFFER_ERR_FORBIDDEN);
	/* Neither does any role that is not a user's. */
	t.role = 0;
	assert_int_equal(policy_data_key(&t, &token, ISSUED + 1, "org-1", LEVEL_PUBLIC),
			 COFFER_ERR_FORBIDDEN);
}

static void test_token_hash_compared_in_full(void **state)
{
	(void)state;
	struct ticket t;
	member(&t, LEVEL_RESTRICTED);
	/* Any single differing byte of the presented hash is a different session. */
	for (size_t i = 0; i < TOKEN_HASH_BYTES; i++) {
		struct token_hash h = token;
		h.bytes[i] ^= 0x01;
		if (policy_data_key(&t, &h, ISSUED + 1, "org-1", LEVEL_PUBLIC) !=
		    COFFER_ERR_UNAUTHENTICATED)
			fail_msg("byte %zu of the token hash is not compared", i);
	}
	/* A ticket for the token from token_hash_text of its own text. */
	char text[TOKEN_TEXT_LEN + 1];
	struct token_hash fresh, again;
	token_generate(text, &fresh);
	assert_true(token_hash_text(text, &again));
	t.token = fresh;
	assert_int_equal(policy_data_key(&t, &again, ISSUED + 1, "org-1", LEVEL_RESTRICTED),
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
			assert_int_equal(
			    policy_data_key(&t, &token, ISSUED + 1, org, (enum level)l), want);
		}
	}
	/* Only the first n_orgs count. */
	t.n_orgs = 10;
	assert_int_equal(policy_data_key(&t, &token, ISSUED + 1, "org-x10", LEVEL_PUBLIC),
			 COFFER_ERR_FORBIDDEN);
	assert_int_equal(policy_data_key(&t, &token, ISSUED + 1, "org-x9", LEVEL_PUBLIC),
			 COFFER_OK);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(token.bytes, sizeof token.bytes);
	other_token = token;
	other_token.bytes[TOKEN_HASH_BYTES - 1] ^= 0x80;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clearance_against_level),
	    cmocka_unit_test(test_who_is_refused),
	    cmocka_unit_test(test_sysadmin_never_gets_a_key),
	    cmocka_unit_test(test_token_hash_compared_in_full),
	    cmocka_unit_test(test_membership_anywhere_in_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
