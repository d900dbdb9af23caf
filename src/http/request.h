/* request.h — one HTTP request in flight: everything a handler may use, freed in one place
 * (the completion callback) when libmicrohttpd is done with the connection's request. */
#ifndef COFFER_REQUEST_H
#define COFFER_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/netaddr.h"
#include "http/router.h"

struct MHD_Connection;
struct coffer_app;

#define REQUEST_ID_LEN 32

struct request {
	char id[REQUEST_ID_LEN + 1]; /* random hex, logged and sent as X-Request-Id */
	const char *method;	     /* borrowed from libmicrohttpd */
	const struct route *route;   /* the route dispatched to; NULL when none will be */
	const char *route_pattern;   /* for the log: the pattern the path matched, or NULL */
	enum coffer_err early_err;   /* a refusal decided from the headers, sent at the end */
	const char *early_msg;	     /* its message (static, or msg), or NULL for the default */
	char msg[256];		     /* room for a message made for this request */
	size_t drained;		     /* bytes of a refused request's body thrown away */
	char allow[64];		     /* for a 405: the methods the path allows */
	struct route_params params;  /* borrowed from the path */
	char *path;		     /* owned copy; params point into it */
	struct MHD_Connection *conn;
	struct coffer_app *app;
	struct netaddr peer; /* the TCP peer */
	/* The client as the authorize hook decided it (the API: the peer, or what a trusted
	 * proxy forwarded), in binary and as text; the peer until then. */
	struct netaddr client;
	char client_text[46];

	/* Body: BODY_LEN bytes held in BODY_ALLOC, never more than BODY_CAP. */
	char *body;
	size_t body_len, body_alloc, body_cap;
	json_t *json; /* the validated JSON body, for ROUTE_BODY_JSON routes */

	/* Set by handlers for reply.c to add: a Set-Cookie header (and a second one: a login's
	 * device cookie beside its session), a Retry-After (seconds). */
	char set_cookie[160];
	char set_cookie2[256];
	unsigned int retry_after;

	/* What the authorize hook learnt about the caller (the API's session), freed by
	 * CLEANUP when the request ends. */
	void *auth;
	void (*cleanup)(struct request *rq);

	/* A streamed body's state (ROUTE_BODY_STREAM), freed by UPLOAD_FREE when the request
	 * ends, whether or not the body arrived whole. */
	void *upload;
	void (*upload_free)(struct request *rq);
	bool authorized; /* the authorize hook has let the request through */

	/* Slow and durable routes run on a worker, and an audited read waits for its audit entry
	 * (server.h: record_read): the connection is suspended meanwhile (ON_WORKER) and the
	 * reply is held here until libmicrohttpd's thread queues it. */
	bool on_worker;
	struct MHD_Response *held;
	unsigned int held_status;

	uint64_t start_ns;
	unsigned int status; /* the status replied, for the log; 0 = none yet */
	bool close_after;    /* ask libmicrohttpd to close the connection after */
	bool replied;
};

#endif
