/* pg_unported.c — the calls of store.h the PostgreSQL store does not answer yet: each is
 * refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file shrinks to nothing
 * as they are ported; `coffer serve` refuses database = postgresql while it exists. */
#include "store/postgres/pg_store_db.h"

enum coffer_err pg_store_invite_add(struct pg_store *st, const struct token_hash *h,
				    const struct invite_record *inv)
{
	(void)st;
	(void)h;
	(void)inv;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_invite_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				    struct invite_record *out)
{
	(void)st;
	(void)h;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_create(struct pg_store *st, const char *org_id, const char *name,
				    const uint8_t *charter, size_t charter_len,
				    const struct org_key_record *key, int64_t now)
{
	(void)st;
	(void)org_id;
	(void)name;
	(void)charter;
	(void)charter_len;
	(void)key;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_charter_set(struct pg_store *st, const char *org_id,
					 const uint8_t *charter, size_t charter_len)
{
	(void)st;
	(void)org_id;
	(void)charter;
	(void)charter_len;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_key_newest(struct pg_store *st, const char *org_id,
					struct org_key_record *out)
{
	(void)st;
	(void)org_id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_key_get(struct pg_store *st, const char *org_id, uint32_t version,
				     struct org_key_record *out)
{
	(void)st;
	(void)org_id;
	(void)version;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_key_add(struct pg_store *st, const char *org_id,
				     const struct org_key_record *key, int64_t now)
{
	(void)st;
	(void)org_id;
	(void)key;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_keys_wrapped_before(struct pg_store *st, uint32_t master_version,
						 struct org_key_ref *out, size_t max, size_t *n)
{
	(void)st;
	(void)master_version;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_keys_rewrapped(struct pg_store *st, const struct org_key_ref *refs,
					    const uint32_t *old_master, size_t n)
{
	(void)st;
	(void)refs;
	(void)old_master;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_keys_destroy(struct pg_store *st, const char *org_id)
{
	(void)st;
	(void)org_id;
	return COFFER_ERR_UNAVAILABLE;
}

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

enum coffer_err pg_store_org_audit_append(struct pg_org_db *odb, const char *org_id,
					  struct audit_entry *e, size_t n)
{
	(void)odb;
	(void)org_id;
	(void)e;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_list(struct pg_org_db *odb, uint64_t after,
					struct audit_entry *out, size_t max, size_t *n)
{
	(void)odb;
	(void)after;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_verify(struct pg_org_db *odb, const char *org_id, uint64_t *n,
					  uint64_t *broken)
{
	(void)odb;
	(void)org_id;
	(void)n;
	(void)broken;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_walk(struct pg_org_db *odb, const char *org_id,
					struct audit_walk *w)
{
	(void)odb;
	(void)org_id;
	(void)w;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_audit_upgrade(struct pg_org_db *odb, const char *org_id,
					   struct audit_checkpoint *cp, uint64_t *legacy)
{
	(void)odb;
	(void)org_id;
	(void)cp;
	(void)legacy;
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

enum coffer_err pg_store_org_get(struct pg_store *st, const char *org_id, struct org_record *out)
{
	(void)st;
	(void)org_id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_orgs_list(struct pg_store *st, struct org_record **out, size_t *n)
{
	(void)st;
	(void)out;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_members(struct pg_store *st, const char *org_id,
				     struct member_row **out, size_t *n)
{
	(void)st;
	(void)org_id;
	(void)out;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_org_active_admins(struct pg_store *st, const char *org_id, size_t *n)
{
	(void)st;
	(void)org_id;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_user_by_email(struct pg_store *st, const char *email,
				       struct user_record *out)
{
	(void)st;
	(void)email;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_user_get(struct pg_store *st, const char *user_id, struct user_record *out)
{
	(void)st;
	(void)user_id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_users_list(struct pg_store *st, struct user_record **out, size_t *n)
{
	(void)st;
	(void)out;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_invite_accept(struct pg_store *st, const struct token_hash *h,
				       const struct user_record *u, enum store_accept mode,
				       int64_t now)
{
	(void)st;
	(void)h;
	(void)u;
	(void)mode;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_invite_confirm(struct pg_store *st, const struct token_hash *h,
					const char *user_id, const uint8_t *account,
					size_t account_len, int64_t totp_last_step, int64_t now)
{
	(void)st;
	(void)h;
	(void)user_id;
	(void)account;
	(void)account_len;
	(void)totp_last_step;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_user_set_status(struct pg_store *st, const char *user_id,
					 const char *status, int64_t now)
{
	(void)st;
	(void)user_id;
	(void)status;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_user_set_account(struct pg_store *st, const char *user_id,
					  const uint8_t *account, size_t account_len,
					  const struct token_hash *keep, int64_t now)
{
	(void)st;
	(void)user_id;
	(void)account;
	(void)account_len;
	(void)keep;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_user_email(struct pg_store *st, const char *user_id,
				    char out[EMAIL_MAX + 1])
{
	(void)st;
	(void)user_id;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_membership_set(struct pg_store *st, const char *user_id,
					const char *org_id, const char *role, const char *clearance,
					const uint8_t *account, size_t account_len,
					uint64_t based_on, int64_t now)
{
	(void)st;
	(void)user_id;
	(void)org_id;
	(void)role;
	(void)clearance;
	(void)account;
	(void)account_len;
	(void)based_on;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_membership_remove(struct pg_store *st, const char *user_id,
					   const char *org_id, const uint8_t *account,
					   size_t account_len, uint64_t based_on, int64_t now)
{
	(void)st;
	(void)user_id;
	(void)org_id;
	(void)account;
	(void)account_len;
	(void)based_on;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_totp_step_use(struct pg_store *st, const char *user_id, int64_t step)
{
	(void)st;
	(void)user_id;
	(void)step;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_session_add(struct pg_store *st, const struct session_record *s,
				     int64_t now)
{
	(void)st;
	(void)s;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_session_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				     int64_t idle_ttl, struct session_record *out)
{
	(void)st;
	(void)h;
	(void)now;
	(void)idle_ttl;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_session_set_ticket(struct pg_store *st, const struct token_hash *h,
					    const uint8_t *ticket, size_t len,
					    uint64_t account_version)
{
	(void)st;
	(void)h;
	(void)ticket;
	(void)len;
	(void)account_version;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_session_touch(struct pg_store *st, const struct token_hash *h, int64_t now)
{
	(void)st;
	(void)h;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_session_delete(struct pg_store *st, const struct token_hash *h)
{
	(void)st;
	(void)h;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_reset_add(struct pg_store *st, const struct token_hash *h,
				   const struct reset_record *r, int64_t now)
{
	(void)st;
	(void)h;
	(void)r;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_reset_get(struct pg_store *st, const struct token_hash *h, int64_t now,
				   struct reset_record *out)
{
	(void)st;
	(void)h;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_reset_stage(struct pg_store *st, const struct token_hash *h,
				     const uint8_t *account, size_t account_len, int64_t now)
{
	(void)st;
	(void)h;
	(void)account;
	(void)account_len;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_reset_confirm(struct pg_store *st, const struct token_hash *h,
				       const uint8_t *account, size_t account_len,
				       int64_t totp_last_step, int64_t now)
{
	(void)st;
	(void)h;
	(void)account;
	(void)account_len;
	(void)totp_last_step;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_notice_add(struct pg_store *st, const char *org_id, const char *kind,
				    const char *subject, int64_t now)
{
	(void)st;
	(void)org_id;
	(void)kind;
	(void)subject;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_notices_unseen(struct pg_store *st, const char *user_id,
					struct notice_record *out, size_t max, size_t *n)
{
	(void)st;
	(void)user_id;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_notices_mark_seen(struct pg_store *st, const char *user_id,
					   const int64_t *ids, size_t n)
{
	(void)st;
	(void)user_id;
	(void)ids;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_throttle_get(struct pg_store *st, const char *account, const char *address,
				      int64_t now, int64_t window, struct throttle_state *out)
{
	(void)st;
	(void)account;
	(void)address;
	(void)now;
	(void)window;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_throttle_fail(struct pg_store *st, const char *account,
				       const char *address, int64_t now, int64_t window)
{
	(void)st;
	(void)account;
	(void)address;
	(void)now;
	(void)window;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_throttle_reset(struct pg_store *st, const char *account)
{
	(void)st;
	(void)account;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_get(struct pg_store *st, const struct guess_who *who,
				   const struct guess_limits *lim, int64_t now,
				   struct guess_state *out)
{
	(void)st;
	(void)who;
	(void)lim;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_fail(struct pg_store *st, const struct guess_who *who,
				    unsigned int flags, const struct guess_limits *lim, int64_t now)
{
	(void)st;
	(void)who;
	(void)flags;
	(void)lim;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_claim(struct pg_store *st, const struct guess_who *who,
				     const struct guess_limits *lim, int64_t now,
				     guess_decide_fn decide, void *ctx, struct guess_claim *claim)
{
	(void)st;
	(void)who;
	(void)lim;
	(void)now;
	(void)decide;
	(void)ctx;
	(void)claim;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_confirm(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim, unsigned int code,
				       const struct guess_limits *lim, int64_t now)
{
	(void)st;
	(void)who;
	(void)claim;
	(void)code;
	(void)lim;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_guess_forgive(struct pg_store *st, const struct guess_who *who,
				       const struct guess_claim *claim)
{
	(void)st;
	(void)who;
	(void)claim;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_device_key(struct pg_store *st, const uint8_t fresh[32], int64_t now,
				    uint8_t out[32])
{
	(void)st;
	(void)fresh;
	(void)now;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_policy_get(struct pg_store *st, const char *scope, char *out,
				    size_t outlen)
{
	(void)st;
	(void)scope;
	(void)out;
	(void)outlen;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_policy_put(struct pg_store *st, const char *scope, const char *json,
				    int64_t now)
{
	(void)st;
	(void)scope;
	(void)json;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_member_policy_get(struct pg_store *st, const char *org_id,
					   const char *user_id, char *out, size_t outlen)
{
	(void)st;
	(void)org_id;
	(void)user_id;
	(void)out;
	(void)outlen;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_member_policy_put(struct pg_store *st, const char *org_id,
					   const char *user_id, const char *json, int64_t now)
{
	(void)st;
	(void)org_id;
	(void)user_id;
	(void)json;
	(void)now;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_append(struct pg_store *st, struct audit_entry *e)
{
	(void)st;
	(void)e;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_list(struct pg_store *st, uint64_t after, struct audit_entry *out,
				    size_t max, size_t *n)
{
	(void)st;
	(void)after;
	(void)out;
	(void)max;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_verify(struct pg_store *st, uint64_t *n, uint64_t *broken)
{
	(void)st;
	(void)n;
	(void)broken;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_walk(struct pg_store *st, struct audit_walk *w)
{
	(void)st;
	(void)w;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_upgrade(struct pg_store *st, struct audit_checkpoint *cp,
				       uint64_t *legacy)
{
	(void)st;
	(void)cp;
	(void)legacy;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_checkpoints_put(struct pg_store *st,
					       const struct audit_checkpoint *cps, size_t n)
{
	(void)st;
	(void)cps;
	(void)n;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_checkpoint_get(struct pg_store *st, const char *chain,
					      struct audit_checkpoint *out)
{
	(void)st;
	(void)chain;
	(void)out;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_links_upgraded(struct pg_store *st, bool *done)
{
	(void)st;
	(void)done;
	return COFFER_ERR_UNAVAILABLE;
}

enum coffer_err pg_store_audit_links_mark_upgraded(struct pg_store *st)
{
	(void)st;
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
