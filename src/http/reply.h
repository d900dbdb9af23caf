/* reply.h — every response coffer sends goes through here, so every one carries the security
 * headers, the request id, and (for the API) Cache-Control: no-store. */
#ifndef COFFER_REPLY_H
#define COFFER_REPLY_H

#include <jansson.h>

#include "common/err.h"
#include "http/request.h"

struct MHD_Response;

/* Sends JSON (stolen) with STATUS. Returns COFFER_OK if the reply was queued; on failure the
 * request is left unreplied (rq->replied false) and the dispatcher answers 500 or closes. */
enum coffer_err reply_json(struct request *rq, unsigned int status,
					     json_t *json);

/* Sends the error object for ERR; MESSAGE (may be NULL for the default) must be safe to show. */
enum coffer_err reply_error(struct request *rq, enum coffer_err err, const char *message);

/* Sends 405 method_not_allowed with the Allow header listing ALLOW. */
enum coffer_err reply_method_not_allowed(struct request *rq, const char *allow);

/* Sends 204 with no body. */
enum coffer_err reply_no_content(struct request *rq);

/* Adds the headers every response carries. API answers also get Cache-Control: no-store. */
void reply_add_security_headers(struct MHD_Response *resp, const char *request_id, bool api);

/* Queues RESP (consumed) with STATUS and records the status for the log. */
enum coffer_err reply_queue(struct request *rq, unsigned int status,
					      struct MHD_Response *resp);

#endif
