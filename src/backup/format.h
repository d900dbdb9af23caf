/* format.h — the bytes of a backup snapshot file, `coffer-backup-<UTC time>.cfb`.
 *
 *   file      = HEADER (54) | STREAM
 *   HEADER    = "COFFERBK" | u8 format (1) | u8 0 | u32 master key version |
 *               i64 snapshot time (seconds since the epoch) | salt (32)
 *   STREAM    = docs/FORMAT.md's segmented stream (64 KiB segments) under the snapshot key,
 *               with the context "coffer/backup/v1" | HEADER, of the plaintext
 *   plaintext = u32 manifest length | MANIFEST | every member's bytes, in manifest order
 *   MANIFEST  = "CFBM" | u32 count | count × (str name | u64 size | SHA-256 (32))
 *
 * The snapshot key is HKDF-SHA256 of that master key version with the salt (crypto/snapshot_key.h),
 * so the header names everything needed to open the rest, and every segment authenticates the
 * header. Member names are relative paths of a deployment directory, from a short list of
 * shapes (backup_member_name_ok): a restore never writes anywhere a name chooses.
 */
#ifndef COFFER_BACKUP_FORMAT_H
#define COFFER_BACKUP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/snapshot_key.h"

#define BACKUP_MAGIC	       "COFFERBK"
#define BACKUP_FORMAT_VERSION  1
#define BACKUP_SALT_BYTES      SNAPSHOT_SALT_BYTES
#define BACKUP_HEADER_BYTES    54
#define BACKUP_CONTEXT_LABEL   "coffer/backup/v1"
#define BACKUP_CONTEXT_BYTES   (sizeof BACKUP_CONTEXT_LABEL - 1 + BACKUP_HEADER_BYTES)
#define BACKUP_MEMBER_NAME_MAX 128
#define BACKUP_DIGEST_BYTES    32
/* A manifest lists at most this many bytes of names and sizes: about a million files. */
#define BACKUP_MANIFEST_MAX (64u * 1024u * 1024u)
#define BACKUP_SUFFIX	    ".cfb"
#define BACKUP_PREFIX	    "coffer-backup-"
/* "coffer-backup-20261206T023000Z.cfb" */
#define BACKUP_FILE_NAME_LEN (sizeof BACKUP_PREFIX - 1 + 16 + sizeof BACKUP_SUFFIX - 1)

struct backup_header {
	uint32_t master_version;
	int64_t time;
	uint8_t salt[BACKUP_SALT_BYTES];
};

struct backup_member {
	char name[BACKUP_MEMBER_NAME_MAX + 1];
	uint64_t size;
	uint8_t sha256[BACKUP_DIGEST_BYTES];
};

struct backup_manifest {
	size_t n, cap;
	struct backup_member *members;
};

void backup_header_encode(const struct backup_header *h, uint8_t out[BACKUP_HEADER_BYTES]);
/* False when IN is not a header of a format this program reads. */
COFFER_MUST_CHECK bool backup_header_decode(const uint8_t in[BACKUP_HEADER_BYTES],
					    struct backup_header *out);
/* The stream's context for header H: "coffer/backup/v1" | HEADER. */
void backup_context(const struct backup_header *h, uint8_t out[BACKUP_CONTEXT_BYTES]);

/* Whether NAME is a member a deployment directory can hold: "system.db", "coffer.conf",
 * "audit.checkpoint", "tls/<file>", "orgs/<uuid>/org.db" or "orgs/<uuid>/blobs/<uuid>", with
 * <file> 1..64 of [A-Za-z0-9._-] not starting with '.'. */
bool backup_member_name_ok(const char *name);

/* Appends a member (copied) to M. COFFER_ERR_INVALID_INPUT for a name backup_member_name_ok
 * refuses. (Each name is listed once: a snapshot adds each path once, and
 * backup_manifest_decode refuses a manifest naming one twice.) */
COFFER_MUST_CHECK enum coffer_err backup_manifest_add(struct backup_manifest *m,
						      const struct backup_member *member);
void backup_manifest_free(struct backup_manifest *m);
/* Sum of the members' sizes. */
uint64_t backup_manifest_bytes(const struct backup_manifest *m);

/* The encoded manifest's length (at most BACKUP_MANIFEST_MAX, else 0). */
size_t backup_manifest_encoded_len(const struct backup_manifest *m);
/* Encodes M into OUT (backup_manifest_encoded_len bytes). */
void backup_manifest_encode(const struct backup_manifest *m, uint8_t *out, size_t len);
/* Decodes LEN bytes into OUT (empty before; free with backup_manifest_free): every name valid
 * and listed once. COFFER_ERR_CRYPTO for anything malformed (authenticated bytes that do not
 * parse were not written by coffer), COFFER_ERR_NOMEM. */
COFFER_MUST_CHECK enum coffer_err backup_manifest_decode(const uint8_t *in, size_t len,
							 struct backup_manifest *out);

/* "coffer-backup-YYYYMMDDThhmmssZ.cfb" for T, into OUT (BACKUP_FILE_NAME_LEN + 1). */
void backup_file_name(int64_t t, char *out);
/* Whether NAME has that shape; *T gets its time. */
bool backup_file_name_parse(const char *name, int64_t *t);

#endif
