/* check.c — `coffer check`: the deployment's compliance check (check/check.h; every finding is
 * in docs/OPERATIONS.md "Checking a deployment").
 *
 *   coffer check --data DIR [--json] [--passphrase-file F|-] [--pkcs11-pin-file F|-]
 *
 * Prints a table of findings (or, with --json, the document GET /api/v1/admin/check answers)
 * and exits 1 when any finding is an error, 0 otherwise. The audit chains' links are MACs under
 * keys derived from the master key: an unsealed key is opened as it is, a sealed one only with
 * its passphrase or PIN, and without them the chains are reported as not verified. Started as
 * root, the command becomes the deployment's user (as `coffer serve` would) before it opens the
 * store, so that nothing it opens ends up belonging to root; it writes nothing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "cli/cli.h"
#include "cli/keyring.h"
#include "cli/run_as.h"
#include "cli/store_open.h"
#include "common/timefmt.h"
#include "crypto/master_key.h"

#define USAGE "coffer check --data DIR [--json] [--passphrase-file F] [--pkcs11-pin-file F]"

struct check_args {
	const char *data_dir, *passphrase_file, *pin_file;
	bool json;
};

/* What the checks need that takes the master key or the store. */
struct opened {
	struct master_keyring *ring;
	struct store *store;
	struct audit_mac_keys *mac;
	enum check_audit_mode audit;
};

/* Whether the master key can be opened with what was given. */
static bool can_open_key(const struct check_args *a)
{
	char path[PATH_MAX];
	struct master_key_info info;
	snprintf(path, sizeof path, "%s/%s", a->data_dir, MASTER_KEY_FILE);
	if (master_key_info(path, &info) != COFFER_OK)
		return false;
	if (info.kind == MASTER_KIND_PLAIN)
		return true;
	return info.kind == MASTER_KIND_SEALED ? a->passphrase_file != NULL : a->pin_file != NULL;
}

/* Started as root: becomes the user coffer.conf names. false when that cannot be (no user, or
 * DATA not the user's: the checks say so), and then nothing is opened. */
static bool become_owner(const char **data_dir, char real[PATH_MAX])
{
	struct privdrop_target target;
	if (run_as_for_serve(data_dir, real, &target) != 0)
		return false;
	if (!target.change)
		return true;
	return privdrop_prepare() == COFFER_OK && privdrop_apply(&target) == COFFER_OK;
}

static int open_what_we_can(struct check_args *a, const struct coffer_config *cfg,
			    char real[PATH_MAX], struct opened *o)
{
	o->audit = CHECK_AUDIT_NO_STORE;
	if (can_open_key(a)) {
		int rc =
		    cli_master_keyring_load(a->data_dir, a->passphrase_file, a->pin_file, &o->ring);
		if (rc != 0)
			return rc; /* a wrong passphrase is the user's to fix */
	}
	if (!become_owner(&a->data_dir, real))
		return 0;
	if (o->ring != NULL) {
		if (cli_store_open(a->data_dir, o->ring, &o->store) == 0 &&
		    cli_audit_signer_begin(o->ring, o->store, &o->mac) == 0)
			o->audit = CHECK_AUDIT_VERIFY;
		return 0;
	}
	o->audit = CHECK_AUDIT_SEALED;
	/* SQLite needs no password; PostgreSQL's is sealed under the master key. */
	if (cfg->database == CONFIG_DB_SQLITE &&
	    cli_store_open_with(a->data_dir, cfg, NULL, &o->store) != 0)
		o->store = NULL;
	return 0;
}

static void print_table(const struct check_findings *f)
{
	char seen[CHECK_SEEN_MAX], fix[CHECK_FIX_MAX];
	size_t counts[CHECK_ERROR + 1] = {0};
	printf("%-8s %-26s %s\n", "SEVERITY", "ID", "SEEN / FIX");
	for (size_t i = 0; i < f->n; i++) {
		const struct check_finding *it = &f->items[i];
		counts[it->severity]++;
		cli_printable(it->seen, seen, sizeof seen);
		cli_printable(it->fix, fix, sizeof fix);
		printf("%-8s %-26s %s\n", check_severity_name(it->severity), it->id, seen);
		if (fix[0] != '\0')
			printf("%-8s %-26s fix: %s\n", "", "", fix);
	}
	printf("\n%zu ok, %zu info, %zu warnings, %zu errors%s\n", counts[CHECK_OK],
	       counts[CHECK_INFO], counts[CHECK_WARNING], counts[CHECK_ERROR],
	       f->nomem ? " (incomplete: out of memory)" : "");
}

static int run(struct check_args *a)
{
	char path[PATH_MAX], why[512], real[PATH_MAX];
	struct coffer_config cfg;
	struct opened o = {0};
	struct check_findings f = {0};
	config_defaults(&cfg);
	if (cli_master_key_path(a->data_dir, path) != 0)
		return EXIT_USER_ERROR;
	snprintf(path, sizeof path, "%s/coffer.conf", a->data_dir);
	if (config_load(&cfg, path, why, sizeof why) != COFFER_OK) {
		config_free(&cfg);
		return cli_fail("%s", why);
	}
	int rc = open_what_we_can(a, &cfg, real, &o);
	if (rc == 0) {
		struct check_context ctx = {.data_dir = a->data_dir,
					    .cfg = &cfg,
					    .store = o.store,
					    .audit = o.audit,
					    .sys_root = "/sys",
					    .now = time_now(),
					    .euid = geteuid(),
					    .serving = false};
		check_run(&ctx, &f);
		if (a->json) {
			json_t *doc = check_findings_json(&f);
			char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
			if (text != NULL)
				puts(text);
			free(text);
			json_decref(doc);
			if (text == NULL)
				f.nomem = true;
		} else {
			print_table(&f);
		}
		rc = check_worst(&f) == CHECK_ERROR ? EXIT_USER_ERROR : 0;
	}
	if (o.mac != NULL)
		cli_audit_signer_end(o.mac);
	store_close(o.store);
	master_keyring_free(o.ring);
	check_findings_free(&f);
	config_free(&cfg);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	struct check_args a = {.data_dir = cli_default_data_dir()};
	const struct cli_option opts[] = {{"data", &a.data_dir, NULL},
					  {"json", NULL, &a.json},
					  {"passphrase-file", &a.passphrase_file, NULL},
					  {"pkcs11-pin-file", &a.pin_file, NULL}};
	int next = 0;
	int rc = cli_options(argc, argv, NULL, opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next != argc)
		return cli_usage(USAGE, "unexpected argument '%s'", argv[next]);
	return run(&a);
}
