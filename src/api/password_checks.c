/* password_checks.c — a new password's checks and their replies (password_checks.h). */
#include "api/password_checks.h"

#include "api/app.h"
#include "http/reply.h"
#include "signin/breached.h"

bool password_breached(struct request *rq, const char *password, size_t len)
{
	bool found = false;
	uint64_t count = 0;
	if (breached_db_check(rq->app->breached, password, len, &found, &count) != COFFER_OK)
		return false; /* a list that cannot be read must not stop every login */
	return found;
}

enum coffer_err password_acceptable(struct request *rq, const struct password_rules *rules,
				    const char *password, size_t len)
{
	char msg[512];
	unsigned int flaws = password_flaws(rules, password, len);
	if (flaws & ~(unsigned int)PASSWORD_COMMON) {
		password_flaws_message(flaws & ~(unsigned int)PASSWORD_COMMON, rules, msg,
				       sizeof msg);
		reply_error(rq, COFFER_ERR_PASSWORD_POLICY, msg);
		return COFFER_ERR_PASSWORD_POLICY;
	}
	if (flaws & PASSWORD_COMMON) {
		reply_error(rq, COFFER_ERR_PASSWORD_COMPROMISED,
			    "This password is one of the most common passwords; choose another.");
		return COFFER_ERR_PASSWORD_COMPROMISED;
	}
	if (password_breached(rq, password, len)) {
		reply_error(rq, COFFER_ERR_PASSWORD_COMPROMISED,
			    "This password has appeared in a data breach; choose another.");
		return COFFER_ERR_PASSWORD_COMPROMISED;
	}
	return COFFER_OK;
}
