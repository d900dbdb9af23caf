/* check_tap.h — the "ok - " / "not ok - " lines of the check programs that tests/e2e drives
 * against real servers (tests/pg/NAME_check.c, tests/s3/NAME_check.c; pg_checks.py and
 * test_s3_client.py read them). A program includes this once; main ends with
 * `printf("done: %d failed\n", failures)` and a status from FAILURES. */
#ifndef COFFER_TESTS_CHECK_TAP_H
#define COFFER_TESTS_CHECK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/err.h"

static int failures;

static inline void check(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void check(int ok, const char *name, const char *fmt, ...)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		va_list ap;
		va_start(ap, fmt);
		printf("not ok - %s: ", name);
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
		failures++;
	}
	fflush(stdout);
}

/* GOT is evaluated once: it is usually the call under test. */
static inline void check_err(enum coffer_err got, enum coffer_err want, const char *name)
{
	check(got == want, name, "got %s, want %s", coffer_err_info(got)->code,
	      coffer_err_info(want)->code);
}

#define CHECK_ERR(got, want, name) check_err((got), (want), (name))

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
