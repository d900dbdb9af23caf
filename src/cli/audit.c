/* audit.c — `coffer audit verify`: judges every audit chain against its checkpoint and names
 * each chain that is not intact and how (exit status 1 then, as for any failure the user must
 * act on).
 *
 *   coffer audit verify --data DIR [--org ORG_ID] [--passphrase-file F|-]
 *                       [--pkcs11-pin-file F|-]
 *
 * Without --org it checks the system chain, then every organisation's (in the order of their
 * names), and prints the total of their entries; with --org, that organisation's chain only.
 * Links are MACs under keys derived from the master key, so the master key is needed: with it
 * this command re-computes every link and checks every checkpoint, and writes nothing.
 */
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "cli/cli.h"
#include "cli/store_open.h"
#include "cli/keyring.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/audit_check.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer audit verify --data DIR [--org ORG_ID] [--passphrase-file F] "                     \
	"[--pkcs11-pin-file F]"

static void report(void *ctx, const struct audit_chain_report *r)
{
	(void)ctx;
	char why[256], name[STORE_ORG_NAME_MAX * 4 + 1];
	if (r->verdict == AUDIT_INTACT)
		return;
	audit_verdict_explain(r->verdict, r->walk, r->checkpoint, why, sizeof why);
	if (r->org_name == NULL) {
		fprintf(stderr, "coffer: audit chain 'system': %s\n", why);
		return;
	}
	cli_printable(r->org_name, name, sizeof name);
	fprintf(stderr, "coffer: audit chain of organisation %s ('%s'): %s\n", r->chain, name, why);
}

static int verify(const char *data_dir, const char *org_id, const char *passphrase_file,
		  const char *pin_file)
{
	size_t bad = 0;
	uint64_t entries = 0;
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *keys = NULL;
	struct store *st = NULL;
	int rc = cli_master_keyring_load(data_dir, passphrase_file, pin_file, &ring);
	if (rc != 0)
		return rc;
	rc = cli_store_open(data_dir, ring, &st);
	if (rc != 0)
		goto out;
	rc = cli_audit_signer_begin(ring, st, &keys);
	if (rc != 0)
		goto out;
	enum coffer_err err = audit_check_chains(st, org_id, report, NULL, &entries, &bad);
	if (err == COFFER_ERR_NOT_FOUND && org_id != NULL)
		rc = cli_fail("no organisation %s in %s", org_id, data_dir);
	else if (err != COFFER_OK)
		rc = cli_fail("cannot read the audit trails of %s", data_dir);
	else if (bad > 1)
		rc = cli_fail("%zu audit chains are not intact", bad);
	else if (bad == 1)
		rc = EXIT_USER_ERROR; /* its one line is said */
	else
		printf("ok: %" PRIu64 " entries\n", entries);
out:
	if (keys != NULL)
		cli_audit_signer_end(keys);
	store_close(st);
	master_keyring_free(ring);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	const char *data_dir = cli_default_data_dir(), *org_id = NULL, *passphrase_file = NULL;
	const char *pin_file = NULL;
	const struct cli_option opts[] = {{"data", &data_dir, NULL},
					  {"org", &org_id, NULL},
					  {"passphrase-file", &passphrase_file, NULL},
					  {"pkcs11-pin-file", &pin_file, NULL}};
	int next = 0;
	int rc =
	    cli_options(argc, argv, "verify", opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next != argc)
		return cli_usage(USAGE, "unexpected argument '%s'", argv[next]);
	if (org_id != NULL && !uuid_valid(org_id))
		return cli_fail("--org: '%s' is not an organisation id", org_id);
	return verify(data_dir, org_id, passphrase_file, pin_file);
}
