/* filter.h — keyd's seccomp filter, installed once its keys are loaded and its threads started. */
#ifndef COFFER_KEYD_FILTER_H
#define COFFER_KEYD_FILTER_H

#include "common/err.h"

/* For every thread: read and write its sockets and stderr, manage memory (including the mlock
 * and mprotect of guarded memory), wait on its own locks, draw randomness, read clocks and
 * exit. No open, no socket, no exec, no fork, no new thread: any other system call kills the
 * process. */
COFFER_MUST_CHECK enum coffer_err sandbox_keyd(void);

#endif
