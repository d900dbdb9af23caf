/* nightly.h — `coffer serve`'s own backups: a snapshot every night at backup_at in
 * backup_time_zone, into backup_dir, snapshots older than backup_keep_days pruned after each
 * success (never the newest); and one on demand (a sysadmin's POST /api/v1/admin/backups).
 *
 * One thread, started before the web process's sandbox. A failed run is logged at error level,
 * kept for sysadmins to see, and simply tried again at the next run: serving never stops for a
 * backup. Snapshot keys come from keyd (BACKUP_KEY); checkpoints of the copied chains from the
 * process's audit signer (keyd).
 */
#ifndef COFFER_BACKUP_NIGHTLY_H
#define COFFER_BACKUP_NIGHTLY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "backup/format.h"
#include "common/err.h"
#include "config/config.h"

struct backup_nightly;
struct keyd_client;

#define BACKUP_FAILURES_KEPT 10

struct backup_failure {
	int64_t time;
	char why[256];
};

/* What sysadmins see (metadata only). */
struct backup_status {
	bool running;
	int64_t next_run;			 /* seconds since the epoch */
	int64_t last_success, last_success_size; /* 0 when none since the server started */
	char last_success_name[BACKUP_FILE_NAME_LEN + 1];
	size_t n_failures; /* the most recent, newest first */
	struct backup_failure failures[BACKUP_FAILURES_KEPT];
	char dir[PATH_MAX];
	unsigned int at, keep_days;
	char zone[CONFIG_ZONE_MAX + 1];
};

/* Sets up the runner for DATA_DIR with CFG's backup settings (not started). COFFER_ERR_CONFIG
 * when backup_time_zone is not a zone this system knows. */
COFFER_MUST_CHECK enum coffer_err backup_nightly_new(const char *data_dir,
						     const struct coffer_config *cfg,
						     struct keyd_client *keyd,
						     struct backup_nightly **out);
/* Starts its thread. */
COFFER_MUST_CHECK enum coffer_err backup_nightly_start(struct backup_nightly *n);
/* Asks for a run now: COFFER_ERR_EXISTS when one is running or asked for already. */
COFFER_MUST_CHECK enum coffer_err backup_nightly_run_now(struct backup_nightly *n);
void backup_nightly_status(struct backup_nightly *n, struct backup_status *out);
/* Stops the thread (waiting for a run in progress to end) and frees N. NULL is fine. */
void backup_nightly_free(struct backup_nightly *n);

/* The first instant after NOW at which the local time in ZONE reaches minute AT of the day
 * (on a day whose clock skips it, the first minute after the skip): what the runner waits for.
 * COFFER_ERR_INVALID_INPUT for a zone tz_local_time refuses. */
COFFER_MUST_CHECK enum coffer_err backup_next_run(const char *zone, unsigned int at, int64_t now,
						  int64_t *next);

#endif
