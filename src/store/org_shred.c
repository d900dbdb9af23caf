/* org_shred.c — the end of an organisation, step by step (org_shred.h). */
#include "store/org_shred.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit/chain.h"
#include "common/log.h"
#include "common/timefmt.h"

static enum coffer_err record(struct store *st, const char *actor, const char *action,
			      const char *org_id, const char *outcome, const char *reason)
{
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	snprintf(e.actor, sizeof e.actor, "%s", actor);
	snprintf(e.action, sizeof e.action, "%s", action);
	snprintf(e.target, sizeof e.target, "%s", org_id);
	snprintf(e.outcome, sizeof e.outcome, "%s", outcome);
	snprintf(e.reason, sizeof e.reason, "%s", reason);
	return store_audit_append(st, &e);
}

enum coffer_err org_shred(struct store *st, struct blob_store *blobs, struct org_cache *cache,
			  const char *org_id, const char *actor)
{
	struct org_record org;
	size_t removed = 0;
	const char *step = "begin";
	enum coffer_err err = store_org_get(st, org_id, &org);
	if (err != COFFER_OK)
		return err; /* COFFER_ERR_NOT_FOUND: nothing left of it */
	bool resumed = org.state == ORG_SHREDDING;
	err = store_org_shred_begin(st, org_id, actor, time_now());
	if (err == COFFER_OK)
		err = record(st, actor, "org.shred", org_id, "success",
			     resumed ? "resumed" : "begun");
	if (err == COFFER_OK) {
		step = "keys";
		err = store_org_keys_destroy(st, org_id);
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK; /* destroyed by an earlier run */
	}
	if (err == COFFER_OK && blobs != NULL) {
		step = "blobs";
		err = blob_remove_org(blobs, org_id, &removed);
	}
	if (err == COFFER_OK) {
		step = "database";
		err = store_org_db_drop(st, cache, org_id);
	}
	if (err == COFFER_OK) {
		step = "audit";
		err = record(st, actor, "org.delete", org_id, "success", "");
	}
	if (err == COFFER_OK) {
		step = "rows";
		err = store_org_remove(st, org_id);
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK; /* another node's run finished it meanwhile */
	}
	if (err == COFFER_OK)
		log_event(LOG_INFO, "org_deleted",
			  json_pack("{s:s,s:s,s:I}", "org_id", org_id, "by", actor, "blobs_removed",
				    (json_int_t)removed));
	else
		log_event(LOG_ERROR, "org_delete_failed",
			  json_pack("{s:s,s:s,s:s}", "org_id", org_id, "step", step, "error",
				    coffer_err_info(err)->code));
	return err;
}
