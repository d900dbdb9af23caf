/* user_agent.c — the User-Agent header, cleaned for showing (user_agent.h). */
#include "http/user_agent.h"

#include <microhttpd.h>
#include <stdbool.h>

void user_agent_clean(const char *in, char out[USER_AGENT_MAX + 1])
{
	size_t n = 0;
	bool space = false; /* a space seen and not yet written: none is kept at either end */
	for (const char *p = in; p != NULL && *p != '\0' && n < USER_AGENT_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ') {
			space = n > 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			continue;
		if (space) {
			if (n + 1 >= USER_AGENT_MAX)
				break; /* no room for the word after it */
			out[n++] = ' ';
			space = false;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
}

void user_agent_of_request(struct request *rq, char out[USER_AGENT_MAX + 1])
{
	user_agent_clean(
	    MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT),
	    out);
}
