/* keyd_keys.h — snapshot keys for one of `coffer serve`'s backup runs, from keyd: keyd hands
 * out the keys of new snapshots only (BACKUP_KEY), so the key of the snapshot being made is
 * kept here, in guarded memory, for the verification that follows it, and wiped at the end of
 * the run. */
#ifndef COFFER_BACKUP_KEYD_KEYS_H
#define COFFER_BACKUP_KEYD_KEYS_H

#include "backup/backup.h"
#include "common/err.h"

struct keyd_client;
struct backup_keyd_keys;

/* *KEYS gives new snapshots' keys from C's keyd, and the key of the one snapshot made with it.
 * End with backup_keyd_keys_end, which wipes it. */
COFFER_MUST_CHECK enum coffer_err backup_keyd_keys_begin(struct keyd_client *c,
							 struct backup_keyd_keys **out,
							 struct backup_keys *keys);
void backup_keyd_keys_end(struct backup_keyd_keys *k);

#endif
