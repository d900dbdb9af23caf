/* signer.c — the process's audit signer and checkpoint sink, and the local signer (signer.h). */
#include "audit/signer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/mac_keys.h"

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct audit_signer installed;
static bool have_signer;
static audit_checkpoint_sink sink;
static void *sink_ctx;

void audit_signer_install(const struct audit_signer *s, audit_checkpoint_sink to, void *ctx)
{
	pthread_rwlock_wrlock(&lock);
	have_signer = s != NULL;
	if (s != NULL)
		installed = *s;
	sink = to;
	sink_ctx = ctx;
	pthread_rwlock_unlock(&lock);
}

/* Installed once before serving and changed only at shutdown, when nothing appends: the
 * pointer handed out stays valid. */
const struct audit_signer *audit_signer_get(void)
{
	pthread_rwlock_rdlock(&lock);
	const struct audit_signer *s = have_signer ? &installed : NULL;
	pthread_rwlock_unlock(&lock);
	return s;
}

void audit_checkpoint_emit(const struct audit_checkpoint *cp)
{
	pthread_rwlock_rdlock(&lock);
	if (sink != NULL)
		sink(sink_ctx, cp);
	pthread_rwlock_unlock(&lock);
}

static enum coffer_err local_link(void *ctx, const char *chain, uint32_t version,
				  const uint8_t prev[AUDIT_HASH_BYTES], uint64_t first_seq,
				  const uint8_t (*digests)[AUDIT_HASH_BYTES], size_t n,
				  uint8_t (*links)[AUDIT_HASH_BYTES], uint32_t *used,
				  struct audit_checkpoint *cp)
{
	const struct audit_mac_keys *k = ctx;
	if (version == 0)
		version = audit_mac_keys_newest(k);
	if (first_seq == 0 || n > AUDIT_LINK_MAX)
		return COFFER_ERR_INVALID_INPUT;
	const uint8_t *p = prev;
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		err = audit_mac_link(k, version, chain, p, first_seq + i, digests[i], links[i]);
		p = links[i];
	}
	if (err == COFFER_OK && cp != NULL) {
		memset(cp, 0, sizeof *cp);
		if (!audit_chain_id_ok(chain))
			return COFFER_ERR_INVALID_INPUT;
		memcpy(cp->chain, chain, strlen(chain)); /* checked: at most AUDIT_CHAIN_ID_MAX */
		cp->seq = first_seq + n - 1;
		memcpy(cp->head, p, AUDIT_HASH_BYTES);
		cp->time = (int64_t)time(NULL);
		cp->key_version = version;
		err = audit_mac_checkpoint_seal(k, cp);
	}
	if (err == COFFER_OK)
		*used = version;
	return err;
}

static enum coffer_err local_check(void *ctx, const struct audit_checkpoint *cp)
{
	return audit_mac_checkpoint_check(ctx, cp);
}

struct audit_signer audit_signer_local(struct audit_mac_keys *k)
{
	return (struct audit_signer){.link = local_link, .check = local_check, .ctx = k};
}

enum coffer_err audit_sign_entries(const struct audit_signer *s, const char *chain,
				   const uint8_t prev[AUDIT_HASH_BYTES], struct audit_entry *e,
				   size_t n, struct audit_checkpoint *cp)
{
	uint8_t(*digests)[AUDIT_HASH_BYTES] = NULL;
	uint8_t(*links)[AUDIT_HASH_BYTES] = NULL;
	uint8_t last[AUDIT_HASH_BYTES];
	uint64_t next_seq = n > 0 ? e[0].seq : 0;
	enum coffer_err err = COFFER_OK;
	if (s == NULL)
		return COFFER_ERR_INTERNAL; /* nobody to link: never write an unlinked entry */
	if (n == 0)
		return COFFER_ERR_INVALID_INPUT;
	memcpy(last, prev, AUDIT_HASH_BYTES);
	size_t chunk = n < AUDIT_LINK_MAX ? n : AUDIT_LINK_MAX;
	digests = malloc(chunk * sizeof *digests);
	links = malloc(chunk * sizeof *links);
	if (digests == NULL || links == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	for (size_t done = 0; err == COFFER_OK && done < n;) {
		size_t m = n - done < AUDIT_LINK_MAX ? n - done : AUDIT_LINK_MAX;
		for (size_t i = 0; err == COFFER_OK && i < m; i++) {
			if (e[done + i].seq != next_seq + i)
				err = COFFER_ERR_INVALID_INPUT;
			else
				err = audit_digest(chain, &e[done + i], digests[i]);
		}
		uint32_t used = 0;
		bool final = done + m == n;
		if (err == COFFER_OK)
			err = s->link(s->ctx, chain, 0, last, next_seq, digests, m, links, &used,
				      final ? cp : NULL);
		for (size_t i = 0; err == COFFER_OK && i < m; i++) {
			memcpy(e[done + i].hash, links[i], AUDIT_HASH_BYTES);
			e[done + i].key_version = used;
		}
		if (err == COFFER_OK)
			memcpy(last, links[m - 1], AUDIT_HASH_BYTES);
		next_seq += m;
		done += m;
	}
out:
	free(digests);
	free(links);
	return err;
}

enum coffer_err audit_sign_head(const struct audit_signer *s, const char *chain, uint64_t seq,
				const uint8_t head[AUDIT_HASH_BYTES], struct audit_checkpoint *cp)
{
	uint8_t none[1][AUDIT_HASH_BYTES];
	uint32_t used = 0;
	if (s == NULL)
		return COFFER_ERR_INTERNAL;
	if (seq == UINT64_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return s->link(s->ctx, chain, 0, head, seq + 1, none, 0, none, &used, cp);
}
