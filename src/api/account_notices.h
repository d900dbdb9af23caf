/* account_notices.h — telling users of security events on their own account (ASVS V2.2.3,
 * V2.5.5, V2.8.5): their password or authenticator changed, the right password given with a
 * wrong or reused code, a sign-in from an address not seen for 30 days, a membership added,
 * changed or removed. Each event is a notice addressed to the user alone, shown by the login
 * and session answers until dismissed (notices.h), and one JSON line to alert_command, so that
 * an operator's script can mail the user (alerts/alerts.h, alert_pass_on).
 *
 * Design points:
 * - A notice names the event, its time and address, and for a membership the organisation and
 *   the role and clearance given: never a password, code, token or hash.
 * - Events a stranger can cause (a wrong or reused code, which needs only the password) are
 *   told at most once an hour per user and kind, counted in the database so that every server
 *   agrees: an attacker cannot flood the user's notices or the operator's mail.
 * - Telling never fails the request that caused it: the change has happened, and is audited
 *   by its own handler; a notice that could not be stored is logged.
 */
#ifndef COFFER_API_ACCOUNT_NOTICES_H
#define COFFER_API_ACCOUNT_NOTICES_H

#include "http/request.h"

enum account_event {
	ACCOUNT_PASSWORD_CHANGED,   /* the user changed it (POST /api/v1/me/password) */
	ACCOUNT_SIGNIN_RESET,	    /* password and authenticator replaced by a sign-in reset */
	ACCOUNT_TOTP_WRONG,	    /* the right password with a wrong code */
	ACCOUNT_TOTP_REUSED,	    /* the right password with a code already used */
	ACCOUNT_NEW_ADDRESS,	    /* a sign-in from an address not seen for 30 days */
	ACCOUNT_MEMBERSHIP_ADDED,   /* joined an organisation */
	ACCOUNT_MEMBERSHIP_CHANGED, /* a new role or clearance in one */
	ACCOUNT_MEMBERSHIP_REMOVED, /* removed from one */
	ACCOUNT__COUNT
};

/* "password_changed", …: the notice's kind (alert_command's is "account_" and this). */
const char *account_event_name(enum account_event ev);

/* Tells USER_ID (whose email is EMAIL) of EV, which came from the request's address. */
void account_notice(struct request *rq, const char *user_id, const char *email,
		    enum account_event ev);

/* The same for a membership event in ORG_ID: ROLE and CLEARANCE are what the user now has
 * there (NULL for a removal). */
void account_notice_org(struct request *rq, const char *user_id, const char *email,
			enum account_event ev, const char *org_id, const char *role,
			const char *clearance);

#endif
