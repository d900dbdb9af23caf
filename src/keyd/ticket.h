/* ticket.h — session tickets: what keyd knows about a session, sealed by keyd so that the web
 * process can store it and hand it back but never forge or alter it.
 *
 * keyd keeps no state of its own (it has no database: its sandbox allows no file opens, and
 * several servers share one deployment). At login keyd issues a ticket: the hash of the
 * session token, the user, their role and memberships with clearances, when its holder last
 * proved who they are (the login, or a re-authentication since) and the absolute expiry.
 * Every later key request carries the session token and its ticket; keyd checks the MAC, that
 * the token hashes to the ticket's, and the expiry by its own clock, then decides (permit.h).
 * A renewal (a membership changed) carries the authentication time forward unchanged: only a
 * password (and code) checked by keyd moves it (REAUTHENTICATE).
 *
 * Sealed encoding (wire fields, common/wire.h):
 *   u8 format = 2 | bytes(32) token hash | str user id | u8 role | u64 issued at |
 *   u64 authenticated at | u64 expires at | u8 n | n × (str org id | u8 org role |
 *   u8 clearance) | raw MAC (32)
 * Format 1, sealed before re-authentication existed, has no "authenticated at": it opens with
 * the issue time (its login) in its place. Sealing always writes format 2.
 * The MAC is HMAC-SHA256 over every byte before it, under a key derived from the newest master
 * key with the label TICKET_KEY_LABEL.
 */
#ifndef COFFER_KEYD_TICKET_H
#define COFFER_KEYD_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/wire.h"
#include "crypto/mac.h"
#include "crypto/token.h"
#include "keyproto/protocol.h" /* TICKET_ID_MAX, TICKET_SEALED_MAX */

#define TICKET_ORGS_MAX	 64
#define TICKET_KEY_LABEL "coffer/keyd/session-ticket/v1"

enum ticket_role { TICKET_ROLE_USER = 1, TICKET_ROLE_SYSADMIN = 2 };
enum ticket_org_role { TICKET_ORG_MEMBER = 1, TICKET_ORG_ADMIN = 2 };

struct ticket_membership {
	char org_id[TICKET_ID_MAX + 1];
	uint8_t org_role;  /* enum ticket_org_role */
	uint8_t clearance; /* enum level */
};

struct ticket {
	struct token_hash token;
	char user_id[TICKET_ID_MAX + 1];
	uint8_t role; /* enum ticket_role */
	/* ISSUED_AT <= AUTHENTICATED_AT <= EXPIRES_AT: the login, the last time the holder's
	 * password (and code) was checked, the absolute end. */
	int64_t issued_at, authenticated_at, expires_at;
	uint32_t n_orgs;
	struct ticket_membership orgs[TICKET_ORGS_MAX];
};

/* Whether S is an id of 1..TICKET_ID_MAX bytes. */
bool ticket_id_valid(const char *s);

/* Whether ROLE is a ticket_role with the N memberships at M in range: ids, org roles,
 * clearances, at most TICKET_ORGS_MAX, none for a sysadmin. */
bool ticket_holder_valid(uint8_t role, const struct ticket_membership *m, uint32_t n);

/* Memberships, as tickets and accounts both hold them: N of them at M.
 *   u8 n | n × (str org id | u8 org role | u8 clearance)
 * ticket_orgs_get: false when the count is out of range (a field that does not parse marks R
 * bad, as any wire field does). */
void ticket_orgs_put(struct wire_writer *w, const struct ticket_membership *m, uint32_t n);
COFFER_MUST_CHECK bool ticket_orgs_get(struct wire_reader *r, struct ticket_membership *m,
				       uint32_t *n);

/* Encodes and MACs T into OUT (TICKET_SEALED_MAX bytes); sets *LEN. COFFER_ERR_INVALID_INPUT
 * when a field is out of range. */
COFFER_MUST_CHECK enum coffer_err ticket_seal(const uint8_t key[MAC_KEY_BYTES],
					      const struct ticket *t, uint8_t *out, size_t *len);

/* Checks the MAC of IN and decodes it into T. COFFER_ERR_UNAUTHENTICATED for anything keyd
 * did not seal itself, exactly as it sealed it. */
COFFER_MUST_CHECK enum coffer_err ticket_open(const uint8_t key[MAC_KEY_BYTES], const uint8_t *in,
					      size_t len, struct ticket *t);

#endif
