/* identity.c — the audit trail, USER objects, stored policies and password checks shared by
 * the identity handlers (identity.h). */
#include "api/identity.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/auth.h"
#include "audit/chain.h"
#include "signin/breached.h"
#include "signin/throttle.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/json_body.h"
#include "http/reply.h"

static void copy_field(char *dst, const char *src)
{
	snprintf(dst, AUDIT_FIELD_MAX + 1, "%s", src != NULL ? src : "");
}

void api_audit(struct request *rq, const char *actor, const char *action, const char *target,
	       const char *outcome, const char *reason)
{
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	copy_field(e.actor, actor);
	copy_field(e.action, action);
	copy_field(e.target, target);
	copy_field(e.ip, rq->client_text);
	copy_field(e.outcome, outcome);
	copy_field(e.reason, reason);
	enum coffer_err err = store_audit_append(rq->app->store, &e);
	if (err != COFFER_OK)
		log_event(LOG_ERROR, "audit_failed",
			  json_pack("{s:s,s:s,s:s}", "request_id", rq->id, "action", action,
				    "error", coffer_err_info(err)->code));
}

json_t *api_user_json(const struct user_record *u)
{
	json_t *orgs = json_array();
	for (size_t i = 0; orgs != NULL && i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		json_array_append_new(orgs, json_pack("{s:s,s:s,s:s,s:s}", "id", m->org_id, "name",
						      m->org_name, "role", m->role, "clearance",
						      m->clearance));
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:o*}", "id", u->id, "email", u->email, "role", u->role,
			 "status", u->status, "orgs", orgs);
}

enum coffer_err api_policy_load(struct request *rq, const char *scope, struct org_policy *out)
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
		/* It was validated when it was stored: a policy that no longer parses is damage. */
		log_event(LOG_ERROR, "policy_damaged", json_pack("{s:s}", "scope", scope));
		return COFFER_ERR_STORAGE;
	}
	return COFFER_OK;
}

/* Folds policy P into the strictest combination so far. */
static void stricter(struct password_rules *acc, bool *totp, const struct org_policy *p)
{
	if (p->password.min_length > acc->min_length)
		acc->min_length = p->password.min_length;
	acc->require_punctuation |= p->password.require_punctuation;
	acc->reject_common |= p->password.reject_common;
	*totp |= p->require_totp;
}

enum coffer_err api_password_rules(struct request *rq, bool sysadmin, const struct user_record *u,
				   const char *org_id, struct password_rules *out,
				   bool *require_totp)
{
	struct org_policy p;
	enum coffer_err err;
	memset(out, 0, sizeof *out);
	out->min_length = PASSWORD_MIN_LENGTH_FLOOR;
	*require_totp = false;
	if (sysadmin) {
		err = api_policy_load(rq, STORE_POLICY_SYSTEM, &p);
		if (err == COFFER_OK)
			stricter(out, require_totp, &p);
		*require_totp = true;
		return err;
	}
	for (size_t i = 0; u != NULL && i < u->n_orgs; i++) {
		if ((err = api_policy_load(rq, u->orgs[i].org_id, &p)) != COFFER_OK)
			return err;
		stricter(out, require_totp, &p);
	}
	if (org_id != NULL) {
		if ((err = api_policy_load(rq, org_id, &p)) != COFFER_OK)
			return err;
		stricter(out, require_totp, &p);
	}
	return COFFER_OK;
}

enum coffer_err api_login_allowed(struct request *rq, const struct user_record *u,
				  const struct netaddr *addr, bool *allowed, bool *require_totp)
{
	struct org_policy p;
	int64_t now = time_now();
	*allowed = true;
	*require_totp = false;
	if (strcmp(u->role, "sysadmin") == 0) {
		enum coffer_err err = api_policy_load(rq, STORE_POLICY_SYSTEM, &p);
		if (err != COFFER_OK)
			return err;
		*allowed = org_policy_login_allowed(&p, addr, now);
		*require_totp = true;
		return COFFER_OK;
	}
	for (size_t i = 0; i < u->n_orgs; i++) {
		enum coffer_err err = api_policy_load(rq, u->orgs[i].org_id, &p);
		if (err != COFFER_OK)
			return err;
		*allowed = *allowed && org_policy_login_allowed(&p, addr, now);
		*require_totp |= p.require_totp;
	}
	return COFFER_OK;
}

bool api_password_breached(struct request *rq, const char *password, size_t len)
{
	bool found = false;
	uint64_t count = 0;
	if (breached_db_check(rq->app->breached, password, len, &found, &count) != COFFER_OK)
		return false; /* a list that cannot be read must not stop every login */
	return found;
}

enum coffer_err api_password_acceptable(struct request *rq, const struct password_rules *rules,
					const char *password, size_t len)
{
	char msg[512];
	unsigned int flaws = password_flaws(rules, password, len);
	if (flaws & ~(unsigned int)PASSWORD_COMMON) {
		password_flaws_message(flaws & ~(unsigned int)PASSWORD_COMMON, rules, msg,
				       sizeof msg);
		reply_error(rq, COFFER_ERR_PASSWORD_POLICY, msg);
		return COFFER_ERR_PASSWORD_POLICY;
	}
	if (flaws & PASSWORD_COMMON) {
		reply_error(rq, COFFER_ERR_PASSWORD_COMPROMISED,
			    "This password is one of the most common passwords; choose another.");
		return COFFER_ERR_PASSWORD_COMPROMISED;
	}
	if (api_password_breached(rq, password, len)) {
		reply_error(rq, COFFER_ERR_PASSWORD_COMPROMISED,
			    "This password has appeared in a data breach; choose another.");
		return COFFER_ERR_PASSWORD_COMPROMISED;
	}
	return COFFER_OK;
}

/* 429 with Retry-After when the account or the address must wait (throttle.h). */
bool api_throttled(struct request *rq, const char *account, const char *action,
		   enum coffer_err *err)
{
	struct throttle_state t;
	char msg[128];
	int64_t now = time_now();
	*err = store_throttle_get(rq->app->store, account, rq->client_text, now, THROTTLE_WINDOW_S,
				  &t);
	if (*err != COFFER_OK)
		return true;
	int64_t wait =
	    throttle_wait(t.account_failures, t.account_last, THROTTLE_FREE_FAILURES, now);
	int64_t wait_addr =
	    throttle_wait(t.address_failures, t.address_last, THROTTLE_ADDRESS_FREE + 1, now);
	if (wait == 0 && wait_addr == 0)
		return false;
	if (wait_addr > wait)
		wait = wait_addr;
	rq->retry_after = (unsigned int)wait;
	api_audit(rq, account, action, "", "refused",
		  wait_addr >= wait ? "throttled_address" : "throttled_account");
	snprintf(msg, sizeof msg, "Too many failed attempts; try again in %lld seconds.",
		 (long long)wait);
	*err = reply_error(rq, COFFER_ERR_THROTTLED, msg);
	if (*err == COFFER_OK)
		*err = COFFER_ERR_THROTTLED;
	return true;
}

void api_count_failure(struct request *rq, const char *account)
{
	if (store_throttle_fail(rq->app->store, account, rq->client_text, time_now(),
				THROTTLE_WINDOW_S) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not count a failed attempt");
}
