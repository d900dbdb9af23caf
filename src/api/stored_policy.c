/* stored_policy.c — reading a stored policy (stored_policy.h). */
#include "api/stored_policy.h"

#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "common/log.h"

typedef enum coffer_err (*policy_parse_fn)(json_t *json, void *out, char *msg, size_t msglen);

/* Parses TEXT with PARSE into OUT: COFFER_ERR_STORAGE when it does not parse. */
static enum coffer_err parse_text(const char *text, policy_parse_fn parse, void *out)
{
	char msg[256];
	json_t *json = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	enum coffer_err err = json != NULL ? parse(json, out, msg, sizeof msg) : COFFER_ERR_STORAGE;
	json_decref(json);
	return err == COFFER_OK ? COFFER_OK : COFFER_ERR_STORAGE;
}

/* Parses TEXT as the policy of SCOPE (for the log) with PARSE. */
static enum coffer_err parse_stored(const char *text, const char *scope, policy_parse_fn parse,
				    void *out)
{
	enum coffer_err err = parse_text(text, parse, out);
	if (err != COFFER_OK) /* validated when it was stored: one that does not parse is damage */
		log_event(LOG_ERROR, "policy_damaged", json_pack("{s:s}", "scope", scope));
	return err;
}

static enum coffer_err parse_org(json_t *json, void *out, char *msg, size_t msglen)
{
	return org_policy_from_stored_json(json, false, out, msg, msglen);
}

static enum coffer_err parse_system(json_t *json, void *out, char *msg, size_t msglen)
{
	return org_policy_from_stored_json(json, true, out, msg, msglen);
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

void stored_policy_read_ahead(struct request *rq, const struct caller_org_read *org)
{
	struct caller *c = memo_of(rq);
	if (c == NULL || org == NULL || !org->read || org->org_id == NULL ||
	    strlen(org->org_id) >= sizeof c->ahead.org_id)
		return;
	struct caller_ahead *a = &c->ahead;
	memset(a, 0, sizeof *a);
	memcpy(a->org_id, org->org_id, strlen(org->org_id) + 1);
	if (!org->has_policy)
		org_policy_default(&a->policy);
	a->has_policy =
	    !org->has_policy || parse_text(org->policy, parse_org, &a->policy) == COFFER_OK;
	if (!org->has_member_policy)
		member_policy_default(&a->member_policy);
	a->has_member_policy =
	    !org->has_member_policy ||
	    parse_text(org->member_policy, parse_member, &a->member_policy) == COFFER_OK;
	a->has_key = org->has_key;
	a->key = org->key;
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
	if (memo != NULL && memo->ahead.has_policy && strcmp(memo->ahead.org_id, scope) == 0) {
		*out = memo->ahead.policy;
		return COFFER_OK;
	}
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
	if (memo != NULL) {
		memo->policy_scope[0] = '\0';
		memo->ahead.has_policy = false;
		memo->ahead.has_member_policy = false;
	}
}

enum coffer_err stored_member_policy_load(struct request *rq, const char *org_id,
					  const char *user_id, struct member_policy *out)
{
	static __thread char text[STORE_POLICY_MAX + 1];
	const struct caller *memo = memo_of(rq);
	if (memo != NULL && memo->ahead.has_member_policy &&
	    strcmp(memo->ahead.org_id, org_id) == 0 && strcmp(memo->user.id, user_id) == 0) {
		*out = memo->ahead.member_policy;
		return COFFER_OK;
	}
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
