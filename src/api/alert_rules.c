/* alert_rules.c — the rules of alert_rules.h. */
#include "api/alert_rules.h"

#include <stdio.h>

#include "alerts/alerts.h"
#include "alerts/volume.h"
#include "api/account_notices.h"
#include "api/app.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "store/store.h"

#define NEW_ADDRESS_AFTER_S (30 * 86400)
#define BASELINE_S	    (30 * 86400)
#define HOUR_S		    3600

void alert_rules_signin_failed(struct request *rq, const char *subject, uint32_t account_failures,
			       uint32_t address_failures)
{
	const struct coffer_config *cfg = rq->app->cfg;
	char detail[STORE_ALERT_DETAIL_MAX + 1];
	if (account_failures >= cfg->alert_signin_failures_account) {
		snprintf(detail, sizeof detail, "%u failed sign-ins in a row", account_failures);
		alert_raise(ALERT_SIGNIN_FAILURES_ACCOUNT, NULL, subject, detail, rq->client_text);
	}
	if (address_failures >= cfg->alert_signin_failures_address) {
		snprintf(detail, sizeof detail,
			 "%u failed sign-ins from this address in ten minutes", address_failures);
		alert_raise(ALERT_SIGNIN_FAILURES_ADDRESS, NULL, rq->client_text, detail,
			    rq->client_text);
	}
}

void alert_rules_signed_in(struct request *rq, const char *user_id, const char *email)
{
	int64_t now = time_now(), previous = 0;
	bool known = false;
	if (store_signin_address_note(rq->app->store, user_id, rq->client_text, now, &previous,
				      &known) != COFFER_OK) {
		log_msg(LOG_ERROR, "alert", "the address of a sign-in could not be noted");
		return;
	}
	/* A first sign-in ever is no news; one from an address the user has not used for 30
	 * days (or never) is. */
	if (!known || (previous != 0 && now - previous <= NEW_ADDRESS_AFTER_S))
		return;
	alert_raise(ALERT_NEW_ADDRESS, NULL, user_id,
		    previous == 0 ? "a sign-in from an address never seen for this user"
				  : "a sign-in from an address not seen for 30 days",
		    rq->client_text);
	/* Each new address once: the note above makes it known for the next 30 days. */
	account_notice(rq, user_id, email, ACCOUNT_NEW_ADDRESS);
}

/* The member's threshold for this hour: the floor, or a multiple of their busiest hour in
 * the 30 days before it, whichever is higher. */
static uint64_t threshold_of(struct request *rq, const char *org_id, const char *user_id,
			     int64_t now)
{
	const struct coffer_config *cfg = rq->app->cfg;
	uint64_t floor = cfg->alert_reads_per_hour;
	int64_t hour = now - now % HOUR_S, busiest = 0;
	struct org_db *odb = NULL;
	if (store_org_borrow(rq->app->orgs, org_id, false, &odb) != COFFER_OK)
		return floor;
	if (store_org_reads_busiest_hour(odb, user_id, hour - BASELINE_S, hour, &busiest) !=
	    COFFER_OK)
		busiest = 0;
	store_org_return(rq->app->orgs, odb);
	uint64_t usual = (uint64_t)busiest * cfg->alert_reads_factor;
	return usual > floor ? usual : floor;
}

void alert_rules_read(struct request *rq, const char *org_id, const char *user_id)
{
	int64_t now = time_now();
	uint64_t count = 0;
	enum volume_verdict v =
	    volume_count(org_id, user_id, now, rq->app->cfg->alert_reads_per_hour, &count);
	if (v == VOLUME_NEEDS_THRESHOLD)
		v = volume_threshold(org_id, user_id, now, threshold_of(rq, org_id, user_id, now));
	if (v != VOLUME_UNUSUAL)
		return;
	char detail[STORE_ALERT_DETAIL_MAX + 1];
	snprintf(detail, sizeof detail,
		 "%llu reads of content this hour, beyond this member's usual volume",
		 (unsigned long long)count);
	alert_raise(ALERT_UNUSUAL_VOLUME, org_id, user_id, detail, rq->client_text);
}

void alert_rules_admin_refused(struct request *rq, const char *user_id)
{
	alert_raise(ALERT_ADMIN_OFF_HOURS, NULL, user_id,
		    "a sysadmin refused by the system policy's hours or addresses",
		    rq->client_text);
}
