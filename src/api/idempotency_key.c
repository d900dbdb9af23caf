/* idempotency_key.c — reading the Idempotency-Key header (idempotency_key.h). */
#include "api/idempotency_key.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

enum coffer_err idempotency_key_of(struct request *rq, char out[STORE_IDEMPOTENCY_KEY_MAX + 1],
				   bool *given)
{
	const char *v =
	    MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, IDEMPOTENCY_KEY_HEADER);
	*given = v != NULL;
	out[0] = '\0';
	if (v == NULL)
		return COFFER_OK;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') { /* the draft's sf-string */
		v++;
		n -= 2;
	}
	if (n >= 1 && n <= STORE_IDEMPOTENCY_KEY_MAX) {
		memcpy(out, v, n);
		out[n] = '\0';
	}
	if (!store_idempotency_key_ok(out)) {
		out[0] = '\0';
		snprintf(rq->msg, sizeof rq->msg,
			 "The Idempotency-Key header must be 1 to %d of letters, digits and ._:~- "
			 "(a UUID will do).",
			 STORE_IDEMPOTENCY_KEY_MAX);
		return COFFER_ERR_INVALID_INPUT;
	}
	return COFFER_OK;
}
