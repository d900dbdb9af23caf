/* authorize.h — the check before every handler: who the client is, which session the cookie
 * names, and whether the route's access level (access.h) admits its caller.
 *
 * The server calls api_authorize before the handler (and before the body is parsed), so a
 * handler runs only for a caller its route admits. A session is looked up in the system
 * database on every request: revocation (logout, disable, password change) takes effect on
 * every server at once, with no cache to expire.
 */
#ifndef COFFER_API_AUTHORIZE_H
#define COFFER_API_AUTHORIZE_H

#include "common/err.h"
#include "http/request.h"

/* The hook for http_server_opts.authorize. Decides rq->client first (forwarded.h), on every
 * route; then, on routes with a session, sets the caller (caller.h). */
enum coffer_err api_authorize(struct request *rq);

#endif
