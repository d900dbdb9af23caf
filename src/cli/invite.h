/* invite.h — the invitations the command line makes itself: the first system administrator's
 * (`coffer init`) and a recovered organisation's new org_admin (`coffer org recover`).
 *
 * keyd seals every other invitation, for the session allowed to make it (keyd/permit.h). These
 * two have no such session — no sysadmin exists yet, or no org_admin is left — so the operator's
 * own process seals them with the master keyring, exactly as keyd would (keyd/account.h), and
 * keyd accepts them like any other. Holding the master key (and its passphrase) is the
 * authority: that is why both are server-side acts and not API calls.
 */
#ifndef COFFER_CLI_INVITE_H
#define COFFER_CLI_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/level.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "crypto/token.h"
#include "keyproto/protocol.h"
#include "store/store.h"

struct cli_invite_order {
	const char *email;     /* normal form (email_normalize) */
	enum invite_role role; /* INVITE_SYSADMIN or INVITE_ORG_ADMIN */
	const char *org_id;    /* the organisation; NULL for a sysadmin */
	enum level clearance;  /* in the organisation; ignored for a sysadmin */
};

/* Seals the invitation O describes with the newest key of RING, made at NOW and good for
 * INVITE_TTL_S: a fresh token in TOKEN (a secret, shown once: wipe it after printing it), and
 * what to store in *HASH and *REC (store_invite_add(st, HASH, REC)). Stores nothing itself, so
 * a caller can record the act first. COFFER_ERR_INVALID_INPUT for an order keyd would refuse
 * to seal (an email not in normal form, a role without its organisation or the reverse). */
COFFER_MUST_CHECK enum coffer_err
cli_invite_seal(const struct master_keyring *ring, const struct cli_invite_order *o, int64_t now,
		char token[TOKEN_TEXT_LEN + 1], struct token_hash *hash, struct invite_record *rec);

/* The address a person opens to accept TOKEN, https://HOST:PORT/invite/TOKEN, on the host the
 * server listens on (localhost for a wildcard address, which names no host). */
void cli_invite_url(const struct listen_addr *listen, const char *token, char *out, size_t outlen);

#endif
