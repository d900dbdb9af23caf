/* account_notices.c — the notices of account_notices.h: stored for the user, then handed to
 * alert_command. */
#include "api/account_notices.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "api/app.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/store.h"

#define QUIET_S 3600 /* at most one notice an hour of the kinds a stranger can cause */

struct event_info {
	const char *kind;
	const char *line_kind; /* alert_command's */
	const char *detail;    /* alert_command's: a sentence for a person */
	bool quiet;	       /* a stranger holding the password can cause it */
};

// clang-format off
static const struct event_info EVENTS[ACCOUNT__COUNT] = {
	[ACCOUNT_PASSWORD_CHANGED] = {"password_changed", "account_password_changed",
		"The password of this account was changed.", false},
	[ACCOUNT_SIGNIN_RESET] = {"signin_reset", "account_signin_reset",
		"The password and authenticator of this account were replaced by a sign-in reset.",
		false},
	[ACCOUNT_TOTP_WRONG] = {"totp_wrong", "account_totp_wrong",
		"Someone gave the right password of this account with a wrong authenticator code.",
		true},
	[ACCOUNT_TOTP_REUSED] = {"totp_reused", "account_totp_reused",
		"Someone gave the right password of this account with an authenticator code "
		"already used.", true},
	[ACCOUNT_NEW_ADDRESS] = {"new_address", "account_new_address",
		"This account signed in from an address not seen for it in 30 days.", false},
	[ACCOUNT_MEMBERSHIP_ADDED] = {"membership_added", "account_membership_added",
		"This account was added to an organisation.", false},
	[ACCOUNT_MEMBERSHIP_CHANGED] = {"membership_changed", "account_membership_changed",
		"This account's role or clearance in an organisation changed.", false},
	[ACCOUNT_MEMBERSHIP_REMOVED] = {"membership_removed", "account_membership_removed",
		"This account was removed from an organisation.", false},
};
// clang-format on

const char *account_event_name(enum account_event ev)
{
	return (unsigned int)ev < ACCOUNT__COUNT ? EVENTS[ev].kind : "unknown";
}

static void tell(struct request *rq, const char *user_id, const char *email, enum account_event ev,
		 const struct org_record *org, const char *role, const char *clearance)
{
	if ((unsigned int)ev >= ACCOUNT__COUNT)
		return;
	const struct event_info *e = &EVENTS[ev];
	struct user_notice *n = calloc(1, sizeof *n); /* an organisation's name: off the stack */
	if (n == NULL) {
		log_msg(LOG_ERROR, "account_notice", "out of memory for a notice of kind %s",
			e->kind);
		return;
	}
	snprintf(n->user_id, sizeof n->user_id, "%s", user_id);
	snprintf(n->kind, sizeof n->kind, "%s", e->kind);
	snprintf(n->subject, sizeof n->subject, "%s", org != NULL ? org->name : "");
	if (role != NULL && clearance != NULL)
		snprintf(n->detail, sizeof n->detail, "%s/%s", role, clearance);
	snprintf(n->address, sizeof n->address, "%s", rq->client_text);
	n->created_at = time_now();
	int64_t id = 0;
	enum coffer_err err = store_user_notice_add(rq->app->store, n, e->quiet ? QUIET_S : 0, &id);
	if (err == COFFER_OK) {
		/* The log names the notice, not its user (whom the request's audit entry names). */
		log_event(LOG_INFO, "account_notice",
			  json_pack("{s:I,s:s}", "id", (json_int_t)id, "kind", e->kind));
		struct alert_line l = {.notice_id = id,
				       .time = n->created_at,
				       .kind = e->line_kind,
				       .org_id = org != NULL ? org->id : NULL,
				       .detail = e->detail,
				       .address = n->address,
				       .user_id = user_id,
				       .email = email};
		alert_pass_on(&l);
	} else if (err != COFFER_ERR_EXISTS) {
		log_msg(LOG_ERROR, "account_notice", "a notice of kind %s could not be stored: %s",
			e->kind, coffer_err_info(err)->code);
	}
	free(n);
}

void account_notice(struct request *rq, const char *user_id, const char *email,
		    enum account_event ev)
{
	tell(rq, user_id, email, ev, NULL, NULL, NULL);
}

void account_notice_org(struct request *rq, const char *user_id, const char *email,
			enum account_event ev, const char *org_id, const char *role,
			const char *clearance)
{
	struct org_record *org = calloc(1, sizeof *org);
	enum coffer_err err =
	    org != NULL ? store_org_get(rq->app->store, org_id, org) : COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		tell(rq, user_id, email, ev, org, role, clearance);
	else
		log_msg(LOG_ERROR, "account_notice", "no notice of kind %s: the organisation: %s",
			account_event_name(ev), coffer_err_info(err)->code);
	free(org);
}
