/* alerts.c — raising an alert (alerts.h): once an hour at most for the same one, then stored,
 * audited, counted and handed to the alert runner. */
#include "alerts/alerts.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/chain.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "metrics/metrics.h"
#include "store/store.h"

#define REPEAT_AFTER_S 3600
/* Alerts recently raised, by a keyed hash of (kind, organisation, subject): a small table,
 * each looked up in a window of slots; a full window forgets its oldest. */
#define RECENT_SLOTS  1024
#define RECENT_WINDOW 8
/* Lines kept for the runner until it starts (the first verification of the audit chains runs
 * before it does). */
#define EARLY_MAX 32

static const char *const KIND_NAMES[ALERT__COUNT] = {
    [ALERT_SIGNIN_FAILURES_ACCOUNT] = "signin_failures_account",
    [ALERT_SIGNIN_FAILURES_ADDRESS] = "signin_failures_address",
    [ALERT_NEW_ADDRESS] = "new_address",
    [ALERT_UNUSUAL_VOLUME] = "unusual_volume",
    [ALERT_ADMIN_OFF_HOURS] = "admin_off_hours",
    [ALERT_AUDIT_CHAIN] = "audit_chain",
    [ALERT_BACKUP_FAILED] = "backup_failed",
};

struct recent {
	uint64_t key;
	int64_t time;
};

static struct {
	bool on;
	struct {
		struct store *store;
		alert_org_append_fn org_append;
		void *org_ctx;
		int runner_fd;
	} deps;
	pthread_mutex_t mu;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct recent recent[RECENT_SLOTS];
	bool runner_set;
	char *early[EARLY_MAX];
	size_t n_early;
} sink = {.mu = PTHREAD_MUTEX_INITIALIZER};

const char *alert_kind_name(enum alert_kind kind)
{
	return (unsigned int)kind < ALERT__COUNT ? KIND_NAMES[kind] : "unknown";
}

enum coffer_err alerts_init(struct store *store)
{
	if (sink.on || store == NULL)
		return COFFER_ERR_INTERNAL;
	sink.deps.store = store;
	sink.deps.org_append = NULL;
	sink.deps.runner_fd = -1;
	crypto_shorthash_keygen(sink.hash_key);
	memset(sink.recent, 0, sizeof sink.recent);
	metrics_name_alerts(KIND_NAMES, ALERT__COUNT);
	sink.on = true;
	return COFFER_OK;
}

void alerts_set_org_chains(alert_org_append_fn append, void *ctx)
{
	sink.deps.org_append = append;
	sink.deps.org_ctx = ctx;
}

static void write_line(char *line, size_t len)
{
	ssize_t w = write(sink.deps.runner_fd, line, len);
	if (w != (ssize_t)len)
		log_msg(LOG_WARN, "alert", "an alert was not passed to alert_command: %s",
			w < 0 && errno == EAGAIN ? "it is behind" : "it is gone");
}

void alerts_set_runner(int fd)
{
	pthread_mutex_lock(&sink.mu);
	sink.deps.runner_fd = fd;
	sink.runner_set = true;
	for (size_t i = 0; i < sink.n_early; i++) {
		write_line(sink.early[i], strlen(sink.early[i]));
		free(sink.early[i]);
	}
	sink.n_early = 0;
	pthread_mutex_unlock(&sink.mu);
}

void alerts_shutdown(void)
{
	if (!sink.on)
		return;
	sink.on = false;
	pthread_mutex_lock(&sink.mu);
	if (sink.deps.runner_fd >= 0)
		close(sink.deps.runner_fd);
	sink.deps.runner_fd = -1;
	for (size_t i = 0; i < sink.n_early; i++)
		free(sink.early[i]);
	sink.n_early = 0;
	pthread_mutex_unlock(&sink.mu);
}

/* Whether the same alert was raised less than an hour before NOW; notes it as raised now when
 * it was not. */
static bool raised_lately(enum alert_kind kind, const char *org, const char *subject, int64_t now)
{
	char what[STORE_ALERT_KIND_MAX + STORE_ID_MAX + STORE_ALERT_SUBJECT_MAX + 4];
	int len = snprintf(what, sizeof what, "%d\n%s\n%s", (int)kind, org, subject);
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)what, (unsigned long long)len, sink.hash_key);
	uint64_t key;
	memcpy(&key, h, sizeof key);
	key |= 1; /* 0 marks an empty slot */
	size_t start = (size_t)(key % RECENT_SLOTS);
	pthread_mutex_lock(&sink.mu);
	struct recent *oldest = &sink.recent[start];
	for (size_t i = 0; i < RECENT_WINDOW; i++) {
		struct recent *r = &sink.recent[(start + i) % RECENT_SLOTS];
		if (r->key == key) {
			bool lately = now - r->time < REPEAT_AFTER_S;
			if (!lately)
				r->time = now;
			pthread_mutex_unlock(&sink.mu);
			return lately;
		}
		if (r->time < oldest->time)
			oldest = r;
	}
	oldest->key = key;
	oldest->time = now;
	pthread_mutex_unlock(&sink.mu);
	return false;
}

static void audit_it(const struct alert_record *a, const char *address, bool about_a_chain)
{
	struct audit_entry e;
	memset(&e, 0, sizeof e);
	e.time = a->time;
	snprintf(e.actor, sizeof e.actor, "coffer");
	snprintf(e.action, sizeof e.action, "alert.%s", a->kind);
	snprintf(e.target, sizeof e.target, "%s", a->subject);
	snprintf(e.ip, sizeof e.ip, "%s", address);
	snprintf(e.outcome, sizeof e.outcome, "success");
	snprintf(e.reason, sizeof e.reason, "%s", a->detail);
	struct audit_entry org_copy = e;
	if (store_audit_append(sink.deps.store, &e) != COFFER_OK)
		log_msg(LOG_ERROR, "alert",
			"an alert of kind %s could not be entered in the system "
			"audit chain",
			a->kind);
	/* A chain found altered is evidence: the alert about it goes to the system chain only,
	 * never appended to the chain in question (its organisation still lists it). */
	if (a->org_id[0] != '\0' && sink.deps.org_append != NULL && !about_a_chain &&
	    sink.deps.org_append(sink.deps.org_ctx, a->org_id, &org_copy) != COFFER_OK)
		log_msg(LOG_ERROR, "alert",
			"an alert of kind %s could not be entered in %s's "
			"audit chain",
			a->kind, a->org_id);
}

/* One JSON line to the runner, in one write (well under PIPE_BUF, so never interleaved);
 * the pipe does not block: a runner that is behind loses the line, and says so in the log.
 * Before the runner starts, the line waits (a few at most). J is taken. */
static void send_line(json_t *j)
{
	if (sink.runner_set && sink.deps.runner_fd < 0) {
		json_decref(j);
		return; /* no alert_command */
	}
	char *line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (line == NULL)
		return;
	size_t n = strlen(line);
	char *text = realloc(line, n + 2);
	if (text == NULL) {
		free(line);
		return;
	}
	text[n] = '\n';
	text[n + 1] = '\0';
	pthread_mutex_lock(&sink.mu);
	if (!sink.runner_set && sink.n_early < EARLY_MAX) {
		sink.early[sink.n_early++] = text;
		text = NULL;
	} else if (sink.runner_set) {
		write_line(text, n + 1);
	}
	pthread_mutex_unlock(&sink.mu);
	free(text);
}

static void hand_over(const struct alert_record *a, const char *address)
{
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(a->time, when);
	send_line(json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s,s:s}", "id", (json_int_t)a->seq, "time",
			    when, "kind", a->kind, "org_id", a->org_id[0] ? a->org_id : NULL,
			    "subject", a->subject, "detail", a->detail, "address", address));
}

void alert_pass_on(const struct alert_line *l)
{
	if (!sink.on)
		return;
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(l->time, when);
	send_line(json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s,s:s,s:s,s:s}", "notice_id",
			    (json_int_t)l->notice_id, "time", when, "kind", l->kind, "org_id",
			    l->org_id != NULL && l->org_id[0] ? l->org_id : NULL, "subject",
			    l->user_id, "detail", l->detail, "address", l->address, "user_id",
			    l->user_id, "email", l->email));
}

bool alert_raise(enum alert_kind kind, const char *org_id, const char *subject, const char *detail,
		 const char *address)
{
	if (!sink.on || (unsigned int)kind >= ALERT__COUNT)
		return false;
	struct alert_record a;
	memset(&a, 0, sizeof a);
	a.time = time_now();
	snprintf(a.kind, sizeof a.kind, "%s", KIND_NAMES[kind]);
	snprintf(a.org_id, sizeof a.org_id, "%s", org_id != NULL ? org_id : "");
	snprintf(a.subject, sizeof a.subject, "%s", subject);
	snprintf(a.detail, sizeof a.detail, "%s", detail);
	if (raised_lately(kind, a.org_id, a.subject, a.time))
		return false;
	if (store_alert_add(sink.deps.store, &a) != COFFER_OK)
		log_msg(LOG_ERROR, "alert", "an alert of kind %s could not be stored", a.kind);
	metrics_alert((unsigned int)kind);
	/* The log names the alert, not its subject (which may be what someone typed). */
	log_event(LOG_WARN, "alert",
		  json_pack("{s:I,s:s,s:s?}", "id", (json_int_t)a.seq, "kind", a.kind, "org_id",
			    a.org_id[0] ? a.org_id : NULL));
	audit_it(&a, address != NULL ? address : "", kind == ALERT_AUDIT_CHAIN);
	hand_over(&a, address != NULL ? address : "");
	return true;
}
