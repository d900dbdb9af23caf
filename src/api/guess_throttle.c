/* guess_throttle.c — throttling guesses at passwords and codes (guess_throttle.h). */
#include "api/guess_throttle.h"

#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/system_audit.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/reply.h"

static const struct guess_limits limits = {
    .address_window = THROTTLE_WINDOW_S,
    .device = {THROTTLE_DEVICE_MAX, THROTTLE_DEVICE_WINDOW_S},
    .devices = {THROTTLE_DEVICES_MAX, THROTTLE_DEVICE_WINDOW_S},
    .codes = {THROTTLE_CODE_MAX, THROTTLE_CODE_WINDOW_S},
};

enum coffer_err guess_refuse(struct request *rq, const char *actor, const char *action,
			     const char *reason, int64_t wait)
{
	char msg[128];
	rq->retry_after = (unsigned int)wait;
	system_audit(rq, actor, action, "", "refused", reason);
	snprintf(msg, sizeof msg, "Too many %s; try again in %lld seconds.",
		 strcmp(reason, "throttled_codes") == 0 ? "wrong codes" : "failed attempts",
		 (long long)wait);
	enum coffer_err err = reply_error(rq, COFFER_ERR_THROTTLED, msg);
	return err == COFFER_OK ? COFFER_ERR_THROTTLED : err;
}

static const char *reason_of(enum throttle_reason why)
{
	return why == THROTTLE_ADDRESS ? "throttled_address" : "throttled_account";
}

/* The verdict on a guess by WHO at NOW (device cookie or not) into V. */
static enum coffer_err decide(struct request *rq, const struct guess_who *who, int64_t now,
			      struct throttle_verdict *v)
{
	struct guess_state s;
	enum coffer_err err = store_guess_get(rq->app->store, who, &limits, now, &s);
	if (err != COFFER_OK)
		return err;
	const struct throttle_counts c = {
	    .account_failures = s.untrusted.account_failures,
	    .account_last = s.untrusted.account_last,
	    .address_failures = s.untrusted.address_failures,
	    .address_last = s.untrusted.address_last,
	    .device = who->device != NULL,
	    .device_until = s.device_until,
	    .devices_until = s.devices_until,
	    .codes_until = s.codes_until,
	};
	throttle_decide(&c, now, v);
	return COFFER_OK;
}

static void count(struct request *rq, const struct guess_who *who, unsigned int flags)
{
	if (store_guess_fail(rq->app->store, who, flags, &limits, time_now()) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not count a failed attempt");
}

bool guess_throttled(struct request *rq, const char *account, const char *action,
		     enum coffer_err *err)
{
	const struct guess_who who = {account, rq->client_text, NULL, NULL};
	struct throttle_verdict v;
	*err = decide(rq, &who, time_now(), &v);
	if (*err != COFFER_OK)
		return true;
	if (v.wait == 0)
		return false;
	*err = guess_refuse(rq, account, action, reason_of(v.why), v.wait);
	return true;
}

void guess_failed(struct request *rq, const char *account)
{
	const struct guess_who who = {account, rq->client_text, NULL, NULL};
	count(rq, &who, STORE_GUESS_ADDRESS | STORE_GUESS_ACCOUNT);
}

static struct guess_who signin_who(const struct request *rq, const struct signin_guess *g)
{
	return (struct guess_who){g->account, rq->client_text, g->user_id,
				  g->has_device ? g->device.nonce : NULL};
}

/* store_guess_claim's decision: the verdict, and what a guess that may go ahead counts
 * against. */
static unsigned int decide_signin(const struct guess_state *s, int64_t now, void *ctx)
{
	struct signin_guess *g = ctx;
	const struct throttle_counts c = {
	    .account_failures = s->untrusted.account_failures,
	    .account_last = s->untrusted.account_last,
	    .address_failures = s->untrusted.address_failures,
	    .address_last = s->untrusted.address_last,
	    .device = g->has_device,
	    .device_until = s->device_until,
	    .devices_until = s->devices_until,
	    .codes_until = s->codes_until,
	};
	throttle_decide(&c, now, &g->verdict);
	g->account_failures = g->verdict.trusted ? 0 : s->untrusted.account_failures;
	g->address_failures = s->untrusted.address_failures;
	if (g->verdict.wait > 0)
		return 0;
	return STORE_GUESS_ADDRESS |
	       (g->verdict.trusted ? STORE_GUESS_DEVICE : STORE_GUESS_ACCOUNT);
}

bool signin_guess_throttled(struct request *rq, struct signin_guess *g, enum coffer_err *err)
{
	const struct guess_who who = signin_who(rq, g);
	*err = store_guess_claim(rq->app->store, &who, &limits, time_now(), decide_signin, g,
				 &g->claim);
	if (*err != COFFER_OK)
		return true;
	if (g->verdict.wait == 0)
		return false;
	*err = guess_refuse(rq, g->account, "login", reason_of(g->verdict.why), g->verdict.wait);
	return true;
}

void signin_guess_failed(struct request *rq, struct signin_guess *g, bool wrong_code)
{
	const struct guess_who who = signin_who(rq, g);
	bool code = wrong_code && !g->verdict.trusted && g->user_id != NULL;
	g->settled = true;
	if (store_guess_confirm(rq->app->store, &who, &g->claim, code ? STORE_GUESS_CODE : 0,
				&limits, time_now()) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not count a failed attempt");
}

void signin_guess_done(struct request *rq, struct signin_guess *g)
{
	const struct guess_who who = signin_who(rq, g);
	if (g->settled || g->claim.flags == 0)
		return;
	g->settled = true;
	if (store_guess_forgive(rq->app->store, &who, &g->claim) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not take back a counted attempt");
}

void signin_guess_succeeded(struct request *rq, struct signin_guess *g)
{
	signin_guess_done(rq, g);
	if (!g->verdict.trusted && store_throttle_reset(rq->app->store, g->account) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not reset a throttle count");
}

bool code_guess_throttled(struct request *rq, const char *user_id, const char *action,
			  enum coffer_err *err)
{
	const struct guess_who who = {NULL, rq->client_text, user_id, NULL};
	struct throttle_verdict v;
	int64_t now = time_now();
	*err = decide(rq, &who, now, &v);
	if (*err != COFFER_OK)
		return true;
	if (v.wait > 0)
		*err = guess_refuse(rq, user_id, action, reason_of(v.why), v.wait);
	else if (v.codes_wait > 0)
		*err = guess_refuse(rq, user_id, action, "throttled_codes", v.codes_wait);
	else
		return false;
	return true;
}

void code_guess_failed(struct request *rq, const char *user_id)
{
	const struct guess_who who = {NULL, rq->client_text, user_id, NULL};
	count(rq, &who, STORE_GUESS_ADDRESS | STORE_GUESS_CODE);
}
