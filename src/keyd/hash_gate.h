/* hash_gate.h — keyd's password hashing (Argon2id), and the gate that bounds it.
 *
 * The gate is a counting semaphore of KEYD_HASH_CONCURRENCY slots: an Argon2id run (hash or
 * verify) takes one, so keyd never has more than that many running at once, however many
 * channels ask (the others wait their turn; data key requests need no slot). It also holds the
 * dummy hash a LOGIN for an unknown account is verified against, made once when keyd loads.
 */
#ifndef COFFER_KEYD_HASH_GATE_H
#define COFFER_KEYD_HASH_GATE_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "keyd/account.h"

/* Argon2id, t = 2 passes over 64 MiB, one lane. The cost is justified in docs/SECURITY.md from
 * measurements on the project's 2-core machine. */
#define KEYD_PWHASH_OPSLIMIT 2
#define KEYD_PWHASH_MEMLIMIT (64u * 1024 * 1024)

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

/* Hashes the LEN bytes of PW into OUT (libsodium's encoded form), taking a slot. */
COFFER_MUST_CHECK enum coffer_err keyd_hash_password(struct keyd_hash_gate *g, const uint8_t *pw,
						     size_t len, char out[ACCOUNT_HASH_MAX + 1]);
/* Whether PW matches HASH, taking a slot. */
COFFER_MUST_CHECK bool keyd_verify_password(struct keyd_hash_gate *g, const char *hash,
					    const uint8_t *pw, size_t len);

#endif
