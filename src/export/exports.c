/* exports.c — the registry of exports and its worker thread (exports.h). */
#include "export/exports.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "export/job.h"

#define EXPORTS_MAX   256 /* queued, under way and finished (within a day), at once */
#define SWEEP_EVERY_S 60

struct exports {
	struct export_deps deps;
	char dir[PATH_MAX];
	pthread_mutex_t mu;
	pthread_cond_t wake;
	atomic_bool stop;
	pthread_t thread;
	bool running; /* the worker was started */
	struct export_job *jobs[EXPORTS_MAX];
};

const char *export_status_name(enum export_status s)
{
	switch (s) {
	case EXPORT_QUEUED: return "queued";
	case EXPORT_RUNNING: return "running";
	case EXPORT_DONE: return "done";
	case EXPORT_FAILED: return "failed";
	case EXPORT_DOWNLOADED: return "downloaded";
	}
	return "failed";
}

static int64_t now_of(const struct exports *x)
{
	return x->deps.clock != NULL ? x->deps.clock() : time_now();
}

static void job_path(const struct exports *x, const char *id, char *out, size_t len)
{
	/* X->dir was checked to leave room for the name when the registry started. */
	int n = snprintf(out, len, "%.*s/%.36s.zip", (int)(sizeof x->dir - 64), x->dir, id);
	(void)n;
}

static void job_secrets_free(struct export_job *j)
{
	sodium_free(j->token);
	j->token = NULL;
	sodium_free(j->ticket);
	j->ticket = NULL;
	sodium_free(j->passphrase);
	j->passphrase = NULL;
}

static void job_free(struct export_job *j)
{
	if (j == NULL)
		return;
	job_secrets_free(j);
	free(j);
}

/* Removes every file of DIR (what an earlier run left: no registry knows it now). */
static void empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	size_t removed = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	if (removed > 0)
		log_event(LOG_INFO, "exports_left_over_removed",
			  json_pack("{s:I}", "files", (json_int_t)removed));
}

/* Under X->mu: removes archives made more than EXPORT_TTL_S ago, and forgets their exports. */
static void sweep_expired(struct exports *x, int64_t now)
{
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		struct export_job *j = x->jobs[i];
		if (j == NULL || j->status == EXPORT_QUEUED || j->status == EXPORT_RUNNING)
			continue;
		if (now - j->finished_at < EXPORT_TTL_S)
			continue;
		char path[PATH_MAX];
		job_path(x, j->id, path, sizeof path);
		if (unlink(path) == 0)
			log_event(LOG_INFO, "export_expired", json_pack("{s:s}", "export", j->id));
		x->jobs[i] = NULL;
		job_free(j);
	}
}

/* Under X->mu: forgets slot I's finished export, removing its archive if it has one. */
static void forget(struct exports *x, size_t i)
{
	struct export_job *j = x->jobs[i];
	char path[PATH_MAX];
	job_path(x, j->id, path, sizeof path);
	if (j->status == EXPORT_DONE && unlink(path) != 0 && errno != ENOENT)
		log_msg(LOG_ERROR, "exports", "export %s: cannot remove its archive", j->id);
	x->jobs[i] = NULL;
	job_free(j);
}

/* Under X->mu: the oldest queued export, or NULL. */
static struct export_job *next_queued(struct exports *x)
{
	struct export_job *best = NULL;
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		struct export_job *j = x->jobs[i];
		if (j != NULL && j->status == EXPORT_QUEUED &&
		    (best == NULL || j->created_at < best->created_at))
			best = j;
	}
	return best;
}

/* The export's entry in its organisation's audit chain: made, with its counts, or failed. */
static enum coffer_err audit_outcome(struct exports *x, struct export_job *j, bool ok,
				     const char *reason)
{
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = time_now();
	snprintf(e.actor, sizeof e.actor, "%s", j->user_id);
	snprintf(e.action, sizeof e.action, "%s", "export.create");
	snprintf(e.target, sizeof e.target, "%s", j->id);
	snprintf(e.ip, sizeof e.ip, "%s", j->ip);
	snprintf(e.outcome, sizeof e.outcome, "%s", ok ? "success" : "failure");
	snprintf(e.reason, sizeof e.reason, "%s", reason);
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(x->deps.orgs, j->org_id, false, &odb);
	if (err == COFFER_OK) {
		err = store_org_audit_append(odb, j->org_id, &e, 1);
		store_org_return(x->deps.orgs, odb);
	}
	if (err != COFFER_OK)
		log_msg(LOG_ERROR, "audit", "export %s could not be recorded in %s's chain", j->id,
			j->org_id);
	return err;
}

static void run_job(struct exports *x, struct export_job *j)
{
	char path[PATH_MAX], summary[AUDIT_FIELD_MAX + 1] = "";
	job_path(x, j->id, path, sizeof path);
	uint64_t t0 = time_mono_ns();
	enum coffer_err err = export_build(j, path, summary, sizeof summary);
	bool made = err == COFFER_OK;
	enum coffer_err audited = audit_outcome(x, j, made, made ? summary : j->failure_reason);
	/* An export whose entry cannot be recorded is not handed out. */
	if (made && audited != COFFER_OK) {
		err = COFFER_ERR_UNAVAILABLE;
		job_fail(j, err, "audit_unavailable");
	}
	if (err != COFFER_OK)
		(void)unlink(path);
	pthread_mutex_lock(&x->mu);
	job_secrets_free(j);
	j->finished_at = now_of(x);
	j->status = err == COFFER_OK ? EXPORT_DONE : EXPORT_FAILED;
	if (err != COFFER_OK)
		snprintf(j->error, sizeof j->error, "%s", j->failure_reason);
	else
		j->done = j->total;
	pthread_mutex_unlock(&x->mu);
	log_event(err == COFFER_OK ? LOG_INFO : LOG_WARN, "export",
		  json_pack("{s:s,s:s,s:s,s:I,s:I}", "export", j->id, "org", j->org_id, "outcome",
			    err == COFFER_OK ? "done" : j->failure_reason, "bytes",
			    (json_int_t)j->size, "ms",
			    (json_int_t)((time_mono_ns() - t0) / 1000000)));
}

static void *worker_main(void *arg)
{
	struct exports *x = arg;
	pthread_mutex_lock(&x->mu);
	while (!atomic_load(&x->stop)) {
		sweep_expired(x, now_of(x));
		struct export_job *j = next_queued(x);
		if (j == NULL) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += SWEEP_EVERY_S;
			pthread_cond_timedwait(&x->wake, &x->mu, &until);
			continue;
		}
		j->status = EXPORT_RUNNING;
		pthread_mutex_unlock(&x->mu);
		run_job(x, j);
		pthread_mutex_lock(&x->mu);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

enum coffer_err exports_new(const struct export_deps *deps, struct exports **out)
{
	struct exports *x = calloc(1, sizeof *x);
	if (x == NULL)
		return COFFER_ERR_NOMEM;
	x->deps = *deps;
	int n = snprintf(x->dir, sizeof x->dir, "%s/%s", deps->data_dir, EXPORT_DIR);
	if (n < 0 || (size_t)n >= sizeof x->dir - 64) {
		free(x);
		return COFFER_ERR_CONFIG;
	}
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->wake, NULL);
	atomic_init(&x->stop, false);
	*out = x;
	return COFFER_OK;
}

enum coffer_err exports_run(struct exports *x)
{
	if (mkdir(x->dir, 0700) != 0 && errno != EEXIST)
		return COFFER_ERR_IO;
	if (chmod(x->dir, 0700) != 0)
		return COFFER_ERR_IO;
	empty_dir(x->dir);
	if (pthread_create(&x->thread, NULL, worker_main, x) != 0)
		return COFFER_ERR_NOMEM;
	x->running = true;
	return COFFER_OK;
}

void exports_stop(struct exports *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	atomic_store(&x->stop, true);
	pthread_cond_broadcast(&x->wake);
	pthread_mutex_unlock(&x->mu);
	if (x->running) {
		pthread_join(x->thread, NULL);
		empty_dir(x->dir);
	}
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		job_free(x->jobs[i]);
		x->jobs[i] = NULL;
	}
	pthread_cond_destroy(&x->wake);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

/* A new job for R, its secrets in guarded memory; NULL when memory runs out. */
static struct export_job *job_new(struct exports *x, const struct export_request *r)
{
	struct export_job *j = calloc(1, sizeof *j);
	if (j == NULL)
		return NULL;
	j->token = sodium_malloc(TOKEN_TEXT_LEN + 1);
	j->ticket = sodium_malloc(TICKET_SEALED_MAX);
	j->passphrase = sodium_malloc(r->passphrase_len + 1);
	if (j->token == NULL || j->ticket == NULL || j->passphrase == NULL ||
	    r->ticket_len > TICKET_SEALED_MAX || strlen(r->token) > TOKEN_TEXT_LEN) {
		job_free(j);
		return NULL;
	}
	uuid_generate(j->id);
	snprintf(j->org_id, sizeof j->org_id, "%s", r->org_id);
	snprintf(j->org_name, sizeof j->org_name, "%s", r->org_name);
	snprintf(j->user_id, sizeof j->user_id, "%s", r->user_id);
	snprintf(j->user_email, sizeof j->user_email, "%s", r->user_email);
	snprintf(j->ip, sizeof j->ip, "%s", r->ip);
	j->clearance = r->clearance;
	j->token_hash = *r->token_hash;
	j->account_version = r->account_version;
	j->created_at = now_of(x);
	snprintf(j->token, TOKEN_TEXT_LEN + 1, "%s", r->token);
	memcpy(j->ticket, r->ticket, r->ticket_len);
	j->ticket_len = r->ticket_len;
	memcpy(j->passphrase, r->passphrase, r->passphrase_len);
	j->passphrase[r->passphrase_len] = '\0';
	j->passphrase_len = r->passphrase_len;
	j->status = EXPORT_QUEUED;
	j->deps = &x->deps;
	j->stop = &x->stop;
	j->mu = &x->mu;
	return j;
}

enum coffer_err exports_submit(struct exports *x, const struct export_request *r,
			       char id[UUID_TEXT_LEN + 1])
{
	struct export_job *j = job_new(x, r);
	if (j == NULL)
		return COFFER_ERR_NOMEM;
	enum coffer_err err = COFFER_OK;
	size_t slot = EXPORTS_MAX;
	pthread_mutex_lock(&x->mu);
	sweep_expired(x, now_of(x));
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		struct export_job *o = x->jobs[i];
		if (o != NULL && strcmp(o->user_id, j->user_id) == 0 &&
		    (o->status == EXPORT_QUEUED || o->status == EXPORT_RUNNING))
			err = COFFER_ERR_EXISTS;
	}
	/* A user holds one export at a time: a new one replaces those finished before it. */
	for (size_t i = 0; err == COFFER_OK && i < EXPORTS_MAX; i++) {
		struct export_job *o = x->jobs[i];
		if (o != NULL && strcmp(o->user_id, j->user_id) == 0)
			forget(x, i);
		if (x->jobs[i] == NULL && slot == EXPORTS_MAX)
			slot = i;
	}
	if (err == COFFER_OK && slot == EXPORTS_MAX)
		err = COFFER_ERR_THROTTLED;
	if (err == COFFER_OK) {
		x->jobs[slot] = j;
		memcpy(id, j->id, UUID_TEXT_LEN + 1);
		pthread_cond_broadcast(&x->wake);
	}
	pthread_mutex_unlock(&x->mu);
	if (err != COFFER_OK)
		job_free(j);
	return err;
}

/* Under X->mu: export ID if it is ORG_ID's and USER_ID's. */
static struct export_job *find(struct exports *x, const char *org_id, const char *user_id,
			       const char *id)
{
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		struct export_job *j = x->jobs[i];
		if (j != NULL && strcmp(j->id, id) == 0)
			return strcmp(j->org_id, org_id) == 0 && strcmp(j->user_id, user_id) == 0
				   ? j
				   : NULL;
	}
	return NULL;
}

enum coffer_err exports_progress(struct exports *x, const char *org_id, const char *user_id,
				 const char *id, struct export_progress *out)
{
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	pthread_mutex_lock(&x->mu);
	sweep_expired(x, now_of(x)); /* an expired export is gone at once, not at the next sweep */
	struct export_job *j = find(x, org_id, user_id, id);
	if (j != NULL) {
		memset(out, 0, sizeof *out);
		out->status = j->status;
		out->done = j->done;
		out->total = j->total;
		out->size = j->size;
		out->created_at = j->created_at;
		out->expires_at = j->finished_at != 0 ? j->finished_at + EXPORT_TTL_S : 0;
		snprintf(out->error, sizeof out->error, "%s", j->error);
		err = COFFER_OK;
	}
	pthread_mutex_unlock(&x->mu);
	return err;
}

enum coffer_err exports_open(struct exports *x, const char *org_id, const char *user_id,
			     const char *id, int *fd, uint64_t *size)
{
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	pthread_mutex_lock(&x->mu);
	sweep_expired(x, now_of(x));
	struct export_job *j = find(x, org_id, user_id, id);
	if (j != NULL && j->status == EXPORT_DONE) {
		char path[PATH_MAX];
		job_path(x, j->id, path, sizeof path);
		int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (f >= 0 && fstat(f, &st) == 0 && S_ISREG(st.st_mode)) {
			*fd = f;
			*size = (uint64_t)st.st_size;
			err = COFFER_OK;
		} else {
			if (f >= 0)
				close(f);
			err = COFFER_ERR_IO;
		}
	}
	pthread_mutex_unlock(&x->mu);
	return err;
}

void exports_downloaded(struct exports *x, const char *id)
{
	pthread_mutex_lock(&x->mu);
	for (size_t i = 0; i < EXPORTS_MAX; i++) {
		struct export_job *j = x->jobs[i];
		if (j == NULL || strcmp(j->id, id) != 0 || j->status != EXPORT_DONE)
			continue;
		char path[PATH_MAX];
		job_path(x, j->id, path, sizeof path);
		if (unlink(path) != 0 && errno != ENOENT)
			log_msg(LOG_ERROR, "exports", "export %s: cannot remove its archive",
				j->id);
		j->status = EXPORT_DOWNLOADED;
	}
	pthread_mutex_unlock(&x->mu);
}
