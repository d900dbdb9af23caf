/* user_rules.c — combining the policies that apply to a user (user_rules.h). */
#include "api/user_rules.h"

#include <string.h>

#include "api/stored_policy.h"
#include "common/timefmt.h"

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

enum coffer_err user_login_allowed(struct request *rq, const struct user_record *u,
				   const struct netaddr *addr, bool *allowed, bool *require_totp)
{
	struct org_policy p;
	int64_t now = time_now();
	*allowed = true;
	*require_totp = false;
	if (strcmp(u->role, "sysadmin") == 0) {
		enum coffer_err err = stored_policy_load(rq, STORE_POLICY_SYSTEM, &p);
		if (err != COFFER_OK)
			return err;
		*allowed = org_policy_login_allowed(&p, addr, now);
		*require_totp = true;
		return COFFER_OK;
	}
	for (size_t i = 0; i < u->n_orgs; i++) {
		enum coffer_err err = stored_policy_load(rq, u->orgs[i].org_id, &p);
		if (err != COFFER_OK)
			return err;
		*allowed = *allowed && org_policy_login_allowed(&p, addr, now);
		*require_totp |= p.require_totp;
	}
	return COFFER_OK;
}
