/* pg_unported_people.c — calls of store.h the PostgreSQL store does not answer yet (people): each
 * is refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file goes once they are
 * ported; `coffer serve` refuses database = postgresql while any such file exists. */
#include "store/postgres/pg_store_db.h"

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
