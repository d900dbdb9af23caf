/* stored_policy.h — an organisation's or the system's policy, and a member's login policy
 * within an organisation, as they are stored: read back and parsed, or the defaults where none
 * was ever stored. */
#ifndef COFFER_API_STORED_POLICY_H
#define COFFER_API_STORED_POLICY_H

#include "common/err.h"
#include "http/request.h"
#include "signin/org_policy.h"
#include "store/store.h"

/* The policy of SCOPE (an org id or STORE_POLICY_SYSTEM). COFFER_ERR_STORAGE when what is
 * stored does not parse (it was validated when it was stored: that is damage). */
COFFER_MUST_CHECK enum coffer_err stored_policy_load(struct request *rq, const char *scope,
						     struct org_policy *out);

/* Keeps what ORG says the engine read ahead with the session (store_caller_get) in the
 * request's caller (caller.h: struct caller_ahead), parsed, for the loads of this request. A
 * policy that does not parse is left to be read, and reported, when it is wanted. */
void stored_policy_read_ahead(struct request *rq, const struct caller_org_read *org);

/* Forgets the policies this request read (stored_policy_load keeps them for the rest of the
 * request): after the request stores one. */
void stored_policy_forget(struct request *rq);

/* The login policy of member USER_ID within ORG_ID; the defaults (member_policy_default) when
 * none was set. Errors as stored_policy_load. */
COFFER_MUST_CHECK enum coffer_err stored_member_policy_load(struct request *rq, const char *org_id,
							    const char *user_id,
							    struct member_policy *out);

#endif
