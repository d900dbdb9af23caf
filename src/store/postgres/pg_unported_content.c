/* pg_unported_content.c — calls of store.h the PostgreSQL store does not answer yet (content): each
 * is refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file goes once they are
 * ported; `coffer serve` refuses database = postgresql while any such file exists. */
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_data_key_put(struct pg_org_db *odb, const struct data_key_record *k)
{
	(void)odb;
	(void)k;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_data_key_get(struct pg_org_db *odb, const char *kind,
				      const char *object_id, uint32_t object_version,
				      struct data_key_record *out)
{
	(void)odb;
	(void)kind;
	(void)object_id;
	(void)object_version;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_data_keys_wrapped_before(struct pg_org_db *odb, uint32_t org_key_version,
						  struct data_key_record *out, size_t max,
						  size_t *n)
{
	(void)odb;
	(void)org_key_version;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_data_keys_rewrapped(struct pg_org_db *odb,
					     const struct data_key_record *keys,
					     const uint32_t *old_version, size_t n)
{
	(void)odb;
	(void)keys;
	(void)old_version;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_create(struct pg_org_db *odb, const char *org_id,
				       const struct record_row *row, struct audit_entry *audit)
{
	(void)odb;
	(void)org_id;
	(void)row;
	(void)audit;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_update(struct pg_org_db *odb, const char *org_id,
				       const struct record_row *row, struct audit_entry *audit)
{
	(void)odb;
	(void)org_id;
	(void)row;
	(void)audit;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_delete(struct pg_org_db *odb, const char *org_id, const char *id,
				       uint32_t version, const char *actor, int64_t now,
				       struct audit_entry *audit)
{
	(void)odb;
	(void)org_id;
	(void)id;
	(void)version;
	(void)actor;
	(void)now;
	(void)audit;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_meta(struct pg_org_db *odb, const char *id, struct record_meta *out)
{
	(void)odb;
	(void)id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_get(struct pg_org_db *odb, const char *id, bool with_body,
				    struct record_row *out)
{
	(void)odb;
	(void)id;
	(void)with_body;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_records_list(struct pg_org_db *odb, enum level max_level,
				      const char *after, size_t limit, struct record_row *out,
				      size_t *n, bool *more)
{
	(void)odb;
	(void)max_level;
	(void)after;
	(void)limit;
	(void)out;
	(void)n;
	(void)more;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_history(struct pg_org_db *odb, const char *id,
					struct record_version **out, size_t *n)
{
	(void)odb;
	(void)id;
	(void)out;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_file_add(struct pg_org_db *odb, const char *org_id,
				  const struct file_row *row, struct audit_entry *audit)
{
	(void)odb;
	(void)org_id;
	(void)row;
	(void)audit;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_file_get(struct pg_org_db *odb, const char *id, struct file_row *out)
{
	(void)odb;
	(void)id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_files_list(struct pg_org_db *odb, enum level max_level, const char *after,
				    size_t limit, struct file_row *out, size_t *n, bool *more)
{
	(void)odb;
	(void)max_level;
	(void)after;
	(void)limit;
	(void)out;
	(void)n;
	(void)more;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_file_delete(struct pg_org_db *odb, const char *org_id, const char *id,
				     struct audit_entry *audit)
{
	(void)odb;
	(void)org_id;
	(void)id;
	(void)audit;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_file_exists(struct pg_org_db *odb, const char *id, bool *exists)
{
	(void)odb;
	(void)id;
	(void)exists;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_count_above(struct pg_org_db *odb, enum level level, uint64_t *records,
					 uint64_t *files)
{
	(void)odb;
	(void)level;
	(void)records;
	(void)files;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_record_version_get(struct pg_org_db *odb, const char *id, uint32_t version,
					    struct record_row *out)
{
	(void)odb;
	(void)id;
	(void)version;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}
