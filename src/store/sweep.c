/* sweep.c — the start-up sweep of orphaned blobs (sweep.h). */
#include "store/sweep.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "store/blobs.h"

struct sweep {
	struct blob_store *blobs;
	struct store *st;
	struct org_cache *cache;
	int64_t before_ns;
	atomic_bool stop;
	pthread_t thread;
};

static bool is_recorded(void *ctx, const char *file_id)
{
	bool exists = true; /* when in doubt, keep */
	if (store_file_exists(ctx, file_id, &exists) != COFFER_OK)
		return true;
	return exists;
}

static void sweep_org(struct sweep *s, const char *org_id, size_t *removed)
{
	struct org_db *odb = NULL;
	if (store_org_borrow(s->cache, org_id, false, &odb) != COFFER_OK)
		return; /* no database yet: no files either */
	size_t n = 0;
	enum coffer_err err = blob_sweep(s->blobs, org_id, s->before_ns, is_recorded, odb, &n);
	store_org_return(s->cache, odb);
	if (err != COFFER_OK)
		log_msg(LOG_WARN, "sweep", "organisation %s: the sweep stopped: %s", org_id,
			coffer_err_info(err)->message);
	*removed += n;
}

static void *sweep_main(void *arg)
{
	struct sweep *s = arg;
	struct org_record *orgs = NULL;
	size_t n = 0, removed = 0;
	if (store_orgs_list(s->st, &orgs, &n) != COFFER_OK) {
		log_msg(LOG_WARN, "sweep", "cannot list the organisations; no sweep this time");
		return NULL;
	}
	for (size_t i = 0; i < n && !atomic_load(&s->stop); i++)
		sweep_org(s, orgs[i].id, &removed);
	free(orgs);
	log_event(LOG_INFO, "sweep",
		  json_pack("{s:I,s:I}", "organisations", (json_int_t)n, "blobs_removed",
			    (json_int_t)removed));
	return NULL;
}

enum coffer_err sweep_start(struct blob_store *blobs, struct store *st, struct org_cache *cache,
			    struct sweep **out)
{
	struct sweep *s = calloc(1, sizeof *s);
	if (s == NULL)
		return COFFER_ERR_NOMEM;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s->blobs = blobs;
	s->st = st;
	s->cache = cache;
	s->before_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	atomic_init(&s->stop, false);
	if (pthread_create(&s->thread, NULL, sweep_main, s) != 0) {
		free(s);
		return COFFER_ERR_NOMEM;
	}
	*out = s;
	return COFFER_OK;
}

void sweep_stop(struct sweep *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	free(s);
}
