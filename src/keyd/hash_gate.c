/* hash_gate.c — password hashing under the gate (hash_gate.h). */
#include "keyd/hash_gate.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "keyproto/protocol.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* The fuzz build only (the Makefile defines this for build/fuzz/, never for build/coffer):
 * Argon2id at libsodium's minimum cost, one pass over 8 KiB, so that the fuzzer runs thousands
 * of identity requests a second instead of ten. Hashes verify at the cost they were made with,
 * so the seeds are made by the fuzz build too. */
#define PWHASH_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_MIN
#define PWHASH_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_MIN
#else
#define PWHASH_OPSLIMIT KEYD_PWHASH_OPSLIMIT
#define PWHASH_MEMLIMIT KEYD_PWHASH_MEMLIMIT
#endif

_Static_assert(crypto_pwhash_STRBYTES == ACCOUNT_HASH_MAX + 1, "account hash size");

static void gate_enter(struct keyd_hash_gate *g)
{
	while (sem_wait(&g->slots) != 0) {
		if (errno != EINTR)
			abort(); /* only an invalid semaphore, a bug */
	}
	unsigned int now = atomic_fetch_add(&g->running, 1u) + 1u;
	unsigned int peak = atomic_load(&g->peak);
	while (now > peak && !atomic_compare_exchange_weak(&g->peak, &peak, now)) {
	}
}

static void gate_leave(struct keyd_hash_gate *g)
{
	atomic_fetch_sub(&g->running, 1u);
	sem_post(&g->slots);
}

enum coffer_err keyd_hash_password(struct keyd_hash_gate *g, const uint8_t *pw, size_t len,
				   char out[ACCOUNT_HASH_MAX + 1])
{
	char h[crypto_pwhash_STRBYTES];
	gate_enter(g);
	int rc = crypto_pwhash_str_alg(h, (const char *)pw, len, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
				       crypto_pwhash_ALG_ARGON2ID13);
	gate_leave(g);
	size_t n = rc == 0 ? strnlen(h, sizeof h) : 0;
	enum coffer_err err = COFFER_OK;
	if (n == 0 || n > ACCOUNT_HASH_MAX)
		err = COFFER_ERR_NOMEM; /* libsodium fails only to allocate the 64 MiB */
	else
		memcpy(out, h, n + 1);
	sodium_memzero(h, sizeof h);
	return err;
}

bool keyd_verify_password(struct keyd_hash_gate *g, const char *hash, const uint8_t *pw, size_t len)
{
	gate_enter(g);
	int rc = crypto_pwhash_str_verify(hash, (const char *)pw, len);
	gate_leave(g);
	return rc == 0;
}

enum coffer_err keyd_hash_gate_new(struct keyd_hash_gate **out)
{
	uint8_t pw[32];
	struct keyd_hash_gate *g = calloc(1, sizeof *g);
	if (g == NULL)
		return COFFER_ERR_NOMEM;
	atomic_init(&g->running, 0u);
	atomic_init(&g->peak, 0u);
	const bool have_slots = sem_init(&g->slots, 0, KEYD_HASH_CONCURRENCY) == 0;
	enum coffer_err err = have_slots ? COFFER_OK : COFFER_ERR_INTERNAL;
	if (have_slots) {
		randombytes_buf(pw, sizeof pw);
		err = keyd_hash_password(g, pw, sizeof pw, g->dummy_hash);
		sodium_memzero(pw, sizeof pw);
		atomic_store(&g->peak, 0u); /* the dummy's run is not a request's */
	}
	if (err == COFFER_OK)
		*out = g;
	else if (have_slots)
		keyd_hash_gate_free(g);
	else
		free(g);
	return err;
}

void keyd_hash_gate_free(struct keyd_hash_gate *g)
{
	if (g != NULL)
		sem_destroy(&g->slots);
	free(g);
}
