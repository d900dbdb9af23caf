/* throttle.c — the doubling wait, and the verdict on one guess (throttle.h). */
#include "signin/throttle.h"

int64_t throttle_wait(uint32_t failures, int64_t last, uint32_t free_failures, int64_t now)
{
	if (failures < free_failures || failures == 0)
		return 0;
	uint32_t doublings = failures - free_failures; /* 0 → 1 s, 1 → 2 s, ... */
	int64_t delay = doublings >= 10 ? THROTTLE_CAP_S : (int64_t)1 << doublings;
	if (delay > THROTTLE_CAP_S)
		delay = THROTTLE_CAP_S;
	/* Times are whole seconds: a failure stamped LAST happened somewhere in [LAST, LAST + 1),
	 * so a wait of DELAY seconds from it is sure to have passed only at LAST + 1 + DELAY. */
	int64_t until = last + 1 + delay;
	return until > now ? until - now : 0;
}

/* Seconds until a window that is full until UNTIL has room again; UNTIL, a whole-second
 * stamp plus the window's length, is sure to have passed only a second later. */
static int64_t window_wait(int64_t until, int64_t now)
{
	if (until == 0)
		return 0;
	return until + 1 > now ? until + 1 - now : 0;
}

void throttle_decide(const struct throttle_counts *c, int64_t now, struct throttle_verdict *out)
{
	/* OWASP's device cookies: a cookie that has failed too often, or whose account's
	 * cookies together have, is no longer trusted; it is then an untrusted client. */
	out->trusted = c->device && window_wait(c->device_until, now) == 0 &&
		       window_wait(c->devices_until, now) == 0;
	int64_t account = out->trusted ? 0
				       : throttle_wait(c->account_failures, c->account_last,
						       THROTTLE_FREE_FAILURES, now);
	/* "More than THROTTLE_ADDRESS_FREE": the first that many plus one cost nothing. */
	int64_t address =
	    throttle_wait(c->address_failures, c->address_last, THROTTLE_ADDRESS_FREE + 1, now);
	out->wait = account > address ? account : address;
	out->why = out->wait == 0	? THROTTLE_GO
		   : address >= account ? THROTTLE_ADDRESS
					: THROTTLE_ACCOUNT;
	out->codes_wait = out->trusted ? 0 : window_wait(c->codes_until, now);
}
