/* main.c — the coffer command: initialise the libraries, dispatch to a subcommand. */
#include <sodium.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"init", cmd_init, "create a deployment in a data directory"},
    {"serve", cmd_serve, "serve HTTPS in the foreground"},
    {"keys", cmd_keys, "rotate the master key or an organisation's key"},
    {"audit", cmd_audit, "verify the audit trail"},
    {"org", cmd_org, "recover an organisation that lost all its admins, or delete one now"},
    {"backup", cmd_backup, "make, list, verify and restore encrypted snapshots"},
    {"secret", cmd_secret, "set, list and remove the sealed credentials"},
    {"check", cmd_check, "check the deployment against the security baseline"},
    {"version", cmd_version, "print versions"},
};

static int usage(FILE *out)
{
	fputs("usage: coffer COMMAND [OPTIONS]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	return out == stdout ? 0 : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout);
	/* Everything coffer creates (databases, keys, blobs) is for its own user alone. */
	umask(077);
	/* libsodium must be initialised before any randomness or guarded memory is used. */
	if (sodium_init() < 0)
		return cli_fail("cannot initialise libsodium");
	/* Started by serve only (alerts/runner.h): not listed. */
	if (strcmp(argv[1], "alert-runner") == 0)
		return cmd_alert_runner(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "coffer: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
