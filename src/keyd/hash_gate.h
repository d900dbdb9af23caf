/* hash_gate.h — keyd's password hashing (Argon2id), and the gate that bounds it.
 *
 * KEYD_HASH_CONCURRENCY hashing threads run every Argon2id (hash or verify); a channel thread
 * hands its run to them and waits, so keyd never has more than that many running at once,
 * however many channels ask (the others wait their turn; data key requests need no hashing
 * thread). The hashing threads may run on any CPU, while each channel thread is pinned to one
 * (keyd.c): two sign-ins at once hash on two CPUs whichever channels brought them. The gate
 * also holds the dummy hash a LOGIN for an unknown account is verified against, made once when
 * keyd loads.
 */
#ifndef COFFER_KEYD_HASH_GATE_H
#define COFFER_KEYD_HASH_GATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "keyd/account.h"
#include "keyproto/protocol.h"

/* Argon2id, t = 2 passes over 64 MiB, one lane. The cost is justified in docs/SECURITY.md from
 * measurements on the project's 2-core machine. */
#define KEYD_PWHASH_OPSLIMIT 2
#define KEYD_PWHASH_MEMLIMIT (64u * 1024 * 1024)

struct hash_job;

struct keyd_hash_gate {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job queued, or stopping */
	struct hash_job *head, *tail;
	bool stopping;
	unsigned int n_threads;
	pthread_t threads[KEYD_HASH_CONCURRENCY];
	atomic_uint running;		       /* Argon2id runs under way */
	atomic_uint peak;		       /* the most ever under way at once (for the tests) */
	char dummy_hash[ACCOUNT_HASH_MAX + 1]; /* of a random password nobody knows */
};

/* Sets up a gate and its hashing threads (before the sandbox, which forbids starting a thread;
 * after it they need only futex and memory) and hashes its dummy password. The caller frees it
 * with keyd_hash_gate_free, which ends the threads. */
COFFER_MUST_CHECK enum coffer_err keyd_hash_gate_new(struct keyd_hash_gate **out);
void keyd_hash_gate_free(struct keyd_hash_gate *g);

/* Hashes the LEN bytes of PW into OUT (libsodium's encoded form) on a hashing thread. */
COFFER_MUST_CHECK enum coffer_err keyd_hash_password(struct keyd_hash_gate *g, const uint8_t *pw,
						     size_t len, char out[ACCOUNT_HASH_MAX + 1]);
/* Whether PW matches HASH, checked on a hashing thread. */
COFFER_MUST_CHECK bool keyd_verify_password(struct keyd_hash_gate *g, const char *hash,
					    const uint8_t *pw, size_t len);

#endif
