/* alert_rules.h — the rules that raise alerts from what a request does (alerts/alerts.h):
 * failed sign-ins piling up, a sign-in from an address not seen for 30 days, a member reading
 * far beyond their usual hour, a sysadmin refused by the system's hours or addresses. The
 * thresholds are coffer.conf's (docs/OPERATIONS.md, "Alerts"). Each rule costs nothing until
 * it fires but the sign-in address's note (one write per sign-in) and the read's count (a
 * table in memory). */
#ifndef COFFER_API_ALERT_RULES_H
#define COFFER_API_ALERT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

/* A sign-in failed. SUBJECT: the account's user id, or the email typed when it names no
 * account; ACCOUNT_FAILURES and ADDRESS_FAILURES the counts with this failure (the account's
 * only counts for a client without a standing device cookie: 0 otherwise). */
void alert_rules_signin_failed(struct request *rq, const char *subject, uint32_t account_failures,
			       uint32_t address_failures);

/* USER_ID (whose email is EMAIL) signed in from the request's address: an address not seen
 * for 30 days is an alert, and a notice to the user (account_notices.h). */
void alert_rules_signed_in(struct request *rq, const char *user_id, const char *email);

/* USER_ID read content of ORG_ID (an audited read). */
void alert_rules_read(struct request *rq, const char *org_id, const char *user_id);

/* A sysadmin's sign-in or request was refused by the system policy's login rules. */
void alert_rules_admin_refused(struct request *rq, const char *user_id);

#endif
