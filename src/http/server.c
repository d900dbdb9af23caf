/* server.c — libmicrohttpd set-up and the request lifecycle: route, take the body within its
 * cap, validate, dispatch, reply, log, free.
 *
 * Design points:
 * - Limits are explicit: connections overall and per address (well below the overall cap, so
 *   that a few addresses cannot take every connection), a per-connection memory pool that bounds
 *   request headers, a short inactivity limit until the headers are in (TLS handshake included)
 *   and a longer one after, and a cap on every body set before it is read.
 * - A handler never runs before its route's body rules are enforced: bodies of JSON routes are
 *   parsed and validated here, and a route that takes no body refuses one.
 * - The request log holds the route pattern, never the raw path (paths can carry tokens), and
 *   never a header, cookie or body.
 * - A route whose reads the audit trail records (audit_read) is answered only once the
 *   record_read hook lets it: the server holds the answer, the handler never has to.
 */
#include "http/server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread_random.h"
#include "common/timefmt.h"
#include "http/framing.h"
#include "http/json_body.h"
#include "http/reply.h"
#include "http/request.h"
#include "http/tls_certs.h"
#include "http/workers.h"
#include "metrics/metrics.h"

/* Limits against resource exhaustion. The memory pool bounds the request line and headers:
 * anything larger is answered 431 by libmicrohttpd. */
#define CONNECTION_LIMIT 1024
/* Well below CONNECTION_LIMIT, so that a few addresses cannot hold every connection; a reverse
 * proxy is one address, and its operator raises it (connections_per_address). */
#define PER_IP_CONNECTION_LIMIT 64
/* Until its headers are in, a connection gets HEADER_TIMEOUT; then CONNECTION_TIMEOUT_S of
 * inactivity, for a client reading or writing a body. */
#define HEADER_TIMEOUT_DEFAULT_S 10
#define CONNECTION_TIMEOUT_S	 30
#define CONNECTION_MEMORY_LIMIT	 (32 * 1024)
#define JSON_BODY_DEFAULT_MAX	 (64 * 1024)
#define SLOW_QUEUE_CAP		 64 /* slow requests waiting for a worker; beyond it, 503 at once */
/* Writers spend their time waiting for fsync, not on a core: many of them cost little, and as
 * many writes as there are writers can share one commit. */
#define WRITERS_DEFAULT 64
#define WRITE_QUEUE_CAP 1024
/* A refused request's body is read and thrown away up to this much, so that its client gets
 * the answer rather than a reset; beyond it the answer goes at once and the connection closes. */
#define DRAIN_MAX (4 * 1024 * 1024)

struct http_server {
	struct MHD_Daemon *daemon;
	const struct route *routes;
	size_t n_routes;
	struct coffer_app *app;
	enum coffer_err (*authorize_hook)(struct request *rq);
	void (*record_read)(struct request *rq);
	struct workers *workers;
	struct workers *writers;
	unsigned int header_timeout; /* seconds */
	atomic_uint inflight;
	atomic_bool stopping;
};

static void request_free(struct request *rq)
{
	if (rq == NULL)
		return;
	if (rq->upload_free != NULL)
		rq->upload_free(rq); /* first: it may still need the caller (rq->auth) */
	if (rq->cleanup != NULL)
		rq->cleanup(rq);
	if (rq->held != NULL)
		MHD_destroy_response(rq->held);
	sodium_memzero(rq->set_cookie, sizeof rq->set_cookie); /* holds a session token */
	/* and this one a device cookie */
	sodium_memzero(rq->set_cookie2, sizeof rq->set_cookie2);
	json_decref(rq->json);
	if (rq->body != NULL) {
		/* Bodies can hold passwords: wipe before release. */
		sodium_memzero(rq->body, rq->body_alloc);
		free(rq->body);
	}
	free(rq->path);
	free(rq);
}

static struct request *request_new(struct http_server *srv, struct MHD_Connection *conn,
				   const char *url, const char *method)
{
	struct request *rq = calloc(1, sizeof *rq);
	if (rq == NULL)
		return NULL;
	rq->start_ns = time_mono_ns();
	rq->conn = conn;
	rq->app = srv->app;
	rq->method = method;
	rq->path = strndup(url, ROUTE_MAX_PATH + 1);
	if (rq->path == NULL) {
		free(rq);
		return NULL;
	}
	unsigned char id[REQUEST_ID_LEN / 2];
	thread_random_bytes(id, sizeof id); /* no system call per request */
	sodium_bin2hex(rq->id, sizeof rq->id, id, sizeof id);
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || !netaddr_from_sockaddr(ci->client_addr, &rq->peer))
		memset(&rq->peer, 0, sizeof rq->peer);
	rq->client = rq->peer;
	netaddr_format(&rq->client, rq->client_text);
	return rq;
}

/* True when the Content-Type is application/json, with or without parameters. */
static bool is_json_content_type(struct MHD_Connection *conn)
{
	const char *ct =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL)
		return false;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Reads Content-Length; -1 when absent (chunked or no body). */
static long long declared_length(struct MHD_Connection *conn)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl == NULL)
		return -1;
	/* libmicrohttpd has already refused a malformed Content-Length. */
	return strtoll(cl, NULL, 10);
}

static bool has_body(struct MHD_Connection *conn)
{
	return declared_length(conn) > 0 ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* Who may call the route is decided before its body is even parsed: default-deny. */
static enum coffer_err authorize_request(struct http_server *srv, struct request *rq)
{
	enum coffer_err err = COFFER_OK;
	if (srv->authorize_hook != NULL)
		err = srv->authorize_hook(rq);
	else if (rq->route->access == 0)
		err = COFFER_ERR_FORBIDDEN;
	rq->authorized = err == COFFER_OK;
	return err;
}

/* Sends the refusal decided in request_begin. */
static void reply_early(struct request *rq)
{
	if (rq->early_err == COFFER_ERR_METHOD_NOT_ALLOWED)
		reply_method_not_allowed(rq, rq->allow);
	else
		reply_error(rq, rq->early_err, rq->early_msg);
}

static bool expects_continue(struct MHD_Connection *conn)
{
	const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	return e != NULL && strcasecmp(e, "100-continue") == 0;
}

/* A refusal (rq->early_err) decided before the body has all arrived. Answering at once would
 * make libmicrohttpd close the connection under a client that is still sending, which then sees
 * a reset instead of the answer; so a body of up to DRAIN_MAX is read and thrown away and the
 * answer goes at the end, on a connection that stays open. A client that sent "Expect:
 * 100-continue" has not sent its body yet, and one that declared more than DRAIN_MAX is not
 * worth reading: they get the answer at once. */
static void refuse_body(struct request *rq)
{
	if (expects_continue(rq->conn) || declared_length(rq->conn) > DRAIN_MAX)
		reply_early(rq);
}

/* Takes a piece of a refused request's body: thrown away, up to DRAIN_MAX in all (then the
 * connection is cut: libmicrohttpd cannot queue an answer in the middle of a body). */
static void drain_body(struct request *rq, size_t len)
{
	rq->drained += len;
}

/* A streamed body's route is authorised, and its BEGIN run, before any of the body is read:
 * an upload nobody may make is refused before it is sent (libmicrohttpd answers "100 Continue"
 * only when we have not replied). */
static void stream_begin(struct http_server *srv, struct request *rq, bool body)
{
	enum coffer_err err = authorize_request(srv, rq);
	if (err == COFFER_OK)
		err = rq->route->stream->begin(rq);
	if (err == COFFER_OK || rq->replied)
		return;
	rq->early_err = err;
	rq->early_msg = rq->msg[0] ? rq->msg : NULL;
	if (body)
		refuse_body(rq);
}

/* First call for a request: route it and decide what its headers already condemn. A refusal
 * waits for the final call (refuse_body), so that the connection can be kept alive. */
static void request_begin(struct http_server *srv, struct request *rq)
{
	const struct route *r = NULL;
	enum route_match m = router_match(srv->routes, srv->n_routes, rq->method, rq->path, &r,
					  &rq->params, rq->allow, sizeof rq->allow);
	bool body = has_body(rq->conn);
	size_t cap = JSON_BODY_DEFAULT_MAX;
	if (m != ROUTE_MATCH_NO_PATH) {
		rq->route_pattern = r->pattern;
		if (r->max_body != 0)
			cap = r->max_body;
	}
	if (!framing_ok(rq)) {
		/* Where the body ends is in doubt: answer before reading any of it, and close. */
		rq->early_err = COFFER_ERR_INVALID_INPUT;
		rq->early_msg = rq->msg;
		rq->close_after = true;
		reply_early(rq);
		return;
	}
	if (atomic_load(&srv->stopping)) {
		rq->early_err = COFFER_ERR_UNAVAILABLE;
		rq->close_after = true;
	} else if (m == ROUTE_MATCH_NO_PATH)
		rq->early_err = COFFER_ERR_NOT_FOUND;
	else if (m == ROUTE_MATCH_NO_METHOD)
		rq->early_err = COFFER_ERR_METHOD_NOT_ALLOWED;
	else if (r->body == ROUTE_BODY_NONE && body) {
		rq->early_err = COFFER_ERR_TOO_LARGE;
		rq->early_msg = "This request takes no body.";
	} else if (r->body == ROUTE_BODY_JSON && !is_json_content_type(rq->conn))
		rq->early_err = COFFER_ERR_UNSUPPORTED_MEDIA_TYPE;
	else if (r->body == ROUTE_BODY_JSON && declared_length(rq->conn) > (long long)cap)
		rq->early_err = COFFER_ERR_TOO_LARGE;
	if (rq->early_err != COFFER_OK) {
		if (body)
			refuse_body(rq);
		return;
	}
	rq->route = r;
	rq->body_cap = cap;
	if (r->body == ROUTE_BODY_STREAM)
		stream_begin(srv, rq, body);
}

/* Appends a piece of the body, refusing with 413 once it would pass the cap. The buffer grows
 * by doubling rather than being allocated at the cap, so idle clients cannot pin memory. */
static void request_take_body(struct request *rq, const char *data, size_t len)
{
	if (len > rq->body_cap - rq->body_len) {
		rq->early_err = COFFER_ERR_TOO_LARGE;
		refuse_body(rq);
		if (!rq->replied)
			drain_body(rq, rq->body_len + len);
		return;
	}
	size_t need = rq->body_len + len;
	if (need > rq->body_alloc) {
		size_t grow = rq->body_alloc ? rq->body_alloc : 4096;
		while (grow < need)
			grow *= 2;
		if (grow > rq->body_cap)
			grow = rq->body_cap;
		/* malloc + copy rather than realloc, so the old copy can be wiped. */
		char *bigger = malloc(grow);
		if (bigger == NULL) {
			rq->early_err = COFFER_ERR_NOMEM;
			reply_early(rq);
			return;
		}
		if (rq->body != NULL) {
			memcpy(bigger, rq->body, rq->body_len);
			sodium_memzero(rq->body, rq->body_alloc);
			free(rq->body);
		}
		rq->body = bigger;
		rq->body_alloc = grow;
	}
	memcpy(rq->body + rq->body_len, data, len);
	rq->body_len += len;
}

/* Runs the handler and, when it did not reply, answers its error. */
static void call_handler(struct request *rq)
{
	enum coffer_err err = rq->route->handler(rq);
	if (rq->replied)
		return;
	if (err == COFFER_OK)
		err = COFFER_ERR_INTERNAL; /* a handler that returns OK must have replied */
	const struct coffer_err_info *info = coffer_err_info(err);
	if (info->http_status >= 500)
		log_event(LOG_ERROR, "handler_error",
			  json_pack("{s:s,s:s,s:s}", "request_id", rq->id, "route",
				    rq->route->pattern, "error", info->message));
	reply_error(rq, err, rq->msg[0] ? rq->msg : NULL);
}

/* Suspends the connection, so that a reply made meanwhile is kept (rq->held) rather than
 * queued; http_request_release resumes it and libmicrohttpd's thread queues the reply. Used for
 * the slow and durable routes (the worker releases) and the audited reads (record_read does). */
static void hold(struct request *rq)
{
	MHD_suspend_connection(rq->conn);
	rq->on_worker = true;
}

void http_request_release(struct request *rq)
{
	MHD_resume_connection(rq->conn);
}

/* A worker's job: the slow handler, then back to libmicrohttpd, which queues the held reply.
 * After the release the request belongs to libmicrohttpd's thread again: touch nothing. */
static void run_slow(void *ctx, void *job)
{
	(void)ctx;
	struct request *rq = job;
	call_handler(rq);
	http_request_release(rq);
}

/* A read that the audit trail records (struct route's audit_read): held from before the
 * handler runs, so that a successful answer waits for the record_read hook; a refusal or an
 * error goes at once. */
static void call_audited_read(struct http_server *srv, struct request *rq)
{
	hold(rq);
	call_handler(rq);
	if (rq->replied && rq->status < 400) {
		if (srv->record_read != NULL) {
			srv->record_read(rq); /* releases the request, now or later */
			return;
		}
		reply_discard(rq);
		reply_error(rq, COFFER_ERR_INTERNAL, NULL);
	}
	http_request_release(rq);
}

static void dispatch(struct http_server *srv, struct request *rq)
{
	char msg[512];
	enum coffer_err err = rq->authorized ? COFFER_OK : authorize_request(srv, rq);
	if (err != COFFER_OK) {
		if (!rq->replied)
			reply_error(rq, err, rq->msg[0] ? rq->msg : NULL);
		return;
	}
	if (rq->route->body == ROUTE_BODY_JSON) {
		if (rq->body_len == 0) {
			reply_error(rq, COFFER_ERR_INVALID_INPUT, "A JSON body is required.");
			return;
		}
		err = json_body_parse(rq->body, rq->body_len, rq->route->schema, &rq->json, msg,
				      sizeof msg);
		if (err != COFFER_OK) {
			reply_error(rq, err, msg);
			return;
		}
	}
	if (rq->route->audit_read) {
		call_audited_read(srv, rq);
		return;
	}
	if (!rq->route->slow && !rq->route->durable) {
		call_handler(rq);
		return;
	}
	/* Hold first, so that the worker's release always follows it. */
	hold(rq);
	if (!workers_submit(rq->route->slow ? srv->workers : srv->writers, rq)) {
		rq->on_worker = false;
		http_request_release(rq);
		rq->retry_after = 1;
		reply_error(rq, COFFER_ERR_UNAVAILABLE,
			    "The server is busy; try again in a moment.");
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	(void)version;

	if (rq == NULL) {
		/* The headers are in: from now on the longer inactivity limit. */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned int)CONNECTION_TIMEOUT_S);
		rq = request_new(srv, conn, url, method);
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		atomic_fetch_add(&srv->inflight, 1);
		request_begin(srv, rq);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (rq->replied) {
			/* refused at once: libmicrohttpd closes the connection after the answer */
		} else if (rq->early_err != COFFER_OK) {
			drain_body(rq, *upload_data_size);
		} else if (rq->route->body == ROUTE_BODY_STREAM) {
			enum coffer_err err =
			    rq->route->stream->data(rq, upload_data, *upload_data_size);
			if (err != COFFER_OK) {
				rq->early_err = err;
				rq->early_msg = rq->msg[0] ? rq->msg : NULL;
				refuse_body(rq);
			}
		} else {
			request_take_body(rq, upload_data, *upload_data_size);
		}
		*upload_data_size = 0; /* consumed, or discarded after a refusal */
		if (!rq->replied && rq->early_err != COFFER_OK && rq->drained > DRAIN_MAX)
			return MHD_NO; /* refused, and still sending: cut it off */
		return MHD_YES;
	}
	if (rq->on_worker) {
		/* Resumed (back from a worker, or a held answer released): queue what was answered;
		 * with nothing to queue (memory ran out even for an error), close. */
		struct MHD_Response *resp = rq->held;
		rq->held = NULL;
		rq->on_worker = false;
		if (resp == NULL)
			return MHD_NO;
		enum MHD_Result ok = MHD_queue_response(conn, rq->held_status, resp);
		MHD_destroy_response(resp);
		return ok;
	}
	if (!rq->replied) {
		if (rq->early_err != COFFER_OK)
			reply_early(rq);
		else
			dispatch(srv, rq);
	}
	if (rq->on_worker)
		return MHD_YES; /* suspended until the worker is done */
	return rq->replied ? MHD_YES : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	if (rq == NULL)
		return;
	*con_cls = NULL;
	/* A kept-alive connection waits for its next request's headers under the short limit. */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, srv->header_timeout);
	uint64_t took = time_mono_ns() - rq->start_ns;
	size_t route =
	    rq->route != NULL && rq->route >= srv->routes && rq->route < srv->routes + srv->n_routes
		? (size_t)(rq->route - srv->routes)
		: METRICS_NO_ROUTE;
	metrics_request(route, (unsigned int)rq->status, took);
	if (log_enabled(LOG_INFO)) {
		char peer[46];
		netaddr_format(&rq->peer, peer);
		struct log_fields f = {.len = 0};
		log_field_str(&f, "request_id", rq->id);
		log_field_str(&f, "method", rq->method);
		log_field_str(&f, "route", rq->route_pattern); /* null: no route matched */
		log_field_int(&f, "status", rq->status);
		log_field_real(&f, "duration_ms", (double)took / 1e6);
		log_field_str(&f, "peer", peer);
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
			log_field_int(&f, "terminated", toe);
		log_fields_emit(LOG_INFO, "request", &f);
	}
	request_free(rq);
	atomic_fetch_sub(&srv->inflight, 1);
}

/* Once shutdown has begun, new connections are closed as soon as they are accepted. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	(void)addr;
	(void)addrlen;
	return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

/* libmicrohttpd's own messages can quote protocol details; keep them at debug level. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!log_enabled(LOG_DEBUG))
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\r\n")] = '\0';
	log_event(LOG_DEBUG, "http", json_pack("{s:s}", "msg", msg));
}

bool http_listen_resolve(const struct listen_addr *l, struct sockaddr_storage *ss, bool *v6,
			 char *errbuf, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof port, "%u", (unsigned int)l->port);
	int rc = getaddrinfo(l->host, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(errbuf, errlen, "cannot resolve listen host '%s': %s", l->host,
			 gai_strerror(rc));
		return false;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return true;
}

enum coffer_err http_server_start(const struct http_server_opts *opts, struct http_server **out,
				  char *errbuf, size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (!http_listen_resolve(&opts->listen, &ss, &v6, errbuf, errlen))
		return COFFER_ERR_CONFIG;

	struct http_server *srv = calloc(1, sizeof *srv);
	if (srv == NULL)
		return COFFER_ERR_NOMEM;
	srv->routes = opts->routes;
	srv->n_routes = opts->n_routes;
	srv->app = opts->app;
	srv->authorize_hook = opts->authorize;
	srv->record_read = opts->record_read;
	srv->header_timeout =
	    opts->header_timeout ? opts->header_timeout : HEADER_TIMEOUT_DEFAULT_S;
	atomic_init(&srv->inflight, 0);
	atomic_init(&srv->stopping, false);

	unsigned int threads = opts->threads;
	if (threads == 0) {
		/* Four per core: handlers wait on keyd and on SQLite's locks, and the threads that
		 * wait let the others run (measured: 2 → 8 threads on 2 cores, record reads +60 %).
		 */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores < 1 ? 4 : cores > 16 ? 64 : 4 * (unsigned int)cores;
	}
	if (workers_start(opts->workers ? opts->workers : 1, SLOW_QUEUE_CAP, run_slow, srv,
			  &srv->workers) != COFFER_OK) {
		snprintf(errbuf, errlen, "cannot start the worker threads");
		free(srv);
		return COFFER_ERR_NOMEM;
	}
	if (workers_start(opts->writers ? opts->writers : WRITERS_DEFAULT, WRITE_QUEUE_CAP,
			  run_slow, srv, &srv->writers) != COFFER_OK) {
		snprintf(errbuf, errlen, "cannot start the writer threads");
		workers_stop(srv->workers);
		free(srv);
		return COFFER_ERR_NOMEM;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK2) != MHD_YES) {
		/* The callback that can hand GnuTLS an OCSP response with the pair; libmicrohttpd
		 * built against GnuTLS 3.6.3 or later has it. */
		snprintf(errbuf, errlen,
			 "libmicrohttpd lacks MHD_OPTION_HTTPS_CERT_CALLBACK2 (built with GnuTLS "
			 "older than 3.6.3)");
		workers_stop(srv->workers);
		workers_stop(srv->writers);
		free(srv);
		return COFFER_ERR_CONFIG;
	}
	unsigned int flags = MHD_USE_TLS | MHD_ALLOW_SUSPEND_RESUME |
			     MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			     (v6 ? MHD_USE_IPv6 : 0);
	srv->daemon = MHD_start_daemon(
	    flags, opts->listen.port, on_accept, srv, on_request, srv, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_HTTPS_CERT_CALLBACK2, tls_certs_retrieve,
	    MHD_OPTION_HTTPS_PRIORITIES, HTTP_TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    opts->per_address ? opts->per_address : (unsigned int)PER_IP_CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, srv->header_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)CONNECTION_MEMORY_LIMIT, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
	    NULL, MHD_OPTION_END);
	if (srv->daemon == NULL) {
		snprintf(errbuf, errlen,
			 "cannot serve on %s:%u (address in use, or bad TLS certificate/key)",
			 opts->listen.host, (unsigned int)opts->listen.port);
		workers_stop(srv->workers);
		workers_stop(srv->writers);
		free(srv);
		return COFFER_ERR_CONFIG;
	}
	*out = srv;
	return COFFER_OK;
}

unsigned int http_server_shutdown(struct http_server *srv, unsigned int timeout_ms)
{
	/* Stop taking work: new connections are closed on accept and new requests on kept-alive
	 * connections answered 503. (MHD_quiesce_daemon would close the listening socket sooner,
	 * but with epoll and a thread pool it races the workers and can abort the process.) */
	atomic_store(&srv->stopping, true);
	uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	while (atomic_load(&srv->inflight) > 0 && time_mono_ns() < deadline)
		usleep(10 * 1000);
	unsigned int cut = atomic_load(&srv->inflight);
	/* Finish the slow and durable requests already queued (they resume their connections),
	 * before the daemon they belong to goes. The pools stay allocated until the daemon has
	 * stopped: a request still arriving past the deadline may yet try to queue, and is told
	 * no (503) rather than meeting freed memory. */
	workers_drain(srv->workers);
	workers_drain(srv->writers);
	MHD_stop_daemon(srv->daemon);
	workers_stop(srv->workers);
	workers_stop(srv->writers);
	free(srv);
	return cut;
}
