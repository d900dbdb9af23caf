/* member_policy.c — GET|PUT /api/v1/orgs/{org}/members/{user}/login-policy: one member's own
 * login rules within an organisation, set by its org_admins (ACCESS_ORG_ADMIN, access.h).
 *
 * A member's policy has the shape of the organisation policy's `login` part, and may ask for an
 * authenticator app ("require_totp": true) where the organisation does not. It narrows the
 * organisation's rules for that member and never widens them: a sign-in, and every request to
 * the organisation's routes, must pass both (user_rules.h, access.c). A member without one
 * follows the organisation's alone; GET then shows the defaults, which allow everything.
 *
 * A PUT replaces the whole policy, validated completely before it is stored, and stored as the
 * canonical JSON this server writes. As with a membership change, an admin sets the rules only
 * of members cleared at or below their own clearance. Saving rules that would shut out the
 * admin's own session (their own policy, their address outside it) is refused. Each change is
 * recorded in the organisation's chain as member.login_policy, naming the member by email.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "api/stored_policy.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/reply.h"
#include "http/router.h"

/* The member the path's {user} names in the caller's organisation, into *U (large: the
 * caller's), with their clearance there; or the answer given (400 for an id that is not
 * well-formed, 404 for one that is no member of the organisation), *FOUND false. */
static enum coffer_err member_of_path(struct request *rq, struct user_record *u,
				      enum level *clearance, bool *found)
{
	const struct caller *caller = api_caller(rq);
	char id[UUID_TEXT_LEN + 1];
	*found = false;
	if (!route_param(&rq->params, "user", id, sizeof id) || !uuid_valid(id))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, "The user id is not well-formed.");
	enum coffer_err err = store_user_get(rq->app->store, id, u);
	if (err == COFFER_ERR_NOT_FOUND)
		return reply_error(rq, err, "No such member.");
	if (err != COFFER_OK)
		return err;
	for (size_t i = 0; i < u->n_orgs && i < STORE_ORGS_MAX; i++) {
		if (strcmp(u->orgs[i].org_id, caller->org_id) == 0 &&
		    level_parse(u->orgs[i].clearance, clearance)) {
			*found = true;
			return COFFER_OK;
		}
	}
	return reply_error(rq, COFFER_ERR_NOT_FOUND, "No such member.");
}

enum coffer_err member_policy_get(struct request *rq)
{
	struct user_record *u = calloc(1, sizeof *u);
	struct member_policy p;
	enum level clearance;
	bool found = false;
	if (u == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = member_of_path(rq, u, &clearance, &found);
	if (err == COFFER_OK && found)
		err = stored_member_policy_load(rq, api_caller(rq)->org_id, u->id, &p);
	if (err == COFFER_OK && found)
		err = reply_json(rq, 200, member_policy_to_json(&p));
	free(u);
	return err;
}

/* Validates the body into *P, or answers why not (*OK false). */
static enum coffer_err policy_of_body(struct request *rq, const struct user_record *u,
				      enum level clearance, struct member_policy *p, bool *ok)
{
	const struct caller *caller = api_caller(rq);
	char msg[256];
	*ok = false;
	if (member_policy_from_json(rq->json, p, msg, sizeof msg) != COFFER_OK)
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, msg);
	if (clearance > caller->clearance)
		return reply_error(rq, COFFER_ERR_FORBIDDEN,
				   "You cannot set the rules of a member cleared above you.");
	if (strcmp(u->id, caller->user.id) == 0 &&
	    login_rules_lock_out(&p->login, &rq->client, "", msg, sizeof msg))
		return reply_error(rq, COFFER_ERR_INVALID_INPUT, msg);
	*ok = true;
	return COFFER_OK;
}

enum coffer_err member_policy_put(struct request *rq)
{
	const struct caller *caller = api_caller(rq);
	struct user_record *u = calloc(1, sizeof *u);
	struct member_policy p;
	enum level clearance = LEVEL_PUBLIC;
	bool found = false, ok = false;
	json_t *canonical = NULL;
	char *text = NULL;
	if (u == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = member_of_path(rq, u, &clearance, &found);
	if (err != COFFER_OK || !found)
		goto out;
	if ((err = policy_of_body(rq, u, clearance, &p, &ok)) != COFFER_OK || !ok)
		goto out;
	canonical = member_policy_to_json(&p);
	text = canonical ? json_dumps(canonical, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	err = store_member_policy_put(rq->app->store, caller->org_id, u->id, text, time_now());
	stored_policy_forget(rq);
	if (err == COFFER_ERR_NOT_FOUND) { /* removed from the organisation meanwhile */
		err = reply_error(rq, err, "No such member.");
		goto out;
	}
	if (err == COFFER_OK)
		err = org_audit_event(rq, caller->org_id, "member.login_policy", u->email, "");
	if (err == COFFER_OK) {
		err = reply_json(rq, 200, canonical);
		canonical = NULL; /* the reply took it */
	}
out:
	json_decref(canonical);
	free(text);
	free(u);
	return err;
}
