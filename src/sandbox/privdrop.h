/* privdrop.h — giving up root: both coffer processes, once they have opened what needs root,
 * become an unprivileged user for good. */
#ifndef COFFER_SANDBOX_PRIVDROP_H
#define COFFER_SANDBOX_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

/* Who a process runs as once start-up is over. */
struct privdrop_target {
	bool change; /* false: stay who we are (started as a non-root user) */
	uid_t uid;
	gid_t gid;
};

/* Clears the inheritable and ambient capability sets of the calling thread and, when it is not
 * root, every other capability too: a non-root start needs none. Call it before any thread is
 * started, so that every later thread inherits the cleared sets (capabilities are per thread). */
COFFER_MUST_CHECK enum coffer_err privdrop_prepare(void);

/* With TARGET->change: supplementary groups set to TARGET->gid alone, then real, effective and
 * saved gid and uid set to TARGET's — in every thread of the process (glibc applies set*id to
 * all of them), which leaves no thread any capability. In every case then checks, and fails
 * unless: all three uids and gids are TARGET's (or, without change, what they were), no thread
 * of the process holds a capability in any set, no_new_privs is set, and setuid(0) and
 * setgid(0) fail. Also makes the process not dumpable again (a change of uid may reset it).
 * Must run before a seccomp filter that forbids set*id, capget or opening /proc/self/task.
 * Any failure is COFFER_ERR_INTERNAL, and the process must stop: it may be half changed. */
COFFER_MUST_CHECK enum coffer_err privdrop_apply(const struct privdrop_target *target);

#endif
