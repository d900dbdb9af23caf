/* router.h — the static route table and its matcher: method + path pattern → handler.
 *
 * Patterns are literal segments and `{name}` parameters ("/api/v1/orgs/{org}/records/{id}").
 * A path that matches no pattern is 404; one that matches only under other methods is 405.
 * The matcher is pure (no I/O, no allocation) so it can be unit-tested and fuzzed directly.
 */
#ifndef COFFER_ROUTER_H
#define COFFER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct request;
struct json_schema;

#define ROUTE_MAX_PARAMS 4
#define ROUTE_MAX_PATH	 2048

/* How a route takes its request body. JSON bodies are parsed and validated against the route's
 * schema before the handler runs, so no handler can skip validation. */
enum route_body {
	ROUTE_BODY_NONE,   /* a body is refused with 413 */
	ROUTE_BODY_JSON,   /* application/json, at most max_body bytes, checked against schema */
	ROUTE_BODY_STREAM, /* any type, any length: handed to the route's stream callbacks as it
			    * arrives, never held whole (file uploads) */
};

/* How a ROUTE_BODY_STREAM route takes its body. BEGIN runs once the caller is authorised and
 * before any of the body is read: it validates what it can (the query, the declared length)
 * and sets up (rq->upload); a failure is the answer, and no byte of the body is read. DATA
 * takes each piece; a failure is the answer and the rest is discarded. The route's handler runs
 * at the end of the body, and rq->upload_free whenever the request ends. */
struct route_stream {
	enum coffer_err (*begin)(struct request *rq);
	enum coffer_err (*data)(struct request *rq, const char *data, size_t len);
};

typedef enum coffer_err (*route_handler)(struct request *rq);

struct route {
	const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern;
	route_handler handler;
	enum route_body body;
	const struct json_schema *schema;  /* for ROUTE_BODY_JSON */
	const struct route_stream *stream; /* for ROUTE_BODY_STREAM */
	size_t max_body;		   /* for ROUTE_BODY_JSON; 0 means the default */
	bool api;			   /* an API route: answers carry Cache-Control: no-store */
	int access; /* who may call it, as the server's authorize hook reads it; 0 denies all */
	bool slow;  /* runs on a worker thread (password hashing), never on a connection thread */
	/* Waits for a durable commit (a record's write): runs on a writer thread, so that the
	 * connection threads never wait on fsync, and enough writes wait at once to share a
	 * commit (group commit). */
	bool durable;
	/* The audit action of a content route ("record.update"): its refusals, and the change it
	 * makes, are recorded under this name. */
	const char *audit;
	/* The route reads content, and the read is recorded too: the server holds a successful
	 * answer until its record_read hook lets it go (http/server.h). Not with slow or durable.
	 */
	bool audit_read;
	/* A sensitive change: refused unless the session's holder proved who they are recently
	 * (api/fresh_auth.h). Only on routes with a session. */
	bool reauth;
};

struct route_params {
	size_t n;
	struct {
		const char *name; /* borrowed from the pattern, not NUL-terminated at NAME_LEN */
		size_t name_len;
		const char *value; /* borrowed from the path, VALUE_LEN bytes */
		size_t value_len;
	} p[ROUTE_MAX_PARAMS];
};

enum route_match {
	ROUTE_MATCH_OK,
	ROUTE_MATCH_NO_PATH,   /* 404 */
	ROUTE_MATCH_NO_METHOD, /* 405: ALLOW lists the methods that would match */
};

/* Finds the route for METHOD and PATH in TABLE. HEAD matches GET routes. On ROUTE_MATCH_OK
 * sets *OUT and PARAMS (pointing into PATH and the pattern); on ROUTE_MATCH_NO_METHOD sets *OUT
 * to the first route with that path (for logging; it must not be dispatched) and writes the
 * comma-separated list of allowed methods to ALLOW. */
enum route_match router_match(const struct route *table, size_t n, const char *method,
			      const char *path, const struct route **out,
			      struct route_params *params, char *allow, size_t allow_len);

/* Copies the parameter NAME into OUT (NUL-terminated). False when absent or too long. */
bool route_param(const struct route_params *params, const char *name, char *out, size_t outlen);

#endif
