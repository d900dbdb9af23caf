/* invite_issue.h — making an invitation: keyd seals it (so acceptance grants exactly what the
 * inviter was allowed to give), the store keeps it, the chains record it and the inviter gets
 * its link once. Shared by a sysadmin's invitations (admin.c) and an organisation's own
 * (members.c); who may invite whom is keyd's to decide, and both callers check it first only to
 * answer with a clear reason.
 */
#ifndef COFFER_API_INVITE_ISSUE_H
#define COFFER_API_INVITE_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/level.h"
#include "http/request.h"
#include "store/store.h"

struct invite_order {
	const char *email; /* as given: normalised here (400 when it is no address) */
	const char *role;  /* "sysadmin" | "member" | "org_admin" */
	/* The organisation (NULL for a sysadmin) and, for a sysadmin inviting its first org_admin,
	 * the record holding its founding charter. */
	const char *org_id;
	const struct org_record *founding;
	enum level clearance;
};

/* Makes the invitation ORDER describes in the caller's session and replies 201
 * {"token","url","expires_at"}; keyd's refusal comes back as its error. */
COFFER_MUST_CHECK enum coffer_err invite_issue(struct request *rq, const struct invite_order *o);

/* The address a person opens for KIND ("invite", "reset") with TOKEN: on the host the server is
 * configured to be reached at. */
void public_link(const struct request *rq, const char *kind, const char *token, char *out,
		 size_t outlen);

#endif
