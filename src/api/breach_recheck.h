/* breach_recheck.h — a password that turns up in the breached-password list after it was set:
 * found on the session's next request, without the web process ever keeping a password.
 *
 * At login the web process checks the password it is given against the list (password_checks.h)
 * and forgets it. For a list that changes later (SIGHUP), keyd does the looking: it keeps each
 * account's password SHA-1 sealed in the account (keyd/account.h), is handed the list as a
 * descriptor, and answers per session whether the password is in it (BREACH_LIST,
 * BREACH_CHECK in keyproto/protocol.h). Neither the password nor an unkeyed hash of it is ever
 * in the web process's memory past the login, nor in the database.
 *
 * Design points:
 * - The list is handed to keyd on the first request after it was (re)loaded; a hand-over keyd
 *   refuses (its allowance, keyd/breach_list.h) is tried again a minute later, meanwhile keyd
 *   answers from the list it has.
 * - keyd's answer depends only on the account (its password) and keyd's list, so it is kept per
 *   account version and list generation in a small table here, and keyd is asked once per user
 *   per list, not on every request.
 * - A failure to ask lets the request through (logged): as with the login check, a list that
 *   cannot be read must not stop everyone.
 * - Accounts sealed before keyd kept digests are not checked until their next password change.
 */
#ifndef COFFER_API_BREACH_RECHECK_H
#define COFFER_API_BREACH_RECHECK_H

#include <stdbool.h>

#include "api/caller.h"
#include "common/err.h"
#include "http/request.h"

/* Whether the password of C's account is in the breached-password list as keyd now has it
 * (*BREACHED); false when no list is configured or the account has no digest. */
COFFER_MUST_CHECK enum coffer_err breach_recheck(struct request *rq, const struct caller *c,
						 bool *breached);

#endif
