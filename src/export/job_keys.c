/* job_keys.c — an export's right to its data keys: the requesting session, kept for the
 * export's life and checked as it goes; keyd decides each key (job.h). */
#include "export/job.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timefmt.h"

void job_fail(struct export_job *j, enum coffer_err err, const char *reason)
{
	if (j->failure != COFFER_OK)
		return;
	j->failure = err;
	snprintf(j->failure_reason, sizeof j->failure_reason, "%s", reason);
}

void job_member_done(struct export_job *j)
{
	pthread_mutex_lock(j->mu);
	j->done++;
	pthread_mutex_unlock(j->mu);
}

void job_total_add(struct export_job *j, uint64_t n)
{
	pthread_mutex_lock(j->mu);
	j->total += n;
	pthread_mutex_unlock(j->mu);
}

/* Whether the user is still an org_admin of J's organisation, with the same clearance. */
static bool still_admin(const struct export_job *j, const struct user_record *u)
{
	for (size_t i = 0; i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		enum level level;
		if (strcmp(m->org_id, j->org_id) != 0)
			continue;
		return strcmp(m->role, "org_admin") == 0 && level_parse(m->clearance, &level) &&
		       level == j->clearance;
	}
	return false;
}

enum coffer_err job_session_check(struct export_job *j)
{
	if (atomic_load(j->stop))
		return COFFER_ERR_UNAVAILABLE;
	int64_t now = time_now();
	if (j->checked_at != 0 && now - j->checked_at < 1)
		return COFFER_OK;
	struct session_record *s = malloc(sizeof *s);
	struct user_record *u = malloc(sizeof *u);
	enum coffer_err err = s != NULL && u != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		err = store_session_get(j->deps->store, &j->token_hash, now,
					j->deps->session_idle_ttl, s);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_ERR_UNAUTHENTICATED;
	if (err == COFFER_OK)
		err = store_user_get(j->deps->store, s->user_id, u);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_ERR_UNAUTHENTICATED;
	/* A membership changed since: the kept ticket no longer says what keyd would now. */
	if (err == COFFER_OK && (strcmp(u->status, "active") != 0 ||
				 u->account_version != j->account_version || !still_admin(j, u)))
		err = COFFER_ERR_FORBIDDEN;
	if (err == COFFER_OK)
		j->checked_at = now;
	if (s != NULL) {
		sodium_memzero(s, sizeof *s);
		free(s);
	}
	if (u != NULL) {
		sodium_memzero(u->account, sizeof u->account);
		free(u);
	}
	return err;
}

void job_object_ctx(const struct export_job *j, const struct data_key_record *rec,
		    struct object_ctx *out)
{
	out->org_id = j->org_id;
	out->kind = rec->kind;
	out->object_id = rec->object_id;
	out->version = rec->object_version;
	out->level = rec->level;
}

enum coffer_err job_key_open(struct export_job *j, const struct data_key_record *rec,
			     uint8_t key[AEAD_KEY_BYTES])
{
	enum coffer_err err = job_session_check(j);
	if (err != COFFER_OK)
		return err;
	struct org_key_record org;
	err = store_org_key_get(j->deps->store, j->org_id, rec->org_key_version, &org);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_ERR_FORBIDDEN; /* the organisation's keys are destroyed */
	if (err != COFFER_OK)
		return err;
	struct keyd_org_key korg = {
	    .org_id = j->org_id, .version = org.version, .master_version = org.master_version};
	memcpy(korg.wrapped, org.wrapped, KEYWRAP_BYTES);
	struct object_ctx ctx;
	job_object_ctx(j, rec, &ctx);
	struct keyd_session s = {
	    .token = j->token, .ticket = j->ticket, .ticket_len = j->ticket_len};
	err = keyd_data_key_open(j->deps->keyd, &s, &korg, &ctx, rec->wrapped, key);
	if (err == COFFER_ERR_CRYPTO || err == COFFER_ERR_INVALID_INPUT) {
		log_msg(LOG_ERROR, "export",
			"export %s: a stored data key does not open in its context", j->id);
		err = COFFER_ERR_INTERNAL;
	}
	return err;
}
