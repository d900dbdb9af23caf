/* batch.c — the audit group commit (batch.h). */
#include "audit/batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

struct item {
	struct item *next;
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	struct audit_entry entry;
	audit_done_fn done;
	void *ctx;
};

struct audit_batch {
	pthread_mutex_t mu;
	pthread_cond_t ready;
	struct item *head, *tail;
	size_t len;
	bool stopping;
	bool steady; /* entries arrived while the last round committed */
	void (*gather)(void *ctx);
	void *gather_ctx;
	audit_commit_fn commit;
	void *commit_ctx;
	pthread_t thread;
	struct audit_entry *scratch; /* one chain's entries of a round, contiguous */
};

/* Takes up to AUDIT_BATCH_ROUND_MAX queued items, in order. */
static struct item *take_round(struct audit_batch *b)
{
	struct item *first = b->head, *last = b->head;
	size_t n = 1;
	while (last->next != NULL && n < AUDIT_BATCH_ROUND_MAX) {
		last = last->next;
		n++;
	}
	b->head = last->next;
	if (b->head == NULL)
		b->tail = NULL;
	b->len -= n;
	last->next = NULL;
	return first;
}

/* Commits ROUND chain by chain (each chain's entries in their order of submission), then tells
 * every submitter. Items are marked done by clearing their chain. */
static void commit_round(struct audit_batch *b, struct item *round)
{
	for (struct item *lead = round; lead != NULL; lead = lead->next) {
		if (lead->chain[0] == '\0')
			continue;
		size_t n = 0;
		for (struct item *it = lead; it != NULL; it = it->next) {
			if (strcmp(it->chain, lead->chain) == 0)
				b->scratch[n++] = it->entry;
		}
		enum coffer_err err = b->commit(b->commit_ctx, lead->chain, b->scratch, n);
		if (err != COFFER_OK)
			log_msg(LOG_ERROR, "audit",
				"cannot append %zu entries to an audit chain: %s", n,
				coffer_err_info(err)->message);
		char chain[AUDIT_CHAIN_ID_MAX + 1];
		memcpy(chain, lead->chain, sizeof chain);
		for (struct item *it = lead; it != NULL; it = it->next) {
			if (strcmp(it->chain, chain) != 0)
				continue;
			it->chain[0] = '\0';
			if (it->done != NULL)
				it->done(it->ctx, err);
		}
	}
	while (round != NULL) {
		struct item *next = round->next;
		free(round);
		round = next;
	}
}

/* Under steady load, a round waits AUDIT_BATCH_GATHER_US for more entries before it commits:
 * each round costs a transaction, a key service call and an fsync however few entries it
 * holds, and the submitters that wait the longer are few against those that share the
 * round. The submitters do not wake the thread meanwhile (nobody waits on the condition). */
static void gather(void *ctx)
{
	(void)ctx;
	struct timespec ts = {0, AUDIT_BATCH_GATHER_US * 1000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *batch_main(void *arg)
{
	struct audit_batch *b = arg;
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->head == NULL && !b->stopping)
			pthread_cond_wait(&b->ready, &b->mu);
		if (b->head == NULL)
			break; /* stopping, and everything committed */
		if (b->steady && b->len < AUDIT_BATCH_GATHER_MIN && !b->stopping) {
			pthread_mutex_unlock(&b->mu);
			b->gather(b->gather_ctx);
			pthread_mutex_lock(&b->mu);
		}
		struct item *round = take_round(b);
		pthread_mutex_unlock(&b->mu);
		commit_round(b, round);
		pthread_mutex_lock(&b->mu);
		b->steady = b->head != NULL;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

enum coffer_err audit_batch_start(audit_commit_fn commit, void *commit_ctx,
				  struct audit_batch **out)
{
	struct audit_batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return COFFER_ERR_NOMEM;
	b->scratch = calloc(AUDIT_BATCH_ROUND_MAX, sizeof *b->scratch);
	if (b->scratch == NULL) {
		free(b);
		return COFFER_ERR_NOMEM;
	}
	b->commit = commit;
	b->commit_ctx = commit_ctx;
	b->gather = gather;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->ready, NULL);
	if (pthread_create(&b->thread, NULL, batch_main, b) != 0) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->ready);
		free(b->scratch);
		free(b);
		return COFFER_ERR_NOMEM;
	}
	*out = b;
	return COFFER_OK;
}

bool audit_batch_submit(struct audit_batch *b, const char *chain, const struct audit_entry *e,
			audit_done_fn done, void *ctx)
{
	size_t len = strnlen(chain, AUDIT_CHAIN_ID_MAX + 1);
	if (len == 0 || len > AUDIT_CHAIN_ID_MAX)
		return false;
	struct item *it = malloc(sizeof *it);
	if (it == NULL)
		return false;
	it->next = NULL;
	memcpy(it->chain, chain, len + 1);
	it->entry = *e;
	it->done = done;
	it->ctx = ctx;
	bool queued = false;
	pthread_mutex_lock(&b->mu);
	if (!b->stopping && b->len < AUDIT_BATCH_QUEUE_MAX) {
		if (b->tail != NULL)
			b->tail->next = it;
		else
			b->head = it;
		b->tail = it;
		b->len++;
		queued = true;
		pthread_cond_signal(&b->ready);
	}
	pthread_mutex_unlock(&b->mu);
	if (!queued)
		free(it);
	return queued;
}

void audit_batch_set_gather(struct audit_batch *b, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&b->mu);
	b->gather = fn;
	b->gather_ctx = ctx;
	pthread_mutex_unlock(&b->mu);
}

void audit_batch_stop(struct audit_batch *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	pthread_cond_broadcast(&b->ready);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->ready);
	free(b->scratch);
	free(b);
}
