/* pg_commit.c — COMMIT, and when its answer does not mean "durable" (see pg_query.h).
 *
 * Under synchronous replication a COMMIT is first written on the leader, then waits until the
 * synchronous standby has it too. PostgreSQL lets that wait be cancelled — by a statement
 * timeout, pg_cancel_backend, or the server shutting down — and then answers COMMIT anyway,
 * with a WARNING that the transaction "has already committed locally, but might not have been
 * replicated to the standby". After a failover to that standby, such a commit is gone. So:
 *
 *   - the session's statement_timeout is lifted for the COMMIT itself (SET LOCAL in the same
 *     round trip), so that the server never cancels the wait on its own;
 *   - coffer keeps its own deadline instead: a COMMIT unanswered by then is abandoned with its
 *     connection, and its outcome is unknown;
 *   - any WARNING the server sends while the COMMIT runs makes the outcome unknown as well.
 *
 * An unknown outcome is COFFER_ERR_UNAVAILABLE (a 503 the client may retry), never success. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "metrics/metrics.h"
#include "store/postgres/pg_err.h"
#include "store/postgres/pg_query.h"

/* One round trip. Simple-query statements are timed one by one (PostgreSQL 13 and later), and
 * the COMMIT's timer starts after the SET, so the COMMIT runs without one. */
#define COMMIT_SQL "SET LOCAL statement_timeout = 0; COMMIT"

void pg_commit_notice(void *arg, const PGresult *notice)
{
	struct pg_conn *c = arg;
	const char *severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (c->committing && severity != NULL && strcmp(severity, "WARNING") == 0)
		c->commit_in_doubt = true;
	/* Every other notice is dropped: raw on stderr it would sit among the JSON log lines,
	 * and it may quote values. */
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Waits until libpq holds a whole result (or none is to come). false: the deadline passed or
 * the connection failed. */
static bool wait_for_result(PGconn *pq, const struct timespec *deadline)
{
	while (PQisBusy(pq)) {
		long left = ms_left(deadline);
		if (left <= 0)
			return false;
		struct pollfd p = {.fd = PQsocket(pq), .events = POLLIN};
		if (p.fd < 0)
			return false;
		int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno != EINTR)
			return false;
		if (r > 0 && PQconsumeInput(pq) == 0)
			return false;
	}
	return true;
}

enum coffer_err pg_commit(struct pg_conn *c)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += c->commit_timeout_ms / 1000;
	deadline.tv_nsec += (long)(c->commit_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	uint64_t started = time_mono_ns();
	c->committing = true;
	c->commit_in_doubt = false;
	enum coffer_err err = COFFER_OK;
	bool answered = false, unknown = false;
	const char *state = NULL;
	char refused[8] = "";
	if (PQsendQuery(c->pq, COMMIT_SQL) == 0) {
		unknown = true; /* it may have left before the connection failed */
	} else {
		for (;;) {
			if (!wait_for_result(c->pq, &deadline)) {
				unknown = true;
				break;
			}
			PGresult *res = PQgetResult(c->pq);
			if (res == NULL)
				break;
			if (err == COFFER_OK) {
				err = pg_err_result(c->pq, res);
				if (err != COFFER_OK)
					state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				if (state != NULL)
					snprintf(refused, sizeof refused, "%s", state);
				state = NULL;
				if (err == COFFER_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0)
					answered = true;
				else if (err == COFFER_OK &&
					 strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
					/* The transaction had failed: PostgreSQL rolled it back. */
					err = COFFER_ERR_STORAGE;
			}
			PQclear(res);
		}
	}
	c->committing = false;
	metrics_commit(time_mono_ns() - started);
	/* UNAVAILABLE: the connection failed under the COMMIT, or the server is shutting down
	 * while it ran; either way it may or may not have happened. */
	if (unknown || err == COFFER_ERR_UNAVAILABLE || PQstatus(c->pq) != CONNECTION_OK ||
	    c->commit_in_doubt) {
		c->broken = true; /* abandoned mid-statement, or the server said it was cut short */
		log_msg(LOG_WARN, "pg", "COMMIT on %s %s: outcome unknown", c->db,
			c->commit_in_doubt ? "warned that its wait for the standby was cut short"
			: PQstatus(c->pq) != CONNECTION_OK ? "lost its connection"
							   : "unanswered in time");
		return COFFER_ERR_UNAVAILABLE;
	}
	if (err == COFFER_OK && !answered) {
		log_msg(LOG_ERROR, "pg", "COMMIT on %s answered no COMMIT", c->db);
		err = COFFER_ERR_STORAGE;
	} else if (err != COFFER_OK) {
		/* Refused (a deferred constraint, a serialisation failure): it did not happen. */
		log_msg(LOG_WARN, "pg", "COMMIT on %s refused: SQLSTATE %s", c->db,
			refused[0] ? refused : "none");
	}
	return err;
}
