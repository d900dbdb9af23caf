/* backups.c — sysadmins and the server's backups (backup/nightly.h): what there is and when the
 * next one runs (GET /api/v1/admin/backups), and one now (POST → 202). Metadata only: a
 * snapshot's bytes never leave the server through the API, and opening one takes the master
 * key, which the web process does not have. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "api/app.h"
#include "api/caller.h"
#include "api/routes.h"
#include "api/system_audit.h"
#include "backup/catalog.h"
#include "backup/nightly.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "http/reply.h"

static json_t *when(int64_t t)
{
	char text[TIMEFMT_RFC3339_LEN];
	if (t <= 0)
		return json_null();
	timefmt_rfc3339(t, text);
	return json_string(text);
}

static json_t *snapshot_json(const struct backup_entry *e)
{
	return json_pack("{s:s,s:o,s:I,s:s,s:b,s:i}", "name", e->name, "time", when(e->time),
			 "size", (json_int_t)e->size, "state", "complete", "verified", 1,
			 "master_key_version", (json_int_t)e->master_version);
}

static json_t *failure_json(const struct backup_failure *f)
{
	return json_pack("{s:o,s:s,s:b,s:s}", "time", when(f->time), "state", "failed", "verified",
			 0, "error", f->why);
}

/* A deployment on PostgreSQL has no backups of coffer's making: the database's own tools
 * (pgBackRest) keep them, and nothing here would be true of them. */
static enum coffer_err not_on_postgresql(struct request *rq)
{
	return reply_error(rq, COFFER_ERR_NOT_FOUND,
			   "This deployment's store is PostgreSQL: its backups are the database's "
			   "(pgBackRest; docs/OPERATIONS.md), not coffer's.");
}

enum coffer_err admin_backups_get(struct request *rq)
{
	if (rq->app->cfg->database == CONFIG_DB_POSTGRESQL)
		return not_on_postgresql(rq);
	struct backup_status *s = calloc(1, sizeof *s);
	struct backup_entry *list = NULL;
	size_t n = 0;
	char at[6];
	if (s == NULL)
		return COFFER_ERR_NOMEM;
	if (rq->app->backups == NULL) {
		free(s);
		return COFFER_ERR_UNAVAILABLE;
	}
	backup_nightly_status(rq->app->backups, s);
	/* A backup directory that cannot be read is what the failed runs listed say; the status
	 * is still worth showing. */
	bool readable = backup_catalog_list(s->dir, &list, &n) == COFFER_OK;
	/* Snapshots (each verified when it was made) and the failed runs, newest first. */
	json_t *items = json_array();
	size_t i = 0, k = 0;
	while (items != NULL && (i < n || k < s->n_failures)) {
		if (k < s->n_failures && (i == n || s->failures[k].time >= list[i].time))
			json_array_append_new(items, failure_json(&s->failures[k++]));
		else
			json_array_append_new(items, snapshot_json(&list[i++]));
	}
	json_t *last =
	    s->last_success > 0
		? json_pack("{s:o,s:I,s:s}", "time", when(s->last_success), "size",
			    (json_int_t)s->last_success_size, "name", s->last_success_name)
		: (n > 0 ? json_pack("{s:o,s:I,s:s}", "time", when(list[0].time), "size",
				     (json_int_t)list[0].size, "name", list[0].name)
			 : json_null());
	snprintf(at, sizeof at, "%02u:%02u", s->at / 60 % 24, s->at % 60);
	json_t *body = json_pack("{s:b,s:o,s:o*,s:s,s:s,s:i,s:b,s:o*}", "running", s->running,
				 "next_run", when(s->next_run), "last_success", last, "backup_at",
				 at, "time_zone", s->zone, "keep_days", (json_int_t)s->keep_days,
				 "backup_dir_readable", readable, "backups", items);
	free(list);
	free(s);
	return reply_json(rq, 200, body);
}

enum coffer_err admin_backups_post(struct request *rq)
{
	if (rq->app->cfg->database == CONFIG_DB_POSTGRESQL)
		return not_on_postgresql(rq);
	if (rq->app->backups == NULL)
		return COFFER_ERR_UNAVAILABLE;
	enum coffer_err err = backup_nightly_run_now(rq->app->backups);
	if (err == COFFER_ERR_EXISTS) {
		system_audit(rq, api_actor(rq), "backup.request", "", "refused", "running");
		return reply_error(rq, COFFER_ERR_EXISTS, "A backup is running already.");
	}
	if (err != COFFER_OK)
		return err;
	system_audit(rq, api_actor(rq), "backup.request", "", "success", "");
	return reply_json(rq, 202, json_pack("{s:s}", "state", "started"));
}
