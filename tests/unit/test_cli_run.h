/* test_cli_run.h — runs a subcommand in-process (its cmd_* function) and captures what it
 * writes to stdout and stderr, for the tests of the command line (test_cli_*.c). */
#ifndef COFFER_TEST_CLI_RUN_H
#define COFFER_TEST_CLI_RUN_H

#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct cli_run {
	int status;
	char out[2048], err[2048];
};

/* Reads what was written to FD (a temporary file) into BUF. */
static inline void cli_run_slurp(int fd, char *buf, size_t len)
{
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	ssize_t n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

/* CMD(ARGC, ARGV), its output captured. */
static inline struct cli_run cli_run(int (*cmd)(int, char **), int argc, char **argv)
{
	struct cli_run r;
	char tmpl_out[] = "/tmp/coffer-cli-out-XXXXXX", tmpl_err[] = "/tmp/coffer-cli-err-XXXXXX";
	int out = mkstemp(tmpl_out), err = mkstemp(tmpl_err);
	assert_true(out >= 0 && err >= 0);
	unlink(tmpl_out);
	unlink(tmpl_err);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	assert_true(dup2(out, 1) == 1 && dup2(err, 2) == 2);
	r.status = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(saved_out, 1) == 1 && dup2(saved_err, 2) == 2);
	close(saved_out);
	close(saved_err);
	cli_run_slurp(out, r.out, sizeof r.out);
	cli_run_slurp(err, r.err, sizeof r.err);
	return r;
}

/* One line on stderr, starting "coffer: ", nothing on stdout, and exit status STATUS. */
static inline void assert_cli_failure(const struct cli_run *r, int status)
{
	assert_int_equal(r->status, status);
	assert_string_equal(r->out, "");
	assert_true(strncmp(r->err, "coffer: ", 8) == 0);
	assert_non_null(strchr(r->err, '\n'));
	if (status == EXIT_USER_ERROR)
		assert_int_equal(strchr(r->err, '\n')[1], '\0');
}

#endif
