/* metrics_listener.h — the metrics listener: `GET /metrics` in Prometheus's text format on
 * coffer.conf's metrics_listen, plain HTTP, nothing else.
 *
 * Plain HTTP because Prometheus scrapes it on a private address (the default documented is
 * 127.0.0.1:9464); what it serves names no person, organisation or content (metrics.h), only
 * volumes and timings. `coffer check` warns when it listens beyond loopback. */
#ifndef COFFER_HTTP_METRICS_LISTENER_H
#define COFFER_HTTP_METRICS_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "config/config.h"

struct metrics_listener;

/* Reads what is measured at each scrape rather than counted: the live sessions (-1 when the
 * store does not answer). Called on the listener's thread. */
typedef int64_t (*metrics_sessions_fn)(void *ctx);

/* Starts serving on AT. On failure writes why to ERRBUF. */
COFFER_MUST_CHECK enum coffer_err metrics_listener_start(const struct listen_addr *at,
							 metrics_sessions_fn sessions, void *ctx,
							 struct metrics_listener **out,
							 char *errbuf, size_t errlen);
/* Stops it and frees L (NULL is a no-op). */
void metrics_listener_stop(struct metrics_listener *l);

#endif
