/* store.h — the storage interface. Narrow and free of SQLite types, so that another database
 * (PostgreSQL) can sit behind the same calls.
 *
 * Every call that changes data is one transaction, committed durably before it returns.
 */
#ifndef COFFER_STORE_H
#define COFFER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/email.h"
#include "common/err.h"
#include "crypto/keywrap.h"
#include "crypto/token.h"
#include "audit/chain.h"

struct store;
struct org_db;

#define STORE_ROLE_MAX		 15
#define STORE_ID_MAX		 36
#define STORE_INVITE_SEALED_MAX	 512  /* INVITE_SEALED_MAX */
#define STORE_ACCOUNT_SEALED_MAX 4096 /* ACCOUNT_SEALED_MAX */
#define STORE_TICKET_MAX	 4096 /* TICKET_SEALED_MAX */
#define STORE_ORGS_MAX		 64   /* memberships per user: TICKET_ORGS_MAX */
#define STORE_CHARTER_MAX	 512  /* keyd's sealed charter of an organisation */
#define STORE_RESET_SEALED_MAX	 512  /* keyd's seal of a sign-in reset */

#define INVITE_TTL_S (72 * 3600) /* an invitation is good for 72 hours */

struct invite_record {
	char email[EMAIL_MAX + 1];		 /* normal form (email_normalize) */
	char role[STORE_ROLE_MAX + 1];		 /* "sysadmin", "member", "org_admin" */
	char org_id[STORE_ID_MAX + 1];		 /* "" when the role has no organisation */
	char clearance[STORE_ROLE_MAX + 1];	 /* "" when the role has no organisation */
	int64_t created_at, expires_at;		 /* seconds since the epoch */
	char created_by[STORE_ID_MAX + 1];	 /* the sysadmin's user id; "" for `coffer init` */
	uint8_t sealed[STORE_INVITE_SEALED_MAX]; /* keyd's seal of the invite (account.h) */
	size_t sealed_len;
	char user_id[STORE_ID_MAX + 1]; /* the account accepting it; "" before acceptance */
};

/* Where a deployment's data is: SQLite files under DATA_DIR (the default), or a PostgreSQL
 * cluster PG names (store/postgres/pg_pool.h), with one database for the system and one per
 * organisation. DATA_DIR is set either way: the system chain's checkpoint file is there. */
struct pg_target;
struct store_location {
	const char *data_dir;
	const struct pg_target *pg; /* NULL: SQLite */
	const char *pg_password;    /* NULL when the server asks none; copied, never kept */
};

/* Opens the system database LOC names, upgrading its schema if it is older (on PostgreSQL,
 * one node migrates while the others wait). */
COFFER_MUST_CHECK enum coffer_err store_open(const struct store_location *loc, struct store **out);

/* Creates the system database of a new deployment where LOC says (on PostgreSQL, the schema
 * in the database the administrator created). COFFER_ERR_EXISTS if present. */
COFFER_MUST_CHECK enum coffer_err store_create(const struct store_location *loc);

/* Creates the system database of a new deployment in DATA_DIR. COFFER_ERR_EXISTS if present. */
COFFER_MUST_CHECK enum coffer_err store_system_create(const char *data_dir);

/* Opens the system database of DATA_DIR, upgrading its schema if it is older. */
COFFER_MUST_CHECK enum coffer_err store_system_open(const char *data_dir, struct store **out);

void store_close(struct store *st);

/* Records an invite under the hash of its token. */
COFFER_MUST_CHECK enum coffer_err store_invite_add(struct store *st, const struct token_hash *h,
						   const struct invite_record *inv);

/* Finds an invite that is unused and unexpired at NOW; COFFER_ERR_NOT_FOUND otherwise. An
 * invite accepted but not yet confirmed (its user still "invited", waiting for a TOTP code)
 * is still found: it is used once its account becomes active. */
COFFER_MUST_CHECK enum coffer_err store_invite_get(struct store *st, const struct token_hash *h,
						   int64_t now, struct invite_record *out);

/* --- organisations and their keys (system database) ------------------------------------ */

#define STORE_ORG_NAME_MAX 200

/* One version of an organisation's key, wrapped by a master key version. */
struct org_key_record {
	uint32_t version;
	uint32_t master_version;
	uint8_t wrapped[KEYWRAP_BYTES];
};

/* Creates organisation ORG_ID named NAME with its keyd-sealed CHARTER (CHARTER_LEN bytes,
 * at most STORE_CHARTER_MAX; 0 for none) and its first key version, in one transaction. The
 * organisation is not founded yet (founded_at 0). COFFER_ERR_EXISTS when the id or the name is
 * taken; COFFER_ERR_INVALID_INPUT for a charter too long (or NULL with a length). */
COFFER_MUST_CHECK enum coffer_err store_org_create(struct store *st, const char *org_id,
						   const char *name, const uint8_t *charter,
						   size_t charter_len,
						   const struct org_key_record *key, int64_t now);

/* Replaces ORG_ID's sealed charter (1 to STORE_CHARTER_MAX bytes, else
 * COFFER_ERR_INVALID_INPUT). COFFER_ERR_NOT_FOUND when there is no such organisation. */
COFFER_MUST_CHECK enum coffer_err store_org_charter_set(struct store *st, const char *org_id,
							const uint8_t *charter, size_t charter_len);

/* The newest version of ORG_ID's key; COFFER_ERR_NOT_FOUND when it has none (no such
 * organisation, or its keys were destroyed). */
COFFER_MUST_CHECK enum coffer_err store_org_key_newest(struct store *st, const char *org_id,
						       struct org_key_record *out);
/* Version VERSION of ORG_ID's key. */
COFFER_MUST_CHECK enum coffer_err store_org_key_get(struct store *st, const char *org_id,
						    uint32_t version, struct org_key_record *out);

/* Adds KEY as a new version of ORG_ID's key. COFFER_ERR_VERSION_CONFLICT unless KEY->version
 * is one above the newest (so two rotations at once cannot both win);
 * COFFER_ERR_NOT_FOUND when the organisation has no key to rotate. */
COFFER_MUST_CHECK enum coffer_err store_org_key_add(struct store *st, const char *org_id,
						    const struct org_key_record *key, int64_t now);

/* An organisation key version named for re-wrapping under a new master key. */
struct org_key_ref {
	char org_id[STORE_ID_MAX + 1];
	struct org_key_record key;
};

/* Up to MAX key versions (of any organisation) wrapped by a master key older than
 * MASTER_VERSION; sets *N. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_wrapped_before(struct store *st,
								uint32_t master_version,
								struct org_key_ref *out, size_t max,
								size_t *n);

/* Replaces the wrapped form of N key versions in one transaction. Each row changes only if it
 * still has the master version it was read with (REFS[i].key holds the new wrapping and
 * OLD_MASTER[i] the old version), so a concurrent writer is never overwritten. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_rewrapped(struct store *st,
							   const struct org_key_ref *refs,
							   const uint32_t *old_master, size_t n);

/* Crypto-shredding: destroys every version of ORG_ID's key, then checkpoints and truncates the
 * write-ahead log, so that no copy of the wrapped keys is left in the database's files (freed
 * pages are zeroed: secure_delete). Everything encrypted under them is unreadable from then on.
 * COFFER_ERR_NOT_FOUND when there was nothing to destroy. */
COFFER_MUST_CHECK enum coffer_err store_org_keys_destroy(struct store *st, const char *org_id);

/* --- an organisation's own database: DATA/orgs/<org id>/org.db ---------------------------- */

/* Opens ORG_ID's database, creating its directory (mode 0700) and file when CREATE. */
COFFER_MUST_CHECK enum coffer_err store_org_db_open(const char *data_dir, const char *org_id,
						    bool create, struct org_db **out);
void store_org_db_close(struct org_db *odb);
/* ORG_ID's database in ST's deployment, whichever engine holds it (on SQLite, as
 * store_org_db_open in ST's data directory; on PostgreSQL, coffer_org_<id>, created with
 * CREATE DATABASE when CREATE). */
COFFER_MUST_CHECK enum coffer_err store_org_db_open_in(struct store *st, const char *org_id,
						       bool create, struct org_db **out);

/* A data key as stored: the object it belongs to (kind, id, version, level), the version of
 * the organisation key that wraps it, and the wrapped key. */
struct data_key_record {
	char kind[16 + 1];
	char object_id[STORE_ID_MAX + 1];
	uint32_t object_version;
	enum level level;
	uint32_t org_key_version;
	uint8_t wrapped[KEYWRAP_BYTES];
};

COFFER_MUST_CHECK enum coffer_err store_data_key_put(struct org_db *odb,
						     const struct data_key_record *k);
COFFER_MUST_CHECK enum coffer_err store_data_key_get(struct org_db *odb, const char *kind,
						     const char *object_id, uint32_t object_version,
						     struct data_key_record *out);

/* Up to MAX data keys wrapped by an organisation key older than ORG_KEY_VERSION; sets *N. */
COFFER_MUST_CHECK enum coffer_err store_data_keys_wrapped_before(struct org_db *odb,
								 uint32_t org_key_version,
								 struct data_key_record *out,
								 size_t max, size_t *n);

/* Replaces the wrapping of N data keys in one transaction, each only if it is still wrapped by
 * OLD_VERSION[i] (compare and set, as for organisation keys). */
COFFER_MUST_CHECK enum coffer_err store_data_keys_rewrapped(struct org_db *odb,
							    const struct data_key_record *keys,
							    const uint32_t *old_version, size_t n);

/* --- the cache of organisation databases (the server's way in) -------------------------- */

/* A deployment may hold 10,000 organisations; the server keeps at most CAPACITY of their
 * databases open at once (least recently used closed first), so it never runs out of file
 * descriptors. Thread-safe. */
struct org_cache;

#define ORG_CACHE_DEFAULT 64

COFFER_MUST_CHECK enum coffer_err store_org_cache_new(const char *data_dir, unsigned int capacity,
						      struct org_cache **out);
/* The same for ST's deployment, whichever engine holds it. */
COFFER_MUST_CHECK enum coffer_err store_org_cache_for(struct store *st, unsigned int capacity,
						      struct org_cache **out);
/* Closes every database; none may be borrowed. */
void store_org_cache_free(struct org_cache *c);

/* Borrows ORG_ID's database, opening it (and creating it when CREATE) if it is not open;
 * COFFER_ERR_NOT_FOUND when it does not exist and !CREATE, COFFER_ERR_INVALID_INPUT for an id
 * that is not a UUID. A database stays open while borrowed; when every slot is borrowed the
 * call waits for one to come back. Give it back with store_org_return. */
COFFER_MUST_CHECK enum coffer_err store_org_borrow(struct org_cache *c, const char *org_id,
						   bool create, struct org_db **out);
void store_org_return(struct org_cache *c, struct org_db *odb);

/* How many databases the cache holds open now (for tests). */
unsigned int store_org_cache_open_count(struct org_cache *c);

/* --- an organisation's audit chain (its own database; entries as audit/chain.h) --------- */

/* The chain id of an organisation's chain is its id (audit/chain.h's CHAIN). Every write below
 * that takes a struct audit_entry *AUDIT appends it to the chain in the same transaction as
 * the change, filling in its seq, link and key version: a change and its audit entry are
 * durable together or not at all. The links come from the process's audit signer
 * (audit/signer.h), without which every such write fails; the checkpoint of each commit goes
 * to its sink. */

/* Appends N entries (seq and hash computed here and written back) in one transaction: the
 * group commit of the audit of reads. */
COFFER_MUST_CHECK enum coffer_err store_org_audit_append(struct org_db *odb, const char *org_id,
							 struct audit_entry *e, size_t n);
/* Up to MAX entries with seq > AFTER, oldest first; *N set. */
COFFER_MUST_CHECK enum coffer_err store_org_audit_list(struct org_db *odb, uint64_t after,
						       struct audit_entry *out, size_t max,
						       size_t *n);
/* Verifies ORG_ID's whole chain, as store_audit_verify. */
COFFER_MUST_CHECK enum coffer_err store_org_audit_verify(struct org_db *odb, const char *org_id,
							 uint64_t *n, uint64_t *broken);
/* Walks ORG_ID's chain (audit/judge.h; W->pin_seq set by the caller). */
struct audit_walk;
COFFER_MUST_CHECK enum coffer_err store_org_audit_walk(struct org_db *odb, const char *org_id,
						       struct audit_walk *w);
/* Re-links ORG_ID's chain with MACs if it verifies (audit_rows_upgrade): *LEGACY entries were
 * plain-hash ones; CP gets the checkpoint of its head. COFFER_ERR_CRYPTO when it does not
 * verify (nothing changed). */
struct audit_checkpoint;
COFFER_MUST_CHECK enum coffer_err store_org_audit_upgrade(struct org_db *odb, const char *org_id,
							  struct audit_checkpoint *cp,
							  uint64_t *legacy);

/* The most content reads (record.read, record.list, file.download, file.list) ACTOR made in
 * any one hour (of the clock) from SINCE to before UNTIL, by the organisation's audit chain:
 * their usual busiest hour, for the alert on unusual volume. */
COFFER_MUST_CHECK enum coffer_err store_org_reads_busiest_hour(struct org_db *odb,
							       const char *actor, int64_t since,
							       int64_t until, int64_t *out);

/* --- records (an organisation's database) ------------------------------------------------ */

#define RECORD_TITLE_MAX 200		 /* characters (code points) */
#define RECORD_BODY_MAX	 (1024u * 1024u) /* bytes of UTF-8 */
/* Sealed forms (content.h): the plaintext plus AEAD_OVERHEAD. */
#define RECORD_TITLE_SEALED_MAX (RECORD_TITLE_MAX * 4 + AEAD_OVERHEAD)
#define RECORD_BODY_SEALED_MAX	(RECORD_BODY_MAX + AEAD_OVERHEAD)
#define RECORD_LIST_MAX		1000 /* rows per page at most */

/* A record's clear metadata: its current version. */
struct record_meta {
	char id[STORE_ID_MAX + 1];
	enum level level;
	uint32_t version; /* 1 at creation, +1 per update (and the delete) */
	int64_t created_at;
	char created_by[STORE_ID_MAX + 1]; /* user ids */
	int64_t updated_at;
	char updated_by[STORE_ID_MAX + 1];
	bool deleted;
};

/* One version of a record as stored: metadata, the data key that seals it, and the sealed
 * title and body. BODY is malloc'd by the reads that return it (NULL otherwise): free it. */
struct record_row {
	struct record_meta meta;    /* as of this version */
	struct data_key_record key; /* kind "record", object (id, version, level) */
	uint8_t title[RECORD_TITLE_SEALED_MAX];
	size_t title_len;
	uint8_t *body;
	size_t body_len;
};

/* One entry of a record's history. */
struct record_version {
	uint32_t version;
	enum level level;
	int64_t updated_at;
	char updated_by[STORE_ID_MAX + 1];
	char action[8]; /* "create", "update", "delete" */
};

/* Creates record ROW->meta.id at version 1 with its data key, sealed title and body, and
 * AUDIT, in one transaction. COFFER_ERR_EXISTS if the id is taken. */
COFFER_MUST_CHECK enum coffer_err store_record_create(struct org_db *odb, const char *org_id,
						      const struct record_row *row,
						      struct audit_entry *audit);

/* A client's key for one creation (the Idempotency-Key header, API.md): the same KEY from the
 * same USER_ID within STORE_IDEMPOTENCY_TTL seconds finds the record made the first time
 * instead of making another. Kept in the organisation's database, in the creation's own
 * transaction: a creation whose answer was lost is found by its retry exactly when it
 * committed. */
#define STORE_IDEMPOTENCY_KEY_MAX 128
#define STORE_IDEMPOTENCY_TTL	  86400
struct idempotency {
	const char *user_id;
	const char
	    *key; /* 1..STORE_IDEMPOTENCY_KEY_MAX of [A-Za-z0-9._:~-] (store_idempotency_key_ok) */
	int64_t now;
	/* Set when an earlier creation holds the key (the call then answers EXISTS). */
	bool found;
	char record_id[STORE_ID_MAX + 1];
};

bool store_idempotency_key_ok(const char *key);

/* As store_record_create, keyed by IDEM: when IDEM's key was used before (within the TTL) by
 * the same user, nothing is written, IDEM->found is set with the record it made, and the
 * answer is COFFER_ERR_EXISTS. */
COFFER_MUST_CHECK enum coffer_err store_record_create_once(struct org_db *odb, const char *org_id,
							   const struct record_row *row,
							   struct audit_entry *audit,
							   struct idempotency *idem);

/* Adds version ROW->meta.version (which must be one above the current version) with its data
 * key and content, and AUDIT, in one transaction; the record's metadata becomes ROW->meta
 * (created_* kept as stored). COFFER_ERR_VERSION_CONFLICT when the current version is another;
 * COFFER_ERR_NOT_FOUND when the record does not exist or is deleted. */
COFFER_MUST_CHECK enum coffer_err store_record_update(struct org_db *odb, const char *org_id,
						      const struct record_row *row,
						      struct audit_entry *audit);

/* Deletes record ID if its current version is still VERSION: adds a version VERSION + 1 with
 * action "delete" (level kept, no content), marks the record deleted, destroys the data keys
 * and sealed content of every version (history metadata stays), and appends AUDIT, in one
 * transaction. COFFER_ERR_VERSION_CONFLICT when the version moved on; COFFER_ERR_NOT_FOUND when
 * there is no such record or it is deleted already. */
COFFER_MUST_CHECK enum coffer_err store_record_delete(struct org_db *odb, const char *org_id,
						      const char *id, uint32_t version,
						      const char *actor, int64_t now,
						      struct audit_entry *audit);

/* The current version of record ID: its metadata only (OUT) — also for a deleted record
 * (meta.deleted). COFFER_ERR_NOT_FOUND when there is no such record. */
COFFER_MUST_CHECK enum coffer_err store_record_meta(struct org_db *odb, const char *id,
						    struct record_meta *out);

/* The current version of record ID with its key and content (the body only when WITH_BODY), in
 * one read snapshot. COFFER_ERR_NOT_FOUND when there is no such record or it is deleted. */
COFFER_MUST_CHECK enum coffer_err store_record_get(struct org_db *odb, const char *id,
						   bool with_body, struct record_row *out);

/* A page of the records (not deleted) at or below MAX_LEVEL, newest created first, without
 * bodies: up to LIMIT (≤ RECORD_LIST_MAX) rows into OUT, *N set, *MORE when there are more.
 * AFTER ("" for the first page) is the id of the last record of the previous page: the page
 * starts after it in creation order, so records created or deleted meanwhile never shift a
 * page. COFFER_ERR_NOT_FOUND when AFTER is no record at or below MAX_LEVEL (deleted ones
 * included: a cursor stays valid). */
COFFER_MUST_CHECK enum coffer_err store_records_list(struct org_db *odb, enum level max_level,
						     const char *after, size_t limit,
						     struct record_row *out, size_t *n, bool *more);

/* Every version of record ID, oldest first; *OUT malloc'd (free it), *N set.
 * COFFER_ERR_NOT_FOUND when there is no such record. */
COFFER_MUST_CHECK enum coffer_err store_record_history(struct org_db *odb, const char *id,
						       struct record_version **out, size_t *n);

/* --- files (an organisation's database; the bytes are in blobs, store/blobs.h) ----------- */

#define FILE_NAME_MAX	      255 /* bytes of UTF-8 */
#define FILE_CONTENT_TYPE_MAX 127
/* The sealed metadata (content.h): name and SHA-256 of the plaintext, sealed like a record's
 * title so that neither is readable at rest. */
#define FILE_META_SEALED_MAX 512
#define FILE_LIST_MAX	     1000

struct file_row {
	char id[STORE_ID_MAX + 1];
	enum level level;
	uint64_t size; /* plaintext bytes */
	char content_type[FILE_CONTENT_TYPE_MAX + 1];
	int64_t created_at;
	char created_by[STORE_ID_MAX + 1];
	struct data_key_record key; /* kind "file", object (id, 1, level) */
	uint8_t meta[FILE_META_SEALED_MAX];
	size_t meta_len;
};

/* Records a file whose blob is already durable, with its data key and AUDIT, in one
 * transaction. COFFER_ERR_EXISTS if the id is taken. */
COFFER_MUST_CHECK enum coffer_err store_file_add(struct org_db *odb, const char *org_id,
						 const struct file_row *row,
						 struct audit_entry *audit);
/* COFFER_ERR_NOT_FOUND when there is no such file. */
COFFER_MUST_CHECK enum coffer_err store_file_get(struct org_db *odb, const char *id,
						 struct file_row *out);
/* A page of the files at or below MAX_LEVEL, newest first, as store_records_list. */
COFFER_MUST_CHECK enum coffer_err store_files_list(struct org_db *odb, enum level max_level,
						   const char *after, size_t limit,
						   struct file_row *out, size_t *n, bool *more);
/* Deletes file ID's row and data key, and appends AUDIT, in one transaction (the caller then
 * removes the blob; a crash in between leaves an orphan that the start-up sweep removes).
 * COFFER_ERR_NOT_FOUND when there is no such file. */
COFFER_MUST_CHECK enum coffer_err store_file_delete(struct org_db *odb, const char *org_id,
						    const char *id, struct audit_entry *audit);
/* Whether file ID is recorded (for the orphan sweep). */
COFFER_MUST_CHECK enum coffer_err store_file_exists(struct org_db *odb, const char *id,
						    bool *exists);

/* --- organisations (system database) ----------------------------------------------------- */

struct org_record {
	char id[STORE_ID_MAX + 1];
	char name[STORE_ORG_NAME_MAX * 4 + 1]; /* up to 200 characters of UTF-8 */
	int64_t created_at;
	/* When the organisation first had an active org_admin; 0 while it never has. Set by the
	 * writes that make an org_admin membership active (accepting or confirming an invite,
	 * store_membership_set, re-enabling a user), never moved or cleared afterwards. */
	int64_t founded_at;
	uint8_t charter[STORE_CHARTER_MAX]; /* keyd's sealed charter; charter_len 0 when none */
	size_t charter_len;
	size_t member_count; /* memberships, whatever the status of their users */
	/* Whether a sysadmin has asked for the organisation's deletion (store_org_deletion_*):
	 * ORG_ACTIVE, ORG_DELETING until DELETE_AFTER, then ORG_SHREDDING while it is destroyed. */
	enum org_state { ORG_ACTIVE = 0, ORG_DELETING, ORG_SHREDDING } state;
	int64_t delete_after; /* when the deletion is due; 0 while ORG_ACTIVE */
};

/* COFFER_ERR_NOT_FOUND when there is no such organisation. */
COFFER_MUST_CHECK enum coffer_err store_org_get(struct store *st, const char *org_id,
						struct org_record *out);
/* Every organisation, by name; *OUT is malloc'd (free it), *N set. */
COFFER_MUST_CHECK enum coffer_err store_orgs_list(struct store *st, struct org_record **out,
						  size_t *n);

/* --- deleting an organisation (system database; the steps are store/org_shred.h's) ------- */

/* How long an organisation asked to be deleted stays readable (and cancellable): a week. */
#define STORE_ORG_DELETE_DELAY_S (7 * 24 * 3600)

/* Marks ORG_ID as deleting from NOW, due at DELETE_AFTER, asked by REQUESTED_BY (a user id, or
 * "cli"). COFFER_ERR_NOT_FOUND when there is no such organisation, COFFER_ERR_EXISTS when its
 * deletion is already asked for. */
COFFER_MUST_CHECK enum coffer_err store_org_deletion_request(struct store *st, const char *org_id,
							     const char *requested_by, int64_t now,
							     int64_t delete_after);
/* Takes back ORG_ID's deletion while it has not begun. COFFER_ERR_NOT_FOUND when none was asked
 * for; COFFER_ERR_ORG_DELETING when its shredding has begun (it cannot be undone). */
COFFER_MUST_CHECK enum coffer_err store_org_deletion_cancel(struct store *st, const char *org_id);
/* Marks ORG_ID's deletion as under way (ORG_SHREDDING), asking for it first when nobody had
 * (REQUESTED_BY, NOW): from here on it only goes forward. COFFER_ERR_NOT_FOUND when there is
 * no such organisation. Marking one already shredding is no error (a resumed deletion). */
COFFER_MUST_CHECK enum coffer_err store_org_shred_begin(struct store *st, const char *org_id,
							const char *requested_by, int64_t now);
/* Up to MAX organisations whose deletion is under way or due at NOW, into IDS; *N set. */
COFFER_MUST_CHECK enum coffer_err store_orgs_deletion_due(struct store *st, int64_t now,
							  char (*ids)[STORE_ID_MAX + 1], size_t max,
							  size_t *n);
/* The last step of a deletion: removes every row of ORG_ID in the system database (its
 * memberships, invitations, resets, notices, policies, chain checkpoint, deletion and
 * organisation rows) in one transaction. Its keys must be destroyed first
 * (store_org_keys_destroy): the organisation row is the last trace. COFFER_ERR_NOT_FOUND when
 * there is no such organisation (already removed). */
COFFER_MUST_CHECK enum coffer_err store_org_remove(struct store *st, const char *org_id);
/* Removes ORG_ID's own database for good: on SQLite DATA/orgs/<org id>/ (org.db, its log and
 * shared memory, the emptied blobs/; closed in CACHE first, when given, once nobody borrows
 * it), on PostgreSQL coffer_org_<id> (DROP DATABASE … WITH (FORCE)). Remove the blobs first
 * (blob_remove_org). Not an error when it is gone already. */
struct org_cache;
COFFER_MUST_CHECK enum coffer_err store_org_db_drop(struct store *st, struct org_cache *cache,
						    const char *org_id);

/* The bytes ORG_ID's data takes on disk under DATA_DIR/orgs/<org id>/: the sizes of its
 * files (org.db and its -wal and -shm) and of every file in blobs/ (uploads under way
 * included). Reads the file system only, without a lock: a figure for a sysadmin's overview,
 * not an exact count. COFFER_ERR_NOT_FOUND when the organisation has no directory;
 * COFFER_ERR_INVALID_INPUT for an id that is not a UUID. */
COFFER_MUST_CHECK enum coffer_err store_org_storage_bytes(const char *data_dir, const char *org_id,
							  uint64_t *bytes);

/* The same figure for ST's deployment: on PostgreSQL, the size of the organisation's database
 * and of the file contents in this node's DATA/orgs/<org id>/blobs/ (0 before anything was
 * written). */
COFFER_MUST_CHECK enum coffer_err store_org_storage_bytes_in(struct store *st, const char *org_id,
							     uint64_t *bytes);

/* One member of an organisation, as its org_admins see them. */
struct member_row {
	char user_id[STORE_ID_MAX + 1];
	char email[EMAIL_MAX + 1];
	char role[STORE_ROLE_MAX + 1];	    /* "member" | "org_admin" */
	char clearance[STORE_ROLE_MAX + 1]; /* "public" … "restricted" */
	char status[STORE_ROLE_MAX + 1];    /* the user's: "invited" | "active" | "disabled" */
	int64_t last_login_at;		    /* 0: never signed in */
	bool reset_pending;		    /* a sign-in reset waits to be completed */
};

/* Every member of ORG_ID (users invited, active or disabled), by email; *OUT malloc'd (free
 * it; NULL when there is none), *N set. COFFER_ERR_NOT_FOUND when there is no such
 * organisation. */
COFFER_MUST_CHECK enum coffer_err store_org_members(struct store *st, const char *org_id,
						    struct member_row **out, size_t *n);

/* How many active users are org_admins of ORG_ID, in *N. COFFER_ERR_NOT_FOUND when there is
 * no such organisation. */
COFFER_MUST_CHECK enum coffer_err store_org_active_admins(struct store *st, const char *org_id,
							  size_t *n);

/* --- users and their memberships (system database) -------------------------------------- */

struct membership_record {
	char org_id[STORE_ID_MAX + 1];
	char org_name[STORE_ORG_NAME_MAX * 4 + 1]; /* filled in by reads, ignored by writes */
	char role[STORE_ROLE_MAX + 1];		   /* "member" | "org_admin" */
	char clearance[STORE_ROLE_MAX + 1];	   /* "public" … "restricted" */
};

struct user_record {
	char id[STORE_ID_MAX + 1];
	char email[EMAIL_MAX + 1];	 /* normal form; unique */
	char role[STORE_ROLE_MAX + 1];	 /* "sysadmin" | "user" */
	char status[STORE_ROLE_MAX + 1]; /* "invited" | "active" | "disabled" */
	int64_t totp_last_step;		 /* -1 when no code has been used */
	int64_t created_at;
	/* 1 for a new user, +1 by every write that replaces the account (a password change, a
	 * membership added, changed or removed, a reset completed): a session whose
	 * account_version is below it holds a stale keyd ticket. Ignored by writes. */
	uint64_t account_version;
	int64_t last_login_at;	     /* the newest session's created_at; 0: never */
	int64_t password_changed_at; /* 0: not known (set before this was recorded) */
	bool reset_pending;	     /* a sign-in reset is under way: no session is found */
	size_t n_orgs;
	struct membership_record orgs[STORE_ORGS_MAX];
	uint8_t account[STORE_ACCOUNT_SEALED_MAX]; /* keyd's sealed account record */
	size_t account_len;
};

/* The user with this (normalised) email, or this id; COFFER_ERR_NOT_FOUND otherwise (OUT
 * untouched; after any other error its contents are unspecified). Only the user's own fields
 * are read from U by the writes below: account_version, last_login_at, password_changed_at
 * and reset_pending are the store's. */
COFFER_MUST_CHECK enum coffer_err store_user_by_email(struct store *st, const char *email,
						      struct user_record *out);
COFFER_MUST_CHECK enum coffer_err store_user_get(struct store *st, const char *user_id,
						 struct user_record *out);
/* Every user (without the sealed account: account_len 0), by email; *OUT malloc'd. */
COFFER_MUST_CHECK enum coffer_err store_users_list(struct store *st, struct user_record **out,
						   size_t *n);

/* Accepting invite H, in one transaction, when the invite is still unused and unexpired at
 * NOW (else COFFER_ERR_NOT_FOUND):
 * - STORE_ACCEPT_PENDING: a new user U (status "invited", waiting for a TOTP code) with
 *   U->orgs; replaces the pending user of an earlier acceptance of the same invite (the
 *   person reloaded the page), and records U->id as the invite's user.
 * - STORE_ACCEPT_ACTIVE: the same, but U is "active" and the invite is used at once.
 * - STORE_ACCEPT_JOIN: an existing active user U->id joins: its account becomes U->account
 *   (account_version + 1), the memberships U->orgs are added (an org_admin one replaces the
 *   user's "member" membership of that organisation: a promotion), and the invite is used.
 * A new user's password_changed_at is NOW. When ACTIVE or JOIN makes an org_admin membership
 * active, its organisation is founded at NOW if it was not (org_record.founded_at).
 * COFFER_ERR_EXISTS when the email belongs to another user (PENDING/ACTIVE) or the membership
 * exists (JOIN). */
enum store_accept { STORE_ACCEPT_PENDING, STORE_ACCEPT_ACTIVE, STORE_ACCEPT_JOIN };
COFFER_MUST_CHECK enum coffer_err store_invite_accept(struct store *st, const struct token_hash *h,
						      const struct user_record *u,
						      enum store_accept mode, int64_t now);

/* Confirms the TOTP enrolment of the invite's pending user USER_ID: the account becomes
 * ACCOUNT (account_version + 1, password_changed_at NOW), the user "active" with
 * TOTP_LAST_STEP, the organisations where it is org_admin founded if they were not, and the
 * invite used, in one transaction. COFFER_ERR_NOT_FOUND when the invite is used, expired, or
 * not accepted by USER_ID. */
COFFER_MUST_CHECK enum coffer_err store_invite_confirm(struct store *st, const struct token_hash *h,
						       const char *user_id, const uint8_t *account,
						       size_t account_len, int64_t totp_last_step,
						       int64_t now);

/* Sets the status of USER_ID ("active" or "disabled"). Disabling deletes all the user's
 * sessions in the same transaction; enabling founds the organisations where the user is
 * org_admin, if they were not. COFFER_ERR_NOT_FOUND for no such user, or one still
 * "invited". */
COFFER_MUST_CHECK enum coffer_err store_user_set_status(struct store *st, const char *user_id,
							const char *status, int64_t now);

/* Replaces USER_ID's sealed account (a password change: account_version + 1,
 * password_changed_at NOW) and deletes every session of the user but KEEP (NULL: all),
 * clearing KEEP's must_change_password, in one transaction. COFFER_ERR_NOT_FOUND for no such
 * user. KEEP's ticket is stale afterwards: replace it with store_session_set_ticket. */
COFFER_MUST_CHECK enum coffer_err store_user_set_account(struct store *st, const char *user_id,
							 const uint8_t *account, size_t account_len,
							 const struct token_hash *keep,
							 int64_t now);

/* Replaces USER_ID's sealed account with ACCOUNT, the same account sealed again by keyd (in a
 * newer format: no change of password, memberships or sessions), if its account_version is
 * still BASED_ON; account_version + 1. COFFER_ERR_VERSION_CONFLICT when the account moved on
 * meanwhile (keep the stored one: keyd seals it again next time), COFFER_ERR_NOT_FOUND for no
 * such user. */
COFFER_MUST_CHECK enum coffer_err store_user_account_reseal(struct store *st, const char *user_id,
							    const uint8_t *account,
							    size_t account_len, uint64_t based_on,
							    int64_t now);

/* The email of USER_ID into OUT, and nothing else (to show who did something);
 * COFFER_ERR_NOT_FOUND when there is no such user (OUT untouched). */
COFFER_MUST_CHECK enum coffer_err store_user_email(struct store *st, const char *user_id,
						   char out[EMAIL_MAX + 1]);

/* Changes USER_ID's membership of ORG_ID to ROLE ("member" | "org_admin") and CLEARANCE, and
 * replaces the user's sealed account with ACCOUNT (account_version + 1), in one transaction;
 * making an active user org_admin founds the organisation if it was not. ACCOUNT was made from
 * the user's account at version BASED_ON: COFFER_ERR_VERSION_CONFLICT when it has changed since
 * (nothing is written; read the user again). COFFER_ERR_LAST_ADMIN when the organisation had
 * an active org_admin and would have none; COFFER_ERR_NOT_FOUND when the user is not a member
 * of ORG_ID; COFFER_ERR_INVALID_INPUT for another role or clearance, or a bad account. */
COFFER_MUST_CHECK enum coffer_err store_membership_set(struct store *st, const char *user_id,
						       const char *org_id, const char *role,
						       const char *clearance,
						       const uint8_t *account, size_t account_len,
						       uint64_t based_on, int64_t now);

/* Removes USER_ID's membership of ORG_ID with the member's login policy there and any unused
 * reset this organisation made for them, and replaces the user's sealed account with ACCOUNT
 * (account_version + 1), in one transaction. BASED_ON and the errors as store_membership_set.
 * The user's sessions stay: their tickets are stale and are renewed before the next request
 * goes on. */
COFFER_MUST_CHECK enum coffer_err
store_membership_remove(struct store *st, const char *user_id, const char *org_id,
			const uint8_t *account, size_t account_len, uint64_t based_on, int64_t now);

/* Records that USER_ID used TOTP step STEP: succeeds only if STEP is after the last one
 * recorded (compare and set), so a code is accepted once across every server;
 * COFFER_ERR_VERSION_CONFLICT otherwise (a replay that raced). */
COFFER_MUST_CHECK enum coffer_err store_totp_step_use(struct store *st, const char *user_id,
						      int64_t step);

/* --- sessions (system database) --------------------------------------------------------- */

#define STORE_CSRF_MAX	     43
#define STORE_ADDRESS_MAX    45	 /* an IPv6 address's longest text form */
#define STORE_BROWSER_MAX    200 /* bytes of a sanitised User-Agent (http/user_agent.h) */
#define STORE_SESSIONS_SHOWN 100 /* the newest sessions store_sessions_list gives */

struct session_record {
	struct token_hash token; /* the hash of the session token */
	/* A random UUID that names the session to its user (GET /api/v1/me/sessions): unrelated
	 * to the token, so showing it gives nothing away. */
	char public_id[STORE_ID_MAX + 1];
	char user_id[STORE_ID_MAX + 1];
	char csrf_token[STORE_CSRF_MAX + 1];
	uint8_t ticket[STORE_TICKET_MAX]; /* keyd's session ticket */
	size_t ticket_len;
	int64_t created_at, last_seen, expires_at;
	/* When the holder last proved who they are: the login, or a re-authentication since
	 * (created_at for sessions from before it was recorded). */
	int64_t authenticated_at;
	bool must_change_password;
	uint64_t account_version; /* the user's account_version the ticket was issued for */
	/* Written by store_session_add, read only by store_sessions_list: the client address
	 * and the sanitised User-Agent at sign-in, "" when not known (sessions from before they
	 * were recorded). */
	char address[STORE_ADDRESS_MAX + 1];
	char browser[STORE_BROWSER_MAX + 1];
};

/* A session as its user is shown it (GET /api/v1/me/sessions). */
struct session_summary {
	char public_id[STORE_ID_MAX + 1];
	int64_t created_at, last_seen;
	char address[STORE_ADDRESS_MAX + 1]; /* "" when not known */
	char browser[STORE_BROWSER_MAX + 1]; /* "" when not known */
};

/* Adds a session, and records its created_at as its user's last sign-in (last_login_at); also
 * deletes sessions that have expired (absolute) before NOW. */
COFFER_MUST_CHECK enum coffer_err store_session_add(struct store *st,
						    const struct session_record *s, int64_t now);

/* The session with token hash H, if it exists, its user is "active" without a sign-in reset
 * pending, NOW is before its absolute expiry and within IDLE_TTL seconds of its last use;
 * COFFER_ERR_NOT_FOUND otherwise. */
COFFER_MUST_CHECK enum coffer_err store_session_get(struct store *st, const struct token_hash *h,
						    int64_t now, int64_t idle_ttl,
						    struct session_record *out);

/* How many sessions are live at NOW, as store_session_get judges one (for the metrics). */
COFFER_MUST_CHECK enum coffer_err store_sessions_open(struct store *st, int64_t now,
						      int64_t idle_ttl, int64_t *out);

/* What a request's caller is, read with the session where the engine gains by reading it in
 * one statement (a database across the network): the organisation the request names, its
 * policy and the caller's member policy there as stored (JSON text, as store_policy_get and
 * store_member_policy_get give them), and its newest key (as store_org_key_newest). */
struct caller_org_read {
	const char *org_id;  /* in: the organisation, or NULL for none */
	char *policy;	     /* in: STORE_POLICY_MAX + 1 bytes, for the organisation's policy */
	char *member_policy; /* in: STORE_POLICY_MAX + 1 bytes, for the caller's within it */
	bool read;	     /* out: false when the engine left all of these to be read on demand */
	bool has_policy, has_member_policy, has_key; /* out: false for none stored */
	struct org_key_record key;		     /* out: the newest, when has_key */
};

/* The session with token hash H as store_session_get finds it, into *S, and its user as
 * store_user_get reads it, into *U, from one snapshot where the engine can; with ORG (NULL
 * allowed; ORG->read false unless it was read) what ORG->org_id names. COFFER_ERR_NOT_FOUND
 * when there is no such session. */
COFFER_MUST_CHECK enum coffer_err store_caller_get(struct store *st, const struct token_hash *h,
						   int64_t now, int64_t idle_ttl,
						   struct session_record *s, struct user_record *u,
						   struct caller_org_read *org);

/* Replaces the session's keyd TICKET (LEN bytes, at most STORE_TICKET_MAX) and the
 * ACCOUNT_VERSION it was issued for, after a stale ticket was renewed. COFFER_ERR_NOT_FOUND
 * when the session is gone. */
COFFER_MUST_CHECK enum coffer_err store_session_set_ticket(struct store *st,
							   const struct token_hash *h,
							   const uint8_t *ticket, size_t len,
							   uint64_t account_version);

/* Records a use of the session at NOW (callers do this at most once a minute per session). */
COFFER_MUST_CHECK enum coffer_err store_session_touch(struct store *st, const struct token_hash *h,
						      int64_t now);

/* Deletes the session (logout). Deleting one that is gone is not an error. */
COFFER_MUST_CHECK enum coffer_err store_session_delete(struct store *st,
						       const struct token_hash *h);

/* USER_ID's sessions that are live at NOW (as store_session_get judges one), newest first, at
 * most STORE_SESSIONS_SHOWN of them; *OUT malloc'd (free it; NULL when none), *N set. */
COFFER_MUST_CHECK enum coffer_err store_sessions_list(struct store *st, const char *user_id,
						      int64_t now, int64_t idle_ttl,
						      struct session_summary **out, size_t *n);

/* Deletes USER_ID's session whose public id is PUBLIC_ID. COFFER_ERR_NOT_FOUND when USER_ID
 * has no such session (another user's included). */
COFFER_MUST_CHECK enum coffer_err store_session_end(struct store *st, const char *user_id,
						    const char *public_id);

/* Deletes every session of USER_ID but the one whose token hash is KEEP; *ENDED is how many. */
COFFER_MUST_CHECK enum coffer_err store_sessions_end_others(struct store *st, const char *user_id,
							    const struct token_hash *keep,
							    int64_t *ended);

/* After keyd re-authenticated the session's holder: its new TICKET (LEN bytes, at most
 * STORE_TICKET_MAX), the ACCOUNT_VERSION it was issued for and AUTHENTICATED_AT.
 * COFFER_ERR_NOT_FOUND when the session is gone. */
COFFER_MUST_CHECK enum coffer_err
store_session_reauthenticated(struct store *st, const struct token_hash *h, const uint8_t *ticket,
			      size_t len, uint64_t account_version, int64_t authenticated_at);

/* --- sign-in resets (system database) ---------------------------------------------------- */

/* An org_admin's reset of a member's sign-in (password and TOTP), under the hash of the token
 * the member is sent. While one is pending, the member has no session. */
struct reset_record {
	char user_id[STORE_ID_MAX + 1];	   /* the member being reset */
	char org_id[STORE_ID_MAX + 1];	   /* the organisation whose org_admin made it */
	char email[EMAIL_MAX + 1];	   /* the member's; filled in by reads, ignored by writes */
	char created_by[STORE_ID_MAX + 1]; /* the org_admin's user id */
	int64_t created_at, expires_at;
	uint8_t sealed[STORE_RESET_SEALED_MAX]; /* keyd's seal of the reset */
	size_t sealed_len;
	/* The account the member chose, waiting for its TOTP code (store_reset_stage); pending_len
	 * 0 when none. Ignored by store_reset_add. */
	uint8_t pending_account[STORE_ACCOUNT_SEALED_MAX];
	size_t pending_len;
};

/* Records reset R under H at NOW, in one transaction: the user's older unused resets are used
 * up, the user is marked reset_pending and every session of the user is deleted.
 * COFFER_ERR_NOT_FOUND when R->user_id is no member of R->org_id, or is still "invited";
 * COFFER_ERR_EXISTS when H is taken; COFFER_ERR_INVALID_INPUT for a bad field. */
COFFER_MUST_CHECK enum coffer_err store_reset_add(struct store *st, const struct token_hash *h,
						  const struct reset_record *r, int64_t now);

/* Reset H if it is unused and unexpired at NOW; COFFER_ERR_NOT_FOUND otherwise (OUT
 * untouched). */
COFFER_MUST_CHECK enum coffer_err store_reset_get(struct store *st, const struct token_hash *h,
						  int64_t now, struct reset_record *out);

/* Stores ACCOUNT as reset H's pending account (replacing an earlier one: the member reloaded
 * the page). COFFER_ERR_NOT_FOUND when H is used, expired or unknown at NOW. */
COFFER_MUST_CHECK enum coffer_err store_reset_stage(struct store *st, const struct token_hash *h,
						    const uint8_t *account, size_t account_len,
						    int64_t now);

/* Completes reset H, in one transaction, if it is unused and unexpired at NOW (else
 * COFFER_ERR_NOT_FOUND): the user's account becomes ACCOUNT (account_version + 1,
 * password_changed_at NOW) with TOTP_LAST_STEP, reset_pending is cleared, the reset is used
 * (its pending account dropped) and every session of the user is deleted. */
COFFER_MUST_CHECK enum coffer_err store_reset_confirm(struct store *st, const struct token_hash *h,
						      const uint8_t *account, size_t account_len,
						      int64_t totp_last_step, int64_t now);

/* --- notices to the members of an organisation, and to one user (system database) ------- */

#define STORE_NOTICE_KIND_MAX	 31
#define STORE_NOTICE_DETAIL_MAX	 63
#define STORE_NOTICE_SUBJECT_MAX (STORE_ORG_NAME_MAX * 4) /* bytes: an email, or an org's name */
#define STORE_SIGNIN_ADDRESS_MAX 45 /* an address as text: INET6_ADDRSTRLEN - 1 */

struct notice_record {
	int64_t id;    /* increasing, one sequence for both kinds of notice */
	bool personal; /* addressed to the user alone (org_id and org_name then "") */
	char org_id[STORE_ID_MAX + 1];
	char org_name[STORE_ORG_NAME_MAX * 4 + 1];
	char kind[STORE_NOTICE_KIND_MAX + 1];	    /* e.g. "recovered", "password_changed" */
	char subject[STORE_NOTICE_SUBJECT_MAX + 1]; /* what it is about, e.g. an email; may be "" */
	char detail[STORE_NOTICE_DETAIL_MAX + 1];   /* personal: e.g. "member/internal"; or "" */
	char address[STORE_SIGNIN_ADDRESS_MAX + 1]; /* personal: where it came from; or "" */
	int64_t created_at;
};

/* A notice to one user about their own account (api/account_notices.h): KIND (1 to
 * STORE_NOTICE_KIND_MAX bytes), SUBJECT (at most 200 characters: an organisation's name, or
 * ""), DETAIL and ADDRESS ("" for none). */
struct user_notice {
	char user_id[STORE_ID_MAX + 1];
	char kind[STORE_NOTICE_KIND_MAX + 1];
	char subject[STORE_NOTICE_SUBJECT_MAX + 1];
	char detail[STORE_NOTICE_DETAIL_MAX + 1];
	char address[STORE_SIGNIN_ADDRESS_MAX + 1];
	int64_t created_at;
};

/* Adds N for its user, its id in *ID. When QUIET_S > 0 and the user has a notice of the same
 * kind made less than QUIET_S seconds before N's time, adds nothing: COFFER_ERR_EXISTS (the
 * check and the insert are one transaction, so this holds across servers).
 * COFFER_ERR_NOT_FOUND when there is no such user. */
COFFER_MUST_CHECK enum coffer_err
store_user_notice_add(struct store *st, const struct user_notice *n, int64_t quiet_s, int64_t *id);

/* Adds a notice of KIND (1 to STORE_NOTICE_KIND_MAX bytes) about SUBJECT (at most EMAIL_MAX
 * bytes) for every member of ORG_ID. COFFER_ERR_NOT_FOUND when there is no such
 * organisation. */
COFFER_MUST_CHECK enum coffer_err store_notice_add(struct store *st, const char *org_id,
						   const char *kind, const char *subject,
						   int64_t now);

/* Up to MAX notices USER_ID has not marked seen, oldest first: the user's own, and those of the
 * organisations the user is a member of; *N set. */
COFFER_MUST_CHECK enum coffer_err store_notices_unseen(struct store *st, const char *user_id,
						       struct notice_record *out, size_t max,
						       size_t *n);

/* Marks the N notices IDS seen by USER_ID, in one transaction (again is not an error; ids of
 * no notice, and of another user's own notices, are skipped). COFFER_ERR_NOT_FOUND when there
 * is no such user. */
COFFER_MUST_CHECK enum coffer_err store_notices_mark_seen(struct store *st, const char *user_id,
							  const int64_t *ids, size_t n);

/* --- alerts on suspicious activity (system database; alerts/alerts.h raises them) --------- */

#define STORE_ALERT_KIND_MAX	31
#define STORE_ALERT_SUBJECT_MAX EMAIL_MAX /* a user id, an address, an email, a chain */
#define STORE_ALERT_DETAIL_MAX	255

struct alert_record {
	int64_t seq; /* increasing; store_alert_add sets it */
	int64_t time;
	char kind[STORE_ALERT_KIND_MAX + 1];
	char org_id[STORE_ID_MAX + 1]; /* "" when it concerns no organisation */
	char subject[STORE_ALERT_SUBJECT_MAX + 1];
	char detail[STORE_ALERT_DETAIL_MAX + 1];
};

/* Adds A (its seq is set). */
COFFER_MUST_CHECK enum coffer_err store_alert_add(struct store *st, struct alert_record *a);

/* Up to MAX alerts, newest first, with seq below BEFORE (0: from the newest); ORG_ID NULL for
 * every alert, else only that organisation's. *N set; *MORE whether older ones follow. */
COFFER_MUST_CHECK enum coffer_err store_alerts_list(struct store *st, const char *org_id,
						    int64_t before, struct alert_record *out,
						    size_t max, size_t *n, bool *more);

/* Notes that USER_ID signed in from ADDRESS at NOW. *PREVIOUS: when the user last signed in
 * from that address before (0: never); *KNOWN: whether any sign-in of the user from any
 * address was noted before (false on a first sign-in). */
COFFER_MUST_CHECK enum coffer_err store_signin_address_note(struct store *st, const char *user_id,
							    const char *address, int64_t now,
							    int64_t *previous, bool *known);

/* --- login throttling (system database, so every server sees the same counts) ---------- */

struct throttle_state {
	uint32_t account_failures; /* consecutive failures for the account */
	int64_t account_last;	   /* time of the last of them, 0 when none */
	uint32_t address_failures; /* failures from the address in the window */
	int64_t address_last;
};

/* The counts for ACCOUNT (a normalised email, known or not) and ADDRESS (text) at NOW, the
 * address's counted over the WINDOW seconds before NOW. */
COFFER_MUST_CHECK enum coffer_err store_throttle_get(struct store *st, const char *account,
						     const char *address, int64_t now,
						     int64_t window, struct throttle_state *out);

/* Counts one failed login for ACCOUNT and ADDRESS at NOW, in one transaction (and forgets
 * address failures older than WINDOW, and account counts idle for a day). */
COFFER_MUST_CHECK enum coffer_err store_throttle_fail(struct store *st, const char *account,
						      const char *address, int64_t now,
						      int64_t window);

/* A successful login resets ACCOUNT's count (not the address's). */
COFFER_MUST_CHECK enum coffer_err store_throttle_reset(struct store *st, const char *account);

/* Beside those counts, two sliding windows of failures (signin/throttle.h says what they are
 * for): per device cookie (and per user over all its device cookies), and per user for wrong
 * TOTP codes from untrusted clients. */

#define STORE_DEVICE_ID_BYTES 16 /* a device cookie's nonce */

/* A window is full once it holds MAX failures newer than WINDOW seconds. */
struct store_window {
	uint32_t max;
	int64_t window;
};

struct guess_limits {
	int64_t address_window;	     /* the address's failures count this long */
	struct store_window device;  /* one device cookie's failures */
	struct store_window devices; /* all the device cookies of one user */
	struct store_window codes;   /* one user's wrong codes */
};

/* Whose guess it is; every pointer borrowed. */
struct guess_who {
	const char *account; /* a normalised email, known or not; NULL: no account count */
	const char *address; /* the client's address, as text */
	const char *user_id; /* the account's user, or NULL when there is none */
	const uint8_t
	    *device; /* STORE_DEVICE_ID_BYTES naming a device cookie of USER_ID, or NULL */
};

struct guess_state {
	struct throttle_state untrusted; /* as store_throttle_get gives it */
	/* When each window stops being full (the MAX-th newest failure in it, plus its length);
	 * 0 when it is not full, or has nobody to count (no user, no device). */
	int64_t device_until, devices_until, codes_until;
};

/* The counts and windows for WHO at NOW. */
COFFER_MUST_CHECK enum coffer_err store_guess_get(struct store *st, const struct guess_who *who,
						  const struct guess_limits *lim, int64_t now,
						  struct guess_state *out);

/* What one failure counts against. */
enum {
	STORE_GUESS_ADDRESS = 1, /* WHO's address */
	STORE_GUESS_ACCOUNT = 2, /* WHO's account: an untrusted client's failure */
	STORE_GUESS_DEVICE = 4,	 /* WHO's device cookie (and its user): a trusted one's */
	STORE_GUESS_CODE = 8,	 /* WHO's user: a wrong code */
};

/* Counts one failed guess by WHO at NOW against what FLAGS name, in one transaction; like
 * store_throttle_fail, removes a bounded number of stale rows from every table it writes.
 * COFFER_ERR_INVALID_INPUT when FLAGS name an account, device or user WHO lacks. */
COFFER_MUST_CHECK enum coffer_err store_guess_fail(struct store *st, const struct guess_who *who,
						   unsigned int flags,
						   const struct guess_limits *lim, int64_t now);

/* What store_guess_claim counted, for store_guess_forgive. */
struct guess_claim {
	unsigned int flags; /* 0: nothing (the guess must wait) */
	int64_t address_row, device_row;
};

/* Given WHO's counts at NOW, what a guess counts against when it may go ahead (flags as above,
 * without STORE_GUESS_CODE), or 0 when it must wait; CTX is the caller's. Runs inside the
 * store's transaction: it must do no I/O. */
typedef unsigned int (*guess_decide_fn)(const struct guess_state *s, int64_t now, void *ctx);

/* Reads WHO's counts at NOW (as store_guess_get), hands them to DECIDE and counts the guess as
 * a failure against what DECIDE names, all in one write transaction: so guesses made at the
 * same moment, on any server, are each judged with those before them already counted, and a
 * burst cannot slip past a limit together. What was counted goes to *CLAIM. */
COFFER_MUST_CHECK enum coffer_err store_guess_claim(struct store *st, const struct guess_who *who,
						    const struct guess_limits *lim, int64_t now,
						    guess_decide_fn decide, void *ctx,
						    struct guess_claim *claim);

/* The guess CLAIM counted for WHO failed: what it counted takes the time NOW (a wait runs from
 * the failure, not from when it was let through), and CODE (STORE_GUESS_CODE or 0) is counted
 * too, in one transaction. */
COFFER_MUST_CHECK enum coffer_err store_guess_confirm(struct store *st, const struct guess_who *who,
						      const struct guess_claim *claim,
						      unsigned int code,
						      const struct guess_limits *lim, int64_t now);

/* Takes back what CLAIM counted for WHO, for a guess that turned out not to be a failure: its
 * address and device rows, and one of the account's failures. Once per claim. */
COFFER_MUST_CHECK enum coffer_err store_guess_forgive(struct store *st, const struct guess_who *who,
						      const struct guess_claim *claim);

/* The key that authenticates device cookies (api/device_cookie.h), shared by every server: the
 * one stored, or FRESH (random, from the caller) when none was, stored now. OUT is a secret:
 * wipe it after use. */
COFFER_MUST_CHECK enum coffer_err store_device_key(struct store *st, const uint8_t fresh[32],
						   int64_t now, uint8_t out[32]);

/* --- policies (system database) --------------------------------------------------------- */

#define STORE_POLICY_SYSTEM "system"
#define STORE_POLICY_MAX    16384

/* The policy of SCOPE (an org id, or STORE_POLICY_SYSTEM) as JSON text (NUL-terminated, at
 * most STORE_POLICY_MAX bytes); COFFER_ERR_NOT_FOUND when none was ever set (the defaults
 * apply). */
COFFER_MUST_CHECK enum coffer_err store_policy_get(struct store *st, const char *scope, char *out,
						   size_t outlen);
COFFER_MUST_CHECK enum coffer_err store_policy_put(struct store *st, const char *scope,
						   const char *json, int64_t now);

/* The login policy of member USER_ID within ORG_ID, as store_policy_get; COFFER_ERR_NOT_FOUND
 * when none was set (the organisation's applies). */
COFFER_MUST_CHECK enum coffer_err store_member_policy_get(struct store *st, const char *org_id,
							  const char *user_id, char *out,
							  size_t outlen);
/* Sets it (at most STORE_POLICY_MAX bytes, else COFFER_ERR_TOO_LARGE). COFFER_ERR_NOT_FOUND
 * when USER_ID is not a member of ORG_ID. Removing the membership removes the policy. */
COFFER_MUST_CHECK enum coffer_err store_member_policy_put(struct store *st, const char *org_id,
							  const char *user_id, const char *json,
							  int64_t now);

/* --- the system audit chain (system database); audit/chain.h defines the entries -------- */

struct audit_entry;

/* Appends E (its seq and hash are computed here, under a write lock, and written back to E)
 * to the system chain. */
COFFER_MUST_CHECK enum coffer_err store_audit_append(struct store *st, struct audit_entry *e);

/* Up to MAX entries with seq > AFTER, oldest first; *N set. */
COFFER_MUST_CHECK enum coffer_err store_audit_list(struct store *st, uint64_t after,
						   struct audit_entry *out, size_t max, size_t *n);

/* Verifies the whole system chain: COFFER_OK and *N entries when intact; COFFER_ERR_CRYPTO
 * with *BROKEN the seq (position) of the first broken entry otherwise. */
COFFER_MUST_CHECK enum coffer_err store_audit_verify(struct store *st, uint64_t *n,
						     uint64_t *broken);
/* Walks the system chain (audit/judge.h; W->pin_seq set by the caller). */
COFFER_MUST_CHECK enum coffer_err store_audit_walk(struct store *st, struct audit_walk *w);
/* Re-links the system chain, as store_org_audit_upgrade. */
COFFER_MUST_CHECK enum coffer_err store_audit_upgrade(struct store *st, struct audit_checkpoint *cp,
						      uint64_t *legacy);

/* --- audit checkpoints (audit/checkpoint.h) ----------------------------------------------- */

/* Stores N checkpoints, each replacing its chain's unless that one is further along: the
 * system chain's in DATA/audit.checkpoint (written whole, fsynced, renamed), organisations'
 * in the system database (one transaction). */
COFFER_MUST_CHECK enum coffer_err
store_audit_checkpoints_put(struct store *st, const struct audit_checkpoint *cps, size_t n);
/* CHAIN's checkpoint; COFFER_ERR_NOT_FOUND when it has none, COFFER_ERR_STORAGE when the
 * system chain's file is not a checkpoint. */
COFFER_MUST_CHECK enum coffer_err store_audit_checkpoint_get(struct store *st, const char *chain,
							     struct audit_checkpoint *out);

/* Whether the chains written before links were MACs have been re-linked (a new deployment's
 * have: it is done at `coffer init`). */
COFFER_MUST_CHECK enum coffer_err store_audit_links_upgraded(struct store *st, bool *done);
/* Marks them re-linked. */
COFFER_MUST_CHECK enum coffer_err store_audit_links_mark_upgraded(struct store *st);

#endif
