/* policy.c — keyd's data key decision (rules in policy.h). */
#include "keyd/policy.h"

#include <sodium.h>
#include <string.h>

enum coffer_err policy_data_key(const struct ticket *t, const struct token_hash *presented,
				int64_t now, const char *org_id, enum level level)
{
	if (sodium_memcmp(t->token.bytes, presented->bytes, TOKEN_HASH_BYTES) != 0)
		return COFFER_ERR_UNAUTHENTICATED;
	/* Only the expiry: the issuing keyd may be another server's, with a clock a little ahead.
	 */
	if (now >= t->expires_at)
		return COFFER_ERR_UNAUTHENTICATED;
	if (t->role != TICKET_ROLE_USER)
		return COFFER_ERR_FORBIDDEN;
	for (uint32_t i = 0; i < t->n_orgs && i < TICKET_ORGS_MAX; i++) {
		if (strcmp(t->orgs[i].org_id, org_id) == 0)
			return t->orgs[i].clearance >= (uint8_t)level ? COFFER_OK
								      : COFFER_ERR_FORBIDDEN;
	}
	return COFFER_ERR_FORBIDDEN;
}
