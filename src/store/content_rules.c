/* content_rules.c — the checks both engines make on content before storing it
 * (content_rules.h). */
#include "store/content_rules.h"

#include <string.h>

#include "common/uuid.h"

bool data_key_matches(const struct data_key_record *k, const char *kind, const char *id,
		      uint32_t version, enum level level)
{
	return strncmp(k->kind, kind, sizeof k->kind) == 0 &&
	       strncmp(k->object_id, id, sizeof k->object_id) == 0 &&
	       k->object_version == version && k->level == level;
}

enum coffer_err data_key_check(const struct data_key_record *k)
{
	if (!memchr(k->kind, '\0', sizeof k->kind) || !uuid_valid(k->object_id) ||
	    (unsigned int)k->level > LEVEL_RESTRICTED)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err record_version_check(const struct record_row *row, const char *by, int64_t at)
{
	const struct record_meta *m = &row->meta;
	if (!uuid_valid(m->id) || !uuid_valid(by) || at < 0 ||
	    (unsigned int)m->level > LEVEL_RESTRICTED || m->version == 0 ||
	    !data_key_matches(&row->key, "record", m->id, m->version, m->level) ||
	    row->title_len == 0 || row->title_len > sizeof row->title || row->body == NULL ||
	    row->body_len == 0 || row->body_len > RECORD_BODY_SEALED_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err file_row_check(const struct file_row *row)
{
	if (!uuid_valid(row->id) || !uuid_valid(row->created_by) || row->created_at < 0 ||
	    (unsigned int)row->level > LEVEL_RESTRICTED || row->size > INT64_MAX ||
	    !memchr(row->content_type, '\0', sizeof row->content_type) || row->meta_len == 0 ||
	    row->meta_len > sizeof row->meta ||
	    !data_key_matches(&row->key, "file", row->id, 1, row->level))
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

enum coffer_err content_list_check(enum level max_level, size_t limit, size_t max)
{
	if ((unsigned int)max_level > LEVEL_RESTRICTED || limit == 0 || limit > max)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}
