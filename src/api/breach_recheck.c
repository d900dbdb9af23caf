/* breach_recheck.c — asking keyd whether a session's password is in the breached-password list
 * (breach_recheck.h). */
#include "api/breach_recheck.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "keyclient/keyclient.h"
#include "signin/breached.h"

#define VERDICT_SLOTS	 1024 /* users whose verdict is kept; more are asked again */
#define HANDOVER_RETRY_S 60   /* a hand-over keyd refused is tried again after this */

/* keyd's verdict on one account version, for one of keyd's lists. */
struct verdict_slot {
	char user_id[STORE_ID_MAX + 1];
	uint64_t account_version;
	uint64_t keyd_generation;
	enum keyd_breach_verdict verdict;
	bool used;
};

static struct {
	pthread_mutex_t mu;
	const struct coffer_app *app; /* the state below is this app's */
	uint64_t handed;	      /* the web process's list generation keyd has (0: none) */
	uint64_t keyd_generation;     /* keyd's generation of that list */
	uint64_t tried;		      /* the generation last offered, and when */
	int64_t tried_at;
	struct verdict_slot slots[VERDICT_SLOTS];
} state = {.mu = PTHREAD_MUTEX_INITIALIZER};

static size_t slot_of(const char *user_id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const char *p = user_id; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h % VERDICT_SLOTS;
}

/* Hands keyd the list of generation WANT, unless it has it or was offered it a moment ago.
 * Called with state.mu held. */
static void hand_over(struct request *rq, uint64_t want, int64_t now)
{
	int fd = -1;
	uint64_t generation = 0, keyd_generation = 0;
	if (state.handed == want ||
	    (state.tried == want && now - state.tried_at < HANDOVER_RETRY_S))
		return;
	state.tried = want;
	state.tried_at = now;
	enum coffer_err err = breached_db_dup(rq->app->breached, &fd, &generation);
	if (err == COFFER_OK) {
		err = keyd_breach_list(rq->app->keyd, fd, &keyd_generation);
		close(fd);
	}
	if (err != COFFER_OK) {
		log_event(LOG_WARN, "breached_list_handover",
			  json_pack("{s:s}", "error", coffer_err_info(err)->code));
		return;
	}
	state.handed = generation;
	state.keyd_generation = keyd_generation;
	log_event(LOG_INFO, "breached_list_handover",
		  json_pack("{s:I}", "keyd_generation", (json_int_t)keyd_generation));
}

enum coffer_err breach_recheck(struct request *rq, const struct caller *c, bool *breached)
{
	*breached = false;
	if (rq->app->breached == NULL || rq->app->keyd == NULL)
		return COFFER_OK;
	uint64_t want = breached_db_generation(rq->app->breached);
	if (want == 0)
		return COFFER_OK; /* no list configured */

	struct verdict_slot *slot = &state.slots[slot_of(c->user.id)];
	bool known = false;
	enum keyd_breach_verdict verdict = KEYD_BREACH_NO_LIST;
	pthread_mutex_lock(&state.mu);
	if (state.app != rq->app) {
		memset(state.slots, 0, sizeof state.slots);
		state.app = rq->app;
		state.handed = state.keyd_generation = state.tried = 0;
		state.tried_at = 0;
	}
	hand_over(rq, want, time_now());
	uint64_t current = state.keyd_generation;
	if (slot->used && strcmp(slot->user_id, c->user.id) == 0 &&
	    slot->account_version == c->user.account_version && slot->keyd_generation >= current) {
		known = true;
		verdict = slot->verdict;
	}
	pthread_mutex_unlock(&state.mu);
	if (current == 0)
		return COFFER_OK; /* keyd has no list yet */

	if (!known) {
		struct keyd_session ks;
		uint64_t generation = 0;
		caller_keyd_session(c, &ks);
		enum coffer_err err = keyd_breach_check(rq->app->keyd, &ks, c->user.account,
							c->user.account_len, &verdict, &generation);
		if (err != COFFER_OK) {
			log_event(LOG_WARN, "breach_check",
				  json_pack("{s:s}", "error", coffer_err_info(err)->code));
			return COFFER_OK;
		}
		pthread_mutex_lock(&state.mu);
		if (state.app == rq->app) {
			memcpy(slot->user_id, c->user.id, sizeof slot->user_id);
			slot->account_version = c->user.account_version;
			slot->keyd_generation = generation;
			slot->verdict = verdict;
			slot->used = true;
		}
		pthread_mutex_unlock(&state.mu);
	}
	*breached = verdict == KEYD_BREACH_FOUND;
	return COFFER_OK;
}
