/* routes.h — the route table of coffer's HTTP API, and every handler in it. */
#ifndef COFFER_ROUTES_H
#define COFFER_ROUTES_H

#include <stddef.h>

#include "http/request.h"
#include "http/router.h"

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* src/api/health.c */
enum coffer_err health_get(struct request *rq);
/* src/api/invites.c */
enum coffer_err invites_get(struct request *rq);

#endif
