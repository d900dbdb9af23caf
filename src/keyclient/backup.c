/* backup.c — the web process's BACKUP_KEY call: the key of a new backup snapshot, with the
 * salt keyd drew (crypto/snapshot_key.h). */
#include <string.h>

#include "keyclient/channel.h"
#include "keyclient/keyclient.h"

enum coffer_err keyd_backup_key(struct keyd_client *c, uint32_t *version,
				uint8_t salt[SNAPSHOT_SALT_BYTES], uint8_t key[AEAD_KEY_BYTES])
{
	struct wire_reader r;
	struct keyd_channel *ch = keyd_channel_acquire(c);
	(void)frame_begin(&ch->request, KEYD_MSG_BACKUP_KEY);
	enum coffer_err err = keyd_channel_round_trip(ch, KEYD_MSG_BACKUP_KEYS, &r, NULL);
	if (err == COFFER_OK) {
		uint32_t v = wire_get_u32(&r);
		const uint8_t *s = wire_get_raw(&r, SNAPSHOT_SALT_BYTES);
		const uint8_t *k = wire_get_raw(&r, AEAD_KEY_BYTES);
		if (!wire_reader_end(&r) || v == 0) {
			err = COFFER_ERR_UNAVAILABLE;
		} else {
			*version = v;
			memcpy(salt, s, SNAPSHOT_SALT_BYTES);
			memcpy(key, k, AEAD_KEY_BYTES);
		}
	}
	keyd_channel_release(ch);
	return err;
}
