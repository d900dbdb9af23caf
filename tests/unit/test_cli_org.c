/* test_cli_org.c — `coffer org recover` and the invitations the command line seals itself
 * (cli/invite.h): a sealed invitation opens with keyd's keys and says exactly what was ordered;
 * an order keyd would refuse is refused; the printed link; a recovery writes the invitation
 * (org_admin, restricted), both chains and the members' notice, and a refused one writes
 * nothing. The command runs in-process (cmd_org), on an unsealed master key; the sealed key
 * and the live server are the end-to-end test's (tests/e2e/test_org_recover.py). */
#include "test_store_people.h"

#include "audit/chain.h"
#include "cli/cli.h"
#include "cli/invite.h"
#include "common/fileio.h"
#include "common/timefmt.h"
#include "common/level.h"
#include "crypto/master_key.h"
#include "keyd/account.h"
#include "keyd/seal.h"
#include "test_cli_run.h"
#include "test_audit_signer.h"

#define CONF "listen = 127.0.0.1:9443\ntls_cert = tls/cert.pem\ntls_key = tls/key.pem\n"

static struct audit_mac_keys *keys; /* the deployment's, as its commands derive them */

/* A deployment in the test's directory: an unsealed master key and coffer.conf; the test's
 * own audit entries linked with the deployment's audit keys. */
static int deploy_setup(void **state)
{
	char path[PATH_MAX];
	if (env_setup(state) != 0)
		return -1;
	struct env *e = *state;
	path_in(e->tmp, MASTER_KEY_FILE, path);
	if (master_key_create(path, NULL, 0) != COFFER_OK)
		return -1;
	path_in(e->tmp, "coffer.conf", path);
	if (file_write_atomic(path, CONF, strlen(CONF), 0600, 1) != COFFER_OK)
		return -1;
	keys = test_audit_signer_install_for(e->tmp->dir, e->st);
	return 0;
}

static int deploy_teardown(void **state)
{
	audit_signer_install(NULL, NULL, NULL);
	audit_mac_keys_free(keys);
	keys = NULL;
	return env_teardown(state);
}

static struct master_keyring *load_ring(const struct env *e)
{
	char path[PATH_MAX];
	struct master_keyring *ring = NULL;
	path_in(e->tmp, MASTER_KEY_FILE, path);
	assert_int_equal(master_key_load(path, NULL, 0, &ring), COFFER_OK);
	return ring;
}

/* Opens REC's seal as keyd would, into *INV. */
static enum coffer_err open_as_keyd(const struct master_keyring *ring,
				    const struct invite_record *rec, struct invite *inv)
{
	struct seal_keys *seals = NULL;
	assert_int_equal(seal_keys_derive(ring, &seals), COFFER_OK);
	enum coffer_err err = invite_open(seals, rec->sealed, rec->sealed_len, inv);
	seal_keys_free(seals);
	return err;
}

static void test_seal_opens_as_keyd_would(void **state)
{
	struct env *e = *state;
	struct master_keyring *ring = load_ring(e);
	char org[STORE_ID_MAX + 1], token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash, presented;
	struct invite_record rec;
	struct invite inv;
	uuid_generate(org);
	const struct cli_invite_order admin = {.email = "new@example.org",
					       .role = INVITE_ORG_ADMIN,
					       .org_id = org,
					       .clearance = LEVEL_RESTRICTED};
	assert_int_equal(cli_invite_seal(ring, &admin, T0, token, &hash, &rec), COFFER_OK);
	assert_true(token_hash_text(token, &presented));
	assert_memory_equal(presented.bytes, hash.bytes, TOKEN_HASH_BYTES);
	assert_string_equal(rec.email, "new@example.org");
	assert_string_equal(rec.role, "org_admin");
	assert_string_equal(rec.org_id, org);
	assert_string_equal(rec.clearance, "restricted");
	assert_string_equal(rec.created_by, "");
	assert_int_equal(rec.created_at, T0);
	assert_int_equal(rec.expires_at, T0 + INVITE_TTL_S);
	assert_int_equal(open_as_keyd(ring, &rec, &inv), COFFER_OK);
	assert_memory_equal(inv.token.bytes, hash.bytes, TOKEN_HASH_BYTES);
	assert_string_equal(inv.email, "new@example.org");
	assert_int_equal(inv.role, INVITE_ORG_ADMIN);
	assert_string_equal(inv.org_id, org);
	assert_int_equal(inv.clearance, LEVEL_RESTRICTED);
	assert_int_equal(inv.expires_at, T0 + INVITE_TTL_S);
	/* A changed byte of the seal no longer opens. */
	rec.sealed[3] ^= 1;
	assert_int_not_equal(open_as_keyd(ring, &rec, &inv), COFFER_OK);

	const struct cli_invite_order sysadmin = {.email = "root@example.org",
						  .role = INVITE_SYSADMIN};
	assert_int_equal(cli_invite_seal(ring, &sysadmin, T0, token, &hash, &rec), COFFER_OK);
	assert_string_equal(rec.role, "sysadmin");
	assert_string_equal(rec.org_id, "");
	assert_string_equal(rec.clearance, "");
	assert_int_equal(open_as_keyd(ring, &rec, &inv), COFFER_OK);
	assert_int_equal(inv.role, INVITE_SYSADMIN);
	assert_string_equal(inv.org_id, "");
	assert_int_equal(inv.clearance, 0);
	master_keyring_free(ring);
}

static void test_seal_refuses_what_keyd_would(void **state)
{
	struct env *e = *state;
	struct master_keyring *ring = load_ring(e);
	char org[STORE_ID_MAX + 1], token[TOKEN_TEXT_LEN + 1];
	struct token_hash hash;
	struct invite_record rec;
	uuid_generate(org);
	// clang-format off
	const struct cli_invite_order bad[] = {
	    {.email = "New@example.org", .role = INVITE_ORG_ADMIN, .org_id = org},  /* not normal */
	    {.email = "not an email",    .role = INVITE_ORG_ADMIN, .org_id = org},
	    {.email = NULL,              .role = INVITE_ORG_ADMIN, .org_id = org},
	    {.email = "a@example.org",   .role = INVITE_SYSADMIN,  .org_id = org},
	    {.email = "a@example.org",   .role = INVITE_ORG_ADMIN, .org_id = NULL},
	    {.email = "a@example.org",   .role = INVITE_MEMBER,    .org_id = "../../etc"},
	    {.email = "a@example.org",   .role = INVITE_ORG_ADMIN, .org_id = org,
	     .clearance = (enum level)(LEVEL_RESTRICTED + 1)},
	    {.email = "a@example.org",   .role = (enum invite_role)0, .org_id = org},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		rec.sealed_len = 0;
		assert_int_equal(cli_invite_seal(ring, &bad[i], T0, token, &hash, &rec),
				 COFFER_ERR_INVALID_INPUT);
		assert_int_equal(rec.sealed_len, 0); /* untouched */
	}
	master_keyring_free(ring);
}

static void test_invite_url(void **state)
{
	(void)state;
	const char *token = "tok";
	// clang-format off
	static const struct { const char *host; uint16_t port; const char *want; } cases[] = {
	    {"127.0.0.1",        8443, "https://127.0.0.1:8443/invite/tok"},
	    {"0.0.0.0",          443,  "https://localhost:443/invite/tok"},
	    {"::",               8443, "https://localhost:8443/invite/tok"},
	    {"::1",              8443, "https://[::1]:8443/invite/tok"},
	    {"coffer.example.org", 9000, "https://coffer.example.org:9000/invite/tok"},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct listen_addr l = {.port = cases[i].port};
		char out[512];
		snprintf(l.host, sizeof l.host, "%s", cases[i].host);
		cli_invite_url(&l, token, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
}

/* `coffer org recover --data DIR --org ORG --admin-email EMAIL`. */
static struct cli_run recover(const struct env *e, const char *org, const char *email)
{
	char org_arg[64], email_arg[300];
	snprintf(org_arg, sizeof org_arg, "%s", org);
	snprintf(email_arg, sizeof email_arg, "%s", email);
	char *argv[] = {"org",	 "recover",	  "--data",  e->tmp->dir, "--org",
			org_arg, "--admin-email", email_arg, NULL};
	struct cli_run r = cli_run(cmd_org, 8, argv);
	/* The command installs and removes a signer of its own: put the test's back. */
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, test_audit_store_now, e->st);
	return r;
}

/* What a recovery writes, counted. */
static int64_t written(const struct env *e)
{
	return raw_int(e, "SELECT (SELECT count(*) FROM invites) + (SELECT count(*) FROM notices) "
			  "+ (SELECT count(*) FROM audit)");
}

/* The last entry of ORG's chain. */
static void org_chain_last(const struct env *e, const char *org, struct audit_entry *out)
{
	struct org_db *odb = NULL;
	struct audit_entry all[8];
	size_t n = 0;
	assert_int_equal(store_org_db_open(e->tmp->dir, org, false, &odb), COFFER_OK);
	assert_int_equal(store_org_audit_list(odb, 0, all, ARRAY_LEN(all), &n), COFFER_OK);
	uint64_t broken = 0, count = 0;
	assert_int_equal(store_org_audit_verify(odb, org, &count, &broken), COFFER_OK);
	store_org_db_close(odb);
	assert_true(n > 0);
	*out = all[n - 1];
}

static void test_recovery_writes_both_chains_the_notice_and_the_invite(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], other[STORE_ID_MAX + 1];
	struct user_record admin, member, outsider;
	make_org(e, "Lost\nAdmins", org);
	make_org(e, "Other", other);
	make_member(e, &admin, "admin@example.org", org, "org_admin");
	make_member(e, &member, "member@example.org", org, "member");
	make_member(e, &outsider, "outsider@example.org", other, "member");
	assert_int_equal(store_user_set_status(e->st, admin.id, "disabled", T0), COFFER_OK);

	int64_t before = time_now();
	struct cli_run r = recover(e, org, "New.Admin@Example.ORG");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	/* The organisation named on one line; the link last, on the configured address. */
	assert_non_null(strstr(r.out, "'Lost?Admins'"));
	assert_non_null(strstr(r.out, "new.admin@example.org as its org_admin with clearance "
				      "restricted"));
	const char *link = strstr(r.out, "https://127.0.0.1:9443/invite/");
	assert_non_null(link);
	char token[TOKEN_TEXT_LEN + 1];
	const char *t = link + strlen("https://127.0.0.1:9443/invite/");
	assert_int_equal(strlen(t), TOKEN_TEXT_LEN + 1);
	assert_int_equal(t[TOKEN_TEXT_LEN], '\n');
	memcpy(token, t, TOKEN_TEXT_LEN);
	token[TOKEN_TEXT_LEN] = '\0';

	/* The invitation: stored under the printed token, sealed as ordered. */
	struct token_hash hash;
	struct invite_record rec;
	struct invite inv;
	assert_true(token_hash_text(token, &hash));
	assert_int_equal(store_invite_get(e->st, &hash, time_now(), &rec), COFFER_OK);
	assert_string_equal(rec.email, "new.admin@example.org");
	assert_string_equal(rec.role, "org_admin");
	assert_string_equal(rec.org_id, org);
	assert_string_equal(rec.clearance, "restricted");
	struct master_keyring *ring = load_ring(e);
	assert_int_equal(open_as_keyd(ring, &rec, &inv), COFFER_OK);
	master_keyring_free(ring);
	assert_int_equal(inv.role, INVITE_ORG_ADMIN);
	assert_int_equal(inv.clearance, LEVEL_RESTRICTED);
	assert_string_equal(inv.org_id, org);

	/* The system chain: who, what, to whom, in which organisation. */
	struct audit_entry sys[4];
	size_t n = 0;
	assert_int_equal(store_audit_list(e->st, 0, sys, ARRAY_LEN(sys), &n), COFFER_OK);
	assert_int_equal(n, 1);
	assert_string_equal(sys[0].actor, "cli");
	assert_string_equal(sys[0].action, "org.recover");
	assert_string_equal(sys[0].target, "new.admin@example.org");
	assert_string_equal(sys[0].ip, "");
	assert_string_equal(sys[0].outcome, "success");
	assert_string_equal(sys[0].reason, org);
	assert_true(sys[0].time >= before && sys[0].time <= time_now());

	/* The organisation's own chain (its database made for it), intact. */
	struct audit_entry last;
	org_chain_last(e, org, &last);
	assert_string_equal(last.actor, "cli");
	assert_string_equal(last.action, "org.recover");
	assert_string_equal(last.target, "new.admin@example.org");
	assert_string_equal(last.outcome, "success");
	assert_string_equal(last.reason, "restricted");

	/* Every member, the disabled admin included, has the notice; nobody else. */
	struct notice_record seen[4];
	const struct user_record *members[] = {&admin, &member};
	for (size_t i = 0; i < ARRAY_LEN(members); i++) {
		assert_int_equal(
		    store_notices_unseen(e->st, members[i]->id, seen, ARRAY_LEN(seen), &n),
		    COFFER_OK);
		assert_int_equal(n, 1);
		assert_string_equal(seen[0].org_id, org);
		assert_string_equal(seen[0].kind, "recovered");
		assert_string_equal(seen[0].subject, "new.admin@example.org");
		assert_int_equal(seen[0].created_at, sys[0].time);
	}
	assert_int_equal(store_notices_unseen(e->st, outsider.id, seen, ARRAY_LEN(seen), &n),
			 COFFER_OK);
	assert_int_equal(n, 0);
}

static void test_refusals_write_nothing(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1], absent[STORE_ID_MAX + 1];
	struct user_record admin, sysadmin, gone, pending, member;
	make_org(e, "Still Run", org);
	uuid_generate(absent);
	make_member(e, &admin, "admin@example.org", org, "org_admin");
	make_user(e, &sysadmin, "root@example.org", NULL, NULL, STORE_ACCEPT_ACTIVE, T0, NULL);
	make_member(e, &gone, "gone@example.org", org, "member");
	assert_int_equal(store_user_set_status(e->st, gone.id, "disabled", T0), COFFER_OK);
	make_user(e, &pending, "pending@example.org", org, "member", STORE_ACCEPT_PENDING, T0,
		  NULL);
	make_member(e, &member, "member@example.org", org, "member");
	int64_t start = written(e);

	/* An active admin remains: they invite people themselves. */
	struct cli_run r = recover(e, org, "new@example.org");
	assert_cli_failure(&r, EXIT_USER_ERROR);
	assert_non_null(strstr(r.err, "still has 1 active org_admin,"));
	assert_int_equal(store_user_set_status(e->st, admin.id, "disabled", T0), COFFER_OK);

	// clang-format off
	static const struct { const char *email, *why; } refused[] = {
	    {"root@example.org",    "system administrator"},
	    {"gone@example.org",    "is disabled"},
	    {"pending@example.org", "still being set up"},
	    {"not an email",        "--admin-email: not a valid email address"},
	};
	// clang-format on
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		r = recover(e, org, refused[i].email);
		assert_cli_failure(&r, EXIT_USER_ERROR);
		assert_non_null(strstr(r.err, refused[i].why));
	}
	r = recover(e, absent, "new@example.org");
	assert_cli_failure(&r, EXIT_USER_ERROR);
	assert_non_null(strstr(r.err, "no organisation"));
	r = recover(e, "not-a-uuid", "new@example.org");
	assert_cli_failure(&r, EXIT_USAGE);
	assert_non_null(strstr(r.err, "usage: coffer org recover"));
	assert_int_equal(written(e), start);

	/* Without coffer.conf there is no link to print: refused before anything is written. */
	char path[PATH_MAX];
	path_in(e->tmp, "coffer.conf", path);
	assert_int_equal(unlink(path), 0);
	r = recover(e, org, "new@example.org");
	assert_cli_failure(&r, EXIT_USER_ERROR);
	assert_int_equal(written(e), start);
}

/* A write that fails after the system chain has the recovery: no invitation exists, and the
 * chain says the attempt failed. */
static void test_failure_part_way_leaves_no_invitation(void **state)
{
	struct env *e = *state;
	char org[STORE_ID_MAX + 1];
	make_org(e, "Failing", org);
	raw_exec(e, "CREATE TRIGGER no_notices BEFORE INSERT ON notices "
		    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
	struct cli_run r = recover(e, org, "new@example.org");
	assert_cli_failure(&r, EXIT_USER_ERROR);
	assert_non_null(strstr(r.err, "notice to the members"));
	assert_non_null(strstr(r.err, "no invitation was made"));
	assert_int_equal(raw_int(e, "SELECT count(*) FROM invites"), 0);
	struct audit_entry sys[4];
	size_t n = 0;
	assert_int_equal(store_audit_list(e->st, 0, sys, ARRAY_LEN(sys), &n), COFFER_OK);
	assert_int_equal(n, 2);
	assert_string_equal(sys[0].outcome, "success");
	assert_string_equal(sys[1].action, "org.recover");
	assert_string_equal(sys[1].outcome, "failure");
	assert_string_equal(sys[1].reason, org);

	/* Run again once the fault is gone: it goes through. */
	raw_exec(e, "DROP TRIGGER no_notices");
	r = recover(e, org, "new@example.org");
	assert_int_equal(r.status, 0);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM invites"), 1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seal_opens_as_keyd_would, deploy_setup,
					    deploy_teardown),
	    cmocka_unit_test_setup_teardown(test_seal_refuses_what_keyd_would, deploy_setup,
					    deploy_teardown),
	    cmocka_unit_test(test_invite_url),
	    cmocka_unit_test_setup_teardown(
		test_recovery_writes_both_chains_the_notice_and_the_invite, deploy_setup,
		deploy_teardown),
	    cmocka_unit_test_setup_teardown(test_refusals_write_nothing, deploy_setup,
					    deploy_teardown),
	    cmocka_unit_test_setup_teardown(test_failure_part_way_leaves_no_invitation,
					    deploy_setup, deploy_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
