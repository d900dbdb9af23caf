/* dispatch.c — store.h's calls, each handed to the engine behind its handle (handle.h):
 * SQLite's sqlite_store_<name> or PostgreSQL's pg_store_<name>, which keep the promises store.h
 * makes. Opening is where the engine is chosen; everything after follows the handle. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/export_reads.h"
#include "store/handle.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

enum coffer_err store_open(const struct store_location *loc, struct store **out)
{
	if (loc == NULL || loc->data_dir == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (loc->pg == NULL)
		return store_system_open(loc->data_dir, out);
	struct pg_store *pg = NULL;
	enum coffer_err err = pg_store_open(loc->pg, loc->pg_password, loc->data_dir, &pg);
	if (err == COFFER_OK)
		*out = pg_store_public(pg);
	return err;
}

enum coffer_err store_create(const struct store_location *loc)
{
	if (loc == NULL || loc->data_dir == NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (loc->pg == NULL)
		return store_system_create(loc->data_dir);
	return pg_store_create(loc->pg, loc->pg_password);
}

enum coffer_err store_system_open(const char *data_dir, struct store **out)
{
	struct sqlite_store *st = NULL;
	enum coffer_err err = sqlite_store_system_open(data_dir, &st);
	if (err == COFFER_OK)
		*out = sqlite_store_public(st);
	return err;
}

enum coffer_err store_org_db_open(const char *data_dir, const char *org_id, bool create,
				  struct org_db **out)
{
	struct sqlite_org_db *odb = NULL;
	enum coffer_err err = sqlite_store_org_db_open(data_dir, org_id, create, &odb);
	if (err == COFFER_OK)
		*out = sqlite_org_db_public(odb);
	return err;
}

enum coffer_err store_org_db_open_in(struct store *st, const char *org_id, bool create,
				     struct org_db **out)
{
	if (st->pg == NULL)
		return store_org_db_open(sqlite_store_data_dir(st->sqlite), org_id, create, out);
	struct pg_org_db *odb = NULL;
	enum coffer_err err = pg_store_org_db_open(st->pg, org_id, create, &odb);
	if (err == COFFER_OK)
		*out = pg_org_db_public(odb);
	return err;
}

enum coffer_err store_org_cache_new(const char *data_dir, unsigned int capacity,
				    struct org_cache **out)
{
	struct sqlite_org_cache *c = NULL;
	enum coffer_err err = sqlite_store_org_cache_new(data_dir, capacity, &c);
	if (err == COFFER_OK)
		*out = sqlite_org_cache_public(c);
	return err;
}

enum coffer_err store_org_cache_for(struct store *st, unsigned int capacity, struct org_cache **out)
{
	if (st->pg == NULL)
		return store_org_cache_new(sqlite_store_data_dir(st->sqlite), capacity, out);
	struct pg_org_cache *c = NULL;
	enum coffer_err err = pg_store_org_cache_new(st->pg, capacity, &c);
	if (err == COFFER_OK)
		*out = pg_org_cache_public(c);
	return err;
}

enum coffer_err store_org_borrow(struct org_cache *c, const char *org_id, bool create,
				 struct org_db **out)
{
	enum coffer_err err;
	if (c->pg != NULL) {
		struct pg_org_db *odb = NULL;
		err = pg_store_org_borrow(c->pg, org_id, create, &odb);
		if (err == COFFER_OK)
			*out = pg_org_db_public(odb);
	} else {
		struct sqlite_org_db *odb = NULL;
		err = sqlite_store_org_borrow(c->sqlite, org_id, create, &odb);
		if (err == COFFER_OK)
			*out = sqlite_org_db_public(odb);
	}
	return err;
}

enum coffer_err store_org_storage_bytes_in(struct store *st, const char *org_id, uint64_t *bytes)
{
	if (st->pg == NULL)
		return store_org_storage_bytes(sqlite_store_data_dir(st->sqlite), org_id, bytes);
	return pg_store_org_storage_bytes(st->pg, org_id, bytes);
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->pg)
		pg_store_close(st->pg);
	else
		sqlite_store_close(st->sqlite);
}

enum coffer_err store_invite_add(struct store *st, const struct token_hash *h,
				 const struct invite_record *inv)
{
	return st->pg ? pg_store_invite_add(st->pg, h, inv)
		      : sqlite_store_invite_add(st->sqlite, h, inv);
}

enum coffer_err store_invite_get(struct store *st, const struct token_hash *h, int64_t now,
				 struct invite_record *out)
{
	return st->pg ? pg_store_invite_get(st->pg, h, now, out)
		      : sqlite_store_invite_get(st->sqlite, h, now, out);
}

enum coffer_err store_org_create(struct store *st, const char *org_id, const char *name,
				 const uint8_t *charter, size_t charter_len,
				 const struct org_key_record *key, int64_t now)
{
	return st->pg ? pg_store_org_create(st->pg, org_id, name, charter, charter_len, key, now)
		      : sqlite_store_org_create(st->sqlite, org_id, name, charter, charter_len, key,
						now);
}

enum coffer_err store_org_charter_set(struct store *st, const char *org_id, const uint8_t *charter,
				      size_t charter_len)
{
	return st->pg ? pg_store_org_charter_set(st->pg, org_id, charter, charter_len)
		      : sqlite_store_org_charter_set(st->sqlite, org_id, charter, charter_len);
}

enum coffer_err store_org_key_newest(struct store *st, const char *org_id,
				     struct org_key_record *out)
{
	return st->pg ? pg_store_org_key_newest(st->pg, org_id, out)
		      : sqlite_store_org_key_newest(st->sqlite, org_id, out);
}

enum coffer_err store_org_key_get(struct store *st, const char *org_id, uint32_t version,
				  struct org_key_record *out)
{
	return st->pg ? pg_store_org_key_get(st->pg, org_id, version, out)
		      : sqlite_store_org_key_get(st->sqlite, org_id, version, out);
}

enum coffer_err store_org_key_add(struct store *st, const char *org_id,
				  const struct org_key_record *key, int64_t now)
{
	return st->pg ? pg_store_org_key_add(st->pg, org_id, key, now)
		      : sqlite_store_org_key_add(st->sqlite, org_id, key, now);
}

enum coffer_err store_org_keys_wrapped_before(struct store *st, uint32_t master_version,
					      struct org_key_ref *out, size_t max, size_t *n)
{
	return st->pg
		   ? pg_store_org_keys_wrapped_before(st->pg, master_version, out, max, n)
		   : sqlite_store_org_keys_wrapped_before(st->sqlite, master_version, out, max, n);
}

enum coffer_err store_org_keys_rewrapped(struct store *st, const struct org_key_ref *refs,
					 const uint32_t *old_master, size_t n)
{
	return st->pg ? pg_store_org_keys_rewrapped(st->pg, refs, old_master, n)
		      : sqlite_store_org_keys_rewrapped(st->sqlite, refs, old_master, n);
}

enum coffer_err store_org_keys_destroy(struct store *st, const char *org_id)
{
	return st->pg ? pg_store_org_keys_destroy(st->pg, org_id)
		      : sqlite_store_org_keys_destroy(st->sqlite, org_id);
}

enum coffer_err store_org_deletion_request(struct store *st, const char *org_id,
					   const char *requested_by, int64_t now,
					   int64_t delete_after)
{
	return st->pg
		   ? pg_store_org_deletion_request(st->pg, org_id, requested_by, now, delete_after)
		   : sqlite_store_org_deletion_request(st->sqlite, org_id, requested_by, now,
						       delete_after);
}

enum coffer_err store_org_deletion_cancel(struct store *st, const char *org_id)
{
	return st->pg ? pg_store_org_deletion_cancel(st->pg, org_id)
		      : sqlite_store_org_deletion_cancel(st->sqlite, org_id);
}

enum coffer_err store_org_shred_begin(struct store *st, const char *org_id,
				      const char *requested_by, int64_t now)
{
	return st->pg ? pg_store_org_shred_begin(st->pg, org_id, requested_by, now)
		      : sqlite_store_org_shred_begin(st->sqlite, org_id, requested_by, now);
}

enum coffer_err store_orgs_deletion_due(struct store *st, int64_t now,
					char (*ids)[STORE_ID_MAX + 1], size_t max, size_t *n)
{
	return st->pg ? pg_store_orgs_deletion_due(st->pg, now, ids, max, n)
		      : sqlite_store_orgs_deletion_due(st->sqlite, now, ids, max, n);
}

enum coffer_err store_org_remove(struct store *st, const char *org_id)
{
	return st->pg ? pg_store_org_remove(st->pg, org_id)
		      : sqlite_store_org_remove(st->sqlite, org_id);
}

enum coffer_err store_org_db_drop(struct store *st, struct org_cache *cache, const char *org_id)
{
	if (st->pg != NULL)
		return pg_store_org_db_drop(st->pg, org_id);
	if (cache != NULL)
		sqlite_store_org_forget(cache->sqlite, org_id);
	return sqlite_store_org_db_remove(sqlite_store_data_dir(st->sqlite), org_id);
}

void store_org_db_close(struct org_db *odb)
{
	if (odb == NULL)
		return;
	if (odb->pg)
		pg_store_org_db_close(odb->pg);
	else
		sqlite_store_org_db_close(odb->sqlite);
}

enum coffer_err store_data_key_put(struct org_db *odb, const struct data_key_record *k)
{
	return odb->pg ? pg_store_data_key_put(odb->pg, k)
		       : sqlite_store_data_key_put(odb->sqlite, k);
}

enum coffer_err store_data_key_get(struct org_db *odb, const char *kind, const char *object_id,
				   uint32_t object_version, struct data_key_record *out)
{
	return odb->pg
		   ? pg_store_data_key_get(odb->pg, kind, object_id, object_version, out)
		   : sqlite_store_data_key_get(odb->sqlite, kind, object_id, object_version, out);
}

enum coffer_err store_data_keys_wrapped_before(struct org_db *odb, uint32_t org_key_version,
					       struct data_key_record *out, size_t max, size_t *n)
{
	return odb->pg ? pg_store_data_keys_wrapped_before(odb->pg, org_key_version, out, max, n)
		       : sqlite_store_data_keys_wrapped_before(odb->sqlite, org_key_version, out,
							       max, n);
}

enum coffer_err store_data_keys_rewrapped(struct org_db *odb, const struct data_key_record *keys,
					  const uint32_t *old_version, size_t n)
{
	return odb->pg ? pg_store_data_keys_rewrapped(odb->pg, keys, old_version, n)
		       : sqlite_store_data_keys_rewrapped(odb->sqlite, keys, old_version, n);
}

void store_org_cache_free(struct org_cache *c)
{
	if (c == NULL)
		return;
	if (c->pg)
		pg_store_org_cache_free(c->pg);
	else
		sqlite_store_org_cache_free(c->sqlite);
}

void store_org_return(struct org_cache *c, struct org_db *odb)
{
	if (odb == NULL)
		return;
	if (c->pg)
		pg_store_org_return(c->pg, odb->pg);
	else
		sqlite_store_org_return(c->sqlite, odb->sqlite);
}

unsigned int store_org_cache_open_count(struct org_cache *c)
{
	return c->pg ? pg_store_org_cache_open_count(c->pg)
		     : sqlite_store_org_cache_open_count(c->sqlite);
}

enum coffer_err store_org_audit_append(struct org_db *odb, const char *org_id,
				       struct audit_entry *e, size_t n)
{
	return odb->pg ? pg_store_org_audit_append(odb->pg, org_id, e, n)
		       : sqlite_store_org_audit_append(odb->sqlite, org_id, e, n);
}

enum coffer_err store_org_reads_busiest_hour(struct org_db *odb, const char *actor, int64_t since,
					     int64_t until, int64_t *out)
{
	return odb->pg ? pg_store_org_reads_busiest_hour(odb->pg, actor, since, until, out)
		       : sqlite_store_org_reads_busiest_hour(odb->sqlite, actor, since, until, out);
}

enum coffer_err store_org_audit_list(struct org_db *odb, uint64_t after, struct audit_entry *out,
				     size_t max, size_t *n)
{
	return odb->pg ? pg_store_org_audit_list(odb->pg, after, out, max, n)
		       : sqlite_store_org_audit_list(odb->sqlite, after, out, max, n);
}

enum coffer_err store_org_audit_verify(struct org_db *odb, const char *org_id, uint64_t *n,
				       uint64_t *broken)
{
	return odb->pg ? pg_store_org_audit_verify(odb->pg, org_id, n, broken)
		       : sqlite_store_org_audit_verify(odb->sqlite, org_id, n, broken);
}

enum coffer_err store_org_audit_walk(struct org_db *odb, const char *org_id, struct audit_walk *w)
{
	return odb->pg ? pg_store_org_audit_walk(odb->pg, org_id, w)
		       : sqlite_store_org_audit_walk(odb->sqlite, org_id, w);
}

enum coffer_err store_org_audit_upgrade(struct org_db *odb, const char *org_id,
					struct audit_checkpoint *cp, uint64_t *legacy)
{
	return odb->pg ? pg_store_org_audit_upgrade(odb->pg, org_id, cp, legacy)
		       : sqlite_store_org_audit_upgrade(odb->sqlite, org_id, cp, legacy);
}

enum coffer_err store_record_create_once(struct org_db *odb, const char *org_id,
					 const struct record_row *row, struct audit_entry *audit,
					 struct idempotency *idem)
{
	if (idem == NULL || !store_idempotency_key_ok(idem->key) || idem->user_id == NULL ||
	    strlen(idem->user_id) != STORE_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	idem->found = false;
	idem->record_id[0] = '\0';
	return odb->pg ? pg_store_record_create_once(odb->pg, org_id, row, audit, idem)
		       : sqlite_store_record_create_once(odb->sqlite, org_id, row, audit, idem);
}

bool store_idempotency_key_ok(const char *key)
{
	size_t n = key != NULL ? strlen(key) : 0;
	return n >= 1 && n <= STORE_IDEMPOTENCY_KEY_MAX &&
	       strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:~-") ==
		   n;
}

enum coffer_err store_record_create(struct org_db *odb, const char *org_id,
				    const struct record_row *row, struct audit_entry *audit)
{
	return odb->pg ? pg_store_record_create(odb->pg, org_id, row, audit)
		       : sqlite_store_record_create(odb->sqlite, org_id, row, audit);
}

enum coffer_err store_record_update(struct org_db *odb, const char *org_id,
				    const struct record_row *row, struct audit_entry *audit)
{
	return odb->pg ? pg_store_record_update(odb->pg, org_id, row, audit)
		       : sqlite_store_record_update(odb->sqlite, org_id, row, audit);
}

enum coffer_err store_record_delete(struct org_db *odb, const char *org_id, const char *id,
				    uint32_t version, const char *actor, int64_t now,
				    struct audit_entry *audit)
{
	return odb->pg ? pg_store_record_delete(odb->pg, org_id, id, version, actor, now, audit)
		       : sqlite_store_record_delete(odb->sqlite, org_id, id, version, actor, now,
						    audit);
}

enum coffer_err store_record_meta(struct org_db *odb, const char *id, struct record_meta *out)
{
	return odb->pg ? pg_store_record_meta(odb->pg, id, out)
		       : sqlite_store_record_meta(odb->sqlite, id, out);
}

enum coffer_err store_record_get(struct org_db *odb, const char *id, bool with_body,
				 struct record_row *out)
{
	return odb->pg ? pg_store_record_get(odb->pg, id, with_body, out)
		       : sqlite_store_record_get(odb->sqlite, id, with_body, out);
}

enum coffer_err store_records_list(struct org_db *odb, enum level max_level, const char *after,
				   size_t limit, struct record_row *out, size_t *n, bool *more)
{
	return odb->pg
		   ? pg_store_records_list(odb->pg, max_level, after, limit, out, n, more)
		   : sqlite_store_records_list(odb->sqlite, max_level, after, limit, out, n, more);
}

enum coffer_err store_record_history(struct org_db *odb, const char *id,
				     struct record_version **out, size_t *n)
{
	return odb->pg ? pg_store_record_history(odb->pg, id, out, n)
		       : sqlite_store_record_history(odb->sqlite, id, out, n);
}

enum coffer_err store_file_add(struct org_db *odb, const char *org_id, const struct file_row *row,
			       struct audit_entry *audit)
{
	return odb->pg ? pg_store_file_add(odb->pg, org_id, row, audit)
		       : sqlite_store_file_add(odb->sqlite, org_id, row, audit);
}

enum coffer_err store_file_get(struct org_db *odb, const char *id, struct file_row *out)
{
	return odb->pg ? pg_store_file_get(odb->pg, id, out)
		       : sqlite_store_file_get(odb->sqlite, id, out);
}

enum coffer_err store_files_list(struct org_db *odb, enum level max_level, const char *after,
				 size_t limit, struct file_row *out, size_t *n, bool *more)
{
	return odb->pg
		   ? pg_store_files_list(odb->pg, max_level, after, limit, out, n, more)
		   : sqlite_store_files_list(odb->sqlite, max_level, after, limit, out, n, more);
}

enum coffer_err store_file_delete(struct org_db *odb, const char *org_id, const char *id,
				  struct audit_entry *audit)
{
	return odb->pg ? pg_store_file_delete(odb->pg, org_id, id, audit)
		       : sqlite_store_file_delete(odb->sqlite, org_id, id, audit);
}

enum coffer_err store_file_exists(struct org_db *odb, const char *id, bool *exists)
{
	return odb->pg ? pg_store_file_exists(odb->pg, id, exists)
		       : sqlite_store_file_exists(odb->sqlite, id, exists);
}

enum coffer_err store_org_get(struct store *st, const char *org_id, struct org_record *out)
{
	return st->pg ? pg_store_org_get(st->pg, org_id, out)
		      : sqlite_store_org_get(st->sqlite, org_id, out);
}

enum coffer_err store_orgs_list(struct store *st, struct org_record **out, size_t *n)
{
	return st->pg ? pg_store_orgs_list(st->pg, out, n)
		      : sqlite_store_orgs_list(st->sqlite, out, n);
}

enum coffer_err store_org_members(struct store *st, const char *org_id, struct member_row **out,
				  size_t *n)
{
	return st->pg ? pg_store_org_members(st->pg, org_id, out, n)
		      : sqlite_store_org_members(st->sqlite, org_id, out, n);
}

enum coffer_err store_org_active_admins(struct store *st, const char *org_id, size_t *n)
{
	return st->pg ? pg_store_org_active_admins(st->pg, org_id, n)
		      : sqlite_store_org_active_admins(st->sqlite, org_id, n);
}

enum coffer_err store_user_by_email(struct store *st, const char *email, struct user_record *out)
{
	return st->pg ? pg_store_user_by_email(st->pg, email, out)
		      : sqlite_store_user_by_email(st->sqlite, email, out);
}

enum coffer_err store_user_get(struct store *st, const char *user_id, struct user_record *out)
{
	return st->pg ? pg_store_user_get(st->pg, user_id, out)
		      : sqlite_store_user_get(st->sqlite, user_id, out);
}

enum coffer_err store_users_list(struct store *st, struct user_record **out, size_t *n)
{
	return st->pg ? pg_store_users_list(st->pg, out, n)
		      : sqlite_store_users_list(st->sqlite, out, n);
}

enum coffer_err store_invite_accept(struct store *st, const struct token_hash *h,
				    const struct user_record *u, enum store_accept mode,
				    int64_t now)
{
	return st->pg ? pg_store_invite_accept(st->pg, h, u, mode, now)
		      : sqlite_store_invite_accept(st->sqlite, h, u, mode, now);
}

enum coffer_err store_invite_confirm(struct store *st, const struct token_hash *h,
				     const char *user_id, const uint8_t *account,
				     size_t account_len, int64_t totp_last_step, int64_t now)
{
	return st->pg ? pg_store_invite_confirm(st->pg, h, user_id, account, account_len,
						totp_last_step, now)
		      : sqlite_store_invite_confirm(st->sqlite, h, user_id, account, account_len,
						    totp_last_step, now);
}

enum coffer_err store_user_set_status(struct store *st, const char *user_id, const char *status,
				      int64_t now)
{
	return st->pg ? pg_store_user_set_status(st->pg, user_id, status, now)
		      : sqlite_store_user_set_status(st->sqlite, user_id, status, now);
}

enum coffer_err store_user_set_account(struct store *st, const char *user_id,
				       const uint8_t *account, size_t account_len,
				       const struct token_hash *keep, int64_t now)
{
	return st->pg ? pg_store_user_set_account(st->pg, user_id, account, account_len, keep, now)
		      : sqlite_store_user_set_account(st->sqlite, user_id, account, account_len,
						      keep, now);
}

enum coffer_err store_user_account_reseal(struct store *st, const char *user_id,
					  const uint8_t *account, size_t account_len,
					  uint64_t based_on, int64_t now)
{
	return st->pg ? pg_store_user_account_reseal(st->pg, user_id, account, account_len,
						     based_on, now)
		      : sqlite_store_user_account_reseal(st->sqlite, user_id, account, account_len,
							 based_on, now);
}

enum coffer_err store_user_email(struct store *st, const char *user_id, char out[EMAIL_MAX + 1])
{
	return st->pg ? pg_store_user_email(st->pg, user_id, out)
		      : sqlite_store_user_email(st->sqlite, user_id, out);
}

enum coffer_err store_membership_set(struct store *st, const char *user_id, const char *org_id,
				     const char *role, const char *clearance,
				     const uint8_t *account, size_t account_len, uint64_t based_on,
				     int64_t now)
{
	return st->pg ? pg_store_membership_set(st->pg, user_id, org_id, role, clearance, account,
						account_len, based_on, now)
		      : sqlite_store_membership_set(st->sqlite, user_id, org_id, role, clearance,
						    account, account_len, based_on, now);
}

enum coffer_err store_membership_remove(struct store *st, const char *user_id, const char *org_id,
					const uint8_t *account, size_t account_len,
					uint64_t based_on, int64_t now)
{
	return st->pg ? pg_store_membership_remove(st->pg, user_id, org_id, account, account_len,
						   based_on, now)
		      : sqlite_store_membership_remove(st->sqlite, user_id, org_id, account,
						       account_len, based_on, now);
}

enum coffer_err store_totp_step_use(struct store *st, const char *user_id, int64_t step)
{
	return st->pg ? pg_store_totp_step_use(st->pg, user_id, step)
		      : sqlite_store_totp_step_use(st->sqlite, user_id, step);
}

enum coffer_err store_session_add(struct store *st, const struct session_record *s, int64_t now)
{
	return st->pg ? pg_store_session_add(st->pg, s, now)
		      : sqlite_store_session_add(st->sqlite, s, now);
}

enum coffer_err store_caller_get(struct store *st, const struct token_hash *h, int64_t now,
				 int64_t idle_ttl, struct session_record *s, struct user_record *u,
				 struct caller_org_read *org)
{
	if (org != NULL)
		org->read = false;
	return st->pg != NULL ? pg_store_caller_get(st->pg, h, now, idle_ttl, s, u, org)
			      : sqlite_store_caller_get(st->sqlite, h, now, idle_ttl, s, u, org);
}

enum coffer_err store_session_get(struct store *st, const struct token_hash *h, int64_t now,
				  int64_t idle_ttl, struct session_record *out)
{
	return st->pg ? pg_store_session_get(st->pg, h, now, idle_ttl, out)
		      : sqlite_store_session_get(st->sqlite, h, now, idle_ttl, out);
}

/* Whether A's fields fit their columns (both engines' CHECKs). */
static bool alert_fits(const struct alert_record *a)
{
	size_t kind = strnlen(a->kind, sizeof a->kind);
	size_t org = strnlen(a->org_id, sizeof a->org_id);
	return kind > 0 && kind <= STORE_ALERT_KIND_MAX && (org == 0 || org == STORE_ID_MAX) &&
	       strnlen(a->subject, sizeof a->subject) <= STORE_ALERT_SUBJECT_MAX &&
	       strnlen(a->detail, sizeof a->detail) <= STORE_ALERT_DETAIL_MAX;
}

enum coffer_err store_alert_add(struct store *st, struct alert_record *a)
{
	if (!alert_fits(a))
		return COFFER_ERR_INVALID_INPUT;
	return st->pg ? pg_store_alert_add(st->pg, a) : sqlite_store_alert_add(st->sqlite, a);
}

enum coffer_err store_alerts_list(struct store *st, const char *org_id, int64_t before,
				  struct alert_record *out, size_t max, size_t *n, bool *more)
{
	return st->pg ? pg_store_alerts_list(st->pg, org_id, before, out, max, n, more)
		      : sqlite_store_alerts_list(st->sqlite, org_id, before, out, max, n, more);
}

enum coffer_err store_signin_address_note(struct store *st, const char *user_id,
					  const char *address, int64_t now, int64_t *previous,
					  bool *known)
{
	return st->pg ? pg_store_signin_address_note(st->pg, user_id, address, now, previous, known)
		      : sqlite_store_signin_address_note(st->sqlite, user_id, address, now,
							 previous, known);
}

enum coffer_err store_sessions_open(struct store *st, int64_t now, int64_t idle_ttl, int64_t *out)
{
	return st->pg ? pg_store_sessions_open(st->pg, now, idle_ttl, out)
		      : sqlite_store_sessions_open(st->sqlite, now, idle_ttl, out);
}

enum coffer_err store_session_set_ticket(struct store *st, const struct token_hash *h,
					 const uint8_t *ticket, size_t len,
					 uint64_t account_version)
{
	return st->pg
		   ? pg_store_session_set_ticket(st->pg, h, ticket, len, account_version)
		   : sqlite_store_session_set_ticket(st->sqlite, h, ticket, len, account_version);
}

enum coffer_err store_session_touch(struct store *st, const struct token_hash *h, int64_t now)
{
	return st->pg ? pg_store_session_touch(st->pg, h, now)
		      : sqlite_store_session_touch(st->sqlite, h, now);
}

enum coffer_err store_session_delete(struct store *st, const struct token_hash *h)
{
	return st->pg ? pg_store_session_delete(st->pg, h)
		      : sqlite_store_session_delete(st->sqlite, h);
}

enum coffer_err store_sessions_list(struct store *st, const char *user_id, int64_t now,
				    int64_t idle_ttl, struct session_summary **out, size_t *n)
{
	if (strnlen(user_id, STORE_ID_MAX + 1) != STORE_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return st->pg ? pg_store_sessions_list(st->pg, user_id, now, idle_ttl, out, n)
		      : sqlite_store_sessions_list(st->sqlite, user_id, now, idle_ttl, out, n);
}

enum coffer_err store_session_end(struct store *st, const char *user_id, const char *public_id)
{
	if (strnlen(user_id, STORE_ID_MAX + 1) != STORE_ID_MAX ||
	    strnlen(public_id, STORE_ID_MAX + 1) != STORE_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return st->pg ? pg_store_session_end(st->pg, user_id, public_id)
		      : sqlite_store_session_end(st->sqlite, user_id, public_id);
}

enum coffer_err store_sessions_end_others(struct store *st, const char *user_id,
					  const struct token_hash *keep, int64_t *ended)
{
	if (strnlen(user_id, STORE_ID_MAX + 1) != STORE_ID_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return st->pg ? pg_store_sessions_end_others(st->pg, user_id, keep, ended)
		      : sqlite_store_sessions_end_others(st->sqlite, user_id, keep, ended);
}

enum coffer_err store_session_reauthenticated(struct store *st, const struct token_hash *h,
					      const uint8_t *ticket, size_t len,
					      uint64_t account_version, int64_t authenticated_at)
{
	if (ticket == NULL || len == 0 || len > STORE_TICKET_MAX || account_version > INT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return st->pg ? pg_store_session_reauthenticated(st->pg, h, ticket, len, account_version,
							 authenticated_at)
		      : sqlite_store_session_reauthenticated(st->sqlite, h, ticket, len,
							     account_version, authenticated_at);
}

enum coffer_err store_reset_add(struct store *st, const struct token_hash *h,
				const struct reset_record *r, int64_t now)
{
	return st->pg ? pg_store_reset_add(st->pg, h, r, now)
		      : sqlite_store_reset_add(st->sqlite, h, r, now);
}

enum coffer_err store_reset_get(struct store *st, const struct token_hash *h, int64_t now,
				struct reset_record *out)
{
	return st->pg ? pg_store_reset_get(st->pg, h, now, out)
		      : sqlite_store_reset_get(st->sqlite, h, now, out);
}

enum coffer_err store_reset_stage(struct store *st, const struct token_hash *h,
				  const uint8_t *account, size_t account_len, int64_t now)
{
	return st->pg ? pg_store_reset_stage(st->pg, h, account, account_len, now)
		      : sqlite_store_reset_stage(st->sqlite, h, account, account_len, now);
}

enum coffer_err store_reset_confirm(struct store *st, const struct token_hash *h,
				    const uint8_t *account, size_t account_len,
				    int64_t totp_last_step, int64_t now)
{
	return st->pg ? pg_store_reset_confirm(st->pg, h, account, account_len, totp_last_step, now)
		      : sqlite_store_reset_confirm(st->sqlite, h, account, account_len,
						   totp_last_step, now);
}

enum coffer_err store_notice_add(struct store *st, const char *org_id, const char *kind,
				 const char *subject, int64_t now)
{
	return st->pg ? pg_store_notice_add(st->pg, org_id, kind, subject, now)
		      : sqlite_store_notice_add(st->sqlite, org_id, kind, subject, now);
}

enum coffer_err store_user_notice_add(struct store *st, const struct user_notice *n,
				      int64_t quiet_s, int64_t *id)
{
	return st->pg ? pg_store_user_notice_add(st->pg, n, quiet_s, id)
		      : sqlite_store_user_notice_add(st->sqlite, n, quiet_s, id);
}

enum coffer_err store_notices_unseen(struct store *st, const char *user_id,
				     struct notice_record *out, size_t max, size_t *n)
{
	return st->pg ? pg_store_notices_unseen(st->pg, user_id, out, max, n)
		      : sqlite_store_notices_unseen(st->sqlite, user_id, out, max, n);
}

enum coffer_err store_notices_mark_seen(struct store *st, const char *user_id, const int64_t *ids,
					size_t n)
{
	return st->pg ? pg_store_notices_mark_seen(st->pg, user_id, ids, n)
		      : sqlite_store_notices_mark_seen(st->sqlite, user_id, ids, n);
}

enum coffer_err store_throttle_get(struct store *st, const char *account, const char *address,
				   int64_t now, int64_t window, struct throttle_state *out)
{
	return st->pg ? pg_store_throttle_get(st->pg, account, address, now, window, out)
		      : sqlite_store_throttle_get(st->sqlite, account, address, now, window, out);
}

enum coffer_err store_throttle_fail(struct store *st, const char *account, const char *address,
				    int64_t now, int64_t window)
{
	return st->pg ? pg_store_throttle_fail(st->pg, account, address, now, window)
		      : sqlite_store_throttle_fail(st->sqlite, account, address, now, window);
}

enum coffer_err store_throttle_reset(struct store *st, const char *account)
{
	return st->pg ? pg_store_throttle_reset(st->pg, account)
		      : sqlite_store_throttle_reset(st->sqlite, account);
}

enum coffer_err store_guess_get(struct store *st, const struct guess_who *who,
				const struct guess_limits *lim, int64_t now,
				struct guess_state *out)
{
	return st->pg ? pg_store_guess_get(st->pg, who, lim, now, out)
		      : sqlite_store_guess_get(st->sqlite, who, lim, now, out);
}

enum coffer_err store_guess_fail(struct store *st, const struct guess_who *who, unsigned int flags,
				 const struct guess_limits *lim, int64_t now)
{
	return st->pg ? pg_store_guess_fail(st->pg, who, flags, lim, now)
		      : sqlite_store_guess_fail(st->sqlite, who, flags, lim, now);
}

enum coffer_err store_guess_claim(struct store *st, const struct guess_who *who,
				  const struct guess_limits *lim, int64_t now,
				  guess_decide_fn decide, void *ctx, struct guess_claim *claim)
{
	return st->pg ? pg_store_guess_claim(st->pg, who, lim, now, decide, ctx, claim)
		      : sqlite_store_guess_claim(st->sqlite, who, lim, now, decide, ctx, claim);
}

enum coffer_err store_guess_confirm(struct store *st, const struct guess_who *who,
				    const struct guess_claim *claim, unsigned int code,
				    const struct guess_limits *lim, int64_t now)
{
	return st->pg ? pg_store_guess_confirm(st->pg, who, claim, code, lim, now)
		      : sqlite_store_guess_confirm(st->sqlite, who, claim, code, lim, now);
}

enum coffer_err store_guess_forgive(struct store *st, const struct guess_who *who,
				    const struct guess_claim *claim)
{
	return st->pg ? pg_store_guess_forgive(st->pg, who, claim)
		      : sqlite_store_guess_forgive(st->sqlite, who, claim);
}

enum coffer_err store_device_key(struct store *st, const uint8_t fresh[32], int64_t now,
				 uint8_t out[32])
{
	return st->pg ? pg_store_device_key(st->pg, fresh, now, out)
		      : sqlite_store_device_key(st->sqlite, fresh, now, out);
}

enum coffer_err store_policy_get(struct store *st, const char *scope, char *out, size_t outlen)
{
	return st->pg ? pg_store_policy_get(st->pg, scope, out, outlen)
		      : sqlite_store_policy_get(st->sqlite, scope, out, outlen);
}

enum coffer_err store_policy_put(struct store *st, const char *scope, const char *json, int64_t now)
{
	return st->pg ? pg_store_policy_put(st->pg, scope, json, now)
		      : sqlite_store_policy_put(st->sqlite, scope, json, now);
}

enum coffer_err store_member_policy_get(struct store *st, const char *org_id, const char *user_id,
					char *out, size_t outlen)
{
	return st->pg ? pg_store_member_policy_get(st->pg, org_id, user_id, out, outlen)
		      : sqlite_store_member_policy_get(st->sqlite, org_id, user_id, out, outlen);
}

enum coffer_err store_member_policy_put(struct store *st, const char *org_id, const char *user_id,
					const char *json, int64_t now)
{
	return st->pg ? pg_store_member_policy_put(st->pg, org_id, user_id, json, now)
		      : sqlite_store_member_policy_put(st->sqlite, org_id, user_id, json, now);
}

enum coffer_err store_audit_append(struct store *st, struct audit_entry *e)
{
	return st->pg ? pg_store_audit_append(st->pg, e) : sqlite_store_audit_append(st->sqlite, e);
}

enum coffer_err store_audit_list(struct store *st, uint64_t after, struct audit_entry *out,
				 size_t max, size_t *n)
{
	return st->pg ? pg_store_audit_list(st->pg, after, out, max, n)
		      : sqlite_store_audit_list(st->sqlite, after, out, max, n);
}

enum coffer_err store_audit_verify(struct store *st, uint64_t *n, uint64_t *broken)
{
	return st->pg ? pg_store_audit_verify(st->pg, n, broken)
		      : sqlite_store_audit_verify(st->sqlite, n, broken);
}

enum coffer_err store_audit_walk(struct store *st, struct audit_walk *w)
{
	return st->pg ? pg_store_audit_walk(st->pg, w) : sqlite_store_audit_walk(st->sqlite, w);
}

enum coffer_err store_audit_upgrade(struct store *st, struct audit_checkpoint *cp, uint64_t *legacy)
{
	return st->pg ? pg_store_audit_upgrade(st->pg, cp, legacy)
		      : sqlite_store_audit_upgrade(st->sqlite, cp, legacy);
}

enum coffer_err store_audit_checkpoints_put(struct store *st, const struct audit_checkpoint *cps,
					    size_t n)
{
	return st->pg ? pg_store_audit_checkpoints_put(st->pg, cps, n)
		      : sqlite_store_audit_checkpoints_put(st->sqlite, cps, n);
}

enum coffer_err store_audit_checkpoint_get(struct store *st, const char *chain,
					   struct audit_checkpoint *out)
{
	return st->pg ? pg_store_audit_checkpoint_get(st->pg, chain, out)
		      : sqlite_store_audit_checkpoint_get(st->sqlite, chain, out);
}

enum coffer_err store_audit_links_upgraded(struct store *st, bool *done)
{
	return st->pg ? pg_store_audit_links_upgraded(st->pg, done)
		      : sqlite_store_audit_links_upgraded(st->sqlite, done);
}

enum coffer_err store_audit_links_mark_upgraded(struct store *st)
{
	return st->pg ? pg_store_audit_links_mark_upgraded(st->pg)
		      : sqlite_store_audit_links_mark_upgraded(st->sqlite);
}

enum coffer_err store_org_count_above(struct org_db *odb, enum level level, uint64_t *records,
				      uint64_t *files)
{
	return odb->pg ? pg_store_org_count_above(odb->pg, level, records, files)
		       : sqlite_store_org_count_above(odb->sqlite, level, records, files);
}

enum coffer_err store_record_version_get(struct org_db *odb, const char *id, uint32_t version,
					 struct record_row *out)
{
	return odb->pg ? pg_store_record_version_get(odb->pg, id, version, out)
		       : sqlite_store_record_version_get(odb->sqlite, id, version, out);
}
