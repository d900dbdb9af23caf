/* fresh_auth.c — how recent a session's authentication must be for a sensitive change
 * (fresh_auth.h). */
#include "api/fresh_auth.h"

#include "api/app.h"
#include "keyproto/protocol.h"

_Static_assert(CONFIG_REAUTH_AFTER_MAX == KEYD_REAUTH_AFTER_S,
	       "reauthenticate_after's ceiling is keyd's own window");

bool fresh_auth_stale(int64_t authenticated_at, int64_t now, int64_t window)
{
	return now - authenticated_at > window;
}

enum coffer_err fresh_auth_check(const struct request *rq, const struct caller *c, int64_t now)
{
	return fresh_auth_stale(c->session.authenticated_at, now,
				rq->app->cfg->reauthenticate_after)
		   ? COFFER_ERR_REAUTHENTICATION_REQUIRED
		   : COFFER_OK;
}
