/* system_audit.h — writing the system audit chain: sign-ins and their failures, invitations,
 * accounts, organisations and policies. */
#ifndef COFFER_API_SYSTEM_AUDIT_H
#define COFFER_API_SYSTEM_AUDIT_H

#include "http/request.h"

/* Appends to the system audit chain: ACTOR (a user id, or an email on a failed login),
 * ACTION, TARGET, OUTCOME ("success", "failure", "refused") and a REASON code, with the
 * client's address. Never a password, code, token or content. A failure to append is logged:
 * the request has already happened. */
void system_audit(struct request *rq, const char *actor, const char *action, const char *target,
		  const char *outcome, const char *reason);

#endif
