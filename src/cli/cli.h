/* cli.h — the subcommands of the coffer binary and what they share.
 *
 * Exit statuses, the same for every subcommand: 0 success; 1 a failure the user can fix, with one
 * line on stderr starting "coffer: "; 2 bad usage.
 */
#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define EXIT_USER_ERROR 1
#define EXIT_USAGE	2

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_org(int argc, char **argv);
/* src/cli/org_delete.c: `coffer org delete`, which cmd_org hands on. */
int cmd_org_delete(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_secret(int argc, char **argv);
int cmd_alert_runner(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Prints "coffer: MESSAGE" on stderr and returns EXIT_USER_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The master key file of the deployment in DATA_DIR, into OUT (PATH_MAX bytes): 0, or the exit
 * status after saying why there is none. */
int cli_master_key_path(const char *data_dir, char *out);

/* Prints "coffer: MESSAGE" and the usage hint on stderr and returns EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An option of a subcommand: --NAME, which either takes a value (stored at *VALUE) or is a flag
 * (VALUE NULL; sets *FLAG). */
struct cli_option {
	const char *name;
	const char **value;
	bool *flag;
};

#define CLI_OPTIONS_MAX 24

/* Reads the N (at most CLI_OPTIONS_MAX) options OPTS from the arguments of subcommand ARGV[0]
 * (after VERB, its first argument, unless VERB is NULL): 0, with *NEXT the index of the first
 * argument that is not an option, or (after the usage line) the usage exit status for a missing
 * VERB or an option that is unknown or lacks its value. */
int cli_options(int argc, char **argv, const char *verb, const struct cli_option *opts, size_t n,
		const char *usage, int *next);

/* IN (a name someone chose: an organisation's) fit for the one line of a message: control
 * characters (a newline would start a second line) shown as '?'; cut to OUTLEN - 1 bytes. */
void cli_printable(const char *in, char *out, size_t outlen);

/* The data directory when --data is not given: $COFFER_DATA, else ./var/coffer. */
const char *cli_default_data_dir(void);

/* Explains in one line why the master key of DATA_DIR did not load (ERR as master_key_load
 * reports it; COFFER_ERR_CONFIG for an unreadable passphrase file) and returns
 * EXIT_USER_ERROR. */
int cli_master_key_failure(const char *data_dir, const char *passphrase_file, enum coffer_err err);
/* The same for the master key file PATH. */
int cli_master_key_failure_at(const char *path, const char *passphrase_file, enum coffer_err err);

/* Explains in one line, naming the file, why DATA_DIR/secrets did not open (ERR as secrets_load
 * reports it, crypto/secrets_file.h) and returns EXIT_USER_ERROR. */
int cli_secrets_failure(const char *data_dir, enum coffer_err err);

/* A secret's value from the file FROM_FILE, or standard input (FROM_FILE "-" or NULL), without
 * one trailing newline, in guarded memory (*OUT NUL-terminated; sodium_free it): 1 to
 * SECRET_VALUE_MAX bytes, no NUL. Prints why on failure: 0 on success. */
int cli_secret_read(const char *from_file, char **out, size_t *len);

/* Takes DATA_DIR's lock (DATA/serve.lock, an exclusive flock held for the life of the process):
 * `coffer serve` holds it while it runs, and what must not run beside it (rotating the master
 * key) takes it too. COFFER_ERR_EXISTS when another process holds it. */
COFFER_MUST_CHECK enum coffer_err cli_lock_data(const char *data_dir, int *fd);

struct master_keyring;
struct store;
struct audit_mac_keys;

/* Installs, until cli_audit_signer_end, an audit signer over the audit keys of RING (borrowed)
 * whose checkpoints go straight into ST: a command that writes audit entries must, or they
 * fail. 0, or the exit status after the message. */
int cli_audit_signer_begin(const struct master_keyring *ring, struct store *st,
			   struct audit_mac_keys **keys);
void cli_audit_signer_end(struct audit_mac_keys *keys);

#endif
