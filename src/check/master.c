/* master.c — how the master key is kept: only its kind byte is read, never the key. */
#include <limits.h>
#include <stdio.h>

#include "check/check.h"
#include "crypto/master_key.h"

void check_master_key(const char *data_dir, struct check_findings *f)
{
	char path[PATH_MAX];
	struct master_key_info info;
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	enum coffer_err err = master_key_info(path, &info);
	if (err != COFFER_OK) {
		check_add(f, "master_key.sealing", CHECK_ERROR,
			  "restore the master key file from its safe copy", "%s is %s", path,
			  err == COFFER_ERR_NOT_FOUND ? "missing" : "unreadable");
		return;
	}
	switch (info.kind) {
	case MASTER_KIND_PLAIN:
		check_add(f, "master_key.sealing", CHECK_ERROR,
			  "make a new deployment with coffer init --passphrase-file or "
			  "--pkcs11-module, and move the data over with a backup and restore",
			  "the master key is not sealed: anyone with a copy of the data directory "
			  "can read every organisation's data");
		break;
	case MASTER_KIND_SEALED:
		check_add(f, "master_key.sealing", CHECK_OK, NULL,
			  "the master key is sealed under a passphrase");
		break;
	default:
		check_add(f, "master_key.sealing", CHECK_OK, NULL,
			  "the master key is kept in a PKCS#11 token");
		break;
	}
}
