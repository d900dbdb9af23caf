/* access.h — who may call each route, and who may reach an organisation and its content:
 * decided here and nowhere else.
 *
 * Every route names an access level (struct route's access); the authorize hook (authorize.h)
 * checks it before the handler runs, and before a body is parsed. Routes under
 * /api/v1/orgs/{org}/ name one of two levels:
 *   ACCESS_ORG_MEMBER  content (records, files): the caller must be a member of {org}. A
 *                      sysadmin never is: sysadmins run the service, they do not read it
 *                      (keyd refuses them data keys as well).
 *   ACCESS_ORG_ADMIN   administration (its people, policy, audit trail): {org}'s org_admin.
 *                      Not a sysadmin either: an organisation owns its people (keyd too
 *                      seals membership changes only for the organisation's org_admins).
 * {org} must be a well-formed id (400 otherwise); anyone else gets 403, whether or not the
 * organisation exists, so that ids cannot be probed. Then, object by object, a member reads and
 * writes only at or below their clearance (access_level); keyd checks the same against the
 * session's ticket before it releases a data key, so a bug here alone does not leak content.
 *
 * The organisation's login rules hold on every request to its routes, not only at sign-in: its
 * policy's `login` part and the member's own login policy there are checked against the
 * request's client address (forwarded.h) and the time, and a request outside them is 403
 * login_policy for that organisation alone. The system policy's `login` part holds the same
 * way for sysadmins on the sysadmin routes (access_session).
 *
 * Every refusal on a content route is recorded in the organisation's audit chain.
 */
#ifndef COFFER_API_ACCESS_H
#define COFFER_API_ACCESS_H

#include <stdbool.h>

#include "api/caller.h"
#include "common/err.h"
#include "common/level.h"
#include "http/request.h"

/* Route access levels (struct route's access). 0 denies everyone. */
enum api_access {
	ACCESS_PUBLIC = 1,	/* no session needed */
	ACCESS_SESSION_ANY = 2, /* signed in, even with a password change pending */
	ACCESS_SESSION = 3,	/* signed in; the handler decides about organisations */
	ACCESS_SYSADMIN = 4,	/* signed in as a sysadmin */
	ACCESS_ORG_MEMBER = 5,	/* a member of the path's {org} (never a sysadmin): content */
	ACCESS_ORG_ADMIN = 6,	/* that org's org_admin (people, policy, audit) */
};

/* The check of the ORG_* access levels, for the authorize hook (C is the signed-in caller):
 * membership, the admin role when ADMIN, a clearance, and the organisation's and the member's
 * login rules for this request (403 login_policy). */
COFFER_MUST_CHECK enum coffer_err access_org(struct request *rq, struct caller *c, bool admin);

/* The rules every request of a session follows, whatever its route, for the authorize hook
 * once the session and its user are known and before the password-change check: a password
 * older than the policies allow, or found in the breached-password list since it was set
 * (breach_recheck.h), marks the session must_change_password for this request (so
 * the routes that need a changed password refuse it with password_change_required, and GET
 * /api/v1/session says so); on a sysadmin route, the system policy's `login` part must allow
 * the client's address and the time (403 login_policy, recorded in the system chain). */
COFFER_MUST_CHECK enum coffer_err access_session(struct request *rq, struct caller *c);

/* Whether the caller may read or write an object at LEVEL in the path's organisation. When
 * not, records the refusal of the route's action and answers 403: the caller returns what this
 * returns. */
COFFER_MUST_CHECK enum coffer_err access_level(struct request *rq, enum level level);

#endif
