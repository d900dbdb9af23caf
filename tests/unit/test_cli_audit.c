/* test_cli_audit.c — `coffer audit verify` over a deployment with organisations: the total of
 * the system chain and every organisation's, an organisation without a database counting 0,
 * --org for one chain, and a broken organisation chain named (id, name, first broken seq) in one
 * line with exit status 1. The command runs in-process (cmd_audit), its output captured. */
#include "test_store.h"
#include "common/fileio.h"

#include "audit/chain.h"
#include "cli/cli.h"
#include "test_cli_run.h"
#include "test_audit_signer.h"

#include "store/audit_check.h"

#define T0 1700000000

static struct audit_mac_keys *keys;

/* A deployment as `coffer init` leaves it: a master key, coffer.conf (SQLite, the default
 * store), and the first checkpoints. */
static int deployment_setup(void **state)
{
	size_t chains = 0;
	char path[PATH_MAX];
	static const char conf[] = "log_level = info\n";
	if (env_setup(state) != 0)
		return -1;
	struct env *e = *state;
	path_in(e->tmp, "coffer.conf", path);
	if (file_write_atomic(path, conf, sizeof conf - 1, 0600, 1) != COFFER_OK)
		return -1;
	keys = test_audit_signer_install_for(e->tmp->dir, e->st);
	return audit_upgrade_chains(e->st, &chains) == COFFER_OK ? 0 : -1;
}

static int deployment_teardown(void **state)
{
	audit_signer_install(NULL, NULL, NULL);
	audit_mac_keys_free(keys);
	keys = NULL;
	return env_teardown(state);
}

/* Runs `coffer audit verify --data DIR [--org ORG]`, capturing stdout and stderr; the test's
 * signer is put back afterwards (the command installs and removes its own). */
static struct cli_run verify(const struct env *e, const char *org)
{
	char org_arg[64];
	snprintf(org_arg, sizeof org_arg, "%s", org ? org : "");
	char *argv[] = {"audit", "verify", "--data", e->tmp->dir, "--org", org_arg, NULL};
	struct cli_run r = cli_run(cmd_audit, org ? 6 : 4, argv);
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, test_audit_store_now, e->st);
	return r;
}

static void append_org(const struct env *e, const char *org, int n)
{
	struct org_db *odb = NULL;
	assert_int_equal(store_org_db_open(e->tmp->dir, org, true, &odb), COFFER_OK);
	for (int i = 0; i < n; i++) {
		struct audit_entry a;
		memset(&a, 0, sizeof a);
		a.time = T0 + i;
		snprintf(a.action, sizeof a.action, "record.create");
		snprintf(a.outcome, sizeof a.outcome, "success");
		assert_int_equal(store_org_audit_append(odb, org, &a, 1), COFFER_OK);
	}
	store_org_db_close(odb);
}

static void append_system(const struct env *e, int n)
{
	for (int i = 0; i < n; i++) {
		struct audit_entry a;
		memset(&a, 0, sizeof a);
		a.time = T0 + i;
		snprintf(a.action, sizeof a.action, "login");
		snprintf(a.outcome, sizeof a.outcome, "failure");
		assert_int_equal(store_audit_append(e->st, &a), COFFER_OK);
	}
}

static void tamper_org(const struct env *e, const char *org, const char *sql)
{
	char path[PATH_MAX], name[64];
	sqlite3 *db = NULL;
	snprintf(name, sizeof name, "orgs/%s/org.db", org);
	path_in(e->tmp, name, path);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void assert_one_line_failure(const struct cli_run *r)
{
	assert_cli_failure(r, EXIT_USER_ERROR);
}

static void test_verify_every_chain(void **state)
{
	struct env *e = *state;
	char acme[STORE_ID_MAX + 1], globex[STORE_ID_MAX + 1], empty[STORE_ID_MAX + 1];
	struct cli_run r = verify(e, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ok: 0 entries\n");

	make_org(e, "Acme Legal", acme);
	make_org(e, "Globex\nCharity", globex); /* a name no message may split */
	make_org(e, "Empty", empty);		/* never opened: no database */
	append_system(e, 4);
	append_org(e, acme, 7);
	append_org(e, globex, 5);
	assert_int_equal(raw_int(e, "SELECT count(*) FROM audit"), 4);
	r = verify(e, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ok: 16 entries\n");
	assert_string_equal(r.err, "");

	r = verify(e, acme);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ok: 7 entries\n");
	r = verify(e, empty);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ok: 0 entries\n");

	/* Globex's chain broken at 3: named with its id and name, on one line. */
	tamper_org(e, globex, "UPDATE audit SET outcome = 'failure' WHERE seq = 3");
	r = verify(e, NULL);
	print_message("%s", r.err);
	assert_one_line_failure(&r);
	assert_non_null(strstr(r.err, globex));
	assert_non_null(strstr(r.err, "'Globex?Charity'"));
	assert_non_null(strstr(r.err, "entry 3 "));
	r = verify(e, globex);
	assert_one_line_failure(&r);
	assert_non_null(strstr(r.err, "entry 3 "));
	/* --org checks that chain only. */
	r = verify(e, acme);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "ok: 7 entries\n");

	/* A gap in Acme's (a row deleted): both broken chains named, a line each, and a line
	 * that counts them. */
	tamper_org(e, acme, "DELETE FROM audit WHERE seq = 6");
	r = verify(e, NULL);
	assert_int_equal(r.status, EXIT_USER_ERROR);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, globex));
	assert_non_null(strstr(r.err, "coffer: 2 audit chains are not intact\n"));
	assert_non_null(strstr(r.err, acme));
	assert_non_null(strstr(r.err, "'Acme Legal'"));
	assert_non_null(strstr(r.err, "entry 6 "));

	/* The system chain first. */
	raw_exec(e, "UPDATE audit SET actor = 'x' WHERE seq = 2");
	r = verify(e, NULL);
	assert_int_equal(r.status, EXIT_USER_ERROR);
	assert_true(strncmp(r.err, "coffer: audit chain 'system': entry 2 ", 38) == 0);
	assert_non_null(strstr(r.err, "coffer: 3 audit chains are not intact\n"));
}

static void test_bad_org(void **state)
{
	struct env *e = *state;
	char absent[STORE_ID_MAX + 1];
	uuid_generate(absent);
	struct cli_run r = verify(e, absent);
	assert_one_line_failure(&r);
	assert_non_null(strstr(r.err, "no organisation"));
	r = verify(e, "../../etc");
	assert_one_line_failure(&r);
	assert_non_null(strstr(r.err, "is not an organisation id"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verify_every_chain, deployment_setup,
					    deployment_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_org, deployment_setup, deployment_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
