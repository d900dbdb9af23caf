/* audit.c — `coffer audit verify`: walks the hash-chained audit trails and names the first entry
 * that does not verify (exit status 1 then, as for any failure the user must act on).
 *
 *   coffer audit verify --data DIR [--org ORG_ID]
 *
 * Without --org it checks the system chain, then every organisation's (in the order of their
 * names), and prints the total of their entries; with --org, that organisation's chain only.
 * It stops at the first broken chain, naming it (system, or the organisation's id and name)
 * and the seq of its first broken entry. An organisation whose database does not exist yet has
 * written nothing: its chain counts 0 entries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/uuid.h"
#include "store/store.h"

#define USAGE "coffer audit verify --data DIR [--org ORG_ID]"

#define BROKEN_HOW "(it, or one before it, was changed, removed or reordered)"

/* Verifies ORG's chain and adds its length to *TOTAL: 0, or the exit status after the message
 * naming what went wrong. */
static int verify_org(const char *data_dir, const struct org_record *org, uint64_t *total)
{
	char name[STORE_ORG_NAME_MAX * 4 + 1];
	struct org_db *odb = NULL;
	uint64_t n = 0, broken = 0;
	cli_printable(org->name, name, sizeof name);
	enum coffer_err err = store_org_db_open(data_dir, org->id, false, &odb);
	if (err == COFFER_ERR_NOT_FOUND)
		return 0;
	if (err != COFFER_OK)
		return cli_fail("cannot open the database of organisation %s ('%s') in %s", org->id,
				name, data_dir);
	err = store_org_audit_verify(odb, org->id, &n, &broken);
	store_org_db_close(odb);
	if (err == COFFER_ERR_CRYPTO)
		return cli_fail("audit chain of organisation %s ('%s') is broken at entry %" PRIu64
				" " BROKEN_HOW,
				org->id, name, broken);
	if (err != COFFER_OK)
		return cli_fail("cannot read the audit trail of organisation %s ('%s')", org->id,
				name);
	*total += n;
	return 0;
}

/* The system chain, then every organisation's. */
static int verify_all(struct store *st, const char *data_dir, uint64_t *total)
{
	struct org_record *orgs = NULL;
	size_t n_orgs = 0;
	uint64_t n = 0, broken = 0;
	enum coffer_err err = store_audit_verify(st, &n, &broken);
	if (err == COFFER_ERR_CRYPTO)
		return cli_fail("audit chain 'system' is broken at entry %" PRIu64 " " BROKEN_HOW,
				broken);
	if (err != COFFER_OK)
		return cli_fail("cannot read the audit trail of %s", data_dir);
	*total = n;
	if (store_orgs_list(st, &orgs, &n_orgs) != COFFER_OK)
		return cli_fail("cannot read the organisations of %s", data_dir);
	int rc = 0;
	for (size_t i = 0; i < n_orgs && rc == 0; i++)
		rc = verify_org(data_dir, &orgs[i], total);
	free(orgs);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	const char *data_dir = cli_default_data_dir(), *org_id = NULL;
	const struct cli_option opts[] = {{"data", &data_dir, NULL}, {"org", &org_id, NULL}};
	int next = 0;
	int rc =
	    cli_options(argc, argv, "verify", opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next != argc)
		return cli_usage(USAGE, "unexpected argument '%s'", argv[next]);
	if (org_id != NULL && !uuid_valid(org_id))
		return cli_fail("--org: '%s' is not an organisation id", org_id);

	struct store *st = NULL;
	if (store_system_open(data_dir, &st) != COFFER_OK)
		return cli_fail("cannot open the system database in %s", data_dir);
	uint64_t total = 0;
	if (org_id != NULL) {
		struct org_record org;
		enum coffer_err err = store_org_get(st, org_id, &org);
		if (err == COFFER_ERR_NOT_FOUND)
			rc = cli_fail("no organisation %s in %s", org_id, data_dir);
		else if (err != COFFER_OK)
			rc = cli_fail("cannot read the organisations of %s", data_dir);
		else
			rc = verify_org(data_dir, &org, &total);
	} else {
		rc = verify_all(st, data_dir, &total);
	}
	store_close(st);
	if (rc != 0)
		return rc;
	printf("ok: %" PRIu64 " entries\n", total);
	return 0;
}
