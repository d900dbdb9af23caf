/* hash_gate.c — password hashing under the gate (hash_gate.h). */
#include "keyd/hash_gate.h"

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

/* One Argon2id run, handed by a channel thread to a hashing thread. */
struct hash_job {
	struct hash_job *next;
	const uint8_t *pw;
	size_t len;
	const char *hash; /* to verify against; NULL: make one into OUT */
	char *out;	  /* crypto_pwhash_STRBYTES */
	int rc;
	bool done;
	pthread_cond_t finished;
};

static void run_job(struct keyd_hash_gate *g, struct hash_job *j)
{
	unsigned int now = atomic_fetch_add(&g->running, 1u) + 1u;
	unsigned int peak = atomic_load(&g->peak);
	while (now > peak && !atomic_compare_exchange_weak(&g->peak, &peak, now)) {
	}
	if (j->hash != NULL)
		j->rc = crypto_pwhash_str_verify(j->hash, (const char *)j->pw, j->len);
	else
		j->rc = crypto_pwhash_str_alg(j->out, (const char *)j->pw, j->len, PWHASH_OPSLIMIT,
					      PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13);
	atomic_fetch_sub(&g->running, 1u);
}

static void *hashing_thread(void *arg)
{
	struct keyd_hash_gate *g = arg;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (g->head == NULL && !g->stopping)
			pthread_cond_wait(&g->work, &g->mu);
		if (g->head == NULL)
			break;
		struct hash_job *j = g->head;
		g->head = j->next;
		if (g->head == NULL)
			g->tail = NULL;
		pthread_mutex_unlock(&g->mu);
		run_job(g, j);
		pthread_mutex_lock(&g->mu);
		j->done = true;
		pthread_cond_signal(&j->finished);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* Queues J and waits until a hashing thread has run it. */
static void hash_on_thread(struct keyd_hash_gate *g, struct hash_job *j)
{
	j->next = NULL;
	j->done = false;
	pthread_cond_init(&j->finished, NULL);
	pthread_mutex_lock(&g->mu);
	if (g->tail != NULL)
		g->tail->next = j;
	else
		g->head = j;
	g->tail = j;
	pthread_cond_signal(&g->work);
	while (!j->done)
		pthread_cond_wait(&j->finished, &g->mu);
	pthread_mutex_unlock(&g->mu);
	pthread_cond_destroy(&j->finished);
}

enum coffer_err keyd_hash_password(struct keyd_hash_gate *g, const uint8_t *pw, size_t len,
				   char out[ACCOUNT_HASH_MAX + 1])
{
	char h[crypto_pwhash_STRBYTES];
	struct hash_job j = {.pw = pw, .len = len, .out = h};
	hash_on_thread(g, &j);
	size_t n = j.rc == 0 ? strnlen(h, sizeof h) : 0;
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
	struct hash_job j = {.pw = pw, .len = len, .hash = hash};
	hash_on_thread(g, &j);
	return j.rc == 0;
}

enum coffer_err keyd_hash_gate_new(struct keyd_hash_gate **out)
{
	uint8_t pw[32];
	struct keyd_hash_gate *g = calloc(1, sizeof *g);
	if (g == NULL)
		return COFFER_ERR_NOMEM;
	atomic_init(&g->running, 0u);
	atomic_init(&g->peak, 0u);
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	enum coffer_err err = COFFER_OK;
	while (g->n_threads < KEYD_HASH_CONCURRENCY) {
		if (pthread_create(&g->threads[g->n_threads], NULL, hashing_thread, g) != 0) {
			err = COFFER_ERR_NOMEM;
			break;
		}
		g->n_threads++;
	}
	if (err == COFFER_OK) {
		randombytes_buf(pw, sizeof pw);
		err = keyd_hash_password(g, pw, sizeof pw, g->dummy_hash);
		sodium_memzero(pw, sizeof pw);
		atomic_store(&g->peak, 0u); /* the dummy's run is not a request's */
	}
	if (err == COFFER_OK)
		*out = g;
	else
		keyd_hash_gate_free(g);
	return err;
}

void keyd_hash_gate_free(struct keyd_hash_gate *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = true;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->mu);
	for (unsigned int i = 0; i < g->n_threads; i++)
		pthread_join(g->threads[i], NULL);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->work);
	free(g);
}
