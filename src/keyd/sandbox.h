/* sandbox.h — seccomp allow-lists, installed once start-up is over. */
#ifndef COFFER_SANDBOX_H
#define COFFER_SANDBOX_H

#include <stdbool.h>

#include "common/err.h"

/* keyd's filter, for every thread: it may read and write its sockets and stderr, manage memory
 * (including the mlock and mprotect of guarded memory), wait on its own locks, draw randomness,
 * read clocks and exit. No open, no socket, no exec, no fork, no new thread: any other system
 * call kills the process. */
COFFER_MUST_CHECK enum coffer_err sandbox_keyd(void);

/* The web process's filter, for every thread (installed once the server is up): networking on
 * sockets it already has or accepts, files (the databases and blobs under the data directory),
 * memory, threads' own housekeeping, clocks and signals. Not allowed, among everything else:
 * exec, fork, ptrace and other processes' memory, creating or connecting sockets, mounting,
 * changing identity, loading kernel code. */
COFFER_MUST_CHECK enum coffer_err sandbox_web(void);

/* True when this build runs under AddressSanitizer, whose leak check at exit needs system calls
 * (ptrace, clone, open of /proc) that no sandbox of ours should allow: sanitizer builds leave
 * the filter out, and the release build's tests check it. */
bool sandbox_skipped_for_sanitizers(void);

#endif
