/* alerts.h — alerts on suspicious activity, raised by rules coffer evaluates on what it audits
 * (docs/OPERATIONS.md, "Alerts").
 *
 * An alert is raised once: it is stored (GET /api/v1/admin/alerts, and the organisation's at
 * GET /api/v1/orgs/{org}/alerts when it concerns one), entered in the system audit chain (and
 * the organisation's), counted in the metrics by kind, and handed to alert_command as one JSON
 * line on its standard input, through the alert runner (alerts/runner.h): the web process
 * itself never starts a program. The same alert (kind, organisation and subject) is raised at
 * most once an hour by a node, so that a sustained attack is one alert an hour, not thousands.
 *
 * What an alert names is what its audit entries already name (a user id, an address, an email
 * typed at sign-in, a chain): never content. */
#ifndef COFFER_ALERTS_H
#define COFFER_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

enum alert_kind {
	ALERT_SIGNIN_FAILURES_ACCOUNT, /* repeated failed sign-ins of one account */
	ALERT_SIGNIN_FAILURES_ADDRESS, /* … from one address */
	ALERT_NEW_ADDRESS,	       /* a sign-in from an address not seen for 30 days */
	ALERT_UNUSUAL_VOLUME,	       /* a member reading far beyond their usual hour */
	ALERT_ADMIN_OFF_HOURS,	       /* a sysadmin's change outside the allowed hours */
	ALERT_AUDIT_CHAIN,	       /* an audit chain failed verification */
	ALERT_BACKUP_FAILED,	       /* a nightly backup failed */
	ALERT__COUNT
};

/* "signin_failures_account", …: the kind as stored, audited ("alert.KIND") and counted. */
const char *alert_kind_name(enum alert_kind kind);

struct store;
struct audit_entry;

/* Appends E to ORG_ID's audit chain (the server's org_audit_commit); CTX is the caller's. */
typedef enum coffer_err (*alert_org_append_fn)(void *ctx, const char *org_id,
					       struct audit_entry *e);

/* Makes the process's alert sink on STORE. Call once, before anything raises. The
 * organisations' chains and the runner are attached when they exist (start-up opens them
 * later than the store): until then, alerts go without them. */
COFFER_MUST_CHECK enum coffer_err alerts_init(struct store *store);
/* From now on, an alert concerning an organisation is also entered in its chain by APPEND. */
void alerts_set_org_chains(alert_org_append_fn append, void *ctx);
/* From now on, alerts are written to FD, the alert runner's pipe (alerts/runner.h); the sink
 * closes it at alerts_shutdown. */
void alerts_set_runner(int fd);
/* Closes the runner's pipe (the runner then ends) and forgets the sink. */
void alerts_shutdown(void);

/* Raises an alert of KIND about SUBJECT (at most 254 bytes), concerning ORG_ID (NULL or ""
 * for none), with DETAIL (a short explanation, at most 255 bytes, never content) and the
 * ADDRESS it came from ("" when none). Before alerts_init, or when the same alert was raised
 * less than an hour ago, nothing happens. Returns whether it was raised. */
bool alert_raise(enum alert_kind kind, const char *org_id, const char *subject, const char *detail,
		 const char *address);

/* A security event on one user's own account, for alert_command (api/account_notices.h): no
 * alert (not stored in the alerts list, audited or counted here; the event's own handler
 * audits it), but a line like an alert's, with what an operator's script needs to mail the
 * user. Every field is borrowed. */
struct alert_line {
	int64_t notice_id; /* the user's notice of it */
	int64_t time;
	const char *kind;    /* "account_password_changed", … */
	const char *org_id;  /* the organisation it concerns; NULL or "" for none */
	const char *detail;  /* a sentence for a person, never a secret */
	const char *address; /* where it came from; "" when nowhere */
	const char *user_id;
	const char *email;
};

/* Hands L to alert_command as one JSON line, when it is set (before alerts_init: nothing). */
void alert_pass_on(const struct alert_line *l);

#endif
