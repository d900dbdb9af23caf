/* org_audit.h — writing the organisation's audit chain for its content routes.
 *
 * Each content route names its audit action in the route table (struct route's audit); the
 * entries written here take it from there, so an action's name stands in one place.
 * - A change (create, update, delete, upload) carries its entry into the store call that makes
 *   it: the change and its entry commit in one transaction (org_audit_entry).
 * - A read of content (a record, a list of titles, a download: routes with audit_read) is held
 *   by the server until its entry is durable, through the group commit of audit/batch.h
 *   (org_audit_read). If the entry cannot be recorded the reader gets 503 and not the content.
 * - A refusal is recorded without holding anything up (org_audit_refused).
 * Entries name the actor (user id), the action, the target id, the client's address and the
 * outcome: never a title, body, file name or content.
 */
#ifndef COFFER_API_ORG_AUDIT_H
#define COFFER_API_ORG_AUDIT_H

#include <stddef.h>

#include "audit/chain.h"
#include "common/err.h"
#include "http/request.h"

/* The entry of the route's change to TARGET by the caller, for the store call that makes it. */
void org_audit_entry(const struct request *rq, const char *target, struct audit_entry *out);

/* Records in ORG_ID's chain, in the background, that the route's action on the path's object
 * was refused for REASON. */
void org_audit_refused(struct request *rq, const char *org_id, const char *reason);

/* Appends to ORG_ID's chain, now and durably, that the caller did ACTION (an administrative
 * act concerning the organisation: "org.create", "member.update"...) to TARGET (an email, or
 * "") with REASON. A sysadmin's acts concerning an organisation are recorded here as well as in
 * the system chain, so the organisation sees them. */
COFFER_MUST_CHECK enum coffer_err org_audit_event(struct request *rq, const char *org_id,
						  const char *action, const char *target,
						  const char *reason);

/* The server's record_read hook (http/server.h): records the read of the path's object (or
 * list) in the caller's organisation, and lets the held reply go once that is durable, or
 * answers 503 in its place. */
void org_audit_read(struct request *rq);

/* The group commit's writer (audit_commit_fn; CTX is the org_cache): appends to the chain of
 * the organisation CHAIN names. */
enum coffer_err org_audit_commit(void *ctx, const char *chain, struct audit_entry *e, size_t n);

#endif
