/* cli.c — messages and defaults shared by the subcommands. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

const char *cli_default_data_dir(void)
{
	const char *env = getenv("COFFER_DATA");
	return env != NULL && env[0] != '\0' ? env : "./var/coffer";
}
