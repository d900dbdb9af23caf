/* reply.h — every response coffer sends goes through here, so every one carries the security
 * headers, the request id, and (for the API) Cache-Control: no-store. */
#ifndef COFFER_REPLY_H
#define COFFER_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "http/json_text.h"
#include "http/request.h"

struct MHD_Response;

/* Sends JSON (stolen) with STATUS. Returns COFFER_OK if the reply was queued; on failure the
 * request is left unreplied (rq->replied false) and the dispatcher answers 500 or closes. */
enum coffer_err reply_json(struct request *rq, unsigned int status, json_t *json);

/* The same for the object T holds (json_text.h), which this ends (json_text_end): its text is
 * taken (T is left empty), also on failure, when it is wiped. */
enum coffer_err reply_json_text(struct request *rq, unsigned int status, struct json_text *t);

/* Sends the error object for ERR; MESSAGE (may be NULL for the default) must be safe to show. */
enum coffer_err reply_error(struct request *rq, enum coffer_err err, const char *message);

/* Sends 405 method_not_allowed with the Allow header listing ALLOW. */
enum coffer_err reply_method_not_allowed(struct request *rq, const char *allow);

/* Sends 204 with no body. */
enum coffer_err reply_no_content(struct request *rq);

/* A header of a streamed reply. */
struct reply_header {
	const char *name, *value;
};

/* Produces the body of a streamed reply: up to MAX bytes at position POS (sequential) into
 * BUF; returns how many (more than 0 while POS < the size), or -1 to give up, which cuts the
 * connection (the client sees a short body: Content-Length tells it so). */
typedef long (*reply_reader)(void *ctx, uint64_t pos, char *buf, size_t max);

/* Sends SIZE bytes made by READ(CTX, …) with STATUS and the N HEADERS; FREE(CTX) runs when the
 * reply is done with (sent, cut off, or not queued). Memory stays at one block of BLOCK bytes. */
enum coffer_err reply_stream(struct request *rq, unsigned int status, uint64_t size, size_t block,
			     reply_reader read, void *ctx, void (*free)(void *),
			     const struct reply_header *headers, size_t n);

/* Drops a reply made but held (server.h: record_read), so that another can be made instead. */
void reply_discard(struct request *rq);

/* Adds the headers every response carries; NO_STORE adds Cache-Control: no-store (API answers
 * and every error). */
void reply_add_security_headers(struct MHD_Response *resp, const char *request_id, bool no_store);

/* Queues RESP (consumed) with STATUS and records the status for the log. */
enum coffer_err reply_queue(struct request *rq, unsigned int status, struct MHD_Response *resp);

#endif
