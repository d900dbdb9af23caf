/* password_checks.h — what every new password goes through besides its policy's rules: the list
 * of common passwords and the list of breached ones. */
#ifndef COFFER_API_PASSWORD_CHECKS_H
#define COFFER_API_PASSWORD_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "http/request.h"
#include "signin/password_policy.h"

/* Checks a new password against RULES, the common list and the breached list; on refusal
 * replies 400 password_policy (naming every rule broken) or password_compromised and returns
 * its error. */
COFFER_MUST_CHECK enum coffer_err password_acceptable(struct request *rq,
						      const struct password_rules *rules,
						      const char *password, size_t len);

/* Whether PASSWORD is in the breached list (false when no list is configured). */
bool password_breached(struct request *rq, const char *password, size_t len);

#endif
