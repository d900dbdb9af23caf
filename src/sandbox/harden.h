/* harden.h — process hardening shared by keyd and the web process. */
#ifndef COFFER_HARDEN_H
#define COFFER_HARDEN_H

#include "common/err.h"

/* No new privileges through exec, no core dumps, not dumpable (no ptrace by other users, no
 * /proc/PID/mem reads by them): a crash or a curious neighbour must not expose keys. No
 * inheritable or ambient capability, and none at all when not root (privdrop_prepare). Call it
 * before the process starts a thread. */
COFFER_MUST_CHECK enum coffer_err harden_process(void);

#endif
