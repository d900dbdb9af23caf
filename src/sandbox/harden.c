/* harden.c — the prctl and rlimit settings both coffer processes run with. */
#include "sandbox/harden.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "sandbox/privdrop.h"

enum coffer_err harden_process(void)
{
	const struct rlimit no_core = {0, 0};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit(RLIMIT_CORE, &no_core) != 0 ||
	    privdrop_prepare() != COFFER_OK)
		return COFFER_ERR_INTERNAL;
	return COFFER_OK;
}
