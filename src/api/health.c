/* health.c — GET /healthz: the readiness probe. Ready means the key service answers too: a
 * coffer without its key service can serve nothing worth having. */
#include "api/app.h"
#include "api/routes.h"
#include "http/reply.h"
#include "keyclient/keyclient.h"

enum coffer_err health_get(struct request *rq)
{
	if (keyd_ping(rq->app->keyd) != COFFER_OK)
		return COFFER_ERR_UNAVAILABLE;
	return reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
