/* throttle.h — how long a login must wait after failures: pure arithmetic,
 * so that the rule is unit-tested apart from the counts kept in storage.
 *
 * Per account (known or not): after THROTTLE_FREE_FAILURES consecutive failures, attempts
 * wait 1 s after the last failure, then 2 s, 4 s, ... doubling with each further failure, never
 * more than THROTTLE_CAP_S. Per address: more than THROTTLE_ADDRESS_FREE failures in
 * THROTTLE_WINDOW_S, whatever the accounts, waits the same way. Attempts refused for waiting are
 * not failures: they do not lengthen the wait, so nobody can lock a real user out for longer
 * than the cap, and the request thread is never parked.
 */
#ifndef COFFER_THROTTLE_H
#define COFFER_THROTTLE_H

#include <stdint.h>

#define THROTTLE_FREE_FAILURES 3
#define THROTTLE_ADDRESS_FREE  20
#define THROTTLE_WINDOW_S      600
#define THROTTLE_CAP_S	       900

/* Seconds still to wait at NOW after FAILURES counted failures, the last at LAST, when the
 * first FREE of them cost nothing; 0 when an attempt may go ahead. */
int64_t throttle_wait(uint32_t failures, int64_t last, uint32_t free_failures, int64_t now);

#endif
