/* stored_policy.h — an organisation's or the system's policy as it is stored: read back and
 * parsed, or the defaults where none was ever stored. */
#ifndef COFFER_API_STORED_POLICY_H
#define COFFER_API_STORED_POLICY_H

#include "common/err.h"
#include "http/request.h"
#include "signin/org_policy.h"

/* The policy of SCOPE (an org id or STORE_POLICY_SYSTEM). */
COFFER_MUST_CHECK enum coffer_err stored_policy_load(struct request *rq, const char *scope,
						     struct org_policy *out);

#endif
