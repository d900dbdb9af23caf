/* stored_policy.c — reading a stored policy (stored_policy.h). */
#include "api/stored_policy.h"

#include <string.h>

#include "api/app.h"
#include "common/log.h"

enum coffer_err stored_policy_load(struct request *rq, const char *scope, struct org_policy *out)
{
	static __thread char text[STORE_POLICY_MAX + 1];
	bool system = strcmp(scope, STORE_POLICY_SYSTEM) == 0;
	enum coffer_err err = store_policy_get(rq->app->store, scope, text, sizeof text);
	if (err == COFFER_ERR_NOT_FOUND) {
		org_policy_default(out);
		return COFFER_OK;
	}
	if (err != COFFER_OK)
		return err;
	char msg[256];
	json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	err = json != NULL ? org_policy_from_json(json, system, out, msg, sizeof msg)
			   : COFFER_ERR_STORAGE;
	json_decref(json);
	if (err != COFFER_OK) {
		/* It was validated when it was stored: a policy that does not parse now is damage.
		 */
		log_event(LOG_ERROR, "policy_damaged", json_pack("{s:s}", "scope", scope));
		return COFFER_ERR_STORAGE;
	}
	return COFFER_OK;
}
