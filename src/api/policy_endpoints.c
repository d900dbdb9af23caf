/* policy_endpoints.c — GET|PUT /api/v1/orgs/{org}/policy (that organisation's org_admins) and
 * GET|PUT /api/v1/admin/policy (the system policy, sysadmins only).
 *
 * Who may is the routes' access levels (access.h). A PUT replaces the whole policy. It is
 * validated completely (org_policy_from_json) before it is stored, and stored as the canonical
 * JSON this server writes, so what is read back is exactly what applies. A policy whose `login`
 * part would shut out the caller's own address, or allows no day at all, is refused (400): the
 * rules hold on every request (access.h), and nobody else could lift them.
 */
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "api/stored_policy.h"
#include "api/system_audit.h"
#include "common/timefmt.h"
#include "http/reply.h"

static enum coffer_err policy_reply(struct request *rq, const char *scope)
{
	struct org_policy p;
	enum coffer_err err = stored_policy_load(rq, scope, &p);
	if (err != COFFER_OK)
		return err;
	return reply_json(rq, 200, org_policy_to_json(&p));
}

static enum coffer_err policy_store(struct request *rq, const char *scope)
{
	char msg[256];
	struct org_policy p;
	bool system = strcmp(scope, STORE_POLICY_SYSTEM) == 0;
	enum coffer_err err = org_policy_from_json(rq->json, system, &p, msg, sizeof msg);
	if (err != COFFER_OK)
		return reply_error(rq, err, msg);
	/* Rules that shut out the person saving them could not be undone by anyone: an
	 * organisation's rules are its own admins' alone, and the system's bind every sysadmin. */
	if (login_rules_lock_out(&p.login, &rq->client, "login.", msg, sizeof msg))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, msg);
	json_t *canonical = org_policy_to_json(&p);
	char *text = canonical ? json_dumps(canonical, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	err = text != NULL ? store_policy_put(rq->app->store, scope, text, time_now())
			   : COFFER_ERR_NOMEM;
	stored_policy_forget(rq);
	free(text);
	if (err != COFFER_OK) {
		json_decref(canonical);
		return err;
	}
	system_audit(rq, api_actor(rq), "policy.update", scope, "success", "");
	return reply_json(rq, 200, canonical);
}

/* The route's access level (ACCESS_ORG_ADMIN, access.h) has checked the caller and the org. */
enum coffer_err policy_org_get(struct request *rq)
{
	return policy_reply(rq, api_caller(rq)->org_id);
}

enum coffer_err policy_org_put(struct request *rq)
{
	return policy_store(rq, api_caller(rq)->org_id);
}

enum coffer_err policy_system_get(struct request *rq)
{
	return policy_reply(rq, STORE_POLICY_SYSTEM);
}

enum coffer_err policy_system_put(struct request *rq)
{
	return policy_store(rq, STORE_POLICY_SYSTEM);
}
