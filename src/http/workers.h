/* workers.h — a small pool of threads for the requests that must not run on a connection
 * thread: password hashing takes ~100 ms of one core, and libmicrohttpd has one thread per
 * core, so a few logins at once would otherwise stall every other request.
 *
 * The queue is bounded: when it is full the caller answers 503 at once rather than park a
 * connection thread. Threads are started before the sandbox goes on (it forbids clone).
 */
#ifndef COFFER_WORKERS_H
#define COFFER_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct workers;

typedef void (*worker_fn)(void *ctx, void *job);

/* Starts THREADS threads that call RUN(CTX, job) for each job submitted, at most QUEUE_CAP
 * waiting. */
COFFER_MUST_CHECK enum coffer_err workers_start(unsigned int threads, size_t queue_cap,
						worker_fn run, void *ctx, struct workers **out);

/* Queues JOB; false when the queue is full or the pool is stopping. */
COFFER_MUST_CHECK bool workers_submit(struct workers *w, void *job);

/* Refuses new jobs (workers_submit answers false from here on), runs every job already
 * queued, and joins the threads; W stays valid until workers_stop. */
void workers_drain(struct workers *w);

/* workers_drain, then frees W; NULL is a no-op. */
void workers_stop(struct workers *w);

#endif
