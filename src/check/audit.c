/* audit.c — every audit chain judged against its checkpoint. It takes the audit signer (the
 * MAC keys derived from the master key): the command installs one when it could open the
 * master key, the server has its own. */
#include <inttypes.h>
#include <stdio.h>

#include "check/check.h"
#include "store/audit_check.h"

struct broken {
	struct check_findings *f;
};

static void report(void *ctx, const struct audit_chain_report *r)
{
	struct broken *b = ctx;
	char why[256];
	if (r->verdict == AUDIT_INTACT)
		return;
	audit_verdict_explain(r->verdict, r->walk, r->checkpoint, why, sizeof why);
	check_add(b->f, "audit.chains", CHECK_ERROR,
		  "find out who changed the store (the system's and the database's logs); restore "
		  "from a backup made before",
		  "the audit chain %s%s%s%s is not intact: %s", r->chain, r->org_name ? " (" : "",
		  r->org_name ? r->org_name : "", r->org_name ? ")" : "", why);
}

void check_audit(const struct check_context *ctx, struct check_findings *f)
{
	if (ctx->audit == CHECK_AUDIT_SEALED) {
		check_add(f, "audit.chains", CHECK_WARNING,
			  "give --passphrase-file (or --pkcs11-pin-file), or look at GET "
			  "/api/v1/admin/check on the server",
			  "the audit chains were not verified: the master key is sealed");
		return;
	}
	if (ctx->audit == CHECK_AUDIT_NO_STORE || ctx->store == NULL) {
		check_add(f, "audit.chains", CHECK_WARNING, "see why the store cannot be opened",
			  "the audit chains were not verified: the store could not be opened");
		return;
	}
	struct broken b = {f};
	uint64_t entries = 0;
	size_t bad = 0;
	enum coffer_err err = audit_check_chains(ctx->store, NULL, report, &b, &entries, &bad);
	if (err != COFFER_OK)
		check_add(f, "audit.chains", CHECK_ERROR, "see coffer serve's log",
			  "the audit chains cannot be read (%s)", coffer_err_info(err)->code);
	else if (bad == 0)
		check_add(f, "audit.chains", CHECK_OK, NULL,
			  "every audit chain is intact: %" PRIu64 " entries", entries);
}
