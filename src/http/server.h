/* server.h — the HTTPS server: libmicrohttpd over GnuTLS, with coffer's limits, TLS policy,
 * request lifecycle and graceful shutdown. */
#ifndef COFFER_SERVER_H
#define COFFER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "config/config.h"
#include "http/router.h"

struct http_server;
struct coffer_app;
struct request;

/* TLS 1.2 and 1.3 only; key exchange by ECDHE on elliptic curves only (no finite-field groups,
 * in TLS 1.3 either), for forward secrecy; AES-256-GCM or ChaCha20-Poly1305 only, so every
 * connection has a 256-bit key. */
#define HTTP_TLS_PRIORITIES                                                                        \
	"SECURE:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"                     \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-GROUP-DH-ALL:"         \
	"%SERVER_PRECEDENCE"

struct http_server_opts {
	/* The certificate and key are tls_certs' (http/tls_certs.h), opened before the start. */
	struct listen_addr listen;
	const struct route *routes; /* borrowed static table */
	size_t n_routes;
	struct coffer_app *app; /* handed to every request */
	unsigned int threads;	/* 0: four per online core (at most 64) */
	unsigned int workers;	/* threads for slow routes; 0: one */
	unsigned int writers;	/* threads for durable routes; 0: WRITERS_DEFAULT */
	/* Seconds a new connection has, from accept and TLS handshake on, to send its request
	 * headers (an inactivity limit until then); 0: HEADER_TIMEOUT_DEFAULT_S. */
	unsigned int header_timeout;
	unsigned int per_address; /* connections one client address may hold; 0: the default */
	/* Called before every handler: COFFER_OK lets the request through (having set rq->auth
	 * as it likes), anything else is the answer. NULL lets only routes with access != 0. */
	enum coffer_err (*authorize)(struct request *rq);
	/* Called for a route with audit_read once its handler has made a successful answer, which
	 * the server holds: the connection is suspended and its thread serves others meanwhile. The
	 * hook records the read (its work may go to another thread) and then calls
	 * http_request_release, once; to answer an error instead, it first drops the answer
	 * (reply_discard) and makes the error. NULL answers such routes 500: a read that cannot be
	 * recorded is not answered. */
	void (*record_read)(struct request *rq);
};

/* The address to bind for L (a name resolved once, an address literal as it is): *V6 says
 * whether it is IPv6. On failure writes why to ERRBUF. */
struct sockaddr_storage;
bool http_listen_resolve(const struct listen_addr *l, struct sockaddr_storage *ss, bool *v6,
			 char *errbuf, size_t errlen);

/* Lets a held answer go (see record_read). */
void http_request_release(struct request *rq);

/* Starts serving. On failure writes why to ERRBUF. */
COFFER_MUST_CHECK enum coffer_err http_server_start(const struct http_server_opts *opts,
						    struct http_server **out, char *errbuf,
						    size_t errlen);

/* Stops accepting new connections, lets requests in flight finish for up to TIMEOUT_MS, then
 * closes everything and frees SRV. Returns the number of requests cut off (0 = clean). */
unsigned int http_server_shutdown(struct http_server *srv, unsigned int timeout_ms);

#endif
