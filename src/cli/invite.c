/* invite.c — the invitations the command line seals itself (invite.h). */
#include "cli/invite.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/email.h"
#include "common/uuid.h"
#include "keyd/account.h"
#include "keyd/seal.h"

/* What keyd's INVITE_SEAL would check of the same invitation (keyd/people_requests.c), so that
 * nothing sealed here is something keyd would not have sealed. */
static bool order_valid(const struct cli_invite_order *o)
{
	char norm[EMAIL_MAX + 1];
	if (o->email == NULL || !email_normalize(o->email, norm) || strcmp(norm, o->email) != 0)
		return false;
	if (o->role == INVITE_SYSADMIN)
		return o->org_id == NULL;
	return (o->role == INVITE_MEMBER || o->role == INVITE_ORG_ADMIN) && o->org_id != NULL &&
	       uuid_valid(o->org_id) && (unsigned int)o->clearance <= LEVEL_RESTRICTED;
}

enum coffer_err cli_invite_seal(const struct master_keyring *ring, const struct cli_invite_order *o,
				int64_t now, char token[TOKEN_TEXT_LEN + 1],
				struct token_hash *hash, struct invite_record *rec)
{
	struct seal_keys *seals = NULL;
	struct invite inv;
	struct invite_record r;
	memset(&inv, 0, sizeof inv);
	memset(&r, 0, sizeof r);
	if (!order_valid(o))
		return COFFER_ERR_INVALID_INPUT;
	bool sysadmin = o->role == INVITE_SYSADMIN;

	snprintf(r.email, sizeof r.email, "%s", o->email);
	snprintf(r.role, sizeof r.role, "%s",
		 sysadmin		    ? "sysadmin"
		 : o->role == INVITE_MEMBER ? "member"
					    : "org_admin");
	if (!sysadmin) {
		snprintf(r.org_id, sizeof r.org_id, "%s", o->org_id);
		snprintf(r.clearance, sizeof r.clearance, "%s", level_name(o->clearance));
	}
	r.created_at = now;
	r.expires_at = now + INVITE_TTL_S;
	/* created_by stays "": no user made it, the holder of the master key did. */

	memcpy(inv.email, r.email, sizeof inv.email);
	inv.role = (uint8_t)o->role;
	memcpy(inv.org_id, r.org_id, sizeof inv.org_id);
	inv.clearance = sysadmin ? 0 : (uint8_t)o->clearance;
	inv.expires_at = r.expires_at;

	enum coffer_err err = seal_keys_derive(ring, &seals);
	if (err != COFFER_OK)
		return err;
	token_generate(token, &inv.token);
	err = invite_seal(seals, &inv, r.sealed, &r.sealed_len);
	seal_keys_free(seals);
	if (err != COFFER_OK) {
		sodium_memzero(token, TOKEN_TEXT_LEN + 1);
		return err;
	}
	*hash = inv.token;
	*rec = r;
	return COFFER_OK;
}

void cli_invite_url(const struct listen_addr *listen, const char *token, char *out, size_t outlen)
{
	struct listen_addr shown = *listen;
	char host[CONFIG_HOST_MAX + 16];
	if (strcmp(shown.host, "0.0.0.0") == 0 || strcmp(shown.host, "::") == 0)
		snprintf(shown.host, sizeof shown.host, "localhost");
	listen_addr_format(&shown, host, sizeof host);
	snprintf(out, outlen, "https://%s/invite/%s", host, token);
}
