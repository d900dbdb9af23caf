/* access.h — who may reach an organisation and its content: decided here and nowhere else.
 *
 * Routes under /api/v1/orgs/{org}/ name one of two access levels (auth.h):
 *   ACCESS_ORG_MEMBER  content (records, files): the caller must be a member of {org}. A
 *                      sysadmin never is: sysadmins run the service, they do not read it
 *                      (keyd refuses them data keys as well).
 *   ACCESS_ORG_ADMIN   administration (policy, audit trail): {org}'s org_admin, or a sysadmin.
 * {org} must be a well-formed id (400 otherwise); anyone else gets 403, whether or not the
 * organisation exists, so that ids cannot be probed. Then, object by object, a member reads and
 * writes only at or below their clearance (access_level); keyd checks the same against the
 * session's ticket before it releases a data key, so a bug here alone does not leak content.
 *
 * Every refusal on a content route is recorded in the organisation's audit chain.
 */
#ifndef COFFER_API_ACCESS_H
#define COFFER_API_ACCESS_H

#include <stdbool.h>

#include "api/auth.h"
#include "common/err.h"
#include "crypto/keywrap.h"
#include "http/request.h"

/* The check of the ORG_* access levels, for api_authorize (A is the signed-in caller). */
COFFER_MUST_CHECK enum coffer_err access_org(struct request *rq, struct api_auth *a, bool admin);

/* Whether the caller may read or write an object at LEVEL in the path's organisation. When
 * not, records the refusal of the route's action on TARGET (an object id, or "") and answers
 * 403: the caller returns what this returns. */
COFFER_MUST_CHECK enum coffer_err access_level(struct request *rq, enum level level,
					       const char *target);

#endif
