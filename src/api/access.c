/* access.c — the organisation and clearance checks, and the rules every request of a session
 * is held to (access.h). */
#include "api/alert_rules.h"
#include "api/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/breach_recheck.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "api/stored_policy.h"
#include "api/system_audit.h"
#include "api/user_rules.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "http/router.h"

static bool is_sysadmin(const struct caller *c)
{
	return strcmp(c->user.role, "sysadmin") == 0;
}

static const struct membership_record *membership(const struct caller *c, const char *org_id)
{
	for (size_t i = 0; i < c->user.n_orgs && i < STORE_ORGS_MAX; i++) {
		if (strcmp(c->user.orgs[i].org_id, org_id) == 0)
			return &c->user.orgs[i];
	}
	return NULL;
}

/* A refusal on a content route goes into the organisation's chain when it exists (an id
 * nobody created has no chain). */
static void note_refusal(struct request *rq, const char *org_id, const char *reason)
{
	struct org_record org;
	if (rq->route->audit != NULL && store_org_get(rq->app->store, org_id, &org) == COFFER_OK)
		org_audit_refused(rq, org_id, reason);
}

/* An organisation being deleted is read-only, so that its members can read and export what it
 * holds during its week, and nothing new goes into what is about to be destroyed; once its
 * shredding has begun it is closed. Only requests that change something pay for the look-up:
 * a read of a shredded organisation finds no key and fails anyway. */
static enum coffer_err org_open_to(struct request *rq, const char *org_id)
{
	bool writes = strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0;
	if (!writes)
		return COFFER_OK;
	struct org_record *org = calloc(1, sizeof *org);
	if (org == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = store_org_get(rq->app->store, org_id, org);
	if (err == COFFER_OK && org->state == ORG_SHREDDING)
		err = COFFER_ERR_ORG_DELETING;
	else if (err == COFFER_OK && org->state == ORG_DELETING &&
		 rq->route->handler != exports_post)
		err = COFFER_ERR_ORG_DELETING;
	if (err == COFFER_ERR_ORG_DELETING) {
		note_refusal(rq, org_id, "org_deleting");
		snprintf(rq->msg, sizeof rq->msg, "%s",
			 org->state == ORG_SHREDDING
			     ? "This organisation is being deleted now."
			     : "This organisation is being deleted: its content can be read and "
			       "exported, not changed.");
	}
	free(org);
	return err;
}

enum coffer_err access_org(struct request *rq, struct caller *c, bool admin)
{
	if (!route_param(&rq->params, "org", c->org_id, sizeof c->org_id) ||
	    !uuid_valid(c->org_id)) {
		c->org_id[0] = '\0';
		snprintf(rq->msg, sizeof rq->msg, "The organisation id is not well-formed.");
		return COFFER_ERR_INVALID_INPUT;
	}
	/* A sysadmin has no standing inside any organisation: its people, rules and trail are
	 * its own org_admins'. */
	const struct membership_record *m = membership(c, c->org_id);
	if (is_sysadmin(c) || m == NULL) {
		note_refusal(rq, c->org_id, is_sysadmin(c) ? "sysadmin" : "not_member");
		return COFFER_ERR_FORBIDDEN;
	}
	if (admin && strcmp(m->role, "org_admin") != 0)
		return COFFER_ERR_FORBIDDEN;
	if (!level_parse(m->clearance, &c->clearance))
		return COFFER_ERR_FORBIDDEN; /* a clearance we cannot read grants nothing */
	/* The organisation's rules, and the member's own there, hold on every request, not only
	 * at sign-in: from an address or at a time they do not allow, this organisation is closed
	 * to the session (its other organisations follow their own rules). */
	bool allowed = false;
	enum coffer_err err =
	    user_org_allowed(rq, &c->user, c->org_id, &rq->client, time_now(), &allowed);
	if (err != COFFER_OK)
		return err;
	if (!allowed) {
		note_refusal(rq, c->org_id, "login_policy");
		snprintf(rq->msg, sizeof rq->msg,
			 "This organisation's rules do not allow access from this address at this "
			 "time.");
		return COFFER_ERR_LOGIN_POLICY;
	}
	c->member = m;
	return org_open_to(rq, c->org_id);
}

enum coffer_err access_session(struct request *rq, struct caller *c)
{
	int64_t now = time_now();
	bool sysadmin = is_sysadmin(c);
	enum coffer_err err;
	if (!c->session.must_change_password) {
		bool expired = false;
		if ((err = user_password_expired(rq, &c->user, now, &expired)) != COFFER_OK)
			return err;
		bool breached = false;
		if (!expired && (err = breach_recheck(rq, c, &breached)) != COFFER_OK)
			return err;
		if (expired || breached) {
			/* Only for this request: the session's record is left alone, and the next
			 * request judges again (a change of password, of policy or of the list
			 * ends it). */
			c->session.must_change_password = true;
			if (rq->route->access != ACCESS_SESSION_ANY)
				snprintf(rq->msg, sizeof rq->msg, "%s",
					 expired ? "Your password is older than your "
						   "organisation's policy allows; change it to "
						   "go on."
						 : "Your password has appeared in a data breach "
						   "since you signed in; change it to go on.");
		}
	}
	if (rq->route->access == ACCESS_SYSADMIN && sysadmin) {
		struct org_policy p;
		if ((err = stored_policy_load(rq, STORE_POLICY_SYSTEM, &p)) != COFFER_OK)
			return err;
		if (!org_policy_login_allowed(&p, &rq->client, now)) {
			system_audit(rq, c->user.id, "request", "", "refused", "login_policy");
			alert_rules_admin_refused(rq, c->user.id);
			snprintf(
			    rq->msg, sizeof rq->msg,
			    "The system policy does not allow administration from this address "
			    "at this time.");
			return COFFER_ERR_LOGIN_POLICY;
		}
	}
	return COFFER_OK;
}

enum coffer_err access_level(struct request *rq, enum level level)
{
	const struct caller *c = api_caller(rq);
	if (c != NULL && c->member != NULL && level <= c->clearance)
		return COFFER_OK;
	if (c != NULL && rq->route->audit != NULL)
		org_audit_refused(rq, c->org_id, "clearance");
	return COFFER_ERR_FORBIDDEN;
}
