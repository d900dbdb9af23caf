/* guess_throttle.c — throttling password guesses (guess_throttle.h). */
#include "api/guess_throttle.h"

#include <stdio.h>

#include "api/app.h"
#include "api/system_audit.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/reply.h"
#include "signin/throttle.h"

bool guess_throttled(struct request *rq, const char *account, const char *action,
		     enum coffer_err *err)
{
	struct throttle_state t;
	char msg[128];
	int64_t now = time_now();
	*err = store_throttle_get(rq->app->store, account, rq->client_text, now, THROTTLE_WINDOW_S,
				  &t);
	if (*err != COFFER_OK)
		return true;
	int64_t wait =
	    throttle_wait(t.account_failures, t.account_last, THROTTLE_FREE_FAILURES, now);
	int64_t wait_addr =
	    throttle_wait(t.address_failures, t.address_last, THROTTLE_ADDRESS_FREE + 1, now);
	if (wait == 0 && wait_addr == 0)
		return false;
	if (wait_addr > wait)
		wait = wait_addr;
	rq->retry_after = (unsigned int)wait;
	system_audit(rq, account, action, "", "refused",
		     wait_addr >= wait ? "throttled_address" : "throttled_account");
	snprintf(msg, sizeof msg, "Too many failed attempts; try again in %lld seconds.",
		 (long long)wait);
	*err = reply_error(rq, COFFER_ERR_THROTTLED, msg);
	if (*err == COFFER_OK)
		*err = COFFER_ERR_THROTTLED;
	return true;
}

void guess_failed(struct request *rq, const char *account)
{
	if (store_throttle_fail(rq->app->store, account, rq->client_text, time_now(),
				THROTTLE_WINDOW_S) != COFFER_OK)
		log_msg(LOG_ERROR, "throttle", "could not count a failed attempt");
}
