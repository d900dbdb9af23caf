/* metrics_listener.c — the metrics listener of metrics_listener.h, on its own libmicrohttpd daemon
 * (one thread, a few connections): a slow scraper never takes a thread from the API. */
#include "http/metrics_listener.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/server.h"
#include "metrics/metrics.h"

#define CONNECTIONS_MAX 8
#define TIMEOUT_S	10
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_listener {
	struct MHD_Daemon *daemon;
	metrics_sessions_fn sessions;
	void *ctx;
};

/* Queues STATUS with BODY (LEN bytes, malloc'd: the response frees it; NULL: out of memory). */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, const char *type,
			      char *body, size_t len)
{
	if (body == NULL)
		return MHD_NO;
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result plain(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	return answer(conn, status, "text/plain; charset=utf-8", strdup(text), strlen(text));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct metrics_listener *l = cls;
	(void)version;
	(void)upload;
	if (*state == NULL) { /* headers only so far: answer once the request is whole */
		*state = l;
		return MHD_YES;
	}
	if (*upload_size != 0) /* no route here takes a body */
		return MHD_NO;
	if (strcmp(url, "/metrics") != 0)
		return plain(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
	struct metrics_now now = {.sessions_open = l->sessions ? l->sessions(l->ctx) : -1};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL)
		return plain(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	enum coffer_err err = metrics_render(out, &now);
	if (fclose(out) != 0 || err != COFFER_OK) {
		free(text);
		return plain(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
	}
	return answer(conn, MHD_HTTP_OK, CONTENT_TYPE, text, len);
}

enum coffer_err metrics_listener_start(const struct listen_addr *at, metrics_sessions_fn sessions,
				       void *ctx, struct metrics_listener **out, char *errbuf,
				       size_t errlen)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	*out = NULL;
	if (!http_listen_resolve(at, &ss, &v6, errbuf, errlen))
		return COFFER_ERR_CONFIG;
	struct metrics_listener *l = calloc(1, sizeof *l);
	if (l == NULL)
		return COFFER_ERR_NOMEM;
	l->sessions = sessions;
	l->ctx = ctx;
	l->daemon = MHD_start_daemon(
	    /* epoll, as the API's daemon: the web process's sandbox allows what that uses. */
	    MHD_USE_EPOLL_INTERNAL_THREAD | (v6 ? MHD_USE_IPv6 : 0), at->port, NULL, NULL,
	    on_request, l, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TIMEOUT_S, MHD_OPTION_STRICT_FOR_CLIENT,
	    (int)1, MHD_OPTION_END);
	if (l->daemon == NULL) {
		snprintf(errbuf, errlen, "cannot serve the metrics on %s:%u (address in use?)",
			 at->host, (unsigned int)at->port);
		free(l);
		return COFFER_ERR_CONFIG;
	}
	*out = l;
	return COFFER_OK;
}

void metrics_listener_stop(struct metrics_listener *l)
{
	if (l == NULL)
		return;
	MHD_stop_daemon(l->daemon);
	free(l);
}
