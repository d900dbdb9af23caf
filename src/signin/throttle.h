/* throttle.h — how long a guess at a password or a TOTP code must wait after failures: pure
 * arithmetic on counts kept elsewhere (the system database), so that every rule is unit-tested
 * apart from storage, with a clock the tests choose.
 *
 * Per account (known or not), from untrusted clients: after THROTTLE_FREE_FAILURES consecutive
 * failures, attempts wait 1 s after the last failure, then 2 s, 4 s, ... doubling with each
 * further failure, never more than THROTTLE_CAP_S. Times are kept in whole seconds, so a wait
 * ends at the first whole second sure to be that long after the failure: a Retry-After of 1 s
 * reads 2 in the second the failure happened. Per address: more than THROTTLE_ADDRESS_FREE
 * failures in THROTTLE_WINDOW_S, whatever the accounts, waits the same way. Attempts refused for
 * waiting are not failures: they do not lengthen the wait, and the request thread is never
 * parked.
 *
 * Design points (issue 15: no lock-out by strangers; OWASP's "Slow Down Online Guessing
 * Attacks with Device Cookies"):
 * - A browser that signed in to the account before holds a device cookie (api/device_cookie.h).
 *   While that cookie stands, the account's wait above does not apply to it: whatever a
 *   stranger does to the account, its owner's known browser still signs in. The cookie has its
 *   own count instead: THROTTLE_DEVICE_MAX failures in THROTTLE_DEVICE_WINDOW_S and it stands
 *   no more (it is then an untrusted client like any other, until the window has moved on), and
 *   all of one account's cookies together THROTTLE_DEVICES_MAX in that window, which bounds
 *   what a forger of cookies (someone holding the key) could gain. The address rule applies to
 *   every client.
 * - Wrong TOTP codes after a right password, from untrusted clients, also fill a window of
 *   their own per account: after THROTTLE_CODE_MAX in THROTTLE_CODE_WINDOW_S, even the right
 *   code is refused until the window moves on, so that knowing the password does not buy
 *   unlimited one-in-a-million tries. Every failure counts towards the account's wait as well
 *   and answers the same 401, and a full code window is told (429) only to a request whose
 *   password and code were both right: anything else would tell a guesser whether the password
 *   was right.
 */
#ifndef COFFER_THROTTLE_H
#define COFFER_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define THROTTLE_FREE_FAILURES 3
#define THROTTLE_ADDRESS_FREE  20
#define THROTTLE_WINDOW_S      600
#define THROTTLE_CAP_S	       900

#define THROTTLE_DEVICE_MAX	 5
#define THROTTLE_DEVICES_MAX	 20
#define THROTTLE_DEVICE_WINDOW_S 3600
#define THROTTLE_CODE_MAX	 5
#define THROTTLE_CODE_WINDOW_S	 900

/* Seconds still to wait at NOW after FAILURES counted failures, the last in the second LAST,
 * when the first FREE of them cost nothing; 0 when an attempt may go ahead. */
int64_t throttle_wait(uint32_t failures, int64_t last, uint32_t free_failures, int64_t now);

/* What the counts say about one guess at an account. A window's "until" is when it stops being
 * full: the time of the MAX-th newest failure in it plus its length; 0 when it is not full. */
struct throttle_counts {
	uint32_t account_failures; /* consecutive, from untrusted clients */
	int64_t account_last;	   /* time of the last of them */
	uint32_t address_failures; /* from the client's address in THROTTLE_WINDOW_S */
	int64_t address_last;
	bool device;	       /* the request holds a valid device cookie of this account */
	int64_t device_until;  /* that cookie's window */
	int64_t devices_until; /* the window of all the account's cookies together */
	int64_t codes_until;   /* the account's window of wrong codes */
};

enum throttle_reason {
	THROTTLE_GO,	  /* no wait */
	THROTTLE_ACCOUNT, /* the account's wait for untrusted clients */
	THROTTLE_ADDRESS, /* the address's wait */
};

struct throttle_verdict {
	bool trusted; /* the device cookie stands: its failures count, not the account's */
	int64_t wait; /* seconds before this guess may go ahead; 0: now */
	enum throttle_reason why; /* which rule asked for WAIT (the longer one) */
	int64_t codes_wait; /* > 0: a right password and code is still refused for this long */
};

/* The verdict on a guess at NOW from C. */
void throttle_decide(const struct throttle_counts *c, int64_t now, struct throttle_verdict *out);

#endif
