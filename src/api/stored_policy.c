/* stored_policy.c — reading a stored policy (stored_policy.h). */
#include "api/stored_policy.h"

#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "common/log.h"

/* Parses TEXT as the policy of SCOPE (for the log) with PARSE. */
static enum coffer_err
parse_stored(const char *text, const char *scope,
	     enum coffer_err (*parse)(json_t *json, void *out, char *msg, size_t msglen), void *out)
{
	char msg[256];
	json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	enum coffer_err err = json != NULL ? parse(json, out, msg, sizeof msg) : COFFER_ERR_STORAGE;
	json_decref(json);
	if (err != COFFER_OK) {
		/* It was validated when it was stored: a policy that does not parse now is damage.
		 */
		log_event(LOG_ERROR, "policy_damaged", json_pack("{s:s}", "scope", scope));
		return COFFER_ERR_STORAGE;
	}
	return COFFER_OK;
}

static enum coffer_err parse_org(json_t *json, void *out, char *msg, size_t msglen)
{
	return org_policy_from_json(json, false, out, msg, msglen);
}

static enum coffer_err parse_system(json_t *json, void *out, char *msg, size_t msglen)
{
	return org_policy_from_json(json, true, out, msg, msglen);
}

static enum coffer_err parse_member(json_t *json, void *out, char *msg, size_t msglen)
{
	return member_policy_from_json(json, out, msg, msglen);
}

/* The caller record of an API request with a session, where the policy read last is kept;
 * NULL on the public routes (login reads policies before there is a caller). */
static struct caller *memo_of(struct request *rq)
{
	return rq->auth; /* the authorize hook's caller (caller.h), or NULL */
}

static enum coffer_err load(struct request *rq, const char *scope, struct org_policy *out)
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
	return parse_stored(text, scope, system ? parse_system : parse_org, out);
}

enum coffer_err stored_policy_load(struct request *rq, const char *scope, struct org_policy *out)
{
	struct caller *memo = memo_of(rq);
	if (memo != NULL && strcmp(memo->policy_scope, scope) == 0) {
		*out = memo->policy;
		return COFFER_OK;
	}
	enum coffer_err err = load(rq, scope, out);
	if (err == COFFER_OK && memo != NULL && strlen(scope) < sizeof memo->policy_scope) {
		memcpy(memo->policy_scope, scope, strlen(scope) + 1);
		memo->policy = *out;
	}
	return err;
}

void stored_policy_forget(struct request *rq)
{
	struct caller *memo = memo_of(rq);
	if (memo != NULL)
		memo->policy_scope[0] = '\0';
}

enum coffer_err stored_member_policy_load(struct request *rq, const char *org_id,
					  const char *user_id, struct member_policy *out)
{
	static __thread char text[STORE_POLICY_MAX + 1];
	enum coffer_err err =
	    store_member_policy_get(rq->app->store, org_id, user_id, text, sizeof text);
	if (err == COFFER_ERR_NOT_FOUND) {
		member_policy_default(out);
		return COFFER_OK;
	}
	if (err != COFFER_OK)
		return err;
	return parse_stored(text, org_id, parse_member, out);
}
