/* cli.c — messages and defaults shared by the subcommands. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "crypto/master_key.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("coffer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USER_ERROR;
}

int cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("coffer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return EXIT_USAGE;
}

int cli_options(int argc, char **argv, const char *verb, const struct cli_option *opts, size_t n,
		const char *usage, int *next)
{
	struct option longopts[CLI_OPTIONS_MAX + 1];
	int c;
	if (n > CLI_OPTIONS_MAX)
		return cli_usage(usage, "too many options"); /* a bug of ours */
	for (size_t i = 0; i < n; i++) {
		longopts[i] =
		    (struct option){opts[i].name, opts[i].value ? required_argument : no_argument,
				    NULL, (int)i + 1};
	}
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	if (verb != NULL && (argc < 2 || strcmp(argv[1], verb) != 0))
		return cli_usage(usage, "expected '%s %s'", argv[0], verb);
	opterr = 0;
	optind = verb != NULL ? 2 : 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c < 1 || (size_t)c > n)
			return cli_usage(usage, "unknown or incomplete option");
		const struct cli_option *o = &opts[c - 1];
		if (o->value != NULL)
			*o->value = optarg;
		else
			*o->flag = true;
	}
	*next = optind;
	return 0;
}

void cli_printable(const char *in, char *out, size_t outlen)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)in[i];
		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (outlen > 0)
		out[i] = '\0';
}

const char *cli_default_data_dir(void)
{
	const char *env = getenv("COFFER_DATA");
	return env != NULL && env[0] != '\0' ? env : "./var/coffer";
}

int cli_master_key_failure(const char *data_dir, const char *passphrase_file, enum coffer_err err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	return cli_master_key_failure_at(path, passphrase_file, err);
}

int cli_master_key_failure_at(const char *path, const char *passphrase_file, enum coffer_err err)
{
	switch (err) {
	case COFFER_ERR_CONFIG:
		return cli_fail(
		    "--passphrase-file: cannot read a passphrase (1 to %d bytes) from %s",
		    PASSPHRASE_MAX, passphrase_file);
	case COFFER_ERR_NOT_FOUND: return cli_fail("%s is missing", path);
	case COFFER_ERR_FORBIDDEN: return cli_fail("%s is readable by others; chmod 600 it", path);
	case COFFER_ERR_UNAUTHENTICATED:
		return cli_fail("the master key is sealed: give --passphrase-file");
	case COFFER_ERR_INVALID_CREDENTIALS: return cli_fail("wrong passphrase for the master key");
	case COFFER_ERR_INVALID_INPUT:
		return cli_fail("the master key is not sealed: drop --passphrase-file");
	case COFFER_ERR_INTERNAL: return cli_fail("the key service could not harden its process");
	default: return cli_fail("%s is damaged or unreadable", path);
	}
}

enum coffer_err cli_lock_data(const char *data_dir, int *fd)
{
	return file_lock_in(data_dir, "serve.lock", fd);
}

int cli_master_key_path(const char *data_dir, char *out)
{
	if (snprintf(out, PATH_MAX, "%s/%s", data_dir, MASTER_KEY_FILE) >= PATH_MAX)
		return cli_fail("--data: path too long");
	if (access(out, F_OK) == 0)
		return 0;
	char conf[PATH_MAX];
	snprintf(conf, sizeof conf, "%s/coffer.conf", data_dir);
	if (access(conf, F_OK) == 0)
		return cli_fail("%s has no master key (%s): this command needs it", data_dir,
				MASTER_KEY_FILE);
	return cli_fail("%s holds no coffer deployment", data_dir);
}
