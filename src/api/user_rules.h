/* user_rules.h — the rules a user's password and sign-in follow: the system policy for a
 * sysadmin, else the policies of every organisation they belong to, combined strictly.
 */
#ifndef COFFER_API_USER_RULES_H
#define COFFER_API_USER_RULES_H

#include <stdbool.h>

#include "common/err.h"
#include "common/netaddr.h"
#include "http/request.h"
#include "signin/password_policy.h"
#include "store/store.h"

/* The password rules of U (NULL for someone with no account yet): the longest minimum, and
 * any requirement of any policy; *REQUIRE_TOTP when any policy asks for an authenticator app
 * (always for a sysadmin). ORG_ID, when not NULL, names a membership not yet recorded (an
 * invite). */
COFFER_MUST_CHECK enum coffer_err
user_password_rules(struct request *rq, bool sysadmin, const struct user_record *u,
		    const char *org_id, struct password_rules *out, bool *require_totp);

/* Whether every policy that applies to U allows a sign-in from ADDR now, and whether any asks
 * for an authenticator app. */
COFFER_MUST_CHECK enum coffer_err user_login_allowed(struct request *rq,
						     const struct user_record *u,
						     const struct netaddr *addr, bool *allowed,
						     bool *require_totp);

#endif
