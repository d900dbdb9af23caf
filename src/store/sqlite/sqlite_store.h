/* sqlite_store.h — the SQLite engine's side of store.h: each call of store.h as
 * sqlite_store_<name>, on the engine's own handles (system_db.h, org_db.h, org_cache.c), with
 * the meaning store.h gives it. dispatch.c is its only caller outside src/store/sqlite/. */
#ifndef COFFER_SQLITE_STORE_H
#define COFFER_SQLITE_STORE_H

#include "store/export_reads.h"
#include "store/store.h"

struct sqlite_store;
struct sqlite_org_db;
struct sqlite_org_cache;

/* The system database of DATA_DIR (store_system_open). */
COFFER_MUST_CHECK enum coffer_err sqlite_store_system_open(const char *data_dir,
							   struct sqlite_store **out);
/* Where the deployment's files are. */
const char *sqlite_store_data_dir(const struct sqlite_store *st);
/* The handles callers hold (handle.h). */
struct store *sqlite_store_public(struct sqlite_store *st);
struct org_db *sqlite_org_db_public(struct sqlite_org_db *odb);
struct org_cache *sqlite_org_cache_public(struct sqlite_org_cache *c);

void sqlite_store_close(struct sqlite_store *st);
COFFER_MUST_CHECK enum coffer_err sqlite_store_invite_add(struct sqlite_store *st,
							  const struct token_hash *h,
							  const struct invite_record *inv);
COFFER_MUST_CHECK enum coffer_err sqlite_store_invite_get(struct sqlite_store *st,
							  const struct token_hash *h, int64_t now,
							  struct invite_record *out);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_org_create(struct sqlite_store *st, const char *org_id, const char *name,
			const uint8_t *charter, size_t charter_len,
			const struct org_key_record *key, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_charter_set(struct sqlite_store *st,
							       const char *org_id,
							       const uint8_t *charter,
							       size_t charter_len);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_key_newest(struct sqlite_store *st,
							      const char *org_id,
							      struct org_key_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_key_get(struct sqlite_store *st,
							   const char *org_id, uint32_t version,
							   struct org_key_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_key_add(struct sqlite_store *st,
							   const char *org_id,
							   const struct org_key_record *key,
							   int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_keys_wrapped_before(struct sqlite_store *st,
								       uint32_t master_version,
								       struct org_key_ref *out,
								       size_t max, size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_keys_rewrapped(struct sqlite_store *st,
								  const struct org_key_ref *refs,
								  const uint32_t *old_master,
								  size_t n);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_org_deletion_request(struct sqlite_store *st, const char *org_id,
				  const char *requested_by, int64_t now, int64_t delete_after);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_deletion_cancel(struct sqlite_store *st,
								   const char *org_id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_shred_begin(struct sqlite_store *st,
							       const char *org_id,
							       const char *requested_by,
							       int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_orgs_deletion_due(struct sqlite_store *st,
								 int64_t now,
								 char (*ids)[STORE_ID_MAX + 1],
								 size_t max, size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_remove(struct sqlite_store *st,
							  const char *org_id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_keys_destroy(struct sqlite_store *st,
								const char *org_id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_db_open(const char *data_dir, const char *org_id,
							   bool create, struct sqlite_org_db **out);
void sqlite_store_org_db_close(struct sqlite_org_db *odb);
COFFER_MUST_CHECK enum coffer_err sqlite_store_data_key_put(struct sqlite_org_db *odb,
							    const struct data_key_record *k);
COFFER_MUST_CHECK enum coffer_err sqlite_store_data_key_get(struct sqlite_org_db *odb,
							    const char *kind, const char *object_id,
							    uint32_t object_version,
							    struct data_key_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_data_keys_wrapped_before(struct sqlite_org_db *odb,
									uint32_t org_key_version,
									struct data_key_record *out,
									size_t max, size_t *n);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_data_keys_rewrapped(struct sqlite_org_db *odb, const struct data_key_record *keys,
				 const uint32_t *old_version, size_t n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_cache_new(const char *data_dir,
							     unsigned int capacity,
							     struct sqlite_org_cache **out);
void sqlite_store_org_cache_free(struct sqlite_org_cache *c);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_borrow(struct sqlite_org_cache *c,
							  const char *org_id, bool create,
							  struct sqlite_org_db **out);
void sqlite_store_org_return(struct sqlite_org_cache *c, struct sqlite_org_db *odb);
unsigned int sqlite_store_org_cache_open_count(struct sqlite_org_cache *c);
/* Closes ORG_ID's database in C, if open, once nobody borrows it. */
void sqlite_store_org_forget(struct sqlite_org_cache *c, const char *org_id);
/* Removes DATA_DIR/orgs/ORG_ID/ (org.db, its log and shared memory, the emptied blobs/):
 * close it first. Not an error when it is gone already. (Also a PostgreSQL node's, whose
 * directory holds only the file blob store's blobs/.) */
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_db_remove(const char *data_dir,
							     const char *org_id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_audit_append(struct sqlite_org_db *odb,
								const char *org_id,
								struct audit_entry *e, size_t n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_reads_busiest_hour(struct sqlite_org_db *odb,
								      const char *actor,
								      int64_t since, int64_t until,
								      int64_t *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_audit_list(struct sqlite_org_db *odb,
							      uint64_t after,
							      struct audit_entry *out, size_t max,
							      size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_audit_verify(struct sqlite_org_db *odb,
								const char *org_id, uint64_t *n,
								uint64_t *broken);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_org_audit_walk(struct sqlite_org_db *odb, const char *org_id, struct audit_walk *w);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_audit_upgrade(struct sqlite_org_db *odb,
								 const char *org_id,
								 struct audit_checkpoint *cp,
								 uint64_t *legacy);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_create_once(struct sqlite_org_db *odb,
								  const char *org_id,
								  const struct record_row *row,
								  struct audit_entry *audit,
								  struct idempotency *idem);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_create(struct sqlite_org_db *odb,
							     const char *org_id,
							     const struct record_row *row,
							     struct audit_entry *audit);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_update(struct sqlite_org_db *odb,
							     const char *org_id,
							     const struct record_row *row,
							     struct audit_entry *audit);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_delete(struct sqlite_org_db *odb,
							     const char *org_id, const char *id,
							     uint32_t version, const char *actor,
							     int64_t now,
							     struct audit_entry *audit);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_meta(struct sqlite_org_db *odb,
							   const char *id, struct record_meta *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_get(struct sqlite_org_db *odb, const char *id,
							  bool with_body, struct record_row *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_records_list(struct sqlite_org_db *odb,
							    enum level max_level, const char *after,
							    size_t limit, struct record_row *out,
							    size_t *n, bool *more);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_history(struct sqlite_org_db *odb,
							      const char *id,
							      struct record_version **out,
							      size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_file_add(struct sqlite_org_db *odb,
							const char *org_id,
							const struct file_row *row,
							struct audit_entry *audit);
COFFER_MUST_CHECK enum coffer_err sqlite_store_file_get(struct sqlite_org_db *odb, const char *id,
							struct file_row *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_files_list(struct sqlite_org_db *odb,
							  enum level max_level, const char *after,
							  size_t limit, struct file_row *out,
							  size_t *n, bool *more);
COFFER_MUST_CHECK enum coffer_err sqlite_store_file_delete(struct sqlite_org_db *odb,
							   const char *org_id, const char *id,
							   struct audit_entry *audit);
COFFER_MUST_CHECK enum coffer_err sqlite_store_file_exists(struct sqlite_org_db *odb,
							   const char *id, bool *exists);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_get(struct sqlite_store *st, const char *org_id,
						       struct org_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_orgs_list(struct sqlite_store *st,
							 struct org_record **out, size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_members(struct sqlite_store *st,
							   const char *org_id,
							   struct member_row **out, size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_active_admins(struct sqlite_store *st,
								 const char *org_id, size_t *n);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_user_by_email(struct sqlite_store *st, const char *email, struct user_record *out);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_user_get(struct sqlite_store *st, const char *user_id, struct user_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_users_list(struct sqlite_store *st,
							  struct user_record **out, size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_invite_accept(struct sqlite_store *st,
							     const struct token_hash *h,
							     const struct user_record *u,
							     enum store_accept mode, int64_t now);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_invite_confirm(struct sqlite_store *st, const struct token_hash *h,
			    const char *user_id, const uint8_t *account, size_t account_len,
			    int64_t totp_last_step, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_user_set_status(struct sqlite_store *st,
							       const char *user_id,
							       const char *status, int64_t now);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_user_set_account(struct sqlite_store *st, const char *user_id, const uint8_t *account,
			      size_t account_len, const struct token_hash *keep, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_user_account_reseal(struct sqlite_store *st,
								   const char *user_id,
								   const uint8_t *account,
								   size_t account_len,
								   uint64_t based_on, int64_t now);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_user_email(struct sqlite_store *st, const char *user_id, char out[EMAIL_MAX + 1]);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_membership_set(struct sqlite_store *st, const char *user_id, const char *org_id,
			    const char *role, const char *clearance, const uint8_t *account,
			    size_t account_len, uint64_t based_on, int64_t now);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_membership_remove(struct sqlite_store *st, const char *user_id, const char *org_id,
			       const uint8_t *account, size_t account_len, uint64_t based_on,
			       int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_totp_step_use(struct sqlite_store *st,
							     const char *user_id, int64_t step);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_session_add(struct sqlite_store *st, const struct session_record *s, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_alert_add(struct sqlite_store *st,
							 struct alert_record *a);
COFFER_MUST_CHECK enum coffer_err sqlite_store_alerts_list(struct sqlite_store *st,
							   const char *org_id, int64_t before,
							   struct alert_record *out, size_t max,
							   size_t *n, bool *more);
COFFER_MUST_CHECK enum coffer_err sqlite_store_signin_address_note(struct sqlite_store *st,
								   const char *user_id,
								   const char *address, int64_t now,
								   int64_t *previous, bool *known);
COFFER_MUST_CHECK enum coffer_err sqlite_store_sessions_open(struct sqlite_store *st, int64_t now,
							     int64_t idle_ttl, int64_t *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_session_get(struct sqlite_store *st,
							   const struct token_hash *h, int64_t now,
							   int64_t idle_ttl,
							   struct session_record *out);
/* store_caller_get: the live session and its user with every membership, and with ORG (NULL
 * allowed) what ORG->org_id names, in one read transaction (one snapshot, one connection
 * borrowed). */
COFFER_MUST_CHECK enum coffer_err
sqlite_store_caller_get(struct sqlite_store *st, const struct token_hash *h, int64_t now,
			int64_t idle_ttl, struct session_record *s, struct user_record *u,
			struct caller_org_read *org);
COFFER_MUST_CHECK enum coffer_err sqlite_store_session_set_ticket(struct sqlite_store *st,
								  const struct token_hash *h,
								  const uint8_t *ticket, size_t len,
								  uint64_t account_version);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_session_touch(struct sqlite_store *st, const struct token_hash *h, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_session_delete(struct sqlite_store *st,
							      const struct token_hash *h);
/* A user's own sessions (session_list.c): store_sessions_list, store_session_end,
 * store_sessions_end_others, store_session_reauthenticated. */
COFFER_MUST_CHECK enum coffer_err
sqlite_store_sessions_list(struct sqlite_store *st, const char *user_id, int64_t now,
			   int64_t idle_ttl, struct session_summary **out, size_t *n);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_session_end(struct sqlite_store *st, const char *user_id, const char *public_id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_sessions_end_others(struct sqlite_store *st,
								   const char *user_id,
								   const struct token_hash *keep,
								   int64_t *ended);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_session_reauthenticated(struct sqlite_store *st, const struct token_hash *h,
				     const uint8_t *ticket, size_t len, uint64_t account_version,
				     int64_t authenticated_at);
COFFER_MUST_CHECK enum coffer_err sqlite_store_reset_add(struct sqlite_store *st,
							 const struct token_hash *h,
							 const struct reset_record *r, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_reset_get(struct sqlite_store *st,
							 const struct token_hash *h, int64_t now,
							 struct reset_record *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_reset_stage(struct sqlite_store *st,
							   const struct token_hash *h,
							   const uint8_t *account,
							   size_t account_len, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_reset_confirm(struct sqlite_store *st,
							     const struct token_hash *h,
							     const uint8_t *account,
							     size_t account_len,
							     int64_t totp_last_step, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_notice_add(struct sqlite_store *st,
							  const char *org_id, const char *kind,
							  const char *subject, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_user_notice_add(struct sqlite_store *st,
							       const struct user_notice *n,
							       int64_t quiet_s, int64_t *id);
COFFER_MUST_CHECK enum coffer_err sqlite_store_notices_unseen(struct sqlite_store *st,
							      const char *user_id,
							      struct notice_record *out, size_t max,
							      size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_notices_mark_seen(struct sqlite_store *st,
								 const char *user_id,
								 const int64_t *ids, size_t n);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_throttle_get(struct sqlite_store *st, const char *account, const char *address,
			  int64_t now, int64_t window, struct throttle_state *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_throttle_fail(struct sqlite_store *st,
							     const char *account,
							     const char *address, int64_t now,
							     int64_t window);
COFFER_MUST_CHECK enum coffer_err sqlite_store_throttle_reset(struct sqlite_store *st,
							      const char *account);
COFFER_MUST_CHECK enum coffer_err sqlite_store_guess_get(struct sqlite_store *st,
							 const struct guess_who *who,
							 const struct guess_limits *lim,
							 int64_t now, struct guess_state *out);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_guess_fail(struct sqlite_store *st, const struct guess_who *who, unsigned int flags,
			const struct guess_limits *lim, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_guess_claim(struct sqlite_store *st,
							   const struct guess_who *who,
							   const struct guess_limits *lim,
							   int64_t now, guess_decide_fn decide,
							   void *ctx, struct guess_claim *claim);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_guess_confirm(struct sqlite_store *st, const struct guess_who *who,
			   const struct guess_claim *claim, unsigned int code,
			   const struct guess_limits *lim, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_guess_forgive(struct sqlite_store *st,
							     const struct guess_who *who,
							     const struct guess_claim *claim);
COFFER_MUST_CHECK enum coffer_err sqlite_store_device_key(struct sqlite_store *st,
							  const uint8_t fresh[32], int64_t now,
							  uint8_t out[32]);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_policy_get(struct sqlite_store *st, const char *scope, char *out, size_t outlen);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_policy_put(struct sqlite_store *st, const char *scope, const char *json, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_member_policy_get(struct sqlite_store *st,
								 const char *org_id,
								 const char *user_id, char *out,
								 size_t outlen);
COFFER_MUST_CHECK enum coffer_err sqlite_store_member_policy_put(struct sqlite_store *st,
								 const char *org_id,
								 const char *user_id,
								 const char *json, int64_t now);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_append(struct sqlite_store *st,
							    struct audit_entry *e);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_list(struct sqlite_store *st, uint64_t after,
							  struct audit_entry *out, size_t max,
							  size_t *n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_verify(struct sqlite_store *st, uint64_t *n,
							    uint64_t *broken);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_walk(struct sqlite_store *st,
							  struct audit_walk *w);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_audit_upgrade(struct sqlite_store *st, struct audit_checkpoint *cp, uint64_t *legacy);
COFFER_MUST_CHECK enum coffer_err
sqlite_store_audit_checkpoints_put(struct sqlite_store *st, const struct audit_checkpoint *cps,
				   size_t n);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_checkpoint_get(struct sqlite_store *st,
								    const char *chain,
								    struct audit_checkpoint *out);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_links_upgraded(struct sqlite_store *st,
								    bool *done);
COFFER_MUST_CHECK enum coffer_err sqlite_store_audit_links_mark_upgraded(struct sqlite_store *st);
COFFER_MUST_CHECK enum coffer_err sqlite_store_org_count_above(struct sqlite_org_db *odb,
							       enum level level, uint64_t *records,
							       uint64_t *files);
COFFER_MUST_CHECK enum coffer_err sqlite_store_record_version_get(struct sqlite_org_db *odb,
								  const char *id, uint32_t version,
								  struct record_row *out);

#endif
