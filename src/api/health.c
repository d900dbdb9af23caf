/* health.c — GET /healthz: the readiness probe. */
#include "api/routes.h"
#include "http/reply.h"

enum coffer_err health_get(struct request *rq)
{
	return reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}
