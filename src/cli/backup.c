/* backup.c — `coffer backup`: snapshots of an embedded deployment (backup/backup.h).
 *
 *   coffer backup create  --data DIR [--to BACKUP_DIR] [--passphrase-file F] [--pkcs11-pin-file F]
 *   coffer backup list    --data DIR [--from BACKUP_DIR]
 *   coffer backup verify  FILE (--data DIR | --master-key FILE) [--passphrase-file F]
 *                         [--pkcs11-pin-file F]
 *   coffer backup restore FILE --data NEW_DIR --master-key FILE [--passphrase-file F]
 *                         [--pkcs11-pin-file F]
 *
 * create runs beside `coffer serve` (it copies through SQLite, never the files under it) and
 * needs the master key, as every command that makes keys does. verify writes only to a private
 * temporary directory ($TMPDIR, else /tmp) that it removes. restore verifies the whole snapshot
 * first and writes nothing when it does not verify.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/mac_keys.h"
#include "audit/signer.h"
#include "backup/backup.h"
#include "backup/catalog.h"
#include "backup/key.h"
#include "cli/cli.h"
#include "cli/keyring.h"
#include "cli/run_as.h"
#include "common/fileio.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "sandbox/privdrop.h"

#define USAGE                                                                                      \
	"coffer backup create --data DIR [--to BACKUP_DIR] [--passphrase-file F] "                 \
	"[--pkcs11-pin-file F]\n"                                                                  \
	"       coffer backup list --data DIR [--from BACKUP_DIR]\n"                               \
	"       coffer backup verify FILE (--data DIR | --master-key FILE) [--passphrase-file F] " \
	"[--pkcs11-pin-file F]\n"                                                                  \
	"       coffer backup restore FILE --data NEW_DIR --master-key FILE [--passphrase-file "   \
	"F] "                                                                                      \
	"[--pkcs11-pin-file F]"

#define KEY_REMINDER                                                                               \
	"coffer: the snapshot does not hold the master key: restoring it needs the master key "    \
	"file (and its passphrase or token), so keep a copy of it somewhere else than the "        \
	"snapshots\n"

struct backup_args {
	const char *data_dir, *to, *from, *master_key, *passphrase_file, *pin_file, *file;
};

/* The deployment's backup directory: --to/--from, else coffer.conf's backup_dir (relative to
 * DATA_DIR), into OUT. */
static int backup_dir(const char *data_dir, const char *given, char out[PATH_MAX])
{
	char conf[PATH_MAX], why[256];
	struct coffer_config cfg;
	if (given != NULL) {
		snprintf(out, PATH_MAX, "%s", given);
		return 0;
	}
	snprintf(conf, sizeof conf, "%s/coffer.conf", data_dir);
	config_defaults(&cfg);
	if (config_load(&cfg, conf, why, sizeof why) != COFFER_OK) {
		config_free(&cfg);
		return cli_fail("%s", why);
	}
	if (cfg.database == CONFIG_DB_POSTGRESQL) {
		config_free(&cfg);
		return cli_fail("%s: the store is on PostgreSQL, whose backups are the database's "
				"(pgBackRest: docs/OPERATIONS.md); coffer backup copies the SQLite "
				"store only",
				conf);
	}
	if (cfg.backup_dir[0] == '/')
		snprintf(out, PATH_MAX, "%s", cfg.backup_dir);
	else if ((size_t)snprintf(out, PATH_MAX, "%s/%s", data_dir, cfg.backup_dir) >= PATH_MAX)
		out[0] = '\0';
	config_free(&cfg);
	return out[0] != '\0' ? 0 : cli_fail("backup_dir: path too long");
}

/* Installs an audit signer over RING's audit keys (no checkpoint is stored: these commands
 * append nothing, they seal and check). */
static int signer_begin(const struct master_keyring *ring, struct audit_mac_keys **keys)
{
	if (audit_mac_keys_derive(ring, keys) != COFFER_OK)
		return cli_fail("cannot derive the audit keys from the master key");
	struct audit_signer s = audit_signer_local(*keys);
	audit_signer_install(&s, NULL, NULL);
	return 0;
}

static void signer_end(struct audit_mac_keys *keys)
{
	audit_signer_install(NULL, NULL, NULL);
	audit_mac_keys_free(keys);
}

static int say_problem(const char *file, const struct backup_problem *p, enum coffer_err err)
{
	if (p->why[0] != '\0')
		return cli_fail("%s does not verify: %s %s", file, p->member, p->why);
	if (err == COFFER_ERR_NOT_FOUND)
		return cli_fail("%s: no such file", file);
	return cli_fail("%s cannot be read (%s)", file, coffer_err_info(err)->code);
}

/* Started as root, becomes the user coffer.conf names (who owns DATA) before writing there,
 * so that the server can later read, list and prune what this writes. */
static int become_owner(const char **data_dir, char real[PATH_MAX])
{
	struct privdrop_target target;
	int rc = run_as_for_serve(data_dir, real, &target);
	if (rc != 0 || !target.change)
		return rc;
	if (privdrop_prepare() != COFFER_OK || privdrop_apply(&target) != COFFER_OK)
		return cli_fail("cannot become the deployment's user");
	return 0;
}

static int create(struct backup_args *a)
{
	char dir[PATH_MAX], real[PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *mac = NULL;
	struct backup_made made;
	struct backup_problem problem;
	int rc = cli_master_keyring_load(a->data_dir, a->passphrase_file, a->pin_file, &ring);
	if (rc == 0)
		rc = become_owner(&a->data_dir, real);
	if (rc == 0)
		rc = backup_dir(a->data_dir, a->to, dir);
	if (rc == 0)
		rc = signer_begin(ring, &mac);
	if (rc != 0) {
		master_keyring_free(ring);
		return rc;
	}
	struct backup_keys keys = backup_keys_from_ring(ring);
	enum coffer_err err =
	    backup_create(a->data_dir, dir, time_now(), &keys, NULL, &made, &problem);
	signer_end(mac);
	master_keyring_free(ring);
	if (err == COFFER_ERR_EXISTS)
		return cli_fail("a snapshot of %s is being made already; try again when it is done",
				a->data_dir);
	if (err != COFFER_OK && problem.why[0] != '\0')
		return cli_fail("the snapshot did not verify and was removed: %s %s",
				problem.member, problem.why);
	if (err != COFFER_OK)
		return cli_fail("cannot make a snapshot of %s in %s (%s)", a->data_dir, dir,
				coffer_err_info(err)->code);
	timefmt_rfc3339(made.time, when);
	printf("%s\n", made.path);
	fprintf(stderr,
		"coffer: snapshot of %s at %s: %zu members, %" PRIu64 " bytes, %" PRIu64
		" bytes on disk, verified\n",
		a->data_dir, when, made.members, made.content, made.size);
	fputs(KEY_REMINDER, stderr);
	return 0;
}

static int list(struct backup_args *a)
{
	char dir[PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	struct backup_entry *e = NULL;
	size_t n = 0;
	int rc = backup_dir(a->data_dir, a->from, dir);
	if (rc != 0)
		return rc;
	if (backup_catalog_list(dir, &e, &n) != COFFER_OK)
		return cli_fail("cannot read %s", dir);
	for (size_t i = 0; i < n; i++) {
		timefmt_rfc3339(e[i].time, when);
		printf("%s  %12" PRIu64 "  master key v%u  %s/%s\n", when, e[i].size,
		       (unsigned)e[i].master_version, dir, e[i].name);
	}
	if (n == 0)
		fprintf(stderr, "coffer: no snapshots in %s\n", dir);
	free(e);
	return 0;
}

/* A private scratch directory under $TMPDIR (or /tmp), into OUT. */
static int scratch_dir(char out[PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(out, PATH_MAX, "%s/coffer-verify-XXXXXX", tmp) >= PATH_MAX ||
	    mkdtemp(out) == NULL)
		return cli_fail("cannot make a temporary directory in %s", tmp);
	return 0;
}

/* The keyring of --master-key FILE, else of --data DIR. */
static int load_ring(const struct backup_args *a, struct master_keyring **ring)
{
	if (a->master_key == NULL)
		return cli_master_keyring_load(a->data_dir, a->passphrase_file, a->pin_file, ring);
	if (access(a->master_key, F_OK) != 0)
		return cli_fail("--master-key: %s: no such file", a->master_key);
	return cli_master_keyring_load_file(a->master_key, a->passphrase_file, a->pin_file, ring);
}

/* Verifies A->file with RING: 0, or the exit status after naming what is wrong. */
static int verify_with(const struct backup_args *a, const struct master_keyring *ring,
		       uint64_t *content, size_t *members)
{
	char scratch[PATH_MAX];
	struct audit_mac_keys *mac = NULL;
	struct backup_problem problem;
	int rc = scratch_dir(scratch);
	if (rc == 0)
		rc = signer_begin(ring, &mac);
	if (rc != 0)
		return rc;
	struct backup_keys keys = backup_keys_from_ring(ring);
	enum coffer_err err = backup_verify(a->file, &keys, scratch, &problem, content, members);
	signer_end(mac);
	if (backup_remove_tree(scratch) != COFFER_OK)
		fprintf(stderr, "coffer: warning: cannot remove %s\n", scratch);
	return err == COFFER_OK ? 0 : say_problem(a->file, &problem, err);
}

static int verify(struct backup_args *a)
{
	struct master_keyring *ring = NULL;
	uint64_t content = 0;
	size_t members = 0;
	int rc = load_ring(a, &ring);
	if (rc == 0)
		rc = verify_with(a, ring, &content, &members);
	master_keyring_free(ring);
	if (rc == 0)
		printf("ok: %zu members, %" PRIu64 " bytes, every segment, member, database and "
		       "audit chain checked\n",
		       members, content);
	return rc;
}

/* Whether DIR is missing (then made) or an empty directory. */
static int empty_target(const char *dir, bool *made)
{
	*made = false;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST)
		return cli_fail("cannot create %s", dir);
	DIR *d = opendir(dir);
	if (d == NULL)
		return cli_fail("%s is not a directory this user can read", dir);
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty ? 0 : cli_fail("%s is not empty: restore only into a new directory", dir);
}

/* Copies the master key file into the restored deployment. */
static enum coffer_err copy_master_key(const char *from, const char *data_dir)
{
	char to[PATH_MAX], *bytes = NULL;
	size_t len = 0;
	snprintf(to, sizeof to, "%s/%s", data_dir, MASTER_KEY_FILE);
	enum coffer_err err = file_read_all(from, 64 * 1024, 1, &bytes, &len);
	if (err == COFFER_OK)
		err = file_write_atomic(to, bytes, len, 0600, 1);
	if (bytes != NULL)
		sodium_free(bytes);
	return err;
}

/* Started as root: hands the restored deployment to the user its coffer.conf names (or coffer). */
static int hand_over(const char *data_dir)
{
	char conf[PATH_MAX], why[256];
	struct coffer_config cfg;
	struct run_as_owner owner;
	if (geteuid() != 0)
		return 0;
	snprintf(conf, sizeof conf, "%s/coffer.conf", data_dir);
	config_defaults(&cfg);
	int rc = config_load(&cfg, conf, why, sizeof why) == COFFER_OK
		     ? run_as_for_init(cfg.user, &owner)
		     : cli_fail("%s", why);
	config_free(&cfg);
	if (rc == 0 && owner.set && run_as_chown_tree(data_dir, &owner) != COFFER_OK)
		rc = cli_fail("cannot hand %s to the user %s", data_dir, owner.name);
	return rc;
}

static int restore(struct backup_args *a)
{
	struct master_keyring *ring = NULL;
	struct audit_mac_keys *mac = NULL;
	struct backup_problem problem;
	bool made = false;
	if (a->master_key == NULL)
		return cli_usage(USAGE, "restore needs --master-key FILE");
	int rc = empty_target(a->data_dir, &made);
	if (rc == 0)
		rc = load_ring(a, &ring);
	/* The whole snapshot is proven before anything is written. */
	if (rc == 0)
		rc = verify_with(a, ring, NULL, NULL);
	if (rc == 0)
		rc = signer_begin(ring, &mac);
	if (rc == 0) {
		struct backup_keys keys = backup_keys_from_ring(ring);
		enum coffer_err err = backup_extract(a->file, &keys, a->data_dir, &problem);
		signer_end(mac);
		if (err != COFFER_OK)
			rc = say_problem(a->file, &problem, err);
	}
	if (rc == 0 && copy_master_key(a->master_key, a->data_dir) != COFFER_OK)
		rc = cli_fail("cannot copy the master key into %s", a->data_dir);
	if (rc == 0)
		rc = hand_over(a->data_dir);
	master_keyring_free(ring);
	if (rc != 0) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", a->data_dir, MASTER_KEY_FILE);
		unlink(path);
		if (made)
			rmdir(a->data_dir);
		return rc;
	}
	printf("%s\n", a->data_dir);
	fprintf(stderr, "coffer: restored %s into %s; start it with: coffer serve --data %s\n",
		a->file, a->data_dir, a->data_dir);
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	struct backup_args a = {.data_dir = cli_default_data_dir()};
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a.data_dir,        NULL},
	    {"to",              &a.to,              NULL},
	    {"from",            &a.from,            NULL},
	    {"master-key",      &a.master_key,      NULL},
	    {"passphrase-file", &a.passphrase_file, NULL},
	    {"pkcs11-pin-file", &a.pin_file,        NULL},
	};
	// clang-format on
	static const struct {
		const char *verb;
		int (*run)(struct backup_args *a);
		bool takes_file;
	} verbs[] = {
	    {"create", create, false},
	    {"list", list, false},
	    {"verify", verify, true},
	    {"restore", restore, true},
	};
	if (argc < 2)
		return cli_usage(USAGE, "expected create, list, verify or restore");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(argv[1], verbs[i].verb) != 0)
			continue;
		int next = 0;
		int rc = cli_options(argc, argv, verbs[i].verb, opts, sizeof opts / sizeof opts[0],
				     USAGE, &next);
		if (rc != 0)
			return rc;
		if (verbs[i].takes_file) {
			if (next >= argc)
				return cli_usage(USAGE, "%s needs the snapshot FILE",
						 verbs[i].verb);
			a.file = argv[next++];
		}
		if (next != argc)
			return cli_usage(USAGE, "unexpected argument '%s'", argv[next]);
		return verbs[i].run(&a);
	}
	return cli_usage(USAGE, "unknown verb '%s'", argv[1]);
}
