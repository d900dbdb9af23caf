/* backups.c — the nightly snapshots of a SQLite deployment: made within the last 26 hours
 * (a day and some slack for a slow run), and kept off DATA's file system, which a disk failure
 * would take with them. On PostgreSQL the backups are pgBackRest's (docs/DEPLOY.md "Backups"),
 * which coffer cannot see. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup/catalog.h"
#include "check/check.h"
#include "common/timefmt.h"

#define RECENT_S (26 * 3600)

static void where(const struct check_context *ctx, const char *dir, struct check_findings *f)
{
	struct stat data, bk;
	char probe[PATH_MAX];
	snprintf(probe, sizeof probe, "%s", dir);
	/* A directory not made yet will be made in its parent. */
	while (stat(probe, &bk) != 0 && strcmp(probe, "/") != 0 && strcmp(probe, ".") != 0)
		snprintf(probe, sizeof probe, "%s", dirname(probe));
	if (stat(ctx->data_dir, &data) != 0 || stat(probe, &bk) != 0)
		check_add(f, "backup.filesystem", CHECK_WARNING, NULL, "cannot examine %s", dir);
	else if (data.st_dev == bk.st_dev)
		check_add(f, "backup.filesystem", CHECK_WARNING,
			  "backup_dir on another disk or a network share (and copy the snapshots "
			  "off the machine)",
			  "the snapshots in %s are on DATA's file system: one disk failure loses "
			  "both",
			  dir);
	else
		check_add(f, "backup.filesystem", CHECK_OK, NULL,
			  "the snapshots in %s are on another file system than DATA", dir);
}

void check_backups(const struct check_context *ctx, struct check_findings *f)
{
	if (ctx->cfg->database == CONFIG_DB_POSTGRESQL) {
		check_add(f, "backup.postgresql", CHECK_INFO,
			  "check pgBackRest's own status (pgbackrest info) and its restore drill",
			  "the store is PostgreSQL: its backups are pgBackRest's (docs/DEPLOY.md "
			  "\"Backups\"), which coffer does not see");
		return;
	}
	char dir[PATH_MAX], when[TIMEFMT_RFC3339_LEN];
	const char *b = ctx->cfg->backup_dir;
	snprintf(dir, sizeof dir, "%s%s%s", b[0] == '/' ? "" : ctx->data_dir,
		 b[0] == '/' ? "" : "/", b);
	struct backup_entry *list = NULL;
	size_t n = 0;
	const char *fix = "see coffer serve's log (event backup) and GET /api/v1/admin/backups; "
			  "coffer backup create makes one now";
	if (backup_catalog_list(dir, &list, &n) != COFFER_OK) {
		check_add(f, "backup.last_success", CHECK_ERROR, fix,
			  "the backup directory %s cannot be read", dir);
	} else if (n == 0) {
		check_add(f, "backup.last_success", CHECK_ERROR, fix, "%s holds no snapshot", dir);
	} else {
		timefmt_rfc3339(list[0].time, when);
		if (ctx->now - list[0].time > RECENT_S)
			check_add(f, "backup.last_success", CHECK_ERROR, fix,
				  "the newest snapshot, %s, was made at %s, more than 26 hours ago",
				  list[0].name, when);
		else
			check_add(f, "backup.last_success", CHECK_OK, NULL,
				  "the newest snapshot, %s, was made at %s", list[0].name, when);
	}
	free(list);
	where(ctx, dir, f);
}
