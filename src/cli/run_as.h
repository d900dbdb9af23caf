/* run_as.h — who `coffer serve` runs as, and who owns what `coffer init` creates: the `user`
 * setting of coffer.conf turned into decisions, each failure explained in one line. The
 * mechanism itself is sandbox/privdrop.h; docs/OPERATIONS.md describes the policy. */
#ifndef COFFER_CLI_RUN_AS_H
#define COFFER_CLI_RUN_AS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "sandbox/privdrop.h"

/* The system user `coffer init` run as root hands a deployment to when --user is not given,
 * and the one `make run` creates. */
#define RUN_AS_DEFAULT_USER "coffer"
#define RUN_AS_NAME_MAX	    32

/* For `coffer serve`, before keyd is forked: reads *DATA_DIR/coffer.conf and decides *TARGET.
 * Started as root: the configured user (not root, existing, owning the data directory), or a
 * refusal when none is configured. Started as anyone else: stay who we are, or a refusal when
 * the configured user is someone else. Then points *DATA_DIR at REAL, the directory's real
 * absolute path, for all that follows. 0, or the exit status after saying why not. */
int run_as_for_serve(const char **data_dir, char real[PATH_MAX], struct privdrop_target *target);

/* For the web process, once it holds what needs root: becomes TARGET's user for good
 * (privdrop_apply), then checks that DATA_DIR (absolute) is still open to it. 0, or the exit
 * status after saying why not. */
int run_as_drop(const struct privdrop_target *target, const char *data_dir);

/* Who will own a new deployment. */
struct run_as_owner {
	bool set; /* false: nobody to hand it to (init not run as root); nothing to write */
	char name[RUN_AS_NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
};

/* For `coffer init`: OPTION is --user's value or NULL. As root: that user, else
 * RUN_AS_DEFAULT_USER; either must exist and not be root. As anyone else: --user may only
 * name oneself, and nothing is handed over. 0, or the exit status after saying why not. */
int run_as_for_init(const char *option, struct run_as_owner *owner);

/* Hands DIR and everything in it to OWNER: DIR may be a symbolic link (followed), nothing in
 * it is followed. */
COFFER_MUST_CHECK enum coffer_err run_as_chown_tree(const char *dir,
						    const struct run_as_owner *owner);

#endif
