/* org_reaper.c — finishing organisations' deletions in the background (org_reaper.h). */
#include "store/org_reaper.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "store/org_shred.h"

#define DUE_PER_ROUND 64 /* more wait for the next round, an hour later at most */

struct org_reaper {
	struct store *st;
	struct blob_store *blobs;
	struct org_cache *cache;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled to stop */
	bool stop;
	pthread_t thread;
};

static bool stopping(struct org_reaper *r)
{
	pthread_mutex_lock(&r->mu);
	bool stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

static void round_once(struct org_reaper *r)
{
	char ids[DUE_PER_ROUND][STORE_ID_MAX + 1];
	size_t n = 0;
	enum coffer_err err = store_orgs_deletion_due(r->st, time_now(), ids, DUE_PER_ROUND, &n);
	if (err != COFFER_OK) {
		log_msg(LOG_WARN, "org_reaper", "cannot list the deletions due: %s",
			coffer_err_info(err)->message);
		return;
	}
	for (size_t i = 0; i < n && !stopping(r); i++) {
		/* org_shred logs its outcome; a failure is tried again next round */
		err = org_shred(r->st, r->blobs, r->cache, ids[i], "scheduler");
		(void)err;
	}
}

static void *reaper_main(void *arg)
{
	struct org_reaper *r = arg;
	for (;;) {
		round_once(r);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ORG_REAPER_INTERVAL_S;
		pthread_mutex_lock(&r->mu);
		while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
			;
		bool stop = r->stop;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			break;
	}
	return NULL;
}

enum coffer_err org_reaper_start(struct store *st, struct blob_store *blobs,
				 struct org_cache *cache, struct org_reaper **out)
{
	struct org_reaper *r = calloc(1, sizeof *r);
	if (r == NULL)
		return COFFER_ERR_NOMEM;
	r->st = st;
	r->blobs = blobs;
	r->cache = cache;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, reaper_main, r) != 0) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return COFFER_ERR_NOMEM;
	}
	*out = r;
	return COFFER_OK;
}

void org_reaper_stop(struct org_reaper *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
