/* identity.h — keyd's identity requests (INVITE_SEAL, ACCEPT, TOTP_CONFIRM, LOGIN,
 * PASSWORD_SET; messages in keyd.h) and the gate that bounds their password hashing.
 *
 * The gate is a counting semaphore of KEYD_HASH_CONCURRENCY slots: an Argon2id run (hash or
 * verify) takes one, so keyd never has more than that many running at once, however many
 * channels ask (the others wait their turn; data key requests need no slot). It also holds the
 * dummy hash a LOGIN for an unknown account is verified against, made once when keyd loads.
 */
#ifndef COFFER_KEYD_IDENTITY_H
#define COFFER_KEYD_IDENTITY_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "signin/totp.h"
#include "common/err.h"
#include "keyd/account.h"
#include "keyd/frame.h"
#include "keyd/handlers.h"

/* The longest code field keyd parses (LOGIN, TOTP_CONFIRM); a longer one ends keyd. */
#define KEYD_CODE_MAX TOTP_DIGITS

struct keyd_hash_gate {
	sem_t slots;			       /* KEYD_HASH_CONCURRENCY */
	atomic_uint running;		       /* Argon2id runs under way */
	atomic_uint peak;		       /* the most ever under way at once (for the tests) */
	char dummy_hash[ACCOUNT_HASH_MAX + 1]; /* of a random password nobody knows */
};

/* Sets up a gate (before the sandbox: sem_init; after it, sem_wait/sem_post need only futex)
 * and hashes its dummy password. The caller frees it with keyd_hash_gate_free. */
COFFER_MUST_CHECK enum coffer_err keyd_hash_gate_new(struct keyd_hash_gate **out);
void keyd_hash_gate_free(struct keyd_hash_gate *g);

/* The handlers (keyd_handle's dispatch table): false for a request that does not parse. */
COFFER_MUST_CHECK bool keyd_on_invite_seal(const struct keyd_keys *keys, struct wire_reader *r,
					   struct frame_writer *f);
COFFER_MUST_CHECK bool keyd_on_accept(const struct keyd_keys *keys, struct wire_reader *r,
				      struct frame_writer *f);
COFFER_MUST_CHECK bool keyd_on_totp_confirm(const struct keyd_keys *keys, struct wire_reader *r,
					    struct frame_writer *f);
COFFER_MUST_CHECK bool keyd_on_login(const struct keyd_keys *keys, struct wire_reader *r,
				     struct frame_writer *f);
COFFER_MUST_CHECK bool keyd_on_password_set(const struct keyd_keys *keys, struct wire_reader *r,
					    struct frame_writer *f);

#endif
