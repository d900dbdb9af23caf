/* backup_requests.c — keyd's BACKUP_KEY: the key of a new backup snapshot
 * (crypto/snapshot_key.h).
 *
 * keyd draws the salt, so what the web process gets is the key of a snapshot nobody has made
 * yet: it can encrypt new snapshots, and cannot ask for the key of one that exists (opening a
 * snapshot is the operator's, with the master key). */
#include <sodium.h>

#include "crypto/snapshot_key.h"
#include "keyd/handlers.h"

bool keyd_read_backup_key(struct wire_reader *r, struct keyd_request *q)
{
	(void)q;
	return !r->bad;
}

void keyd_answer_backup_key(const struct keyd_keys *keys, const struct keyd_caller *caller,
			    struct keyd_request *q, struct frame_writer *reply)
{
	(void)caller;
	(void)q;
	uint8_t salt[SNAPSHOT_SALT_BYTES], key[AEAD_KEY_BYTES];
	uint32_t version = 0;
	enum coffer_err err = snapshot_key_new(keys->ring, &version, salt, key);
	if (err != COFFER_OK) {
		keyd_deny(reply, err);
		return;
	}
	struct wire_writer *w = frame_begin(reply, KEYD_MSG_BACKUP_KEYS);
	wire_put_u32(w, version);
	wire_put_raw(w, salt, sizeof salt);
	wire_put_raw(w, key, sizeof key);
	sodium_memzero(key, sizeof key);
}
