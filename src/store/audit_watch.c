/* audit_watch.c — serve's audit signer, checkpoint keeper and daily verification
 * (audit_watch.h). */
#include "store/audit_watch.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/keeper.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "metrics/metrics.h"
#include "store/audit_check.h"

struct audit_watch {
	struct store *st;
	audit_broken_fn broken;
	struct audit_keeper *keeper;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
};

static enum coffer_err store_checkpoints(void *ctx, const struct audit_checkpoint *cps, size_t n)
{
	return store_audit_checkpoints_put(ctx, cps, n);
}

static void report(void *ctx, const struct audit_chain_report *r)
{
	char why[256];
	if (r->verdict == AUDIT_INTACT)
		return;
	audit_verdict_explain(r->verdict, r->walk, r->checkpoint, why, sizeof why);
	const struct audit_watch *w = ctx;
	if (w->broken != NULL)
		w->broken(r->chain, why);
	log_event(LOG_ERROR, "audit_verify",
		  json_pack("{s:s,s:s,s:s}", "chain", r->chain, "verdict",
			    audit_verdict_name(r->verdict), "msg", why));
}

static void verify_all(struct audit_watch *w)
{
	uint64_t entries = 0;
	size_t bad = 0;
	enum coffer_err err = audit_check_chains(w->st, NULL, report, w, &entries, &bad);
	if (err != COFFER_OK)
		log_event(LOG_ERROR, "audit_verify",
			  json_pack("{s:s,s:s}", "msg", "cannot read the audit chains", "error",
				    coffer_err_info(err)->code));
	else
		metrics_audit_verified(time_now(), bad);
	if (err == COFFER_OK)
		log_event(bad ? LOG_ERROR : LOG_INFO, "audit_verify",
			  json_pack("{s:I,s:I}", "entries", (json_int_t)entries,
				    "chains_not_intact", (json_int_t)bad));
}

static void *run(void *arg)
{
	struct audit_watch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		pthread_mutex_unlock(&w->mu);
		verify_all(w);
		pthread_mutex_lock(&w->mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += AUDIT_WATCH_PERIOD_S;
		while (!w->stopping &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum coffer_err audit_watch_start(struct store *st, const struct audit_signer *signer,
				  audit_broken_fn broken, struct audit_watch **out)
{
	struct audit_watch *w = calloc(1, sizeof *w);
	if (w == NULL)
		return COFFER_ERR_NOMEM;
	w->st = st;
	w->broken = broken;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	enum coffer_err err = audit_keeper_start(store_checkpoints, st, &w->keeper);
	if (err != COFFER_OK) {
		audit_watch_stop(w);
		return err;
	}
	audit_signer_install(signer, audit_keeper_note, w->keeper);
	size_t chains = 0;
	err = audit_upgrade_chains(st, &chains);
	if (err == COFFER_OK && chains > 0)
		log_event(LOG_INFO, "audit_upgrade",
			  json_pack("{s:I}", "chains_linked", (json_int_t)chains));
	/* A chain that cannot be re-linked is reported by the verification, and serving goes
	 * on: what it holds is evidence, and stopping would not make it less so. */
	if (err != COFFER_OK)
		log_event(LOG_ERROR, "audit_upgrade",
			  json_pack("{s:s,s:s}", "msg", "the audit chains were not all re-linked",
				    "error", coffer_err_info(err)->code));
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		audit_watch_stop(w);
		return COFFER_ERR_INTERNAL;
	}
	w->running = true;
	*out = w;
	return COFFER_OK;
}

void audit_watch_stop(struct audit_watch *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stopping = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	audit_signer_install(NULL, NULL, NULL);
	audit_keeper_stop(w->keeper); /* stores what it still holds */
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
