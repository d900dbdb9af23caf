/* user_rules.c — combining the policies that apply to a user (user_rules.h). */
#include "api/user_rules.h"

#include <string.h>

#include "api/stored_policy.h"
#include "common/timefmt.h"

static bool is_sysadmin(const struct user_record *u)
{
	return strcmp(u->role, "sysadmin") == 0;
}

/* Folds policy P into the strictest combination so far. */
static void stricter(struct password_rules *acc, bool *totp, const struct org_policy *p)
{
	if (p->password.min_length > acc->min_length)
		acc->min_length = p->password.min_length;
	acc->require_punctuation |= p->password.require_punctuation;
	acc->reject_common |= p->password.reject_common;
	*totp |= p->require_totp;
}

enum coffer_err user_password_rules(struct request *rq, bool sysadmin, const struct user_record *u,
				    const char *org_id, struct password_rules *out,
				    bool *require_totp)
{
	struct org_policy p;
	enum coffer_err err;
	memset(out, 0, sizeof *out);
	out->min_length = PASSWORD_MIN_LENGTH_FLOOR;
	*require_totp = false;
	if (sysadmin) {
		err = stored_policy_load(rq, STORE_POLICY_SYSTEM, &p);
		if (err == COFFER_OK)
			stricter(out, require_totp, &p);
		*require_totp = true;
		return err;
	}
	for (size_t i = 0; u != NULL && i < u->n_orgs; i++) {
		if ((err = stored_policy_load(rq, u->orgs[i].org_id, &p)) != COFFER_OK)
			return err;
		stricter(out, require_totp, &p);
	}
	if (org_id != NULL) {
		if ((err = stored_policy_load(rq, org_id, &p)) != COFFER_OK)
			return err;
		stricter(out, require_totp, &p);
	}
	return COFFER_OK;
}

/* ORG_ID's policy and U's own login policy there, for ADDR at NOW: *ALLOWED when both allow,
 * *REQUIRE_TOTP when either asks for a second factor, *SECOND_FACTOR the organisation's kind. */
static enum coffer_err org_rules(struct request *rq, const struct user_record *u,
				 const char *org_id, const struct netaddr *addr, int64_t now,
				 bool *allowed, bool *require_totp, uint8_t *second_factor)
{
	struct org_policy p;
	struct member_policy m;
	enum coffer_err err = stored_policy_load(rq, org_id, &p);
	if (err == COFFER_OK)
		err = stored_member_policy_load(rq, org_id, u->id, &m);
	if (err != COFFER_OK) {
		*allowed = false; /* fail closed, whatever the caller reads */
		return err;
	}
	*allowed =
	    org_policy_login_allowed(&p, addr, now) && login_rules_allow(&m.login, addr, now);
	*require_totp = p.require_totp || m.require_totp;
	*second_factor = p.second_factor;
	return COFFER_OK;
}

enum coffer_err user_login_allowed(struct request *rq, const struct user_record *u,
				   const struct netaddr *addr, bool *allowed, bool *require_totp,
				   uint8_t *second_factor)
{
	struct org_policy p;
	int64_t now = time_now();
	*allowed = true;
	*require_totp = false;
	*second_factor = SECOND_FACTOR_EITHER;
	if (is_sysadmin(u)) {
		enum coffer_err err = stored_policy_load(rq, STORE_POLICY_SYSTEM, &p);
		if (err != COFFER_OK) {
			*allowed = false;
			return err;
		}
		*allowed = org_policy_login_allowed(&p, addr, now);
		*require_totp = true;
		*second_factor = p.second_factor;
		return COFFER_OK;
	}
	/* Every organisation's rules must allow the sign-in, as they did before members had
	 * rules of their own: a session is the person's in all their organisations at once. */
	for (size_t i = 0; i < u->n_orgs && i < STORE_ORGS_MAX; i++) {
		bool ok = false, totp = false;
		uint8_t kind = SECOND_FACTOR_EITHER;
		enum coffer_err err =
		    org_rules(rq, u, u->orgs[i].org_id, addr, now, &ok, &totp, &kind);
		if (err != COFFER_OK) {
			*allowed = false;
			return err;
		}
		*allowed = *allowed && ok;
		*require_totp |= totp;
		/* An organisation that asks for no second factor has no say in which one. */
		if (totp)
			*second_factor = org_policy_second_factor_stricter(*second_factor, kind);
	}
	return COFFER_OK;
}

enum coffer_err user_org_allowed(struct request *rq, const struct user_record *u,
				 const char *org_id, const struct netaddr *addr, int64_t now,
				 bool *allowed)
{
	bool totp = false;
	uint8_t kind = SECOND_FACTOR_EITHER;
	return org_rules(rq, u, org_id, addr, now, allowed, &totp, &kind);
}

enum coffer_err user_password_expired(struct request *rq, const struct user_record *u, int64_t now,
				      bool *expired)
{
	struct org_policy p;
	enum coffer_err err = COFFER_OK;
	*expired = false;
	if (u->password_changed_at <= 0)
		return COFFER_OK; /* not known: recorded before coffer kept it */
	if (is_sysadmin(u)) {
		if ((err = stored_policy_load(rq, STORE_POLICY_SYSTEM, &p)) == COFFER_OK)
			*expired = org_policy_password_expired(&p, u->password_changed_at, now);
		return err;
	}
	/* One password serves every organisation: the strictest maximum age holds. */
	for (size_t i = 0; i < u->n_orgs && i < STORE_ORGS_MAX && !*expired; i++) {
		if ((err = stored_policy_load(rq, u->orgs[i].org_id, &p)) != COFFER_OK)
			return err;
		*expired = org_policy_password_expired(&p, u->password_changed_at, now);
	}
	return COFFER_OK;
}
