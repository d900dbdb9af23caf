/* org_audit.h — the organisation's audit chain, as the content handlers write it.
 *
 * - A change (create, update, delete, upload) carries its entry into the store call that makes
 *   it: the change and its entry commit in one transaction (org_audit_entry).
 * - A read of content (a record, a list of titles, a download) is held until its entry is
 *   durable, through the group commit of audit/batch.h: org_audit_hold before making the
 *   reply, org_audit_release after. If the entry cannot be recorded the reader gets 503 and
 *   not the content.
 * - A refusal is recorded without holding anything up (org_audit_note).
 * Entries name the actor (user id), the action, the target id, the client's address and the
 * outcome: never a title, body, file name or content.
 */
#ifndef COFFER_API_ORG_AUDIT_H
#define COFFER_API_ORG_AUDIT_H

#include "audit/chain.h"
#include "common/err.h"
#include "http/request.h"

/* An entry by the caller, in the path's organisation, of ACTION on TARGET that succeeded. */
void org_audit_entry(const struct request *rq, const char *action, const char *target,
		     struct audit_entry *out);

/* Records ACTION on TARGET with OUTCOME and REASON in ORG_ID's chain, in the background. */
void org_audit_note(struct request *rq, const char *org_id, const char *action, const char *target,
		    const char *outcome, const char *reason);

/* Before the reply of a read is made: it will be held. */
void org_audit_hold(struct request *rq);

/* After the held reply is made (or failed to be: then an error goes instead): records the read
 * of TARGET by ACTION and lets the reply go once that is durable. Returns COFFER_OK: the request
 * is answered either way. */
enum coffer_err org_audit_release(struct request *rq, const char *action, const char *target);

/* The group commit's writer (audit_commit_fn; CTX is the org_cache): appends to the chain of
 * the organisation CHAIN names. */
enum coffer_err org_audit_commit(void *ctx, const char *chain, struct audit_entry *e, size_t n);

/* GET /api/v1/orgs/{org}/audit is in src/api/routes.h. */

#endif
