/* fresh_auth.h — re-authentication before sensitive changes (OWASP ASVS V3.7.1).
 *
 * A route marked `reauth` in the route table (routes.c) — ending sessions, people's
 * memberships, resets and invitations, policies, disabling and enabling accounts, deleting an
 * organisation — is refused with 403 reauthentication_required when the session's holder last
 * proved who they are (the sign-in, or POST /api/v1/me/reauthenticate since) more than
 * coffer.conf's reauthenticate_after seconds ago (default and ceiling 900). The check runs in
 * the authorize hook, after every access check, before the body is read.
 *
 * For the changes keyd makes (invitations, membership changes, resets) keyd refuses a stale
 * ticket too, by its own clock, with the ceiling (keyd/permit.h, AUTH_RECENT): a web process
 * that skipped this check would still be refused there. For the others (policies, sessions,
 * disabling, deletion), which never reach keyd, this check is the gate.
 */
#ifndef COFFER_API_FRESH_AUTH_H
#define COFFER_API_FRESH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "api/caller.h"

/* Whether an authentication at AUTHENTICATED_AT is too old at NOW for a window of WINDOW
 * seconds. A time after NOW (another server's clock a little ahead) is recent. */
bool fresh_auth_stale(int64_t authenticated_at, int64_t now, int64_t window);

/* COFFER_OK when caller C's session is recent enough at NOW for a sensitive change on RQ's
 * server, else COFFER_ERR_REAUTHENTICATION_REQUIRED. */
COFFER_MUST_CHECK enum coffer_err fresh_auth_check(const struct request *rq, const struct caller *c,
						   int64_t now);

#endif
