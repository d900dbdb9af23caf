/* secret.c — `coffer secret`: the credentials sealed in DATA/secrets (crypto/secrets_file.h).
 *
 *   coffer secret set NAME --data DIR [--from-file F|-] [--passphrase-file F|-]
 *                                     [--pkcs11-pin-file F|-]
 *   coffer secret list --data DIR [--passphrase-file F|-] [--pkcs11-pin-file F|-]
 *   coffer secret rm NAME --data DIR [--passphrase-file F|-] [--pkcs11-pin-file F|-]
 *
 * A value comes from a file or standard input, never from the command line (which any user can
 * read in /proc), and is never printed: `list` shows names and when they were set. The operator
 * loads the master keyring here, as for `keys rotate`.
 *
 * This runs beside a live `coffer serve`: keyd opens the file when it starts, so the change
 * reaches the server at its next start, which the output says. Two of these at once are kept
 * from losing each other's change by a lock on the data directory itself (flock). Run as root,
 * the file is handed to the owner of the data directory, the user the server runs as.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/chain.h"
#include "cli/cli.h"
#include "cli/store_open.h"
#include "cli/keyring.h"
#include "common/fileio.h"
#include "common/timefmt.h"
#include "crypto/master_key.h"
#include "crypto/secrets_file.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer secret (set NAME [--from-file F|-] | list | rm NAME) --data DIR "                  \
	"[--passphrase-file F|-] [--pkcs11-pin-file F|-]"

struct secret_args {
	const char *data_dir, *from_file, *passphrase_file, *pin_file, *name;
};

int cli_secrets_failure(const char *data_dir, enum coffer_err err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", data_dir, SECRETS_FILE);
	switch (err) {
	case COFFER_ERR_FORBIDDEN:
		return cli_fail(
		    "%s is open to group or others, or is not a plain file; chmod 600 it", path);
	case COFFER_ERR_NOT_FOUND:
		return cli_fail(
		    "%s was sealed under a master key version this deployment's keyring "
		    "does not have",
		    path);
	case COFFER_ERR_CRYPTO:
		return cli_fail("%s is damaged or was altered (it does not open under the master "
				"key): restore it from a backup, or remove it and set the secrets "
				"again",
				path);
	case COFFER_ERR_NOMEM: return cli_fail("out of memory opening %s", path);
	default: return cli_fail("cannot read %s", path);
	}
}

int cli_secret_read(const char *from_file, char **out, size_t *len)
{
	const char *from = from_file != NULL ? from_file : "-";
	char *buf = NULL;
	size_t n = 0;
	enum coffer_err err = strcmp(from, "-") == 0
				  ? stdin_read_all(SECRET_VALUE_MAX + 2, &buf, &n)
				  : file_read_all(from, SECRET_VALUE_MAX + 2, 1, &buf, &n);
	const char *where = strcmp(from, "-") == 0 ? "standard input" : from;
	if (err == COFFER_ERR_TOO_LARGE)
		return cli_fail("the value in %s is longer than %d bytes", where, SECRET_VALUE_MAX);
	if (err != COFFER_OK)
		return cli_fail("--from-file: cannot read %s", where);
	/* One trailing newline is the editor's (or echo's), not the value's. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	int rc = 0;
	if (n == 0)
		rc = cli_fail("the value in %s is empty", where);
	else if (n > SECRET_VALUE_MAX)
		rc = cli_fail("the value in %s is longer than %d bytes", where, SECRET_VALUE_MAX);
	else if (memchr(buf, '\0', n) != NULL)
		rc = cli_fail("the value in %s holds a NUL byte", where);
	if (rc != 0) {
		sodium_free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The data directory, open and locked against another `coffer secret` changing the file. */
static int lock_dir(const char *data_dir, int *fd)
{
	int f = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f < 0)
		return errno == ENOENT ? cli_fail("%s does not exist", data_dir)
				       : cli_fail("cannot open %s", data_dir);
	while (flock(f, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(f);
			return cli_fail("cannot lock %s", data_dir);
		}
	}
	*fd = f;
	return 0;
}

/* Run as root, hands the file to the data directory's owner: the user the server runs as,
 * whose keyd must read it. */
static int hand_over(const char *data_dir)
{
	char path[PATH_MAX];
	struct stat dir;
	if (geteuid() != 0)
		return 0;
	snprintf(path, sizeof path, "%s/%s", data_dir, SECRETS_FILE);
	int f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool ok = f >= 0 && stat(data_dir, &dir) == 0 && fchown(f, dir.st_uid, dir.st_gid) == 0;
	if (f >= 0)
		close(f);
	return ok ? 0 : cli_fail("cannot hand %s to the owner of %s", path, data_dir);
}

/* Records the change in the system audit chain, as `keys rotate` does: the name only. A failure
 * to record is reported, not fatal: the file has changed either way. */
static void audit_change(const struct secret_args *a, const struct master_keyring *ring,
			 const char *action)
{
	struct store *st = NULL;
	struct audit_mac_keys *keys = NULL;
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	snprintf(e.actor, sizeof e.actor, "cli");
	snprintf(e.action, sizeof e.action, "%s", action);
	snprintf(e.target, sizeof e.target, "%s", a->name);
	snprintf(e.outcome, sizeof e.outcome, "success");
	bool ok = cli_store_open(a->data_dir, ring, &st) == 0 &&
		  cli_audit_signer_begin(ring, st, &keys) == 0 &&
		  store_audit_append(st, &e) == COFFER_OK;
	if (!ok)
		fprintf(stderr,
			"coffer: warning: could not record the change in the audit trail\n");
	if (keys != NULL)
		cli_audit_signer_end(keys);
	store_close(st);
}

static int save(const struct secret_args *a, const struct master_keyring *ring,
		const struct secrets *s)
{
	enum coffer_err err = secrets_save(a->data_dir, ring, s);
	if (err != COFFER_OK)
		return cli_fail("cannot write %s/%s", a->data_dir, SECRETS_FILE);
	return hand_over(a->data_dir);
}

static int set(const struct secret_args *a, const struct master_keyring *ring, struct secrets *s)
{
	char *value = NULL;
	size_t len = 0;
	int rc = cli_secret_read(a->from_file, &value, &len);
	if (rc != 0)
		return rc;
	enum coffer_err err = secrets_put(s, a->name, (const uint8_t *)value, len, time_now());
	sodium_free(value);
	if (err == COFFER_ERR_TOO_LARGE)
		return cli_fail("%s/%s holds %d secrets already", a->data_dir, SECRETS_FILE,
				SECRETS_MAX);
	if (err != COFFER_OK)
		return cli_fail("cannot set %s", a->name);
	/* Written whole under the newest master key version: a `keys rotate --master` since the
	 * last change moves every value under the new version here. */
	if ((rc = save(a, ring, s)) != 0)
		return rc;
	audit_change(a, ring, "secret.set");
	printf("%s set; coffer serve reads it when it starts: restart it if it is running\n",
	       a->name);
	return 0;
}

static int list(const struct secret_args *a, const struct master_keyring *ring, struct secrets *s)
{
	(void)a;
	(void)ring;
	char when[TIMEFMT_RFC3339_LEN];
	for (uint32_t i = 0; i < s->count; i++) {
		timefmt_rfc3339(s->items[i].set_at, when);
		printf("%s\tset %s\n", s->items[i].name, when);
	}
	return 0;
}

static int rm(const struct secret_args *a, const struct master_keyring *ring, struct secrets *s)
{
	if (!secrets_remove(s, a->name))
		return cli_fail("%s is not set", a->name);
	int rc = save(a, ring, s);
	if (rc != 0)
		return rc;
	audit_change(a, ring, "secret.remove");
	printf("%s removed; coffer serve reads the secrets when it starts: restart it if it is "
	       "running\n",
	       a->name);
	return 0;
}

static const struct {
	const char *verb;
	int (*run)(const struct secret_args *a, const struct master_keyring *ring,
		   struct secrets *s);
	bool takes_name, changes;
} verbs[] = {
    {"set", set, true, true},
    {"list", list, false, false},
    {"rm", rm, true, true},
};

/* The arguments after VERB: its NAME when it takes one, and the options. */
static int parse_args(int argc, char **argv, size_t verb, struct secret_args *a)
{
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a->data_dir,        NULL},
	    {"from-file",       &a->from_file,       NULL},
	    {"passphrase-file", &a->passphrase_file, NULL},
	    {"pkcs11-pin-file", &a->pin_file,        NULL},
	};
	// clang-format on
	int next = 0;
	int rc = cli_options(argc, argv, verbs[verb].verb, opts, sizeof opts / sizeof opts[0],
			     USAGE, &next);
	if (rc != 0)
		return rc;
	if (verbs[verb].takes_name) {
		if (next >= argc)
			return cli_usage(USAGE, "%s: expected a NAME (%s)", verbs[verb].verb,
					 secret_names_defined());
		a->name = argv[next++];
	}
	if (next < argc)
		return cli_usage(USAGE, "unexpected argument");
	if (a->from_file != NULL && strcmp(verbs[verb].verb, "set") != 0)
		return cli_usage(USAGE, "--from-file is for 'set' only");
	if (strcmp(verbs[verb].verb, "set") == 0) {
		bool value_stdin = a->from_file == NULL || strcmp(a->from_file, "-") == 0;
		bool unlock_stdin =
		    (a->passphrase_file != NULL && !strcmp(a->passphrase_file, "-")) ||
		    (a->pin_file != NULL && !strcmp(a->pin_file, "-"));
		if (value_stdin && unlock_stdin)
			return cli_usage(USAGE, "standard input cannot give both the value and the "
						"passphrase or PIN: use --from-file F");
	}
	return 0;
}

/* Only the names coffer defines may be set or removed. */
static int check_name(const struct secret_args *a, size_t verb)
{
	if (!verbs[verb].takes_name || secret_name_defined(a->name))
		return 0;
	char shown[SECRET_NAME_MAX + 1];
	cli_printable(a->name, shown, sizeof shown);
	return cli_usage(USAGE, "unknown secret name '%s': the names are %s", shown,
			 secret_names_defined());
}

int cmd_secret(int argc, char **argv)
{
	struct secret_args a = {.data_dir = cli_default_data_dir()};
	size_t verb = sizeof verbs / sizeof verbs[0];
	for (size_t i = 0; argc >= 2 && i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(argv[1], verbs[i].verb) == 0)
			verb = i;
	}
	if (verb == sizeof verbs / sizeof verbs[0])
		return cli_usage(USAGE, "expected set, list or rm");
	int rc = parse_args(argc, argv, verb, &a);
	if (rc == 0)
		rc = check_name(&a, verb);
	if (rc != 0)
		return rc;
	int lock = -1;
	struct master_keyring *ring = NULL;
	struct secrets *s = NULL;
	char key_path[PATH_MAX];
	rc = cli_master_key_path(a.data_dir, key_path);
	if (rc == 0 && verbs[verb].changes)
		rc = lock_dir(a.data_dir, &lock);
	if (rc == 0)
		rc = cli_master_keyring_load(a.data_dir, a.passphrase_file, a.pin_file, &ring);
	if (rc == 0) {
		enum coffer_err err = secrets_load(a.data_dir, ring, &s);
		if (err != COFFER_OK)
			rc = cli_secrets_failure(a.data_dir, err);
	}
	if (rc == 0)
		rc = verbs[verb].run(&a, ring, s);
	secrets_free(s);
	master_keyring_free(ring);
	if (lock >= 0)
		close(lock);
	return rc;
}
