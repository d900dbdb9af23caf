/* guess_throttle.h — slowing down guesses at passwords and TOTP codes (signin/throttle.h says
 * how long each must wait), from the counts in the system database: every server sees the same
 * counts. A guess that must wait is answered 429 with Retry-After at once, never by sleeping.
 *
 * Two ways in: guess_throttled/guess_failed for a password checked on its own (a password
 * change, joining an organisation with an existing account), which only ever count as an
 * untrusted client; and struct signin_guess for a sign-in, where a device cookie of the account
 * (device_cookie.h) gives the browser its own allowance, and wrong codes fill a window of their
 * own. code_guess_throttled/code_guess_failed limit a code confirmed on its own (an
 * invitation's TOTP enrolment).
 */
#ifndef COFFER_API_GUESS_THROTTLE_H
#define COFFER_API_GUESS_THROTTLE_H

#include <stdbool.h>

#include "api/device_cookie.h"
#include "common/err.h"
#include "http/request.h"
#include "signin/throttle.h"

/* Whether a guess at ACCOUNT's password must wait: then replies 429 with Retry-After, audits
 * ACTION as refused, sets *ERR and returns true. Also true, with *ERR set, when the counts
 * cannot be read. */
bool guess_throttled(struct request *rq, const char *account, const char *action,
		     enum coffer_err *err);

/* Counts one failed guess for ACCOUNT and the client's address. */
void guess_failed(struct request *rq, const char *account);

/* One sign-in attempt, as the throttle sees it. */
struct signin_guess {
	const char *account; /* the normalised email, known or not (borrowed) */
	const char *user_id; /* its user, NULL when unknown (borrowed) */
	bool has_device;     /* DEVICE is a valid device cookie of USER_ID */
	struct device_cookie device;
	struct throttle_verdict verdict; /* set by signin_guess_throttled */
	/* The failures counted before this attempt, set with VERDICT (the account's only for
	 * a client without a standing device cookie; alert_rules.h reads them). */
	uint32_t account_failures, address_failures;
	struct guess_claim claim; /* what it counted at once */
	bool settled;		  /* a failure, or taken back */
};

/* Whether the sign-in G must wait (as guess_throttled does, auditing "login"); decides
 * G->verdict, which the calls below follow. When it may go ahead it is counted as a failure at
 * once, in the same transaction as the decision (against its device cookie when that stands,
 * else the account; and the address), so that a burst of guesses sent together is judged one
 * by one; what turns out not to be a failure is taken back (signin_guess_done). */
bool signin_guess_throttled(struct request *rq, struct signin_guess *g, enum coffer_err *err);

/* The sign-in failed: it stays counted, its wait running from now; WRONG_CODE (a right
 * password with a wrong or reused code) from an untrusted client also counts in the account's
 * window of codes. */
void signin_guess_failed(struct request *rq, struct signin_guess *g, bool wrong_code);

/* The sign-in succeeded: it is taken back, and one from an untrusted client starts the
 * account's count again; one with a standing device cookie leaves it (the owner's routine
 * sign-ins give a stranger nothing). */
void signin_guess_succeeded(struct request *rq, struct signin_guess *g);

/* At the end of the sign-in, whatever the way out: a guess neither failed nor succeeded (the
 * login policy refused the right credentials, a full code window refused them, a fault) is
 * taken back. */
void signin_guess_done(struct request *rq, struct signin_guess *g);

/* Answers 429 throttled with Retry-After WAIT and audits ACTION by ACTOR as refused for REASON;
 * returns what the handler returns. */
enum coffer_err guess_refuse(struct request *rq, const char *actor, const char *action,
			     const char *reason, int64_t wait);

/* Whether a TOTP code for USER_ID checked on its own must wait, because USER_ID's window of
 * wrong codes is full or the address must wait: replies 429, audits ACTION, sets *ERR and
 * returns true (also when the counts cannot be read). */
bool code_guess_throttled(struct request *rq, const char *user_id, const char *action,
			  enum coffer_err *err);

/* Counts one wrong code for USER_ID (and the client's address). */
void code_guess_failed(struct request *rq, const char *user_id);

#endif
