/* test_audit_signer.h — installs, for a unit test binary, an audit signer over audit keys
 * derived from a fixed master key (what the command line does with the real one), so that
 * the stores' audit appends can link their entries. Checkpoints are kept in the last one
 * emitted (test_audit_last_checkpoint) rather than stored. */
#ifndef COFFER_TEST_AUDIT_SIGNER_H
#define COFFER_TEST_AUDIT_SIGNER_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "crypto/master_key.h"
#include "store/store.h"

#include <stdio.h>
#include <unistd.h>

static struct audit_checkpoint test_audit_last_checkpoint;

static void test_audit_keep(void *ctx, const struct audit_checkpoint *cp)
{
	(void)ctx;
	test_audit_last_checkpoint = *cp;
}

/* Installs the signer (once per process; the keys live until it exits). */
static inline struct audit_mac_keys *test_audit_signer_install(void)
{
	static struct audit_mac_keys *keys;
	if (keys == NULL) {
		struct master_keyring ring;
		memset(&ring, 0, sizeof ring);
		ring.count = 1;
		ring.keys[0].version = 1;
		memset(ring.keys[0].key, 0x42, MASTER_KEY_BYTES);
		if (sodium_init() < 0 || audit_mac_keys_derive(&ring, &keys) != COFFER_OK)
			abort();
		sodium_memzero(&ring, sizeof ring);
	}
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, test_audit_keep, NULL);
	return keys;
}

/* A deployment's own signer, as its commands have it: keys from DIR's master.key (made here,
 * unsealed, when missing), checkpoints stored into ST at once. Returns the keys (free them
 * with audit_mac_keys_free after uninstalling). */
static void test_audit_store_now(void *ctx, const struct audit_checkpoint *cp)
{
	if (store_audit_checkpoints_put(ctx, cp, 1) != COFFER_OK)
		abort();
}

static inline struct audit_mac_keys *test_audit_signer_install_for(const char *dir,
								   struct store *st)
{
	char path[4096];
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *keys = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, MASTER_KEY_FILE);
	if (access(path, F_OK) != 0 && master_key_create(path, NULL, 0) != COFFER_OK)
		abort();
	if (master_key_load(path, NULL, 0, &ring) != COFFER_OK ||
	    audit_mac_keys_derive(ring, &keys) != COFFER_OK)
		abort();
	master_keyring_free(ring);
	struct audit_signer s = audit_signer_local(keys);
	audit_signer_install(&s, test_audit_store_now, st);
	return keys;
}

#endif
