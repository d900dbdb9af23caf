/* snapshot.c — the embedded store's consistent copy of a live deployment (see
 * store/snapshot.h). */
#include "store/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include "audit/chain.h"
#include "audit/checkpoint.h"
#include "audit/signer.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/uuid.h"
#include "store/sqlite/db.h"
#include "store/sqlite/query.h"

#define ID_BYTES (UUID_TEXT_LEN + 1)
/* An organisation whose files change between its blobs' linking and its copy is copied again,
 * this many times at most. */
#define ORG_ATTEMPTS 5
#define SETTINGS_MAX (1024 * 1024)

/* A sorted list of ids (organisations or files). */
struct id_list {
	char (*ids)[ID_BYTES];
	size_t n, cap;
};

/* A copied chain's head, to seal a checkpoint for. */
struct chain_head {
	char chain[AUDIT_CHAIN_ID_MAX + 1];
	uint64_t seq;
	uint8_t head[AUDIT_HASH_BYTES];
};

struct stage {
	const char *data_dir, *staging;
	snapshot_member_fn member;
	void *ctx;
	struct id_list done; /* organisations copied */
	struct chain_head *heads;
	size_t n_heads;
};

static enum coffer_err id_list_add(struct id_list *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *grown = realloc(l->ids, cap * sizeof *l->ids);
		if (grown == NULL)
			return COFFER_ERR_NOMEM;
		l->ids = grown;
		l->cap = cap;
	}
	memcpy(l->ids[l->n++], id, ID_BYTES);
	return COFFER_OK;
}

static enum coffer_err read_id(sqlite3_stmt *s, void *ctx)
{
	const unsigned char *id = sqlite3_column_text(s, 0);
	if (id == NULL || !uuid_valid((const char *)id))
		return COFFER_ERR_STORAGE;
	return id_list_add(ctx, (const char *)id);
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool id_listed(const struct id_list *l, const char *id)
{
	return l->n > 0 && bsearch(id, l->ids, l->n, sizeof *l->ids, id_cmp) != NULL;
}

static void id_list_free(struct id_list *l)
{
	free(l->ids);
	*l = (struct id_list){0};
}

/* Every id SQL (one text column) gives on the database at PATH, sorted. */
static enum coffer_err read_ids(const char *path, const char *sql, struct id_list *out)
{
	sqlite3 *db = NULL;
	enum coffer_err err = db_open_reader(path, &db);
	if (err == COFFER_OK)
		err = db_each(db, sql, DB_ARGS(), read_id, out);
	if (db != NULL)
		db_close(db);
	if (err == COFFER_OK && out->n > 1)
		qsort(out->ids, out->n, sizeof *out->ids, id_cmp);
	return err;
}

enum coffer_err store_snapshot_check_db(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	enum coffer_err err = db_open_reader(path, &db);
	if (err != COFFER_OK)
		return err;
	/* Rows beyond the first are problems; the first is "ok" only when there are none. */
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		err = COFFER_ERR_STORAGE;
	else if (sqlite3_step(s) != SQLITE_ROW ||
		 strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
		err = COFFER_ERR_STORAGE;
	if (err != COFFER_OK)
		log_msg(LOG_ERROR, "snapshot", "%s fails its integrity check", path);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return err;
}

/* SQLite's consistent copy of the live database SRC into DST (which must not exist), as one
 * self-contained file (no -wal beside it), checked. */
static enum coffer_err copy_db(const char *src, const char *dst)
{
	sqlite3 *db = NULL;
	enum coffer_err err = db_open_reader(src, &db);
	if (err == COFFER_OK)
		err = db_exec(db, "VACUUM INTO ?", DB_ARGS(db_text(dst)));
	if (db != NULL)
		db_close(db);
	if (err != COFFER_OK) {
		log_msg(LOG_ERROR, "snapshot", "cannot copy %s", src);
		return err;
	}
	return store_snapshot_check_db(dst);
}

static enum coffer_err join(char out[PATH_MAX], const char *a, const char *b)
{
	return (size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) < PATH_MAX ? COFFER_OK
									 : COFFER_ERR_INVALID_INPUT;
}

static enum coffer_err make_dir(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? COFFER_OK : COFFER_ERR_IO;
}

/* Links the blob NAME of ORG from DATA into STAGING: COFFER_ERR_NOT_FOUND when it is gone. */
static enum coffer_err link_blob(const struct stage *sg, const char *org, const char *name)
{
	char rel[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	snprintf(rel, sizeof rel, "orgs/%s/blobs/%s", org, name);
	if (join(from, sg->data_dir, rel) != COFFER_OK || join(to, sg->staging, rel) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	if (link(from, to) == 0 || errno == EEXIST)
		return COFFER_OK;
	return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
}

/* Links every committed blob of ORG (a final name: an id; uploads in progress have temporary
 * names) into STAGING, before its database is copied: a blob its copy refers to is then either
 * linked already or committed after this, and still there unless deleted since. */
static enum coffer_err link_all_blobs(const struct stage *sg, const char *org)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/orgs/%s/blobs", sg->data_dir, org);
	DIR *d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
	enum coffer_err err = COFFER_OK;
	struct dirent *e;
	while (err == COFFER_OK && (e = readdir(d)) != NULL) {
		if (!uuid_valid(e->d_name))
			continue;
		err = link_blob(sg, org, e->d_name);
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_OK; /* deleted meanwhile */
	}
	closedir(d);
	return err;
}

/* Removes from STAGING's blobs of ORG every link FILES does not list. */
static enum coffer_err unlink_unlisted(const struct stage *sg, const char *org,
				       const struct id_list *files)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/orgs/%s/blobs", sg->staging, org);
	DIR *d = opendir(path);
	if (d == NULL)
		return COFFER_ERR_IO;
	int dfd = dirfd(d);
	enum coffer_err err = COFFER_OK;
	struct dirent *e;
	while (err == COFFER_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || id_listed(files, e->d_name))
			continue;
		if (unlinkat(dfd, e->d_name, 0) != 0)
			err = COFFER_ERR_IO;
	}
	closedir(d);
	return err;
}

static enum coffer_err read_head(sqlite3_stmt *s, void *ctx)
{
	struct chain_head *h = ctx;
	const void *hash = sqlite3_column_blob(s, 1);
	if (sqlite3_column_int64(s, 0) < 1 || hash == NULL ||
	    sqlite3_column_bytes(s, 1) != AUDIT_HASH_BYTES)
		return COFFER_ERR_STORAGE;
	h->seq = (uint64_t)sqlite3_column_int64(s, 0);
	memcpy(h->head, hash, AUDIT_HASH_BYTES);
	return COFFER_OK;
}

/* Notes the head of the audit chain CHAIN in the copied database at PATH. */
static enum coffer_err note_head(struct stage *sg, const char *path, const char *chain)
{
	struct chain_head h = {0};
	sqlite3 *db = NULL;
	snprintf(h.chain, sizeof h.chain, "%s", chain);
	enum coffer_err err = db_open_reader(path, &db);
	if (err == COFFER_OK)
		err = db_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", DB_ARGS(),
			     read_head, &h);
	if (db != NULL)
		db_close(db);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK; /* an empty chain: seq 0, zeros */
	if (err != COFFER_OK)
		return err;
	struct chain_head *grown = realloc(sg->heads, (sg->n_heads + 1) * sizeof *grown);
	if (grown == NULL)
		return COFFER_ERR_NOMEM;
	sg->heads = grown;
	sg->heads[sg->n_heads++] = h;
	return COFFER_OK;
}

/* One attempt at ORG: link its blobs, copy its database, keep the links its copy lists.
 * COFFER_ERR_UNAVAILABLE when a blob the copy lists was deleted before it could be linked. */
static enum coffer_err stage_org_once(struct stage *sg, const char *org, struct id_list *files)
{
	char rel[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	snprintf(rel, sizeof rel, "orgs/%s/org.db", org);
	if (join(src, sg->data_dir, rel) != COFFER_OK || join(dst, sg->staging, rel) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	unlink(dst);
	enum coffer_err err = link_all_blobs(sg, org);
	if (err == COFFER_OK)
		err = copy_db(src, dst);
	if (err == COFFER_OK)
		err = read_ids(dst, "SELECT id FROM files", files);
	for (size_t i = 0; err == COFFER_OK && i < files->n; i++) {
		err = link_blob(sg, org, files->ids[i]);
		if (err == COFFER_ERR_NOT_FOUND)
			err = COFFER_ERR_UNAVAILABLE;
	}
	if (err == COFFER_OK)
		err = unlink_unlisted(sg, org, files);
	return err;
}

static enum coffer_err stage_org(struct stage *sg, const char *org)
{
	char path[PATH_MAX], rel[sizeof "orgs/" + UUID_TEXT_LEN];
	struct id_list files = {0};
	snprintf(path, sizeof path, "%s/orgs/%s/org.db", sg->data_dir, org);
	if (access(path, F_OK) != 0)
		return COFFER_OK; /* an organisation whose database was never made holds nothing */
	snprintf(rel, sizeof rel, "orgs/%s", org);
	enum coffer_err err = join(path, sg->staging, "orgs");
	if (err == COFFER_OK)
		err = make_dir(path);
	if (err == COFFER_OK)
		err = join(path, sg->staging, rel);
	if (err == COFFER_OK)
		err = make_dir(path);
	if (err == COFFER_OK &&
	    (size_t)snprintf(path, sizeof path, "%s/%s/blobs", sg->staging, rel) >= sizeof path)
		err = COFFER_ERR_INVALID_INPUT;
	if (err == COFFER_OK)
		err = make_dir(path);
	err = err == COFFER_OK ? COFFER_ERR_UNAVAILABLE : err;
	for (int i = 0; i < ORG_ATTEMPTS && err == COFFER_ERR_UNAVAILABLE; i++) {
		id_list_free(&files);
		err = stage_org_once(sg, org, &files);
	}
	if (err == COFFER_OK &&
	    (size_t)snprintf(path, sizeof path, "%s/%s/org.db", sg->staging, rel) >= sizeof path)
		err = COFFER_ERR_INVALID_INPUT;
	if (err == COFFER_OK)
		err = note_head(sg, path, org);
	if (err == COFFER_OK) {
		snprintf(path, sizeof path, "%s/org.db", rel);
		err = sg->member(sg->ctx, path);
	}
	for (size_t i = 0; err == COFFER_OK && i < files.n; i++) {
		snprintf(path, sizeof path, "%s/blobs/%s", rel, files.ids[i]);
		err = sg->member(sg->ctx, path);
	}
	id_list_free(&files);
	return err;
}

/* Stages every organisation ORGS lists that is not staged yet. */
static enum coffer_err stage_orgs(struct stage *sg, const struct id_list *orgs)
{
	enum coffer_err err = COFFER_OK;
	for (size_t i = 0; err == COFFER_OK && i < orgs->n; i++) {
		if (id_listed(&sg->done, orgs->ids[i]))
			continue;
		err = stage_org(sg, orgs->ids[i]);
		if (err == COFFER_OK)
			err = id_list_add(&sg->done, orgs->ids[i]);
		if (err == COFFER_OK)
			qsort(sg->done.ids, sg->done.n, sizeof *sg->done.ids, id_cmp);
	}
	return err;
}

/* Copies the file NAME of DATA (at most SETTINGS_MAX bytes) into STAGING, when it exists. */
static enum coffer_err stage_file(struct stage *sg, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	enum coffer_err err = join(from, sg->data_dir, name);
	if (err == COFFER_OK)
		err = join(to, sg->staging, name);
	if (err == COFFER_OK)
		err = file_read_all(from, SETTINGS_MAX, 1, &text, &len);
	if (err == COFFER_ERR_NOT_FOUND)
		return COFFER_OK;
	if (err == COFFER_OK)
		err = file_write_atomic(to, text, len, 0600, 1);
	if (text != NULL) {
		sodium_memzero(text, len);
		sodium_free(text);
	}
	if (err == COFFER_OK)
		err = sg->member(sg->ctx, name);
	return err;
}

/* The settings: coffer.conf, the sealed credentials (secrets, as sealed: a restore needs the
 * master key for them as for everything else) and every plain file of tls/ (the certificate and
 * its key). */
static enum coffer_err stage_settings(struct stage *sg)
{
	char path[PATH_MAX], name[PATH_MAX];
	enum coffer_err err = stage_file(sg, "coffer.conf");
	if (err == COFFER_OK)
		err = stage_file(sg, "secrets");
	if (err != COFFER_OK)
		return err;
	snprintf(path, sizeof path, "%s/tls", sg->data_dir);
	DIR *d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
	snprintf(path, sizeof path, "%s/tls", sg->staging);
	err = make_dir(path);
	struct dirent *e;
	while (err == COFFER_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || e->d_type != DT_REG || strlen(e->d_name) > 64)
			continue;
		snprintf(name, sizeof name, "tls/%s", e->d_name);
		err = stage_file(sg, name);
	}
	closedir(d);
	return err;
}

/* Opens the copy at PATH (ours alone: nothing else ever opens it) to write into it, in rollback
 * journal mode, so that what is written is in the one file when it closes: no -wal is left
 * beside a copy. */
static enum coffer_err open_copy(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "PRAGMA journal_mode=DELETE;PRAGMA synchronous=FULL;"
				  "PRAGMA trusted_schema=OFF;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERROR, "snapshot", "cannot open the copy %s", path);
		sqlite3_close(db);
		return db_err(rc);
	}
	*out = db;
	return COFFER_OK;
}

/* Seals a checkpoint of every copied chain's head and writes them into the copy: the
 * organisations' into its system database, the system chain's into audit.checkpoint. */
static enum coffer_err stage_checkpoints(struct stage *sg)
{
	char path[PATH_MAX], line[AUDIT_CHECKPOINT_LINE_MAX];
	const struct audit_signer *signer = audit_signer_get();
	sqlite3 *db = NULL;
	if (signer == NULL)
		return COFFER_ERR_INTERNAL;
	enum coffer_err err = join(path, sg->staging, "system.db");
	if (err == COFFER_OK)
		err = open_copy(path, &db);
	if (err == COFFER_OK)
		err = db_begin(db);
	for (size_t i = 0; err == COFFER_OK && i < sg->n_heads; i++) {
		const struct chain_head *h = &sg->heads[i];
		struct audit_checkpoint cp;
		err = audit_sign_head(signer, h->chain, h->seq, h->head, &cp);
		if (err != COFFER_OK)
			break;
		if (strcmp(h->chain, AUDIT_SYSTEM_CHAIN) == 0) {
			size_t len = audit_checkpoint_format(&cp, line, sizeof line);
			err = join(path, sg->staging, "audit.checkpoint");
			if (err == COFFER_OK)
				err = len > 0 ? file_write_atomic(path, line, len, 0600, 1)
					      : COFFER_ERR_INTERNAL;
			continue;
		}
		err = db_exec(db,
			      "INSERT OR REPLACE INTO audit_checkpoints (chain, seq, head, time, "
			      "key_version, mac) VALUES (?,?,?,?,?,?)",
			      DB_ARGS(db_text(cp.chain), db_int((int64_t)cp.seq),
				      db_blob(cp.head, AUDIT_HASH_BYTES), db_int(cp.time),
				      db_int((int64_t)cp.key_version),
				      db_blob(cp.mac, AUDIT_HASH_BYTES)));
	}
	if (db != NULL) {
		err = db_end(db, err);
		if (db_close(db) != SQLITE_OK && err == COFFER_OK)
			err = COFFER_ERR_STORAGE;
	}
	return err;
}

enum coffer_err store_snapshot_stage(const char *data_dir, const char *staging,
				     snapshot_member_fn member, void *ctx)
{
	struct stage sg = {.data_dir = data_dir, .staging = staging, .member = member, .ctx = ctx};
	struct id_list before = {0}, after = {0};
	char src[PATH_MAX], dst[PATH_MAX];
	enum coffer_err err = join(src, data_dir, "system.db");
	if (err == COFFER_OK)
		err = join(dst, staging, "system.db");
	if (err == COFFER_OK)
		err = read_ids(src, "SELECT id FROM orgs", &before);
	if (err == COFFER_OK)
		err = stage_orgs(&sg, &before);
	if (err == COFFER_OK)
		err = copy_db(src, dst);
	if (err == COFFER_OK)
		err = note_head(&sg, dst, AUDIT_SYSTEM_CHAIN);
	/* Organisations made while the others were copied: their keys are in the copy now. */
	if (err == COFFER_OK)
		err = read_ids(dst, "SELECT id FROM orgs", &after);
	if (err == COFFER_OK)
		err = stage_orgs(&sg, &after);
	if (err == COFFER_OK)
		err = stage_checkpoints(&sg);
	if (err == COFFER_OK)
		err = member(ctx, "system.db");
	if (err == COFFER_OK)
		err = member(ctx, "audit.checkpoint");
	if (err == COFFER_OK)
		err = stage_settings(&sg);
	id_list_free(&before);
	id_list_free(&after);
	id_list_free(&sg.done);
	free(sg.heads);
	return err;
}
