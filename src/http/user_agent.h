/* user_agent.h — the User-Agent header as a user is shown it among their sessions ("browser"):
 * at most USER_AGENT_MAX bytes of printable ASCII. It is whatever the client chose to send, so
 * it is kept as text to show and never interpreted: control characters (a forged line in a
 * log or a terminal), bytes outside ASCII (no valid UTF-8 is promised, and JSON needs it) and
 * surrounding spaces go; what is left is cut to the limit.
 */
#ifndef COFFER_HTTP_USER_AGENT_H
#define COFFER_HTTP_USER_AGENT_H

#include "http/request.h"

#define USER_AGENT_MAX 200

/* Writes IN (NULL allowed), cleaned as above, to OUT; "" when nothing is left. */
void user_agent_clean(const char *in, char out[USER_AGENT_MAX + 1]);

/* The request's User-Agent header, cleaned, into OUT ("" when it has none). */
void user_agent_of_request(struct request *rq, char out[USER_AGENT_MAX + 1]);

#endif
