/* keeper.c — the checkpoint keeper's thread and its set of chains waiting (keeper.h). */
#include "audit/keeper.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

struct audit_keeper {
	audit_keeper_store_fn store;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;    /* something noted, or stopping */
	pthread_cond_t round; /* a write finished */
	struct audit_checkpoint *waiting;
	size_t n, cap;
	uint64_t noted, stored; /* notes counted, and how many of them are stored */
	enum coffer_err last;	/* the outcome of the last write */
	bool stopping;
	bool hurry; /* someone waits in audit_keeper_sync: write now */
	bool idle;  /* the thread waits for something to be noted */
};

void audit_keeper_note(void *void_keeper, const struct audit_checkpoint *cp)
{
	struct audit_keeper *k = void_keeper;
	pthread_mutex_lock(&k->mu);
	size_t i = 0;
	while (i < k->n && strcmp(k->waiting[i].chain, cp->chain) != 0)
		i++;
	if (i == k->n && k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct audit_checkpoint *more = realloc(k->waiting, cap * sizeof *more);
		if (more == NULL) {
			pthread_mutex_unlock(&k->mu);
			log_msg(LOG_ERROR, "audit", "no memory to keep a checkpoint of %s",
				cp->chain);
			return;
		}
		k->waiting = more;
		k->cap = cap;
	}
	/* Appends commit in seq order, but may report out of it: keep the furthest. */
	if (i == k->n)
		k->waiting[k->n++] = *cp;
	else if (cp->seq >= k->waiting[i].seq)
		k->waiting[i] = *cp;
	k->noted++;
	/* Between writes the thread waits out the interval: a note then only waits for it, and
	 * waking the thread for each would cost a switch per commit under load. */
	if (k->idle)
		pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static void *run(void *arg)
{
	struct audit_keeper *k = arg;
	pthread_mutex_lock(&k->mu);
	for (;;) {
		k->idle = true;
		while (k->n == 0 && !k->stopping)
			pthread_cond_wait(&k->cv, &k->mu);
		k->idle = false;
		if (k->n == 0)
			break; /* stopping, and nothing left */
		struct audit_checkpoint *batch = k->waiting;
		size_t n = k->n;
		uint64_t upto = k->noted;
		k->waiting = NULL;
		k->n = k->cap = 0;
		pthread_mutex_unlock(&k->mu);
		enum coffer_err err = k->store(k->ctx, batch, n);
		if (err != COFFER_OK)
			log_msg(LOG_ERROR, "audit", "cannot store %zu audit checkpoint(s): %s", n,
				coffer_err_info(err)->code);
		free(batch);
		pthread_mutex_lock(&k->mu);
		k->stored = upto;
		k->last = err;
		pthread_cond_broadcast(&k->round);
		/* At most one write per AUDIT_KEEPER_INTERVAL_MS: under load the checkpoints of
		 * many commits then share one, instead of a write (and fsync) per commit. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += AUDIT_KEEPER_INTERVAL_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!k->stopping && !k->hurry &&
		       pthread_cond_timedwait(&k->cv, &k->mu, &until) != ETIMEDOUT) {
		}
		k->hurry = false;
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

enum coffer_err audit_keeper_start(audit_keeper_store_fn store, void *ctx,
				   struct audit_keeper **out)
{
	struct audit_keeper *k = calloc(1, sizeof *k);
	if (k == NULL)
		return COFFER_ERR_NOMEM;
	k->store = store;
	k->ctx = ctx;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	pthread_cond_init(&k->round, NULL);
	if (pthread_create(&k->thread, NULL, run, k) != 0) {
		pthread_cond_destroy(&k->round);
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		free(k);
		return COFFER_ERR_INTERNAL;
	}
	*out = k;
	return COFFER_OK;
}

enum coffer_err audit_keeper_sync(struct audit_keeper *k)
{
	pthread_mutex_lock(&k->mu);
	uint64_t want = k->noted;
	if (k->stored < want) {
		k->hurry = true;
		pthread_cond_signal(&k->cv);
	}
	while (k->stored < want)
		pthread_cond_wait(&k->round, &k->mu);
	enum coffer_err err = k->last;
	pthread_mutex_unlock(&k->mu);
	return err;
}

void audit_keeper_stop(struct audit_keeper *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	k->stopping = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	free(k->waiting);
	pthread_cond_destroy(&k->round);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
