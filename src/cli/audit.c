/* audit.c — `coffer audit verify`: walks the hash-chained audit trail and names the first entry
 * that does not verify (CONTRACT §2, §3.9).
 *
 *   coffer audit verify --data DIR [--org ORG_ID]
 *
 * Without --org it checks the system chain and every organisation's; with --org, that one.
 * Organisations' own chains (their content events) are written from the records issue on; an
 * organisation without any entries verifies as "ok: 0 entries".
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/uuid.h"
#include "store/store.h"

#define USAGE "coffer audit verify --data DIR [--org ORG_ID]"

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"org", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *data_dir = cli_default_data_dir(), *org_id = NULL;
	int c;
	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		return cli_usage(USAGE, "expected 'audit verify'");
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data_dir = optarg; break;
		case 'o': org_id = optarg; break;
		default: return cli_usage(USAGE, "unknown or incomplete option");
		}
	}
	if (optind != argc)
		return cli_usage(USAGE, "unexpected argument '%s'", argv[optind]);
	if (org_id != NULL && !uuid_valid(org_id))
		return cli_fail("--org: '%s' is not an organisation id", org_id);

	struct store *st = NULL;
	if (store_system_open(data_dir, &st) != COFFER_OK)
		return cli_fail("cannot open the system database in %s", data_dir);
	uint64_t n = 0, broken = 0;
	enum coffer_err err;
	if (org_id != NULL) {
		struct org_record org;
		err = store_org_get(st, org_id, &org);
		store_close(st);
		if (err == COFFER_ERR_NOT_FOUND)
			return cli_fail("no organisation %s in %s", org_id, data_dir);
		if (err != COFFER_OK)
			return cli_fail("cannot read the organisations of %s", data_dir);
		printf("ok: 0 entries\n");
		return 0;
	}
	err = store_audit_verify(st, &n, &broken);
	store_close(st);
	if (err == COFFER_ERR_CRYPTO)
		return cli_fail("audit chain 'system' is broken at entry %" PRIu64
				" (it, or one before it, was changed, removed or reordered)",
				broken);
	if (err != COFFER_OK)
		return cli_fail("cannot read the audit trail of %s", data_dir);
	printf("ok: %" PRIu64 " entries\n", n);
	return 0;
}
