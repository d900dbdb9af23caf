/* test_keyd_breach.c — keyd's breached-password list, through a real keyd over its socket: the
 * list handed over as a descriptor (BREACH_LIST), an account's password looked up in it by the
 * SHA-1 keyd sealed in the account (BREACH_CHECK) for the live session of that account's user
 * only, each verdict (no list yet, clear, found, an account without a digest), a new list
 * taking the old one's place, the allowance of new lists, and a password change or a join
 * giving the account the digest of the password keyd was given. */
#define KEYD_FIXTURE_DIR "/tmp/coffer-test-keyd-breach-XXXXXX"
#include "test_util.h"

#include "test_keyd_fixture.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <time.h>

#include "common/uuid.h"
#include "keyd/account.h"
#include "keyd/breach_list.h"
#include "keyd/seal.h"
#include "keyd/ticket.h"

#define PASSWORD "correct horse battery staple"
#define OTHER	 "Tr0ub4dor&3 but longer"
#define TTL	 3600

static int reap_keyd(void **state)
{
	(void)state;
	keyd_reap();
	return 0;
}

/* A file holding the Pwned Passwords lines of PASSWORDS (sorted), open for reading. */
static int list_of(const char *const *passwords, size_t n)
{
	char lines[16][64];
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		uint8_t sha1[20];
		unsigned int len = 0;
		assert_int_equal(
		    EVP_Digest(passwords[i], strlen(passwords[i]), sha1, &len, EVP_sha1(), NULL),
		    1);
		for (size_t k = 0; k < 20; k++)
			snprintf(lines[i] + 2 * k, 3, "%02X", sha1[k]);
		snprintf(lines[i] + 40, 24, ":%zu", i + 1);
	}
	qsort(lines, n, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
	FILE *f = tmpfile();
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	assert_int_equal(fflush(f), 0);
	int fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	return fd;
}

/* An account of a new user in a new organisation, made by keyd from an invitation, with
 * PASSWORD; and a session of it. */
struct person {
	char user_id[UUID_TEXT_LEN + 1];
	struct keyd_sealed account;
	struct keyd_login_result login;
	struct keyd_session session;
};

static void make_person(struct person *p, const char *password)
{
	char token[TOKEN_TEXT_LEN + 1], org[UUID_TEXT_LEN + 1];
	struct invite inv;
	uint8_t sealed[INVITE_SEALED_MAX];
	size_t len = 0;
	uint8_t secret[ACCOUNT_TOTP_SECRET_BYTES];
	bool has_secret = true;
	memset(&inv, 0, sizeof inv);
	memset(p, 0, sizeof *p);
	uuid_generate(org);
	uuid_generate(p->user_id);
	token_generate(token, &inv.token);
	snprintf(inv.email, sizeof inv.email, "%.8s@example.org", p->user_id);
	snprintf(inv.org_id, sizeof inv.org_id, "%s", org);
	inv.role = INVITE_MEMBER;
	inv.clearance = LEVEL_INTERNAL;
	inv.expires_at = (int64_t)time(NULL) + 3600;
	assert_int_equal(invite_seal(keys.seals, &inv, sealed, &len), COFFER_OK);
	const struct keyd_accept in = {.invite_token = token,
				       .invite = sealed,
				       .invite_len = len,
				       .user_id = p->user_id,
				       .password = password,
				       .password_len = strlen(password),
				       .with_totp = false};
	assert_int_equal(keyd_accept(client, &in, &p->account, secret, &has_secret), COFFER_OK);
	assert_false(has_secret);
	const struct keyd_login l = {.account = p->account.bytes,
				     .account_len = p->account.len,
				     .password = password,
				     .password_len = strlen(password),
				     .code = "",
				     .last_step = -1,
				     .ttl_s = TTL};
	assert_int_equal(keyd_login(client, &l, &p->login), COFFER_OK);
	p->session = (struct keyd_session){
	    .token = p->login.token, .ticket = p->login.ticket, .ticket_len = p->login.ticket_len};
}

static enum keyd_breach_verdict check(const struct person *p, const struct keyd_sealed *account,
				      uint64_t *generation)
{
	enum keyd_breach_verdict v = 99;
	assert_int_equal(
	    keyd_breach_check(client, &p->session, account->bytes, account->len, &v, generation),
	    COFFER_OK);
	return v;
}

static void give(const char *const *passwords, size_t n, uint64_t want_generation)
{
	uint64_t g = 0;
	int fd = list_of(passwords, n);
	assert_int_equal(keyd_breach_list(client, fd, &g), COFFER_OK);
	close(fd); /* the caller's copy: keyd has its own */
	assert_int_equal(g, want_generation);
}

static void test_lookups(void **state)
{
	(void)state;
	struct person ann, bob;
	uint64_t g = 99;
	make_person(&ann, PASSWORD);
	make_person(&bob, OTHER);
	/* Nothing to look in yet. */
	assert_int_equal(check(&ann, &ann.account, &g), KEYD_BREACH_NO_LIST);
	assert_int_equal(g, 0);
	static const char *const first[] = {"123456", "password", OTHER};
	give(first, ARRAY_LEN(first), 1);
	assert_int_equal(check(&ann, &ann.account, &g), KEYD_BREACH_CLEAR);
	assert_int_equal(g, 1);
	assert_int_equal(check(&bob, &bob.account, &g), KEYD_BREACH_FOUND);
	/* A later list replaces it. */
	static const char *const second[] = {PASSWORD, "qwerty"};
	give(second, ARRAY_LEN(second), 2);
	assert_int_equal(check(&ann, &ann.account, &g), KEYD_BREACH_FOUND);
	assert_int_equal(g, 2);
	assert_int_equal(check(&bob, &bob.account, &g), KEYD_BREACH_CLEAR);
	/* Only about the session's own account. */
	enum keyd_breach_verdict v = 99;
	assert_int_equal(
	    keyd_breach_check(client, &ann.session, bob.account.bytes, bob.account.len, &v, &g),
	    COFFER_ERR_UNAUTHENTICATED);
	assert_int_equal(v, 99);
	struct keyd_session forged = ann.session;
	forged.token = bob.login.token;
	assert_int_equal(
	    keyd_breach_check(client, &forged, ann.account.bytes, ann.account.len, &v, &g),
	    COFFER_ERR_UNAUTHENTICATED);
	struct keyd_sealed tampered = ann.account;
	tampered.bytes[30] ^= 1;
	assert_int_equal(
	    keyd_breach_check(client, &ann.session, tampered.bytes, tampered.len, &v, &g),
	    COFFER_ERR_UNAUTHENTICATED);
	/* A password change gives the account the new password's digest. */
	struct keyd_sealed changed;
	assert_int_equal(keyd_password_set(client, ann.account.bytes, ann.account.len, PASSWORD,
					   strlen(PASSWORD), "a brand new secret", 18, &changed),
			 COFFER_OK);
	assert_int_equal(check(&ann, &changed, &g), KEYD_BREACH_CLEAR);
	/* An account keyd sealed without a digest (as before keyd kept them) has no verdict. */
	struct account a;
	struct keyd_sealed legacy;
	assert_int_equal(account_open(keys.seals, ann.account.bytes, ann.account.len, &a),
			 COFFER_OK);
	assert_true(a.has_breach);
	a.has_breach = false;
	assert_int_equal(account_seal(keys.seals, &a, legacy.bytes, &legacy.len), COFFER_OK);
	assert_int_equal(check(&ann, &legacy, &g), KEYD_BREACH_NO_DIGEST);
	/* The list keyd is given must be a list: refused with its reason, the old one kept. */
	FILE *f = tmpfile();
	assert_non_null(f);
	fputs("not a breached-password list\n", f);
	fflush(f);
	int bad = dup(fileno(f));
	fclose(f);
	assert_int_equal(keyd_breach_list(client, bad, &g), COFFER_ERR_CONFIG);
	close(bad);
	int dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(keyd_breach_list(client, dirfd, &g), COFFER_ERR_IO);
	close(dirfd);
	assert_int_equal(check(&ann, &ann.account, &g), KEYD_BREACH_FOUND);
	assert_int_equal(g, 2);
	stop_expect(0);
}

static void test_allowance(void **state)
{
	(void)state;
	static const char *const list[] = {"123456"};
	uint64_t g = 0;
	for (uint64_t i = 1; i <= KEYD_BREACH_LISTS_BURST; i++)
		give(list, 1, i);
	int fd = list_of(list, 1);
	assert_int_equal(keyd_breach_list(client, fd, &g), COFFER_ERR_THROTTLED);
	close(fd);
	/* keyd is still there, with its last list. */
	assert_int_equal(keyd_ping(client), COFFER_OK);
	stop_expect(0);
}

/* The allowance's arithmetic, on keyd's list directly: a burst, then one an hour. */
static void test_allowance_refills(void **state)
{
	(void)state;
	struct keyd_breach_list *b = NULL;
	static const char *const list[] = {"123456"};
	uint64_t g = 0;
	assert_int_equal(keyd_breach_list_new(&b), COFFER_OK);
	int64_t t0 = 1700000000;
	for (int i = 0; i < KEYD_BREACH_LISTS_BURST; i++)
		assert_int_equal(keyd_breach_list_take(b, list_of(list, 1), t0 + i, &g), COFFER_OK);
	assert_int_equal(g, KEYD_BREACH_LISTS_BURST);
	assert_int_equal(keyd_breach_list_take(b, list_of(list, 1), t0 + 60, &g),
			 COFFER_ERR_THROTTLED);
	/* An hour after the first, one more; not a second sooner, and then none. */
	assert_int_equal(
	    keyd_breach_list_take(b, list_of(list, 1), t0 + KEYD_BREACH_LIST_REFILL_S - 1, &g),
	    COFFER_ERR_THROTTLED);
	assert_int_equal(
	    keyd_breach_list_take(b, list_of(list, 1), t0 + KEYD_BREACH_LIST_REFILL_S, &g),
	    COFFER_OK);
	assert_int_equal(
	    keyd_breach_list_take(b, list_of(list, 1), t0 + KEYD_BREACH_LIST_REFILL_S + 1, &g),
	    COFFER_ERR_THROTTLED);
	/* A clock that goes back earns nothing. */
	assert_int_equal(keyd_breach_list_take(b, list_of(list, 1), t0, &g), COFFER_ERR_THROTTLED);
	/* A day later the allowance is full again, and no fuller. */
	int64_t later = t0 + 24 * 3600;
	for (int i = 0; i < KEYD_BREACH_LISTS_BURST; i++)
		assert_int_equal(keyd_breach_list_take(b, list_of(list, 1), later, &g), COFFER_OK);
	assert_int_equal(keyd_breach_list_take(b, list_of(list, 1), later, &g),
			 COFFER_ERR_THROTTLED);
	bool found = false;
	uint8_t sha1[20] = {0};
	assert_int_equal(keyd_breach_list_check(b, sha1, &found, &g), COFFER_OK);
	assert_false(found);
	assert_int_equal(g, 2 * KEYD_BREACH_LISTS_BURST + 1);
	keyd_breach_list_free(b);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lookups, start_keyd, reap_keyd),
	    cmocka_unit_test_setup_teardown(test_allowance, start_keyd, reap_keyd),
	    cmocka_unit_test(test_allowance_refills),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
