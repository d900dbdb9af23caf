/* pg_unported_system.c — calls of store.h the PostgreSQL store does not answer yet (system): each
 * is refused (COFFER_ERR_UNAVAILABLE, a 503) rather than pretending. This file goes once they are
 * ported; `coffer serve` refuses database = postgresql while any such file exists. */
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
