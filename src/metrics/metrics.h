/* metrics.h — what the web process counts for Prometheus (docs/OPERATIONS.md, "Metrics").
 *
 * One registry per process, like a server's statistics: any module notes an event with one
 * call, and metrics_render writes everything in the Prometheus text format (version 0.0.4) for
 * the metrics listener (http/metrics_listener.h). Every note is a handful of relaxed atomic
 * additions, lock-free, on fixed arrays sized at metrics_init; before metrics_init (metrics_listen
 * unset) every note returns at once.
 *
 * What is counted never names a person, an organisation or content: requests are labelled by
 * route pattern ("/api/v1/orgs/{org}/records"), method and status only. */
#ifndef COFFER_METRICS_H
#define COFFER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

enum metrics_signin {
	METRICS_SIGNIN_SUCCEEDED,
	METRICS_SIGNIN_FAILED,	  /* a wrong password or code, an unknown account */
	METRICS_SIGNIN_THROTTLED, /* refused before any check: too many recent failures */
	METRICS_SIGNIN__COUNT
};

enum metrics_direction { METRICS_UPLOADED, METRICS_DOWNLOADED, METRICS_DIRECTION__COUNT };

/* Makes the registry for N routes, the Ith labelled METHODS[I] and PATTERNS[I] (borrowed: static
 * strings; the server's route table in order). Call once, before the server starts. */
COFFER_MUST_CHECK enum coffer_err metrics_init(const char *const *methods,
					       const char *const *patterns, size_t n);
void metrics_free(void);

/* A request answered STATUS after NS nanoseconds; ROUTE is the index of the route it was
 * dispatched to, or METRICS_NO_ROUTE (no route matched, or refused before routing). */
#define METRICS_NO_ROUTE SIZE_MAX
void metrics_request(size_t route, unsigned int status, uint64_t ns);
void metrics_signin(enum metrics_signin outcome);
/* One request to keyd and its reply. */
void metrics_keyd_round_trip(uint64_t ns);
/* One database COMMIT, from sending it to its answer. */
void metrics_commit(uint64_t ns);
/* File content bytes received or sent (the plaintext a client uploaded or downloaded). */
void metrics_bytes(enum metrics_direction direction, uint64_t n);
/* A backup made and verified at UNIX_TIME, BYTES long. */
void metrics_backup_succeeded(int64_t unix_time, uint64_t bytes);
/* A verification of every audit chain at UNIX_TIME found CHAINS_NOT_INTACT broken. */
void metrics_audit_verified(int64_t unix_time, uint64_t chains_not_intact);

/* The alerts' kinds, by their enum's order (alerts/alerts.h; NAMES borrowed, N at most
 * METRICS_ALERT_KINDS_MAX), and one of kind KIND raised. */
#define METRICS_ALERT_KINDS_MAX 16
void metrics_name_alerts(const char *const *names, unsigned int n);
void metrics_alert(unsigned int kind);

/* What is read at each scrape rather than counted: sessions open now (-1: unknown). */
struct metrics_now {
	int64_t sessions_open;
};

/* Writes every metric to OUT. */
COFFER_MUST_CHECK enum coffer_err metrics_render(FILE *out, const struct metrics_now *now);

#endif
