/* cli.h — the subcommands of the coffer binary and what they share.
 *
 * Exit statuses (CONTRACT §2): 0 success; 1 a failure the user can fix, with one line on stderr
 * starting "coffer: "; 2 bad usage.
 */
#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#define EXIT_USER_ERROR 1
#define EXIT_USAGE 2

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Prints "coffer: MESSAGE" on stderr and returns EXIT_USER_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "coffer: MESSAGE" and the usage hint on stderr and returns EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The data directory when --data is not given: $COFFER_DATA, else ./var/coffer. */
const char *cli_default_data_dir(void);

#endif
