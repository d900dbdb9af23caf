/* module_path.c — the ownership and permission check on a PKCS#11 module path (module_path.h). */
#include "hsm/module_path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Owned by root or by us (root: by root only), and writable by no group or other user. */
static bool trusted(const struct stat *st, uid_t me)
{
	bool owner_ok = st->st_uid == 0 || (me != 0 && st->st_uid == me);
	return owner_ok && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

enum coffer_err module_path_check(const char *path, char resolved[PATH_MAX])
{
	char dir[PATH_MAX];
	struct stat st;
	uid_t me = geteuid();
	if (path == NULL || path[0] != '/')
		return COFFER_ERR_INVALID_INPUT;
	if (realpath(path, resolved) == NULL || stat(resolved, &st) != 0 || !S_ISREG(st.st_mode))
		return COFFER_ERR_NOT_FOUND;
	if (!trusted(&st, me))
		return COFFER_ERR_FORBIDDEN;
	memcpy(dir, resolved, strlen(resolved) + 1);
	/* Every directory above it, up to and including /. */
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			return COFFER_ERR_INTERNAL; /* realpath gives absolute paths */
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return COFFER_ERR_NOT_FOUND;
		if (!trusted(&st, me))
			return COFFER_ERR_FORBIDDEN;
		if (strcmp(dir, "/") == 0)
			return COFFER_OK;
	}
}
