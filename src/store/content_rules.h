/* content_rules.h — what an organisation's content must be before either engine stores it:
 * pure checks, no database, so SQLite and PostgreSQL refuse exactly the same input with the
 * same error (COFFER_ERR_INVALID_INPUT). Fields an engine sends as text are checked to end
 * within their arrays. */
#ifndef COFFER_STORE_CONTENT_RULES_H
#define COFFER_STORE_CONTENT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/store.h"

/* Whether K belongs to object (KIND, ID, VERSION, LEVEL): a write refuses a data key bound to
 * another object, which could never open its content. */
bool data_key_matches(const struct data_key_record *k, const char *kind, const char *id,
		      uint32_t version, enum level level);

/* A data key to be stored: its kind ends within its array, its object id is a UUID and its
 * level a level (the database's constraints check the rest). */
COFFER_MUST_CHECK enum coffer_err data_key_check(const struct data_key_record *k);

/* A record version to be written by BY at AT: its id, level and version, its key bound to
 * exactly that, and sealed title and body within bounds. */
COFFER_MUST_CHECK enum coffer_err record_version_check(const struct record_row *row, const char *by,
						       int64_t at);

/* A file row to be added: its ids, level, size, content type and sealed metadata, and its key
 * bound to (file, id, 1, level). */
COFFER_MUST_CHECK enum coffer_err file_row_check(const struct file_row *row);

/* A listing page's reader level and LIMIT (1..MAX). */
COFFER_MUST_CHECK enum coffer_err content_list_check(enum level max_level, size_t limit,
						     size_t max);

#endif
