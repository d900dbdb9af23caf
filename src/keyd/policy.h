/* policy.h — keyd's decision point: may this session have the data key of that object?
 *
 * Default deny. A data key is released only when every one of these holds:
 *   - the ticket is keyd's own (checked by ticket_open before this is asked);
 *   - the token presented hashes to the ticket's token hash (so a stolen ticket without its
 *     token is useless, and the web process cannot pair a ticket with another session);
 *   - the ticket has not expired by keyd's own clock;
 *   - the user is not a sysadmin (sysadmins run the service; they never read its content);
 *   - the user is a member of the object's organisation;
 *   - their clearance there is at or above the object's level.
 * Idle expiry and revocation (logout, disable, password change) are recorded in the system
 * database, which keyd cannot read; the web process enforces them before it asks, and a ticket
 * never outlives its absolute expiry.
 */
#ifndef COFFER_POLICY_H
#define COFFER_POLICY_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"
#include "keyd/ticket.h"

/* COFFER_OK to release the key; COFFER_ERR_UNAUTHENTICATED when the session is not (or no
 * longer) valid; COFFER_ERR_FORBIDDEN when it is valid but not entitled. */
COFFER_MUST_CHECK enum coffer_err policy_data_key(const struct ticket *t,
						  const struct token_hash *presented, int64_t now,
						  const char *org_id, enum level level);

#endif
