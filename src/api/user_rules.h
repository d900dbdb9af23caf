/* user_rules.h — the rules a user's password, sign-in and requests follow: the system policy
 * for a sysadmin, else the policies of every organisation they belong to, combined strictly,
 * each narrowed by the user's own login policy in that organisation.
 */
#ifndef COFFER_API_USER_RULES_H
#define COFFER_API_USER_RULES_H

#include <stdbool.h>
#include <stdint.h>

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

/* Whether every policy that applies to U allows a sign-in from ADDR now (for a sysadmin the
 * system policy; else, for each organisation, its policy and U's own login policy there),
 * whether any asks for a second factor (an organisation's policy, or U's own login policy in
 * one of them), and which second factor counts then (enum org_second_factor: the stricter of
 * the organisations that ask, org_policy_second_factor_stricter). */
COFFER_MUST_CHECK enum coffer_err user_login_allowed(struct request *rq,
						     const struct user_record *u,
						     const struct netaddr *addr, bool *allowed,
						     bool *require_totp, uint8_t *second_factor);

/* Whether ORG_ID's policy and U's own login policy there both allow a request from ADDR at
 * NOW: the check of every request to the organisation's routes. */
COFFER_MUST_CHECK enum coffer_err user_org_allowed(struct request *rq, const struct user_record *u,
						   const char *org_id, const struct netaddr *addr,
						   int64_t now, bool *allowed);

/* Whether U's password is older at NOW than the strictest max_password_age_days of the
 * policies that apply to U (the system policy for a sysadmin). A password whose change time is
 * not known (0) never counts as expired. */
COFFER_MUST_CHECK enum coffer_err
user_password_expired(struct request *rq, const struct user_record *u, int64_t now, bool *expired);

#endif
