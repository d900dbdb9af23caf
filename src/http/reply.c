/* reply.c — building and queueing responses, each with the security headers every answer
 * carries (reply.h). */
#include "http/reply.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Headers on every response. The CSP allows only our own origin and no framing; the web
 * application is built to need nothing more: no inline scripts or styles. */
static const struct {
	const char *name, *value;
} security_headers[] = {
    {"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				"form-action 'self'; object-src 'none'"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"},
};

void reply_add_security_headers(struct MHD_Response *resp, const char *request_id, bool no_store)
{
	for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
		MHD_add_response_header(resp, security_headers[i].name, security_headers[i].value);
	if (no_store)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (request_id != NULL)
		MHD_add_response_header(resp, "X-Request-Id", request_id);
}

enum coffer_err reply_queue(struct request *rq, unsigned int status, struct MHD_Response *resp)
{
	/* Routes that are not API routes (the web application's files) set their own caching;
	 * an error is never cached, whatever the route. */
	bool no_store = rq->route == NULL || rq->route->api || status >= 400;
	reply_add_security_headers(resp, rq->id, no_store);
	if (rq->close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (rq->set_cookie[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rq->set_cookie);
	if (rq->set_cookie2[0] != '\0')
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rq->set_cookie2);
	if (rq->retry_after > 0) {
		char secs[16];
		snprintf(secs, sizeof secs, "%u", rq->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	if (rq->on_worker) {
		/* Only libmicrohttpd's own thread may queue: hold it until the connection resumes.
		 */
		rq->held = resp;
		rq->held_status = status;
		rq->status = status;
		rq->replied = true;
		return COFFER_OK;
	}
	enum MHD_Result ok = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES) {
		log_msg(LOG_WARN, "reply", "request %s: could not queue status %u", rq->id, status);
		return COFFER_ERR_INTERNAL;
	}
	rq->status = status;
	rq->replied = true;
	return COFFER_OK;
}

void reply_discard(struct request *rq)
{
	if (rq->held != NULL)
		MHD_destroy_response(rq->held);
	rq->held = NULL;
	rq->held_status = 0;
	rq->status = 0;
	rq->replied = false;
}

/* A reply's text may hold a record's plaintext: wiped, not just freed, once it is sent. */
static void free_wiped(void *text)
{
	sodium_memzero(text, strlen(text));
	free(text);
}

/* A response holding TEXT, LEN bytes of JSON (taken: wiped and freed with the response), or
 * NULL when memory runs out. */
static struct MHD_Response *text_response(char *text, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer_with_free_callback(len, text, free_wiped);
	if (resp == NULL) {
		free_wiped(text);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json; charset=utf-8");
	return resp;
}

static json_t *error_object(enum coffer_err err, const char *message)
{
	const struct coffer_err_info *info = coffer_err_info(err);
	return json_pack("{s:{s:s,s:s}}", "error", "code", info->code, "message",
			 message ? message : info->message);
}

/* A response holding JSON (stolen), or NULL when memory runs out. */
static struct MHD_Response *json_response(json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(json);
	return text != NULL ? text_response(text, strlen(text)) : NULL;
}

enum coffer_err reply_json_text(struct request *rq, unsigned int status, struct json_text *t)
{
	if (!json_text_end(t))
		return COFFER_ERR_NOMEM; /* not written whole: as when jansson runs out of memory */
	struct MHD_Response *resp = text_response(t->buf, t->len);
	*t = (struct json_text){.failed = true}; /* the response has the text now, or wiped it */
	return resp ? reply_queue(rq, status, resp) : COFFER_ERR_NOMEM;
}

enum coffer_err reply_json(struct request *rq, unsigned int status, json_t *json)
{
	struct MHD_Response *resp = json_response(json);
	return resp ? reply_queue(rq, status, resp) : COFFER_ERR_NOMEM;
}

enum coffer_err reply_error(struct request *rq, enum coffer_err err, const char *message)
{
	return reply_json(rq, coffer_err_info(err)->http_status, error_object(err, message));
}

enum coffer_err reply_method_not_allowed(struct request *rq, const char *allow)
{
	struct MHD_Response *resp =
	    json_response(error_object(COFFER_ERR_METHOD_NOT_ALLOWED, NULL));
	if (resp == NULL)
		return COFFER_ERR_NOMEM;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	return reply_queue(rq, 405, resp);
}

enum coffer_err reply_no_content(struct request *rq)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return COFFER_ERR_NOMEM;
	return reply_queue(rq, 204, resp);
}

/* libmicrohttpd's reader: ours, with its own error convention mapped. */
struct stream_reply {
	reply_reader read;
	void (*free)(void *);
	void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_reply *sr = cls;
	long n = sr->read(sr->ctx, pos, buf, max);
	return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct stream_reply *sr = cls;
	if (sr->free != NULL)
		sr->free(sr->ctx);
	free(sr);
}

enum coffer_err reply_stream(struct request *rq, unsigned int status, uint64_t size, size_t block,
			     reply_reader read, void *ctx, void (*free_ctx)(void *),
			     const struct reply_header *headers, size_t n)
{
	struct stream_reply *sr = malloc(sizeof *sr);
	if (sr == NULL) {
		if (free_ctx != NULL)
			free_ctx(ctx);
		return COFFER_ERR_NOMEM;
	}
	*sr = (struct stream_reply){.read = read, .free = free_ctx, .ctx = ctx};
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(size, block, stream_read, sr, stream_free);
	if (resp == NULL) {
		stream_free(sr);
		return COFFER_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		MHD_add_response_header(resp, headers[i].name, headers[i].value);
	return reply_queue(rq, status, resp);
}
