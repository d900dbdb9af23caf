/* metrics.c — the registry of metrics.h and its rendering in Prometheus's text format. */
#include "metrics/metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

/* Upper bounds in seconds, from half a millisecond (a cached read) to ten seconds (a request
 * that waited on a failover); +Inf is implicit. */
static const double BOUNDS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				0.1,	0.25,  0.5,    1,     2.5,  5,	   10};
#define N_BOUNDS (sizeof BOUNDS / sizeof BOUNDS[0])

struct histogram {
	atomic_uint_fast64_t buckets[N_BOUNDS + 1]; /* per bucket, not cumulative; last: +Inf */
	atomic_uint_fast64_t sum_ns;
};

#define STATUS_MIN 100
#define STATUS_MAX 599
#define N_STATUS   (STATUS_MAX - STATUS_MIN + 1)

/* A route's counters: requests by status (an HTTP status is three digits, so a plain array),
 * and their durations. */
struct route_counts {
	atomic_uint_fast64_t by_status[N_STATUS];
	struct histogram duration;
};

struct registry {
	const char *const *methods, *const *patterns;
	size_t n_routes;
	struct route_counts *counts; /* n_routes + 1: the last for requests matching none */
	atomic_uint_fast64_t signins[METRICS_SIGNIN__COUNT];
	atomic_uint_fast64_t bytes[METRICS_DIRECTION__COUNT];
	struct histogram keyd, commit;
	atomic_int_fast64_t backup_time, backup_bytes;
	atomic_int_fast64_t audit_time, audit_not_intact;
	atomic_uint_fast64_t alerts[METRICS_ALERT_KINDS_MAX];
	const char *const *alert_names;
	unsigned int n_alert_kinds;
};

static struct registry *reg;

enum coffer_err metrics_init(const char *const *methods, const char *const *patterns, size_t n)
{
	if (reg != NULL)
		return COFFER_ERR_INTERNAL;
	struct registry *r = calloc(1, sizeof *r);
	if (r == NULL)
		return COFFER_ERR_NOMEM;
	r->counts = calloc(n + 1, sizeof *r->counts);
	if (r->counts == NULL) {
		free(r);
		return COFFER_ERR_NOMEM;
	}
	r->methods = methods;
	r->patterns = patterns;
	r->n_routes = n;
	atomic_init(&r->audit_not_intact, -1); /* not verified yet */
	reg = r;
	return COFFER_OK;
}

void metrics_free(void)
{
	if (reg == NULL)
		return;
	free(reg->counts);
	free(reg);
	reg = NULL;
}

static void observe(struct histogram *h, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;
	while (i < N_BOUNDS && s > BOUNDS[i])
		i++;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void metrics_request(size_t route, unsigned int status, uint64_t ns)
{
	if (reg == NULL)
		return;
	size_t i = route < reg->n_routes ? route : reg->n_routes;
	struct route_counts *c = &reg->counts[i];
	if (status >= STATUS_MIN && status <= STATUS_MAX)
		atomic_fetch_add_explicit(&c->by_status[status - STATUS_MIN], 1,
					  memory_order_relaxed);
	observe(&c->duration, ns);
}

void metrics_signin(enum metrics_signin outcome)
{
	if (reg != NULL && outcome < METRICS_SIGNIN__COUNT)
		atomic_fetch_add_explicit(&reg->signins[outcome], 1, memory_order_relaxed);
}

void metrics_keyd_round_trip(uint64_t ns)
{
	if (reg != NULL)
		observe(&reg->keyd, ns);
}

void metrics_commit(uint64_t ns)
{
	if (reg != NULL)
		observe(&reg->commit, ns);
}

void metrics_bytes(enum metrics_direction direction, uint64_t n)
{
	if (reg != NULL && direction < METRICS_DIRECTION__COUNT)
		atomic_fetch_add_explicit(&reg->bytes[direction], n, memory_order_relaxed);
}

void metrics_name_alerts(const char *const *names, unsigned int n)
{
	if (reg == NULL)
		return;
	reg->alert_names = names;
	reg->n_alert_kinds = n < METRICS_ALERT_KINDS_MAX ? n : METRICS_ALERT_KINDS_MAX;
}

void metrics_alert(unsigned int kind)
{
	if (reg != NULL && kind < reg->n_alert_kinds)
		atomic_fetch_add_explicit(&reg->alerts[kind], 1, memory_order_relaxed);
}

void metrics_backup_succeeded(int64_t unix_time, uint64_t bytes)
{
	if (reg == NULL)
		return;
	atomic_store(&reg->backup_time, unix_time);
	atomic_store(&reg->backup_bytes, (int_fast64_t)bytes);
}

void metrics_audit_verified(int64_t unix_time, uint64_t chains_not_intact)
{
	if (reg == NULL)
		return;
	atomic_store(&reg->audit_time, unix_time);
	atomic_store(&reg->audit_not_intact, (int_fast64_t)chains_not_intact);
}

/* ------------------------------------------------------------------------------ rendering */

/* A label value: backslash, double quote and newline escaped, as the format asks. Route
 * patterns and methods are ours, but escaping keeps the output valid whatever they hold. */
static void label(FILE *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

static void help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* NAME's _bucket, _sum and _count lines; LABELS ("" or 'a="b",') goes before le. */
static void histogram_lines(FILE *out, const char *name, const char *labels,
			    const struct histogram *h)
{
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= N_BOUNDS; i++) {
		cumulative += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
		if (i < N_BOUNDS)
			fprintf(out, "%s_bucket{%sle=\"%g\"} %" PRIu64 "\n", name, labels,
				BOUNDS[i], cumulative);
		else
			fprintf(out, "%s_bucket{%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
				cumulative);
	}
	/* Without braces when there are no labels. */
	size_t n = strlen(labels);
	double sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
	if (n == 0) {
		fprintf(out, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name, sum, name, cumulative);
	} else {
		fprintf(out, "%s_sum{%.*s} %.9f\n", name, (int)(n - 1), labels, sum);
		fprintf(out, "%s_count{%.*s} %" PRIu64 "\n", name, (int)(n - 1), labels,
			cumulative);
	}
}

/* 'method="GET",route="/p",' for route I (the last: none matched). */
static void route_labels(char *buf, size_t len, size_t i)
{
	FILE *f = fmemopen(buf, len, "w");
	if (f == NULL) {
		buf[0] = '\0';
		return;
	}
	if (i < reg->n_routes) {
		fputs("method=\"", f);
		label(f, reg->methods[i]);
		fputs("\",route=\"", f);
		label(f, reg->patterns[i]);
		fputs("\",", f);
	} else {
		fputs("method=\"\",route=\"none\",", f);
	}
	if (fclose(f) != 0)
		buf[0] = '\0';
}

static bool route_used(const struct route_counts *c)
{
	for (size_t s = 0; s <= N_BOUNDS; s++)
		if (atomic_load_explicit(&c->duration.buckets[s], memory_order_relaxed) != 0)
			return true;
	return false;
}

static void requests(FILE *out)
{
	char labels[512];
	help(out, "coffer_http_requests_total", "counter",
	     "HTTP requests answered, by route pattern, method and status.");
	for (size_t i = 0; i <= reg->n_routes; i++) {
		const struct route_counts *c = &reg->counts[i];
		if (!route_used(c))
			continue;
		route_labels(labels, sizeof labels, i);
		for (unsigned int s = 0; s < N_STATUS; s++) {
			uint64_t v = atomic_load_explicit(&c->by_status[s], memory_order_relaxed);
			if (v != 0)
				fprintf(out,
					"coffer_http_requests_total{%sstatus=\"%u\"} %" PRIu64 "\n",
					labels, s + STATUS_MIN, v);
		}
	}
	help(out, "coffer_http_request_duration_seconds", "histogram",
	     "Time from a request's arrival to its answer, by route pattern and method.");
	for (size_t i = 0; i <= reg->n_routes; i++) {
		if (!route_used(&reg->counts[i]))
			continue;
		route_labels(labels, sizeof labels, i);
		histogram_lines(out, "coffer_http_request_duration_seconds", labels,
				&reg->counts[i].duration);
	}
}

enum coffer_err metrics_render(FILE *out, const struct metrics_now *now)
{
	if (reg == NULL)
		return COFFER_ERR_INTERNAL;
	help(out, "coffer_build_info", "gauge", "The running coffer's version (always 1).");
	fprintf(out, "coffer_build_info{version=\"%s\"} 1\n", COFFER_VERSION);
	requests(out);

	static const char *const outcomes[] = {"succeeded", "failed", "throttled"};
	help(out, "coffer_signins_total", "counter",
	     "Sign-in attempts by outcome: succeeded, failed (a wrong password or code, an unknown "
	     "account) or throttled (refused before any check).");
	for (int i = 0; i < METRICS_SIGNIN__COUNT; i++)
		fprintf(out, "coffer_signins_total{outcome=\"%s\"} %" PRIu64 "\n", outcomes[i],
			(uint64_t)atomic_load(&reg->signins[i]));

	help(out, "coffer_keyd_round_trip_seconds", "histogram",
	     "One request to the key service (keyd) and its reply.");
	histogram_lines(out, "coffer_keyd_round_trip_seconds", "", &reg->keyd);
	help(out, "coffer_db_commit_seconds", "histogram",
	     "One database COMMIT, durable when it returns.");
	histogram_lines(out, "coffer_db_commit_seconds", "", &reg->commit);

	help(out, "coffer_file_bytes_total", "counter",
	     "File content bytes uploaded or downloaded through the API.");
	fprintf(out, "coffer_file_bytes_total{direction=\"uploaded\"} %" PRIu64 "\n",
		(uint64_t)atomic_load(&reg->bytes[METRICS_UPLOADED]));
	fprintf(out, "coffer_file_bytes_total{direction=\"downloaded\"} %" PRIu64 "\n",
		(uint64_t)atomic_load(&reg->bytes[METRICS_DOWNLOADED]));

	if (now != NULL && now->sessions_open >= 0) {
		help(out, "coffer_sessions_open", "gauge", "Sessions that have not expired.");
		fprintf(out, "coffer_sessions_open %" PRId64 "\n", now->sessions_open);
	}

	int64_t backup_time = atomic_load(&reg->backup_time);
	help(out, "coffer_backup_last_success_timestamp_seconds", "gauge",
	     "When the last backup that succeeded was made (0: none since the start).");
	fprintf(out, "coffer_backup_last_success_timestamp_seconds %" PRId64 "\n", backup_time);
	help(out, "coffer_backup_last_success_bytes", "gauge",
	     "The size of the last backup that succeeded.");
	fprintf(out, "coffer_backup_last_success_bytes %" PRId64 "\n",
		(int64_t)atomic_load(&reg->backup_bytes));

	help(out, "coffer_alerts_total", "counter", "Alerts raised, by kind.");
	for (unsigned int k = 0; k < reg->n_alert_kinds; k++) {
		fputs("coffer_alerts_total{kind=\"", out);
		label(out, reg->alert_names[k]);
		fprintf(out, "\"} %" PRIu64 "\n", (uint64_t)atomic_load(&reg->alerts[k]));
	}

	help(out, "coffer_audit_chains_not_intact", "gauge",
	     "Audit chains the last verification found altered (-1: not verified yet).");
	fprintf(out, "coffer_audit_chains_not_intact %" PRId64 "\n",
		(int64_t)atomic_load(&reg->audit_not_intact));
	help(out, "coffer_audit_last_verified_timestamp_seconds", "gauge",
	     "When every audit chain was last verified (0: not yet).");
	fprintf(out, "coffer_audit_last_verified_timestamp_seconds %" PRId64 "\n",
		(int64_t)atomic_load(&reg->audit_time));
	return ferror(out) ? COFFER_ERR_NOMEM : COFFER_OK;
}
