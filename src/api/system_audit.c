/* system_audit.c — appending to the system audit chain (system_audit.h). */
#include "api/system_audit.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "audit/chain.h"
#include "common/log.h"
#include "common/timefmt.h"

static void copy_field(char *dst, const char *src)
{
	snprintf(dst, AUDIT_FIELD_MAX + 1, "%s", src != NULL ? src : "");
}

void system_audit(struct request *rq, const char *actor, const char *action, const char *target,
		  const char *outcome, const char *reason)
{
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	copy_field(e.actor, actor);
	copy_field(e.action, action);
	copy_field(e.target, target);
	copy_field(e.ip, rq->client_text);
	copy_field(e.outcome, outcome);
	copy_field(e.reason, reason);
	enum coffer_err err = store_audit_append(rq->app->store, &e);
	if (err != COFFER_OK)
		log_event(LOG_ERROR, "audit_failed",
			  json_pack("{s:s,s:s,s:s}", "request_id", rq->id, "action", action,
				    "error", coffer_err_info(err)->code));
}
