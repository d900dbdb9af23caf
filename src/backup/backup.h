/* backup.h — snapshots of an embedded deployment (SQLite and local files): making one while
 * `coffer serve` runs, proving it, restoring it. The bytes are in format.h; the consistent copy
 * in store/snapshot.h; what the operator types in docs/OPERATIONS.md ("Backups").
 *
 * A snapshot never holds the master key: it is encrypted under a key derived from the master
 * key, so restoring one needs the master key (its passphrase or token), kept elsewhere.
 */
#ifndef COFFER_BACKUP_BACKUP_H
#define COFFER_BACKUP_BACKUP_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"
#include "common/err.h"
#include "crypto/aead.h"

/* Where snapshot keys come from: keyd in `coffer serve`, the loaded keyring in a command. */
struct backup_keys {
	/* A new snapshot's key under the newest master key version: *VERSION, SALT, KEY. */
	enum coffer_err (*new_key)(void *ctx, uint32_t *version, uint8_t salt[BACKUP_SALT_BYTES],
				   uint8_t key[AEAD_KEY_BYTES]);
	/* The key of an existing snapshot with header H (COFFER_ERR_NOT_FOUND: that master key
	 * version is not at hand). */
	enum coffer_err (*key_for)(void *ctx, const struct backup_header *h,
				   uint8_t key[AEAD_KEY_BYTES]);
	void *ctx;
};

struct backup_made {
	char path[PATH_MAX];
	int64_t time;
	uint64_t size;	  /* bytes of the snapshot file */
	uint64_t content; /* bytes of its members */
	size_t members;
};

/* What was found wrong with a snapshot, in words fit for its operator. */
struct backup_problem {
	char member[BACKUP_MEMBER_NAME_MAX + 1]; /* the first bad member; "" when it is not one */
	char why[256];
};

/* Makes a snapshot of DATA_DIR in TO_DIR (created when missing) at NOW, then verifies it
 * (backup_verify, with DATA_DIR/backup-verify as its scratch directory); *OUT describes it.
 * One at a time per deployment: COFFER_ERR_EXISTS when another is being made. A snapshot that
 * does not verify is removed and *PROBLEM says why (COFFER_ERR_CRYPTO or COFFER_ERR_STORAGE).
 * When STOP (may be NULL) becomes true, the run gives up at the next 64 KiB, leaving nothing
 * behind (COFFER_ERR_UNAVAILABLE): a server that is stopping does not wait for a long one. */
COFFER_MUST_CHECK enum coffer_err backup_create(const char *data_dir, const char *to_dir,
						int64_t now, const struct backup_keys *keys,
						const atomic_bool *stop, struct backup_made *out,
						struct backup_problem *problem);

/* Checks the snapshot at PATH: every segment, every member against the manifest, each
 * database's integrity, every audit chain (with the installed audit signer); writes only under
 * SCRATCH (an empty directory, emptied again before returning). COFFER_OK, or COFFER_ERR_CRYPTO
 * (a member, the header or the manifest does not match what was written), COFFER_ERR_STORAGE
 * (a database or an audit chain is not intact), COFFER_ERR_NOT_FOUND (the master key version is
 * not at hand) with *PROBLEM saying which and why; COFFER_ERR_IO for a read error. *CONTENT
 * gets the members' bytes and *MEMBERS their count (either may be NULL). */
COFFER_MUST_CHECK enum coffer_err backup_verify(const char *path, const struct backup_keys *keys,
						const char *scratch, struct backup_problem *problem,
						uint64_t *content, size_t *members);

/* Writes every member of the snapshot at PATH under TARGET (an existing empty directory), each
 * checked against the manifest as it goes; on any failure removes what it wrote. */
COFFER_MUST_CHECK enum coffer_err backup_extract(const char *path, const struct backup_keys *keys,
						 const char *target,
						 struct backup_problem *problem);

/* Removes the tree at PATH (not following links); a missing PATH is fine. */
COFFER_MUST_CHECK enum coffer_err backup_remove_tree(const char *path);

#endif
