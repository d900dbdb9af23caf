/* org.c — `coffer org recover`: a new first org_admin for an organisation that has lost every
 * admin it had (and the door to `coffer org delete`, org_delete.c).
 *
 *   coffer org recover --data DIR --org ORG_ID --admin-email EMAIL [--passphrase-file F]
 *                      [--pkcs11-pin-file F]
 *
 * Membership belongs to the organisation: once founded, only its own org_admins add people, and
 * keyd seals invitations for nobody else. When the last of them is gone (disabled, left) nobody
 * could ever add one again, so the operator of the server can — but only with the master key
 * (and its passphrase, when sealed), which is the authority keyd itself seals with, and never
 * quietly:
 * - the act goes into the system chain and into the organisation's own chain (action
 *   org.recover, actor "cli", target the new admin's email), and a notice for every member
 *   (store_notice_add) is shown at their next sign-in, naming who was added and when;
 * - all three are written before the invitation exists, so a failure part-way leaves a record
 *   of an attempt but never an invitation that nothing records;
 * - it refuses an organisation that still has an active org_admin: they invite people
 *   themselves, and recovery must not be a way round them.
 * The invitation makes EMAIL an org_admin with clearance restricted, the organisation's
 * highest, so the new admin can re-clear everyone; it is printed once, on stdout, like the one
 * `coffer init` prints, and lives 72 hours.
 *
 * It runs beside a live `coffer serve`: every write goes through the store, one SQLite
 * transaction each, and the server reads invitations, notices and chains from the databases.
 */
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/chain.h"
#include "cli/cli.h"
#include "cli/store_open.h"
#include "cli/invite.h"
#include "cli/keyring.h"
#include "common/email.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer org recover --data DIR --org ORG_ID --admin-email EMAIL [--passphrase-file F|-] "  \
	"[--pkcs11-pin-file F|-]"

#define RECOVERED_CLEARANCE LEVEL_RESTRICTED
#define NOTICE_KIND	    "recovered"

struct recover_args {
	const char *data_dir, *org_id, *passphrase_file, *pin_file;
	char email[EMAIL_MAX + 1];
};

static int parse_args(int argc, char **argv, struct recover_args *a)
{
	const char *email = NULL;
	memset(a, 0, sizeof *a);
	a->data_dir = cli_default_data_dir();
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a->data_dir,        NULL},
	    {"org",             &a->org_id,          NULL},
	    {"admin-email",     &email,              NULL},
	    {"passphrase-file", &a->passphrase_file, NULL},
	    {"pkcs11-pin-file", &a->pin_file,        NULL},
	};
	// clang-format on
	int next = 0;
	int rc =
	    cli_options(argc, argv, "recover", opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next < argc)
		return cli_usage(USAGE, "unexpected argument");
	if (a->org_id == NULL)
		return cli_usage(USAGE, "--org is required");
	if (email == NULL)
		return cli_usage(USAGE, "--admin-email is required");
	if (!uuid_valid(a->org_id))
		return cli_usage(USAGE, "--org: expected an organisation id (a UUID)");
	if (!email_normalize(email, a->email))
		return cli_fail("--admin-email: not a valid email address");
	return 0;
}

/* Whether the invitation can be accepted by the account EMAIL already has, if any (the web
 * process decides at acceptance: invites.c); 0, or the exit status after saying why not, so
 * that no invitation is printed that could never be used. A member of the organisation may be
 * named: accepting makes them its org_admin. */
static int check_existing_account(struct store *st, const char *email)
{
	struct user_record *u = sodium_malloc(sizeof *u);
	if (u == NULL)
		return cli_fail("out of memory");
	enum coffer_err err = store_user_by_email(st, email, u);
	int rc = 0;
	if (err == COFFER_ERR_NOT_FOUND) {
		rc = 0; /* a new account, made when the invitation is accepted */
	} else if (err != COFFER_OK) {
		rc = cli_fail("cannot read the users of the deployment");
	} else if (strcmp(u->role, "sysadmin") == 0) {
		rc = cli_fail("%s is a system administrator, who cannot belong to an organisation; "
			      "give another email address",
			      email);
	} else if (strcmp(u->status, "disabled") == 0) {
		rc = cli_fail("%s's account is disabled: enable it (POST "
			      "/api/v1/admin/users/%s/enable), or give another email address",
			      email, u->id);
	} else if (strcmp(u->status, "active") != 0) {
		rc = cli_fail("%s's account is still being set up (an invitation accepted, its "
			      "authenticator not confirmed); give another email address",
			      email);
	}
	sodium_free(u);
	return rc;
}

/* The organisation ORG_ID, when recovery may proceed: 0, or the exit status after the reason. */
static int check_org(struct store *st, const struct recover_args *a, struct org_record *org)
{
	size_t admins = 0;
	enum coffer_err err = store_org_get(st, a->org_id, org);
	if (err == COFFER_ERR_NOT_FOUND)
		return cli_fail("no organisation %s in %s", a->org_id, a->data_dir);
	if (err == COFFER_OK)
		err = store_org_active_admins(st, a->org_id, &admins);
	if (err != COFFER_OK)
		return cli_fail("cannot read the organisations of %s", a->data_dir);
	if (admins > 0)
		return cli_fail(
		    "organisation %s still has %zu active org_admin%s, who invite new "
		    "admins themselves; recovery is only for an organisation that has none",
		    a->org_id, admins, admins == 1 ? "" : "s");
	return check_existing_account(st, a->email);
}

static void entry(struct audit_entry *e, const char *target, const char *outcome,
		  const char *reason, int64_t now)
{
	memset(e, 0, sizeof *e);
	e->time = now;
	snprintf(e->actor, sizeof e->actor, "cli"); /* the command line: no user, no address */
	snprintf(e->action, sizeof e->action, "org.recover");
	snprintf(e->target, sizeof e->target, "%s", target);
	snprintf(e->outcome, sizeof e->outcome, "%s", outcome);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
}

/* The organisation's own chain. */
static enum coffer_err org_chain_append(struct store *st, const char *org_id, struct audit_entry *e)
{
	struct org_db *odb = NULL;
	/* Created if missing (an organisation whose database was never made): the chain starts
	 * here. */
	enum coffer_err err = store_org_db_open_in(st, org_id, true, &odb);
	if (err == COFFER_OK)
		err = store_org_audit_append(odb, org_id, e, 1);
	store_org_db_close(odb);
	return err;
}

/* Records the recovery (both chains, the members' notice), then stores the invitation. In the
 * system chain the target is the new admin and the reason names the organisation; in the
 * organisation's, the reason is the clearance granted. */
static int record_and_invite(struct store *st, const struct recover_args *a,
			     const struct token_hash *hash, const struct invite_record *rec)
{
	struct audit_entry e;
	const char *step;
	entry(&e, a->email, "success", a->org_id, rec->created_at);
	if (store_audit_append(st, &e) != COFFER_OK)
		return cli_fail("cannot write to the system audit chain; nothing was changed");

	step = "organisation's audit chain";
	entry(&e, a->email, "success", level_name(RECOVERED_CLEARANCE), rec->created_at);
	enum coffer_err err = org_chain_append(st, a->org_id, &e);
	if (err == COFFER_OK) {
		step = "notice to the members";
		err = store_notice_add(st, a->org_id, NOTICE_KIND, a->email, rec->created_at);
	}
	if (err == COFFER_OK) {
		step = "invitation";
		err = store_invite_add(st, hash, rec);
	}
	if (err == COFFER_OK)
		return 0;
	/* The system chain says it happened: say that it did not finish. */
	entry(&e, a->email, "failure", a->org_id, time_now());
	bool noted = store_audit_append(st, &e) == COFFER_OK;
	return cli_fail("cannot write the %s for organisation %s; no invitation was made%s: run "
			"the command again",
			step, a->org_id,
			noted ? "" : " (and the failure is not in the system chain)");
}

static int recover(const struct recover_args *a)
{
	struct coffer_config cfg;
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *audit_keys = NULL;
	struct store *st = NULL;
	struct org_record org;
	struct token_hash hash;
	struct invite_record rec;
	char conf_path[PATH_MAX], why[512], name[STORE_ORG_NAME_MAX * 4 + 1];
	char token[TOKEN_TEXT_LEN + 1] = "";
	char url[CONFIG_HOST_MAX + 16 + sizeof "https:///invite/" + TOKEN_TEXT_LEN] = "";
	const struct cli_invite_order order = {.email = a->email,
					       .role = INVITE_ORG_ADMIN,
					       .org_id = a->org_id,
					       .clearance = RECOVERED_CLEARANCE};
	int rc = 0;

	/* The printed link must be the one the server answers on. */
	config_defaults(&cfg);
	snprintf(conf_path, sizeof conf_path, "%s/coffer.conf", a->data_dir);
	if (config_load(&cfg, conf_path, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	/* The master key first: without it nothing is read or written. */
	rc = cli_master_keyring_load(a->data_dir, a->passphrase_file, a->pin_file, &ring);
	if (rc != 0)
		goto out;
	rc = cli_store_open(a->data_dir, ring, &st);
	if (rc != 0)
		goto out;
	rc = cli_audit_signer_begin(ring, st, &audit_keys);
	if (rc != 0)
		goto out;
	rc = check_org(st, a, &org);
	if (rc != 0)
		goto out;
	if (cli_invite_seal(ring, &order, time_now(), token, &hash, &rec) != COFFER_OK) {
		rc = cli_fail("cannot seal the invitation");
		goto out;
	}
	rc = record_and_invite(st, a, &hash, &rec);
	if (rc != 0)
		goto out;

	cli_printable(org.name, name, sizeof name);
	cli_invite_url(&cfg.listen, token, url, sizeof url);
	printf("coffer: organisation %s ('%s') recovered; recorded as org.recover in the system "
	       "audit chain and in the organisation's, and every member is told at sign-in\n",
	       a->org_id, name);
	printf("coffer: invite for %s as its org_admin with clearance %s (the highest), valid 72 "
	       "hours:\n",
	       a->email, level_name(RECOVERED_CLEARANCE));
	printf("%s\n", url);
	if (fflush(stdout) != 0)
		rc = EXIT_USER_ERROR;
out:
	sodium_memzero(token, sizeof token);
	sodium_memzero(url, sizeof url);
	if (audit_keys != NULL)
		cli_audit_signer_end(audit_keys);
	store_close(st);
	master_keyring_free(ring);
	config_free(&cfg);
	return rc;
}

int cmd_org(int argc, char **argv)
{
	struct recover_args a;
	char key_path[PATH_MAX];
	if (argc >= 2 && strcmp(argv[1], "delete") == 0)
		return cmd_org_delete(argc, argv);
	if (argc < 2 || strcmp(argv[1], "recover") != 0)
		return cli_usage(USAGE "\n       coffer org delete --data DIR --org ORG_ID --now",
				 "expected 'org recover' or 'org delete'");
	int rc = parse_args(argc, argv, &a);
	if (rc != 0)
		return rc;
	/* Before anything else: a directory without a deployment is said to be one. */
	if ((rc = cli_master_key_path(a.data_dir, key_path)) != 0)
		return rc;
	return recover(&a);
}
