/* org_delete.c — `coffer org delete`: an organisation crypto-shredded at once, for tests and
 * emergencies, without its week of notice.
 *
 *   coffer org delete --data DIR --org ORG_ID --now [--passphrase-file F|-]
 *                     [--pkcs11-pin-file F|-]
 *
 * The steps are store/org_shred.h's, the same the server's reaper runs after the week: keys
 * destroyed first, then blobs, database and rows, each in the system chain (actor "cli"). The
 * master key is required although nothing is decrypted: it signs the chain's entries, and it
 * is what marks the operator of the server (as for `coffer org recover`). It runs beside a live
 * `coffer serve`, which from the first step refuses every change to the organisation; it
 * resumes an interrupted deletion, its own or the server's. --now is required, so that nobody
 * mistakes it for the API's deletion with its week of notice.
 */
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/keyring.h"
#include "cli/store_open.h"
#include "common/uuid.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "crypto/secrets_file.h"
#include "store/blob_s3.h"
#include "store/blobs.h"
#include "store/org_shred.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer org delete --data DIR --org ORG_ID --now [--passphrase-file F|-] "                 \
	"[--pkcs11-pin-file F|-]"

struct delete_args {
	const char *data_dir, *org_id, *passphrase_file, *pin_file;
	bool now;
};

static int parse_args(int argc, char **argv, struct delete_args *a)
{
	memset(a, 0, sizeof *a);
	a->data_dir = cli_default_data_dir();
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a->data_dir,        NULL},
	    {"org",             &a->org_id,          NULL},
	    {"now",             NULL,                &a->now},
	    {"passphrase-file", &a->passphrase_file, NULL},
	    {"pkcs11-pin-file", &a->pin_file,        NULL},
	};
	// clang-format on
	int next = 0;
	int rc =
	    cli_options(argc, argv, "delete", opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next < argc)
		return cli_usage(USAGE, "unexpected argument");
	if (a->org_id == NULL)
		return cli_usage(USAGE, "--org is required");
	if (!a->now)
		return cli_usage(USAGE, "--now is required: this deletes at once, with no week of "
					"notice (DELETE /api/v1/admin/orgs/ID gives one)");
	if (!uuid_valid(a->org_id))
		return cli_usage(USAGE, "--org: expected an organisation id (a UUID)");
	return 0;
}

/* The object store, with the secret key DATA/secrets holds (opened with RING). */
static int open_s3(const char *data_dir, const struct coffer_config *cfg,
		   const struct master_keyring *ring, struct blob_store **out)
{
	struct secrets *s = NULL;
	enum coffer_err err = secrets_load(data_dir, ring, &s);
	if (err != COFFER_OK)
		return cli_secrets_failure(data_dir, err);
	const struct secret *key = secrets_find(s, SECRET_S3_SECRET_ACCESS_KEY);
	char ca_path[PATH_MAX] = "";
	if (cfg->s3_ca_file[0] == '/')
		snprintf(ca_path, sizeof ca_path, "%s", cfg->s3_ca_file);
	else if (cfg->s3_ca_file[0] != '\0')
		snprintf(ca_path, sizeof ca_path, "%s/%s", data_dir, cfg->s3_ca_file);
	struct s3_config sc = {.endpoint = cfg->s3_endpoint,
			       .ca_file = ca_path[0] != '\0' ? ca_path : NULL,
			       .bucket = cfg->s3_bucket,
			       .region = cfg->s3_region,
			       .access_key_id = cfg->s3_access_key_id,
			       .secret_access_key = key != NULL ? (const char *)key->value : "",
			       .virtual_hosted = !cfg->s3_path_style};
	if (key == NULL)
		err = COFFER_ERR_CONFIG;
	else
		err = blob_store_s3(&sc, data_dir, out);
	secrets_free(s);
	if (err == COFFER_ERR_CONFIG)
		return cli_fail("blob_store = s3 needs the secret key: coffer secret set "
				"s3_secret_access_key --data %s",
				data_dir);
	if (err != COFFER_OK)
		return cli_fail("cannot set up the object store client for %s", cfg->s3_endpoint);
	return 0;
}

static int open_blobs(const char *data_dir, const struct master_keyring *ring,
		      struct blob_store **out)
{
	char path[PATH_MAX], why[512];
	struct coffer_config cfg;
	int rc = 0;
	config_defaults(&cfg);
	snprintf(path, sizeof path, "%s/coffer.conf", data_dir);
	if (config_load(&cfg, path, why, sizeof why) != COFFER_OK)
		rc = cli_fail("%s", why);
	else if (cfg.blob_store == CONFIG_BLOBS_S3)
		rc = open_s3(data_dir, &cfg, ring, out);
	else if (blob_store_files(data_dir, out) != COFFER_OK)
		rc = cli_fail("cannot set up the blob store under %s", data_dir);
	config_free(&cfg);
	return rc;
}

static int delete_now(const struct delete_args *a)
{
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *audit_keys = NULL;
	struct store *st = NULL;
	struct blob_store *blobs = NULL;
	struct org_record org;
	char name[STORE_ORG_NAME_MAX * 4 + 1];
	int rc = cli_master_keyring_load(a->data_dir, a->passphrase_file, a->pin_file, &ring);
	if (rc == 0)
		rc = cli_store_open(a->data_dir, ring, &st);
	if (rc == 0)
		rc = cli_audit_signer_begin(ring, st, &audit_keys);
	if (rc == 0)
		rc = open_blobs(a->data_dir, ring, &blobs);
	if (rc != 0)
		goto out;
	enum coffer_err err = store_org_get(st, a->org_id, &org);
	if (err == COFFER_ERR_NOT_FOUND) {
		rc =
		    cli_fail("no organisation %s in %s (deleted already?)", a->org_id, a->data_dir);
		goto out;
	}
	if (err == COFFER_OK)
		err = org_shred(st, blobs, NULL, a->org_id, "cli");
	if (err != COFFER_OK) {
		rc = cli_fail("the deletion of organisation %s stopped (%s); run the command again "
			      "to finish it",
			      a->org_id, coffer_err_info(err)->code);
		goto out;
	}
	cli_printable(org.name, name, sizeof name);
	printf("coffer: organisation %s ('%s') deleted: its keys destroyed, its database and "
	       "files removed, its memberships ended; recorded as org.delete in the system audit "
	       "chain\n",
	       a->org_id, name);
	if (fflush(stdout) != 0)
		rc = EXIT_USER_ERROR;
out:
	blob_store_free(blobs);
	if (audit_keys != NULL)
		cli_audit_signer_end(audit_keys);
	store_close(st);
	master_keyring_free(ring);
	return rc;
}

int cmd_org_delete(int argc, char **argv)
{
	struct delete_args a;
	char key_path[PATH_MAX];
	int rc = parse_args(argc, argv, &a);
	if (rc != 0)
		return rc;
	if ((rc = cli_master_key_path(a.data_dir, key_path)) != 0)
		return rc;
	return delete_now(&a);
}
