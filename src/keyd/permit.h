/* permit.h — who may send each request (a column of keyd's table, dispatch.c), and the one
 * check of it, made after a request is read and before its handler runs.
 *
 * Default deny. A session is live when every one of these holds:
 *   - the ticket is keyd's own (its MAC verifies under the ticket key, ticket.h);
 *   - the token presented hashes to the ticket's token hash (so a stolen ticket without its
 *     token is useless, and the web process cannot pair a ticket with another session);
 *   - the ticket has not expired by keyd's own clock.
 * Idle expiry and revocation (logout, disable, password change) are recorded in the system
 * database, which keyd cannot read; the web process enforces them before it asks, and a ticket
 * never outlives its absolute expiry.
 */
#ifndef COFFER_KEYD_PERMIT_H
#define COFFER_KEYD_PERMIT_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/mac.h"
#include "keyd/account.h"
#include "keyd/request.h"
#include "keyd/ticket.h"

enum keyd_permit {
	/* Anyone: the request asks nothing secret, or carries its own proof that the handler
	 * checks (a sealed record, an invite token, a password). */
	PERMIT_NONE = 1,
	/* A live session of a sysadmin. Otherwise UNAUTHENTICATED (not live) or FORBIDDEN. */
	PERMIT_SYSADMIN,
	/* A live session of a user (never a sysadmin: sysadmins run the service, they do not
	 * read its content) who is a member of the object's organisation with a clearance there
	 * at or above the object's level. INVALID_INPUT for a level that is none, then
	 * UNAUTHENTICATED (not live) or FORBIDDEN. */
	PERMIT_MEMBER,
	/* PERMIT_MEMBER for each object of a batch on its own: the request itself always
	 * passes, and the handler releases only the objects whose verdict is COFFER_OK. */
	PERMIT_MEMBER_EACH,
	/* A live session, whoever holds it. Otherwise UNAUTHENTICATED. */
	PERMIT_SESSION,
	/* A live session of a user who is an org_admin of the request's organisation (q->org_id)
	 * with a clearance there at or above what the request grants (q->grant): membership is
	 * the organisation's own business. Otherwise UNAUTHENTICATED (not live) or FORBIDDEN. */
	PERMIT_ORG_ADMIN,
	/* Who may invite (INVITE_SEAL): a sysadmin into the sysadmins; into an organisation,
	 * PERMIT_ORG_ADMIN of it, or else a sysadmin inviting an org_admin of an organisation
	 * whose charter (account.h) it presents, unexpired: the first admin of an organisation
	 * that keyd created and nobody has founded yet. A sysadmin can do nothing else inside an
	 * organisation. Otherwise UNAUTHENTICATED (not live) or FORBIDDEN. */
	PERMIT_INVITER,
};

/* How recently a session's holder must have proved who they are (a second column of keyd's
 * table): AUTH_RECENT for the changes an attacker at an unattended, still signed-in browser
 * would most want (invitations, membership changes, sign-in resets: ASVS V3.7.1). The ticket's
 * authenticated_at (ticket.h) is its login, or the last REAUTHENTICATE since; keyd refuses a
 * ticket whose authentication is older than KEYD_REAUTH_AFTER_S by its own clock, whatever
 * the web process's own (possibly shorter) window says. */
enum keyd_auth_age { AUTH_ANY = 0, AUTH_RECENT };

/* What the check found, handed to the handler. */
struct keyd_caller {
	int64_t now;	      /* keyd's clock, read once for the request */
	struct ticket ticket; /* the live session, for every permit but PERMIT_NONE */
	uint8_t clearance;    /* PERMIT_ORG_ADMIN, PERMIT_INVITER: the caller's in the org */
	bool founding;	      /* PERMIT_INVITER: a sysadmin let in by a charter */
	enum coffer_err verdict[KEYD_OPEN_BATCH_MAX]; /* PERMIT_MEMBER_EACH: each object's */
};

/* Decides whether request Q may be answered under PERMIT, at time NOW, with the ticket key
 * TICKET_KEY and the seal keys SEALS (for charters; NULL refuses every charter): COFFER_OK,
 * with *CALLER filled in, or the refusal to answer with. */
COFFER_MUST_CHECK enum coffer_err keyd_permit_check(const uint8_t ticket_key[MAC_KEY_BYTES],
						    const struct seal_keys *seals,
						    enum keyd_permit permit,
						    const struct keyd_request *q, int64_t now,
						    struct keyd_caller *caller);

/* For a request whose permit passed with the live session CALLER->ticket: COFFER_OK when its
 * authentication is at most KEYD_REAUTH_AFTER_S old at CALLER->now, else
 * COFFER_ERR_REAUTHENTICATION_REQUIRED. */
COFFER_MUST_CHECK enum coffer_err keyd_auth_recent(const struct keyd_caller *caller);

#endif
