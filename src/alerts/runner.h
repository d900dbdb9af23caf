/* runner.h — the alert runner: the process that hands each alert to coffer.conf's
 * alert_command (docs/OPERATIONS.md, "Alerts").
 *
 * The web process never starts a program (its sandbox forbids it): at start-up, before the
 * sandbox, `coffer serve` starts `coffer alert-runner --data DIR` with a pipe as its standard
 * input, and from then on writes each alert there as one JSON line (alerts.c). The runner
 * reads alert_command from coffer.conf itself (so that the command, which may hold a
 * webhook's credentials, is in no process's arguments), and runs it with /bin/sh -c once per
 * line, the line on its standard input, one at a time, each for at most
 * ALERT_RUNNER_TIMEOUT_S seconds. It ends when the pipe closes (serve stopped or died).
 *
 * A line comes from the web process: the command must treat it as untrusted input. */
#ifndef COFFER_ALERTS_RUNNER_H
#define COFFER_ALERTS_RUNNER_H

#include <sys/types.h>

#include "common/err.h"

#define ALERT_RUNNER_TIMEOUT_S 30

/* Starts the runner for the deployment in DATA_DIR: *PID its pid, *FD the pipe's writing end
 * (non-blocking, close-on-exec). */
COFFER_MUST_CHECK enum coffer_err alert_runner_spawn(const char *data_dir, pid_t *pid, int *fd);

/* The runner's loop on standard input, running COMMAND for each line. Returns 0 at its end. */
int alert_runner_run(const char *command);

#endif
