/* nightly.c — the server's backup runner (see nightly.h). */
#include "backup/nightly.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/backup.h"
#include "backup/catalog.h"
#include "backup/keyd_keys.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "metrics/metrics.h"
#include "signin/tz.h"

struct backup_nightly {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool started, stopping, asked;
	atomic_bool cancel; /* set when the server stops: a run in progress gives up */
	struct keyd_client *keyd;
	char data_dir[PATH_MAX];
	struct backup_status status; /* under MU */
};

enum coffer_err backup_next_run(const char *zone, unsigned int at, int64_t now, int64_t *next)
{
	struct tz_local prev, cur;
	int64_t t = now - now % 60 + 60;
	enum coffer_err err = tz_local_time(zone, t - 60, &prev);
	/* Two days of minutes always hold the next crossing, whatever the zone's shifts. */
	for (int i = 0; err == COFFER_OK && i < 2 * 1441; i++, t += 60) {
		err = tz_local_time(zone, t, &cur);
		if (err != COFFER_OK)
			break;
		bool crossed = cur.minute_of_day == (int)at ||
			       (prev.minute_of_day < (int)at && (int)at < cur.minute_of_day);
		if (crossed && cur.minute_of_day != prev.minute_of_day) {
			*next = t;
			return COFFER_OK;
		}
		prev = cur;
	}
	return err == COFFER_OK ? COFFER_ERR_INTERNAL : err;
}

enum coffer_err backup_nightly_new(const char *data_dir, const struct coffer_config *cfg,
				   struct keyd_client *keyd, struct backup_nightly **out)
{
	if (!tz_name_valid(cfg->backup_time_zone))
		return COFFER_ERR_CONFIG;
	struct backup_nightly *n = calloc(1, sizeof *n);
	if (n == NULL)
		return COFFER_ERR_NOMEM;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	n->keyd = keyd;
	snprintf(n->data_dir, sizeof n->data_dir, "%s", data_dir);
	if (cfg->backup_dir[0] == '/')
		snprintf(n->status.dir, sizeof n->status.dir, "%s", cfg->backup_dir);
	else
		snprintf(n->status.dir, sizeof n->status.dir, "%.2048s/%.1024s", data_dir,
			 cfg->backup_dir);
	/* The metrics' last success: the newest snapshot kept, each having been verified when it
	 * was made, so that a restart does not look like a backup missed. */
	struct backup_entry *kept = NULL;
	size_t n_kept = 0;
	if (backup_catalog_list(n->status.dir, &kept, &n_kept) == COFFER_OK && n_kept > 0)
		metrics_backup_succeeded(kept[0].time, kept[0].size);
	free(kept);
	n->status.at = cfg->backup_at;
	n->status.keep_days = cfg->backup_keep_days;
	snprintf(n->status.zone, sizeof n->status.zone, "%s", cfg->backup_time_zone);
	if (backup_next_run(n->status.zone, n->status.at, time_now(), &n->status.next_run) !=
	    COFFER_OK) {
		backup_nightly_free(n);
		return COFFER_ERR_CONFIG;
	}
	*out = n;
	return COFFER_OK;
}

static void note_failure(struct backup_nightly *n, int64_t when, const char *why)
{
	struct backup_status *s = &n->status;
	log_msg(LOG_ERROR, "backup",
		"the backup of %s failed: %s; it is tried again at the next "
		"run",
		n->data_dir, why);
	pthread_mutex_lock(&n->mu);
	memmove(&s->failures[1], &s->failures[0],
		(BACKUP_FAILURES_KEPT - 1) * sizeof s->failures[0]);
	s->failures[0].time = when;
	snprintf(s->failures[0].why, sizeof s->failures[0].why, "%.255s", why);
	if (s->n_failures < BACKUP_FAILURES_KEPT)
		s->n_failures++;
	pthread_mutex_unlock(&n->mu);
}

/* One run: a snapshot, verified, then the old ones pruned. */
static void run_once(struct backup_nightly *n)
{
	struct backup_keyd_keys *kk = NULL;
	struct backup_keys keys;
	struct backup_made made;
	struct backup_problem problem = {0};
	char why[512];
	int64_t now = time_now();
	size_t removed = 0;
	enum coffer_err err = backup_keyd_keys_begin(n->keyd, &kk, &keys);
	if (err == COFFER_OK)
		err = backup_create(n->data_dir, n->status.dir, now, &keys, &n->cancel, &made,
				    &problem);
	backup_keyd_keys_end(kk);
	if (err != COFFER_OK) {
		if (problem.why[0] != '\0')
			snprintf(why, sizeof why, "the snapshot did not verify: %s %s",
				 problem.member, problem.why);
		else if (err == COFFER_ERR_EXISTS)
			snprintf(why, sizeof why, "another backup of this deployment was running");
		else
			snprintf(why, sizeof why, "%s (%s)", coffer_err_info(err)->message,
				 coffer_err_info(err)->code);
		note_failure(n, now, why);
		return;
	}
	log_event(LOG_INFO, "backup",
		  json_pack("{s:s,s:I,s:I,s:i}", "snapshot", made.path, "bytes",
			    (json_int_t)made.size, "content", (json_int_t)made.content, "members",
			    (json_int_t)made.members));
	pthread_mutex_lock(&n->mu);
	n->status.last_success = made.time;
	n->status.last_success_size = (int64_t)made.size;
	metrics_backup_succeeded(made.time, made.size);
	const char *base = strrchr(made.path, '/');
	snprintf(n->status.last_success_name, sizeof n->status.last_success_name, "%.34s",
		 base != NULL ? base + 1 : made.path);
	pthread_mutex_unlock(&n->mu);
	if (backup_catalog_prune(n->status.dir, now, n->status.keep_days, &removed) != COFFER_OK)
		log_msg(LOG_ERROR, "backup", "cannot prune the snapshots in %s", n->status.dir);
}

static void *runner(void *arg)
{
	struct backup_nightly *n = arg;
	pthread_mutex_lock(&n->mu);
	while (!n->stopping) {
		int64_t now = time_now();
		if (!n->asked && now < n->status.next_run) {
			struct timespec until = {.tv_sec = (time_t)n->status.next_run};
			int rc = pthread_cond_timedwait(&n->cv, &n->mu, &until);
			(void)rc; /* woken, timed out or interrupted: look again */
			continue;
		}
		n->asked = false;
		n->status.running = true;
		pthread_mutex_unlock(&n->mu);
		run_once(n);
		pthread_mutex_lock(&n->mu);
		n->status.running = false;
		int64_t next = 0;
		if (backup_next_run(n->status.zone, n->status.at, time_now(), &next) == COFFER_OK)
			n->status.next_run = next;
		else
			n->status.next_run = time_now() + 86400;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

enum coffer_err backup_nightly_start(struct backup_nightly *n)
{
	if (pthread_create(&n->thread, NULL, runner, n) != 0)
		return COFFER_ERR_NOMEM;
	n->started = true;
	return COFFER_OK;
}

enum coffer_err backup_nightly_run_now(struct backup_nightly *n)
{
	enum coffer_err err = COFFER_OK;
	pthread_mutex_lock(&n->mu);
	if (n->status.running || n->asked)
		err = COFFER_ERR_EXISTS;
	else
		n->asked = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return err;
}

void backup_nightly_status(struct backup_nightly *n, struct backup_status *out)
{
	pthread_mutex_lock(&n->mu);
	*out = n->status;
	out->running = n->status.running || n->asked;
	pthread_mutex_unlock(&n->mu);
}

void backup_nightly_free(struct backup_nightly *n)
{
	if (n == NULL)
		return;
	if (n->started) {
		atomic_store(&n->cancel, true);
		pthread_mutex_lock(&n->mu);
		n->stopping = true;
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->thread, NULL);
	}
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
