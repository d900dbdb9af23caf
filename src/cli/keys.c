/* keys.c — `coffer keys rotate`: add a version of the master key or of an organisation's key,
 * and with --rewrap move every key wrapped by an older version under the new one.
 *
 *   coffer keys rotate --data DIR (--org ORG_ID | --master) [--rewrap] [--passphrase-file F]
 *                      [--pkcs11-pin-file F]
 *
 * For a master key in a PKCS#11 token, --master makes a new key object in the token for the new
 * version; the old ones stay, as old versions do in a file.
 *
 * This runs beside a live `coffer serve` for an organisation's key (the server reads key
 * versions from the system database as it needs them), but not for the master key: a running
 * keyd holds the keyring it started with and could not open what the new version wraps, so
 * --master takes the data directory's lock and refuses while a server holds it.
 */
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/store_open.h"
#include "audit/chain.h"
#include "cli/keyring.h"
#include "cli/rewrap.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "crypto/master_key.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer keys rotate --data DIR (--org ORG_ID | --master) [--rewrap] "                      \
	"[--passphrase-file F|-] [--pkcs11-pin-file F|-]"

struct rotate_args {
	const char *data_dir, *org_id, *passphrase_file, *pin_file;
	bool master, rewrap;
};

static int parse_args(int argc, char **argv, struct rotate_args *a)
{
	memset(a, 0, sizeof *a);
	a->data_dir = cli_default_data_dir();
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a->data_dir,        NULL},
	    {"org",             &a->org_id,          NULL},
	    {"master",          NULL,                &a->master},
	    {"rewrap",          NULL,                &a->rewrap},
	    {"passphrase-file", &a->passphrase_file, NULL},
	    {"pkcs11-pin-file", &a->pin_file,        NULL},
	};
	// clang-format on
	int next = 0;
	int rc =
	    cli_options(argc, argv, "rotate", opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next < argc)
		return cli_usage(USAGE, "unexpected argument");
	if (a->master == (a->org_id != NULL))
		return cli_usage(USAGE, "give exactly one of --org and --master");
	if (a->org_id != NULL && !uuid_valid(a->org_id))
		return cli_usage(USAGE, "--org: expected an organisation id (a UUID)");
	return 0;
}

static int open_store(const char *data_dir, const struct master_keyring *ring, struct store **st)
{
	return cli_store_open(data_dir, ring, st);
}

/* Records the rotation in the system audit chain: every key rotation is audited. The command
 * line has no user or address: the actor is "cli". A failure to record is reported, not
 * fatal: the key version exists either way. */
static void audit_rotation(const struct rotate_args *a, const char *key_path,
			   const struct master_unlock *u, const char *target, uint32_t version)
{
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *keys = NULL;
	struct store *st = NULL;
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	snprintf(e.actor, sizeof e.actor, "cli");
	snprintf(e.action, sizeof e.action, "key.rotate");
	snprintf(e.target, sizeof e.target, "%s", target);
	snprintf(e.outcome, sizeof e.outcome, "success");
	snprintf(e.reason, sizeof e.reason, "version %u", (unsigned int)version);
	bool ok = master_key_open(key_path, u, &ring) == COFFER_OK &&
		  cli_store_open(a->data_dir, ring, &st) == 0 &&
		  cli_audit_signer_begin(ring, st, &keys) == 0 &&
		  store_audit_append(st, &e) == COFFER_OK;
	if (!ok)
		fprintf(stderr,
			"coffer: warning: could not record the rotation in the audit trail\n");
	if (keys != NULL)
		cli_audit_signer_end(keys);
	store_close(st);
	master_keyring_free(ring);
}

static int failure(const struct rotate_args *a, enum coffer_err err)
{
	return cli_keyring_failure(a->data_dir, a->passphrase_file, a->pin_file, err);
}

static int rotate_master(const struct rotate_args *a, const char *key_path,
			 const struct master_unlock *u)
{
	int lock = -1;
	uint32_t version = 0;
	struct master_keyring *ring = NULL;
	struct store *st = NULL;
	size_t done = 0;
	enum coffer_err err = cli_lock_data(a->data_dir, &lock);
	if (err == COFFER_ERR_EXISTS)
		return cli_fail("coffer serve is running on %s: stop it before rotating the master "
				"key",
				a->data_dir);
	if (err != COFFER_OK)
		return cli_fail("cannot lock %s", a->data_dir);
	int rc = 0;
	err = master_key_rotate_with(key_path, u, &version);
	if (err == COFFER_ERR_TOO_LARGE)
		rc = cli_fail("the master keyring is full (%d versions)", MASTER_KEYRING_MAX);
	else if (err != COFFER_OK)
		rc = failure(a, err);
	if (rc == 0) {
		printf("master key: version %u\n", (unsigned int)version);
		audit_rotation(a, key_path, u, "master", version);
	}
	if (rc == 0 && a->rewrap) {
		err = master_key_open(key_path, u, &ring);
		if (err != COFFER_OK)
			rc = failure(a, err);
		if (rc == 0)
			rc = open_store(a->data_dir, ring, &st);
		if (rc == 0 && rewrap_org_keys(st, ring, &done) != COFFER_OK)
			rc = cli_fail("re-wrapping stopped after %zu organisation keys; run the "
				      "command again to finish",
				      done);
		if (rc == 0)
			printf("re-wrapped %zu organisation key versions under master key version "
			       "%u\n",
			       done, (unsigned int)version);
	}
	store_close(st);
	master_keyring_free(ring);
	close(lock);
	return rc;
}

static int rotate_org(const struct rotate_args *a, const char *key_path,
		      const struct master_unlock *u)
{
	struct master_keyring *ring = NULL;
	struct store *st = NULL;
	struct org_db *odb = NULL;
	uint32_t version = 0;
	size_t done = 0;
	char failed[STORE_ID_MAX + 1];
	enum coffer_err err = master_key_open(key_path, u, &ring);
	if (err != COFFER_OK)
		return failure(a, err);
	int rc = open_store(a->data_dir, ring, &st);
	if (rc == 0) {
		err = rotate_org_key(st, ring, a->org_id, time_now(), &version);
		if (err == COFFER_ERR_NOT_FOUND)
			rc = cli_fail("no organisation %s (or its keys were destroyed)", a->org_id);
		else if (err == COFFER_ERR_VERSION_CONFLICT)
			rc = cli_fail("another rotation of %s happened at the same time; run the "
				      "command again",
				      a->org_id);
		else if (err != COFFER_OK)
			rc = cli_fail("cannot add a key version for %s", a->org_id);
	}
	if (rc == 0) {
		printf("organisation %s: key version %u\n", a->org_id, (unsigned int)version);
		audit_rotation(a, key_path, u, a->org_id, version);
	}
	if (rc == 0 && a->rewrap) {
		err = store_org_db_open_in(st, a->org_id, true, &odb);
		if (err == COFFER_OK)
			err = rewrap_data_keys(st, odb, ring, a->org_id, &done, failed);
		if (err == COFFER_ERR_CRYPTO && failed[0] != '\0')
			rc = cli_fail("the data key of object %s does not open: it is damaged; "
				      "%zu data keys were re-wrapped before it",
				      failed, done);
		else if (err != COFFER_OK)
			rc = cli_fail("re-wrapping stopped after %zu data keys; run the command "
				      "again to finish",
				      done);
		else
			printf("re-wrapped %zu data keys under key version %u\n", done,
			       (unsigned int)version);
	}
	store_org_db_close(odb);
	store_close(st);
	master_keyring_free(ring);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	struct rotate_args a;
	struct master_unlock u;
	char key_path[PATH_MAX];
	int rc = parse_args(argc, argv, &a);
	if (rc != 0)
		return rc;
	if ((rc = cli_master_key_path(a.data_dir, key_path)) != 0)
		return rc;
	/* Read once: standard input ('-') cannot be read twice, and --master --rewrap opens the
	 * keyring twice. */
	rc = cli_unlock_read(a.passphrase_file, a.pin_file, &u);
	if (rc != 0)
		return rc;
	rc = a.master ? rotate_master(&a, key_path, &u) : rotate_org(&a, key_path, &u);
	cli_unlock_free(&u);
	return rc;
}
