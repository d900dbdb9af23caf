/* caller.h — who is making a request: the signed-in user, their session and, on an
 * organisation's routes, their standing in it. The authorize hook (authorize.h) fills it in
 * before any handler runs; handlers, the access checks and the audit writers only read it.
 */
#ifndef COFFER_API_CALLER_H
#define COFFER_API_CALLER_H

#include "common/level.h"
#include "crypto/token.h"
#include "keyclient/keyclient.h"
#include "signin/org_policy.h"
#include "http/request.h"
#include "store/store.h"

/* What the authorize hook read about the path's organisation with the session
 * (store_caller_get), for the checks and handlers of this request to use rather than read it
 * again: only what the engine read in that one go, and only about ORG_ID. */
struct caller_ahead {
	char org_id[STORE_ID_MAX + 1]; /* "" when nothing was read ahead */
	bool has_policy, has_member_policy, has_key;
	struct org_policy policy;	    /* the organisation's, or the defaults */
	struct member_policy member_policy; /* the caller's own there, or the defaults */
	struct org_key_record key;	    /* its newest key */
};

struct caller {
	char token[TOKEN_TEXT_LEN + 1]; /* the session token, for keyd (wiped at the end) */
	struct session_record session;
	struct user_record user;
	/* On ACCESS_ORG_* routes (access.h): the path's organisation and the caller's standing
	 * in it. */
	char org_id[STORE_ID_MAX + 1];
	const struct membership_record *member;
	enum level clearance;
	/* The organisation policy this request read last (stored_policy.c): the checks of one
	 * request read the same organisation's more than once, and once from the database is
	 * enough. "" when none; forgotten when the request stores a policy. */
	char policy_scope[STORE_ID_MAX + 1];
	struct org_policy policy;
	struct caller_ahead ahead;
};

/* A cleared caller record, hung on RQ (rq->auth) and given back when the request ends; NULL
 * when memory runs out. */
struct caller *caller_attach(struct request *rq);

/* The caller, on routes with a session (NULL on public ones). */
const struct caller *api_caller(const struct request *rq);

/* The caller's session as keyd is shown it: token and ticket (pointers into C). */
void caller_keyd_session(const struct caller *c, struct keyd_session *out);

/* The caller's user id for the audit trail, "" on public routes. */
const char *api_actor(const struct request *rq);

#endif
