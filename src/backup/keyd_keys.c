/* keyd_keys.c — snapshot keys from keyd for one backup run (see keyd_keys.h). */
#include "backup/keyd_keys.h"

#include <sodium.h>
#include <string.h>

#include "keyclient/keyclient.h"

struct backup_keyd_keys {
	struct keyd_client *client;
	bool have;
	uint32_t version;
	uint8_t salt[BACKUP_SALT_BYTES];
	uint8_t key[AEAD_KEY_BYTES];
};

static enum coffer_err new_key(void *ctx, uint32_t *version, uint8_t salt[BACKUP_SALT_BYTES],
			       uint8_t key[AEAD_KEY_BYTES])
{
	struct backup_keyd_keys *k = ctx;
	enum coffer_err err = keyd_backup_key(k->client, &k->version, k->salt, k->key);
	if (err != COFFER_OK)
		return err;
	k->have = true;
	*version = k->version;
	memcpy(salt, k->salt, BACKUP_SALT_BYTES);
	memcpy(key, k->key, AEAD_KEY_BYTES);
	return COFFER_OK;
}

static enum coffer_err key_for(void *ctx, const struct backup_header *h,
			       uint8_t key[AEAD_KEY_BYTES])
{
	const struct backup_keyd_keys *k = ctx;
	if (!k->have || h->master_version != k->version ||
	    sodium_memcmp(h->salt, k->salt, BACKUP_SALT_BYTES) != 0)
		return COFFER_ERR_NOT_FOUND;
	memcpy(key, k->key, AEAD_KEY_BYTES);
	return COFFER_OK;
}

enum coffer_err backup_keyd_keys_begin(struct keyd_client *c, struct backup_keyd_keys **out,
				       struct backup_keys *keys)
{
	struct backup_keyd_keys *k = sodium_malloc(sizeof *k);
	if (k == NULL)
		return COFFER_ERR_NOMEM;
	memset(k, 0, sizeof *k);
	k->client = c;
	*keys = (struct backup_keys){new_key, key_for, k};
	*out = k;
	return COFFER_OK;
}

void backup_keyd_keys_end(struct backup_keyd_keys *k)
{
	if (k != NULL)
		sodium_free(k); /* sodium_free wipes */
}
