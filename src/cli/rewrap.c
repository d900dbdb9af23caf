/* rewrap.c — key rotation and re-wrapping (see rewrap.h). */
#include "cli/rewrap.h"

#include "crypto/master_wrap.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_KEY_CACHE 16

enum coffer_err rotate_org_key(struct store *st, const struct master_keyring *ring,
			       const char *org_id, int64_t now, uint32_t *new_version)
{
	struct org_key_record newest, next;
	uint8_t key[AEAD_KEY_BYTES];
	enum coffer_err err = store_org_key_newest(st, org_id, &newest);
	if (err != COFFER_OK)
		return err;
	const struct master_key *mk = master_keyring_newest(ring);
	next.version = newest.version + 1;
	next.master_version = mk->version;
	randombytes_buf(key, sizeof key);
	err = master_wrap_org_key(ring, mk->version, org_id, next.version, key, next.wrapped);
	sodium_memzero(key, sizeof key);
	if (err == COFFER_OK)
		err = store_org_key_add(st, org_id, &next, now);
	if (err == COFFER_OK)
		*new_version = next.version;
	return err;
}

enum coffer_err rewrap_org_keys(struct store *st, const struct master_keyring *ring, size_t *done)
{
	const struct master_key *newest = master_keyring_newest(ring);
	struct org_key_ref *batch = calloc(REWRAP_BATCH, sizeof *batch);
	uint32_t old[REWRAP_BATCH];
	uint8_t key[AEAD_KEY_BYTES];
	size_t n = 0;
	enum coffer_err err = batch ? COFFER_OK : COFFER_ERR_NOMEM;
	*done = 0;
	while (err == COFFER_OK) {
		err = store_org_keys_wrapped_before(st, newest->version, batch, REWRAP_BATCH, &n);
		if (err != COFFER_OK || n == 0)
			break;
		for (size_t i = 0; err == COFFER_OK && i < n; i++) {
			struct org_key_ref *r = &batch[i];
			old[i] = r->key.master_version;
			err = master_unwrap_org_key(ring, r->key.master_version, r->org_id,
						    r->key.version, r->key.wrapped, key);
			if (err == COFFER_OK)
				err = master_wrap_org_key(ring, newest->version, r->org_id,
							  r->key.version, key, r->key.wrapped);
			r->key.master_version = newest->version;
		}
		sodium_memzero(key, sizeof key);
		if (err == COFFER_OK)
			err = store_org_keys_rewrapped(st, batch, old, n);
		if (err == COFFER_OK)
			*done += n;
	}
	free(batch);
	return err;
}

/* Unwrapped organisation key versions, in guarded memory, filled as they are needed. */
struct org_key_cache {
	size_t n, next;
	struct {
		uint32_t version;
		uint8_t key[AEAD_KEY_BYTES];
	} slot[ORG_KEY_CACHE];
};

/* The unwrapped key of VERSION of ORG_ID's key, from the cache or the store. */
static enum coffer_err cached_org_key(struct org_key_cache *c, struct store *st,
				      const struct master_keyring *ring, const char *org_id,
				      uint32_t version, const uint8_t **key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->slot[i].version == version) {
			*key = c->slot[i].key;
			return COFFER_OK;
		}
	}
	struct org_key_record rec;
	enum coffer_err err = store_org_key_get(st, org_id, version, &rec);
	if (err != COFFER_OK)
		return err == COFFER_ERR_NOT_FOUND ? COFFER_ERR_CRYPTO : err;
	/* Slot 0 holds the first key asked for (the newest) and is never reused. */
	size_t i = c->n < ORG_KEY_CACHE ? c->n++ : 1 + c->next++ % (ORG_KEY_CACHE - 1);
	err = master_unwrap_org_key(ring, rec.master_version, org_id, version, rec.wrapped,
				    c->slot[i].key);
	c->slot[i].version = err == COFFER_OK ? version : 0;
	*key = c->slot[i].key;
	return err;
}

/* Re-wraps one batch in place; on damage names the object in FAILED. */
static enum coffer_err rewrap_batch(struct org_key_cache *cache, struct store *st,
				    const struct master_keyring *ring, const char *org_id,
				    const uint8_t newest_key[AEAD_KEY_BYTES], uint32_t newest,
				    struct data_key_record *batch, uint32_t *old, size_t n,
				    char failed[STORE_ID_MAX + 1])
{
	uint8_t dk[AEAD_KEY_BYTES];
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < n; i++) {
		struct data_key_record *k = &batch[i];
		const struct object_ctx ctx = {.org_id = org_id,
					       .kind = k->kind,
					       .object_id = k->object_id,
					       .version = k->object_version,
					       .level = k->level};
		const uint8_t *ok = NULL;
		old[i] = k->org_key_version;
		err = cached_org_key(cache, st, ring, org_id, k->org_key_version, &ok);
		if (err == COFFER_OK)
			err = keyunwrap_data_key(ok, &ctx, k->wrapped, dk);
		if (err == COFFER_OK)
			err = keywrap_data_key(newest_key, &ctx, dk, k->wrapped);
		k->org_key_version = newest;
		if (err == COFFER_ERR_CRYPTO)
			snprintf(failed, STORE_ID_MAX + 1, "%s", k->object_id);
	}
	sodium_memzero(dk, sizeof dk);
	return err;
}

enum coffer_err rewrap_data_keys(struct store *st, struct org_db *odb,
				 const struct master_keyring *ring, const char *org_id,
				 size_t *done, char failed_object[STORE_ID_MAX + 1])
{
	struct org_key_record newest;
	const uint8_t *newest_key = NULL;
	struct data_key_record *batch = calloc(REWRAP_BATCH, sizeof *batch);
	uint32_t old[REWRAP_BATCH];
	struct org_key_cache *cache = sodium_malloc(sizeof *cache);
	size_t n = 0;
	*done = 0;
	failed_object[0] = '\0';
	enum coffer_err err = batch && cache ? COFFER_OK : COFFER_ERR_NOMEM;
	if (cache != NULL)
		memset(cache, 0, sizeof *cache);
	if (err == COFFER_OK)
		err = store_org_key_newest(st, org_id, &newest);
	if (err == COFFER_OK)
		err = cached_org_key(cache, st, ring, org_id, newest.version, &newest_key);
	while (err == COFFER_OK) {
		err = store_data_keys_wrapped_before(odb, newest.version, batch, REWRAP_BATCH, &n);
		if (err != COFFER_OK || n == 0)
			break;
		err = rewrap_batch(cache, st, ring, org_id, newest_key, newest.version, batch, old,
				   n, failed_object);
		if (err == COFFER_OK)
			err = store_data_keys_rewrapped(odb, batch, old, n);
		if (err == COFFER_OK)
			*done += n;
	}
	free(batch);
	sodium_free(cache);
	return err;
}
