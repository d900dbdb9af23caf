/* test_run_as.h — who a keyd spawned by a unit test becomes once its keys are loaded: as
 * `coffer serve` would have it, an unprivileged user when the tests run as root (nobody),
 * and no change otherwise. keyd refuses to keep root, so every test that spawns it uses this. */
#ifndef COFFER_TEST_RUN_AS_H
#define COFFER_TEST_RUN_AS_H

#include <pwd.h>
#include <unistd.h>

#include "sandbox/privdrop.h"

static inline struct privdrop_target test_keyd_run_as(void)
{
	struct privdrop_target t = {.change = false};
	const struct passwd *pw = geteuid() == 0 ? getpwnam("nobody") : NULL;
	if (pw != NULL)
		t = (struct privdrop_target){.change = true, .uid = pw->pw_uid, .gid = pw->pw_gid};
	return t;
}

#endif
