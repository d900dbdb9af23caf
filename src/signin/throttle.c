/* throttle.c — the doubling wait (throttle.h). */
#include "signin/throttle.h"

int64_t throttle_wait(uint32_t failures, int64_t last, uint32_t free_failures, int64_t now)
{
	if (failures < free_failures || failures == 0)
		return 0;
	uint32_t doublings = failures - free_failures; /* 0 → 1 s, 1 → 2 s, ... */
	int64_t delay = doublings >= 10 ? THROTTLE_CAP_S : (int64_t)1 << doublings;
	if (delay > THROTTLE_CAP_S)
		delay = THROTTLE_CAP_S;
	int64_t until = last + delay;
	return until > now ? until - now : 0;
}
