/* guess_throttle.h — slowing down password guesses (signin/throttle.h says how long each must
 * wait), for an account (a normalised email) and for the client's address, from the counts in
 * the system database: every server sees the same counts. A guess that must wait is answered
 * 429 with Retry-After at once, never by sleeping.
 */
#ifndef COFFER_API_GUESS_THROTTLE_H
#define COFFER_API_GUESS_THROTTLE_H

#include <stdbool.h>

#include "common/err.h"
#include "http/request.h"

/* Whether a guess at ACCOUNT's password must wait: then replies 429 with Retry-After, audits
 * ACTION as refused, sets *ERR and returns true. Also true, with *ERR set, when the counts
 * cannot be read. */
bool guess_throttled(struct request *rq, const char *account, const char *action,
		     enum coffer_err *err);

/* Counts one failed guess for ACCOUNT and the client's address. */
void guess_failed(struct request *rq, const char *account);

#endif
