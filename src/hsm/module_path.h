/* module_path.h — whether a PKCS#11 module may be loaded from a path: the check OpenSSH's
 * safe_path makes before it trusts a file it is told to use.
 *
 * A PKCS#11 module is code that keyd runs with the token's PIN in hand. Whoever can replace the
 * file (or rename a directory above it) chooses that code, so the file and every directory up to
 * / must be owned by root (or, when coffer runs as an ordinary user, by that user) and writable
 * by nobody else. Started as root, only root-owned files pass.
 */
#ifndef COFFER_HSM_MODULE_PATH_H
#define COFFER_HSM_MODULE_PATH_H

#include <limits.h>

#include "common/err.h"

/* Resolves PATH (absolute; symbolic links followed) into RESOLVED and checks it and each of its
 * parent directories. COFFER_ERR_INVALID_INPUT for a relative path; COFFER_ERR_NOT_FOUND when it
 * does not resolve to a regular file; COFFER_ERR_FORBIDDEN when someone else could replace it. The
 * caller loads RESOLVED, not PATH, so a link changed after the check does not matter. */
COFFER_MUST_CHECK enum coffer_err module_path_check(const char *path, char resolved[PATH_MAX]);

#endif
