/* audit_signer.c — the command line's audit signer: a command that loads the master key links
 * its own audit entries and seals their checkpoints with the audit keys derived from it, and
 * stores each checkpoint at once (cli.h). */
#include <stdio.h>

#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "cli/cli.h"
#include "common/err.h"
#include "store/store.h"

static void store_now(void *ctx, const struct audit_checkpoint *cp)
{
	if (store_audit_checkpoints_put(ctx, cp, 1) != COFFER_OK)
		fprintf(stderr,
			"coffer: warning: could not store the checkpoint of audit chain "
			"%s\n",
			cp->chain);
}

int cli_audit_signer_begin(const struct master_keyring *ring, struct store *st,
			   struct audit_mac_keys **keys)
{
	if (audit_mac_keys_derive(ring, keys) != COFFER_OK)
		return cli_fail("cannot derive the audit keys from the master key");
	struct audit_signer s = audit_signer_local(*keys);
	audit_signer_install(&s, store_now, st);
	return 0;
}

void cli_audit_signer_end(struct audit_mac_keys *keys)
{
	audit_signer_install(NULL, NULL, NULL);
	audit_mac_keys_free(keys);
}
