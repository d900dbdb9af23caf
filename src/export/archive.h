/* archive.h — the archive of one export while it is made: its counts and its files' entries,
 * shared by the makers of its members. Internal to src/export/.
 *
 * Layout of the archive (docs/EXPORTS.md):
 *   records/<id>.json   a record: its current version and every version of its history
 *   records/<id>.txt    the same record's current version, to read
 *   files/<name>        each file under its own (safe, unique) name
 *   files.jsonl         one line per file: its id, name, path in the archive, size, SHA-256...
 *   audit.jsonl         the organisation's audit trail, one entry a line
 *   manifest.json       what the archive holds, and what was left out above the clearance
 */
#ifndef COFFER_EXPORT_ARCHIVE_H
#define COFFER_EXPORT_ARCHIVE_H

#include <jansson.h>
#include <zip.h>

#include "export/job.h"
#include "export/zip_name.h"

/* One file of the archive: what is known of it when it is listed (its row, and its name and
 * SHA-256 as uploaded), and what writing it found. */
struct file_item {
	struct archive *a;
	struct file_row row;
	char name[FILE_NAME_MAX + 1];	      /* its own name, as uploaded */
	char path[ZIP_NAME_VARIANT_MAX + 16]; /* "files/<safe name>" */
	uint8_t sha256[32];		      /* as uploaded */
	const char *outcome;		      /* "exported", "deleted", "above_clearance" */
};

struct archive {
	struct export_job *j;
	uint64_t records, versions, files, audit_entries;
	uint64_t above_records, above_files, above_versions, deleted;
	struct file_item **items; /* the files, in archive order (owned by their members) */
	size_t n_items, cap_items;
};

/* Adds a member per record at or below the clearance (a JSON one and a text one). */
COFFER_MUST_CHECK enum coffer_err archive_add_records(struct archive *a, zip_t *za);
/* Adds a member per file at or below the clearance. */
COFFER_MUST_CHECK enum coffer_err archive_add_files(struct archive *a, zip_t *za);
/* Adds audit.jsonl. */
COFFER_MUST_CHECK enum coffer_err archive_add_audit(struct archive *a, zip_t *za);

/* A piece a member made: a malloc'd buffer that may hold content, wiped when replaced. */
struct piece {
	char *data;
	size_t len;
};
/* Replaces P by the LEN bytes at DATA (copied); COFFER_ERR_NOMEM. */
COFFER_MUST_CHECK enum coffer_err piece_set(struct piece *p, const char *data, size_t len);
/* Replaces P by J dumped compactly (J is decref'd) and a newline when NL. */
COFFER_MUST_CHECK enum coffer_err piece_json(struct piece *p, json_t *j, bool nl);
/* Wipes and frees P. */
void piece_clear(struct piece *p);

#endif
