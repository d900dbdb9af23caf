/* spawn.h — starting keyd from `coffer serve`, before anything else runs. */
#ifndef COFFER_KEYCLIENT_SPAWN_H
#define COFFER_KEYCLIENT_SPAWN_H

#include <sys/types.h>

#include "keyclient/keyclient.h"
#include "keyd/keyd.h"

/* Forks keyd over KEYD_CHANNELS new socket pairs. In the parent, sets *PID and *CLIENT (the
 * web process's ends); the child runs keyd_main and never returns. */
COFFER_MUST_CHECK enum coffer_err keyd_spawn(const struct keyd_start *start, pid_t *pid,
					     struct keyd_client **client);

#endif
