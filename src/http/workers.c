/* workers.c — the bounded job queue and its threads (workers.h). */
#include "http/workers.h"

#include <pthread.h>
#include <stdlib.h>

struct workers {
	pthread_mutex_t mu;
	pthread_cond_t ready;
	void **queue; /* a ring of CAP jobs */
	size_t cap, head, len;
	bool stopping;
	worker_fn run;
	void *ctx;
	unsigned int n_threads;
	pthread_t *threads;
};

static void workers_free(struct workers *w)
{
	free(w->queue);
	free(w->threads);
	free(w);
}

/* From here on the queue takes no job, and each thread ends once it finds the queue empty. */
static void refuse_jobs(struct workers *w)
{
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->ready);
	pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
	struct workers *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->len == 0 && !w->stopping)
			pthread_cond_wait(&w->ready, &w->mu);
		if (w->len == 0)
			break; /* stopping, and nothing left */
		void *job = w->queue[w->head];
		w->head = (w->head + 1) % w->cap;
		w->len--;
		pthread_mutex_unlock(&w->mu);
		w->run(w->ctx, job);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum coffer_err workers_start(unsigned int threads, size_t queue_cap, worker_fn run, void *ctx,
			      struct workers **out)
{
	if (threads == 0 || queue_cap == 0)
		return COFFER_ERR_INVALID_INPUT;
	struct workers *w = calloc(1, sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	w->queue = calloc(queue_cap, sizeof *w->queue);
	w->threads = calloc(threads, sizeof *w->threads);
	if (w->queue == NULL || w->threads == NULL) {
		workers_free(w);
		return COFFER_ERR_NOMEM;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->cap = queue_cap;
	w->run = run;
	w->ctx = ctx;
	for (; w->n_threads < threads; w->n_threads++) {
		if (pthread_create(&w->threads[w->n_threads], NULL, worker_main, w) != 0) {
			workers_stop(w);
			return COFFER_ERR_NOMEM;
		}
	}
	*out = w;
	return COFFER_OK;
}

bool workers_submit(struct workers *w, void *job)
{
	bool queued = false;
	pthread_mutex_lock(&w->mu);
	if (!w->stopping && w->len < w->cap) {
		w->queue[(w->head + w->len) % w->cap] = job;
		w->len++;
		queued = true;
		pthread_cond_signal(&w->ready);
	}
	pthread_mutex_unlock(&w->mu);
	return queued;
}

void workers_drain(struct workers *w)
{
	refuse_jobs(w);
	for (unsigned int i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	w->n_threads = 0; /* joined: a second drain has nothing to wait for */
}

void workers_stop(struct workers *w)
{
	if (w == NULL)
		return;
	workers_drain(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->ready);
	workers_free(w);
}
