/* auth.h — who is calling: the session behind the cookie, checked before every handler.
 *
 * Every route names its access level; the server calls api_authorize before the handler (and
 * before the body is parsed), so a handler runs only for a caller its route admits. A session is
 * looked up in the system database on every request: revocation (logout, disable, password
 * change) takes effect on every server at once, with no cache to expire.
 */
#ifndef COFFER_API_AUTH_H
#define COFFER_API_AUTH_H

#include <stdbool.h>

#include "common/err.h"
#include "common/netaddr.h"
#include "crypto/token.h"
#include "http/request.h"
#include "store/store.h"

#define SESSION_COOKIE		 "coffer_session"
#define CSRF_HEADER		 "X-CSRF-Token"
#define SESSION_TOUCH_INTERVAL_S 60 /* last_seen is written at most this often */

/* Route access levels (struct route's access). 0 denies everyone. */
enum api_access {
	ACCESS_PUBLIC = 1,	/* no session needed */
	ACCESS_SESSION_ANY = 2, /* signed in, even with a password change pending */
	ACCESS_SESSION = 3,	/* signed in; the handler decides about organisations */
	ACCESS_SYSADMIN = 4,	/* signed in as a sysadmin */
	ACCESS_ORG_MEMBER = 5,	/* a member of the path's {org} (never a sysadmin): content */
	ACCESS_ORG_ADMIN = 6,	/* that org's org_admin, or a sysadmin (policy, audit) */
};

/* The caller of a signed-in route. */
struct api_auth {
	char token[TOKEN_TEXT_LEN + 1]; /* the session token, for keyd (wiped at the end) */
	struct session_record session;
	struct user_record user;
	/* On ACCESS_ORG_* routes (access.h): the path's organisation and the caller's standing
	 * in it. A sysadmin on an ORG_ADMIN route has no membership (member NULL). */
	char org_id[STORE_ID_MAX + 1];
	const struct membership_record *member;
	enum level clearance;
};

/* The hook for http_server_opts.authorize. */
enum coffer_err api_authorize(struct request *rq);

/* The caller, on routes with a session (NULL on public ones). */
const struct api_auth *api_caller(const struct request *rq);

/* The client's address, decided once per request by api_authorize into rq->client and
 * rq->client_text: the TCP peer, or, when the peer is a trusted proxy, the nearest address in
 * X-Forwarded-For that is not one. */

/* Sets the session cookie (TOKEN) or, with NULL, clears it, on the reply. */
void api_set_session_cookie(struct request *rq, const char *token, int64_t max_age);

/* The caller's user id for the audit trail, "" on public routes. */
const char *api_actor(const struct request *rq);

#endif
