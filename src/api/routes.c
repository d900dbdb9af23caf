/* routes.c — the one table from method and path to handler: to find the code behind a URL,
 * start here. */
#include "api/routes.h"

const struct route api_routes[] = {
	{.method = "GET", .pattern = "/healthz", .handler = health_get, .api = true},
	{.method = "GET", .pattern = "/api/v1/invites/{token}", .handler = invites_get,
	 .api = true},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
