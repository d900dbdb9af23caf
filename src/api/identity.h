/* identity.h — what the identity handlers share: the audit trail, the USER object, policies
 * as stored, and the checks every new password goes through. */
#ifndef COFFER_API_IDENTITY_H
#define COFFER_API_IDENTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "signin/org_policy.h"
#include "common/err.h"
#include "http/request.h"
#include "store/store.h"

/* Appends to the system audit chain: ACTOR (a user id, or an email on a failed login),
 * ACTION, TARGET, OUTCOME ("success", "failure", "refused") and a REASON code, with the
 * client's address. Never a password, code, token or content. A failure to append is logged:
 * the request has already happened. */
void api_audit(struct request *rq, const char *actor, const char *action, const char *target,
	       const char *outcome, const char *reason);

/* Lists up to MAX entries of a chain after seq AFTER (as store_audit_list). */
typedef enum coffer_err (*api_audit_lister)(void *ctx, uint64_t after, struct audit_entry *out,
					    size_t max, size_t *n);

/* Replies with the page of a chain that ?after= and ?limit= ask for (at most 1000 entries). */
COFFER_MUST_CHECK enum coffer_err api_audit_page(struct request *rq, api_audit_lister list,
						 void *ctx);

/* USER of CONTRACT §3.4 (a new reference). */
json_t *api_user_json(const struct user_record *u);

/* The policy of SCOPE (an org id or STORE_POLICY_SYSTEM): as stored, or the defaults. */
COFFER_MUST_CHECK enum coffer_err api_policy_load(struct request *rq, const char *scope,
						  struct org_policy *out);

/* The policy a user's password and login follow: the system policy for a sysadmin, else the
 * policies of every organisation they belong to, combined strictly (longest minimum, any
 * requirement of any of them, and each login rule must pass each policy: see
 * api_login_allowed). ORG_ID, when not NULL, names a membership not yet recorded (an invite). */
COFFER_MUST_CHECK enum coffer_err api_password_rules(struct request *rq, bool sysadmin,
						     const struct user_record *u,
						     const char *org_id, struct password_rules *out,
						     bool *require_totp);

/* Whether every policy that applies to U allows a sign-in from ADDR now. */
COFFER_MUST_CHECK enum coffer_err api_login_allowed(struct request *rq, const struct user_record *u,
						    const struct netaddr *addr, bool *allowed,
						    bool *require_totp);

/* Checks a new password against RULES, the common list and the breached list; on refusal
 * replies 400 password_policy (naming every rule broken) or password_compromised and returns
 * its error. */
COFFER_MUST_CHECK enum coffer_err api_password_acceptable(struct request *rq,
							  const struct password_rules *rules,
							  const char *password, size_t len);

/* Whether PASSWORD is in the breached list (false when no list is configured). */
bool api_password_breached(struct request *rq, const char *password, size_t len);

/* Throttling of password guesses (CONTRACT §3.4), for ACCOUNT (a normalised email) and the
 * client's address: when either must wait, replies 429 with Retry-After, audits ACTION as
 * refused, sets *ERR and returns true. */
bool api_throttled(struct request *rq, const char *account, const char *action,
		   enum coffer_err *err);

/* Counts one failed guess for ACCOUNT and the client's address. */
void api_count_failure(struct request *rq, const char *account);

#endif
