/* backup.c — snapshot keys for `coffer serve`'s backups from keyd (BACKUP_KEY). keyd hands out
 * the keys of new snapshots only, so the key of the snapshot being made is kept here, in guarded
 * memory, for the verification that follows it, and wiped at the end of the run. */
#include <sodium.h>
#include <string.h>

#include "backup/backup.h"
#include "keyclient/channel.h"
#include "keyclient/keyclient.h"

struct keyd_backup_keys {
	struct keyd_client *client;
	bool have;
	uint32_t version;
	uint8_t salt[BACKUP_SALT_BYTES];
	uint8_t key[AEAD_KEY_BYTES];
};

static enum coffer_err new_key(void *ctx, uint32_t *version, uint8_t salt[BACKUP_SALT_BYTES],
			       uint8_t key[AEAD_KEY_BYTES])
{
	struct keyd_backup_keys *k = ctx;
	struct wire_reader r;
	struct keyd_channel *ch = keyd_channel_acquire(k->client);
	(void)frame_begin(&ch->request, KEYD_MSG_BACKUP_KEY);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_BACKUP_KEYS, &r, NULL);
	if (err == COFFER_OK) {
		const uint8_t *s, *kb;
		k->version = wire_get_u32(&r);
		s = wire_get_raw(&r, BACKUP_SALT_BYTES);
		kb = wire_get_raw(&r, AEAD_KEY_BYTES);
		if (!wire_reader_end(&r) || k->version == 0) {
			err = COFFER_ERR_UNAVAILABLE;
		} else {
			memcpy(k->salt, s, BACKUP_SALT_BYTES);
			memcpy(k->key, kb, AEAD_KEY_BYTES);
			k->have = true;
			*version = k->version;
			memcpy(salt, k->salt, BACKUP_SALT_BYTES);
			memcpy(key, k->key, AEAD_KEY_BYTES);
		}
	}
	keyd_channel_release(ch);
	return err;
}

static enum coffer_err key_for(void *ctx, const struct backup_header *h,
			       uint8_t key[AEAD_KEY_BYTES])
{
	const struct keyd_backup_keys *k = ctx;
	if (!k->have || h->master_version != k->version ||
	    sodium_memcmp(h->salt, k->salt, BACKUP_SALT_BYTES) != 0)
		return COFFER_ERR_NOT_FOUND;
	memcpy(key, k->key, AEAD_KEY_BYTES);
	return COFFER_OK;
}

enum coffer_err keyd_backup_keys_begin(struct keyd_client *c, struct keyd_backup_keys **out,
				       struct backup_keys *keys)
{
	struct keyd_backup_keys *k = sodium_malloc(sizeof *k);
	if (k == NULL)
		return COFFER_ERR_NOMEM;
	memset(k, 0, sizeof *k);
	k->client = c;
	*keys = (struct backup_keys){new_key, key_for, k};
	*out = k;
	return COFFER_OK;
}

void keyd_backup_keys_end(struct keyd_backup_keys *k)
{
	if (k != NULL)
		sodium_free(k); /* sodium_free wipes */
}
