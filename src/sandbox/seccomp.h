/* seccomp.h — installing a process's seccomp allow-list, once its start-up is over. The lists
 * themselves are each process's own: keyd/filter.c for keyd, sandbox/web_filter.c for the web
 * process. */
#ifndef COFFER_SANDBOX_SECCOMP_H
#define COFFER_SANDBOX_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Allows the N system calls in CALLS (libseccomp's numbers, SCMP_SYS) and nothing else, for
 * every thread of the process at once: any other call kills the process. With
 * MAY_NAME_THREADS, prctl(PR_SET_NAME) is allowed too (and no other prctl). */
COFFER_MUST_CHECK enum coffer_err sandbox_load(const int *calls, size_t n, bool may_name_threads);

/* True when this build runs under AddressSanitizer, whose leak check at exit needs system calls
 * (ptrace, clone, open of /proc) that no sandbox of ours should allow: sanitizer builds leave
 * the filters out of the processes, and the release build's tests check them. */
bool sandbox_skipped_for_sanitizers(void);

#endif
