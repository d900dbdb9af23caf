/* export_reads.h — the reads an organisation's export needs beyond the content routes': what
 * lies above a clearance (to say in the manifest what was left out) and the content of a
 * record's earlier versions (its history). Same storage, same rules as store.h.
 */
#ifndef COFFER_STORE_EXPORT_READS_H
#define COFFER_STORE_EXPORT_READS_H

#include <stdint.h>

#include "store/store.h"

/* How many records (not deleted) and files lie above LEVEL. */
COFFER_MUST_CHECK enum coffer_err store_org_count_above(struct org_db *odb, enum level level,
							uint64_t *records, uint64_t *files);

/* Version VERSION of record ID as it was written: its metadata as of that version (level,
 * updated_*), its data key and its sealed title and body (OUT->body malloc'd: free it).
 * COFFER_ERR_NOT_FOUND when there is no such version with content (the record is deleted, or
 * the version is the delete itself). */
COFFER_MUST_CHECK enum coffer_err store_record_version_get(struct org_db *odb, const char *id,
							   uint32_t version,
							   struct record_row *out);

#endif
