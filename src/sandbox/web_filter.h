/* web_filter.h — the web process's seccomp filter, installed once the server is up. */
#ifndef COFFER_SANDBOX_WEB_FILTER_H
#define COFFER_SANDBOX_WEB_FILTER_H

#include <stdbool.h>

#include "common/err.h"

/* For every thread: networking on sockets it already has or accepts, files (the databases and
 * blobs under the data directory), memory, threads' own housekeeping, naming a thread, clocks
 * and signals. Not allowed, among everything else: exec, fork, ptrace and other processes'
 * memory, creating or connecting sockets, mounting, changing identity or file ownership,
 * loading kernel code — unless CONNECTS: a server whose store is on PostgreSQL, or whose
 * blobs are in an object store, opens connections to them for as long as it runs (socket,
 * connect and libcurl's socketpair allowed, nothing more). */
COFFER_MUST_CHECK enum coffer_err sandbox_web(bool connects);

#endif
