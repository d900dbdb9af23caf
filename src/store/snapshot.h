/* snapshot.h — a consistent copy of a live deployment's stored state, taken while `coffer serve`
 * keeps serving and writing: what a backup is made of (backup/create.h).
 *
 * The copy goes into STAGING, a directory on the same filesystem as DATA_DIR, as the relative
 * paths a deployment directory has:
 * - each organisation's database first (VACUUM INTO: SQLite's own consistent copy, never the
 *   file beside its -wal), then the system database, so that every organisation key a copied
 *   row was made under is in the copy of the system database; an organisation created while
 *   the copy runs is copied after the system database;
 * - every file blob the copied organisation databases refer to, as a hard link (a blob is never
 *   changed once committed, and a link keeps it even if the file is deleted meanwhile); blobs of
 *   uploads in progress and blobs no copied row refers to are left out;
 * - the audit checkpoints of exactly the copied chains' heads, sealed again by the installed
 *   audit signer (audit/signer.h): the live checkpoints may be ahead of the copies, and a
 *   restored chain must verify against its own;
 * - coffer.conf and the files in tls/.
 * Each copied database passes PRAGMA integrity_check. The master key is never copied.
 */
#ifndef COFFER_STORE_SNAPSHOT_H
#define COFFER_STORE_SNAPSHOT_H

#include "common/err.h"

/* Called once per path written under STAGING, in the order a restore should write them. */
typedef enum coffer_err (*snapshot_member_fn)(void *ctx, const char *name);

/* Copies DATA_DIR's state into STAGING (which must exist, be empty and be on DATA_DIR's
 * filesystem). COFFER_ERR_STORAGE when a copy fails its integrity check. */
COFFER_MUST_CHECK enum coffer_err store_snapshot_stage(const char *data_dir, const char *staging,
						       snapshot_member_fn member, void *ctx);

/* PRAGMA integrity_check of the database at PATH (opened read-only): COFFER_OK when it says
 * "ok", COFFER_ERR_STORAGE when it finds anything. */
COFFER_MUST_CHECK enum coffer_err store_snapshot_check_db(const char *path);

#endif
