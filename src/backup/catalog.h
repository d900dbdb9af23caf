/* catalog.h — the snapshots in a backup directory, and keeping them for so many days.
 *
 * Only files named as coffer names snapshots (format.h) count; a snapshot's time is the one in
 * its name, which is the one in its header. Every snapshot in the directory was verified when
 * it was made (backup_create removes one that does not verify).
 */
#ifndef COFFER_BACKUP_CATALOG_H
#define COFFER_BACKUP_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"
#include "common/err.h"

struct backup_entry {
	char name[BACKUP_FILE_NAME_LEN + 1];
	int64_t time;
	uint64_t size;
	uint32_t master_version; /* 0 when the header cannot be read */
};

/* The snapshots in DIR, newest first, into *OUT (free()) and *N. A missing DIR holds none. */
COFFER_MUST_CHECK enum coffer_err backup_catalog_list(const char *dir, struct backup_entry **out,
						      size_t *n);

/* Deletes the snapshots in DIR made more than KEEP_DAYS days before NOW, but never the newest
 * one, whatever its age. *REMOVED counts them. Also removes temporary files of interrupted
 * runs once they are a day old. */
COFFER_MUST_CHECK enum coffer_err backup_catalog_prune(const char *dir, int64_t now,
						       unsigned int keep_days, size_t *removed);

#endif
