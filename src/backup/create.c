/* create.c — making a snapshot (see backup.h): copy the deployment consistently into a staging
 * directory (store/snapshot.h), hash every member for the manifest, then stream the manifest
 * and the members through the encrypted writer, and verify what was written. */
#include "backup/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/archive.h"
#include "common/fileio.h"
#include "common/log.h"
#include "store/snapshot.h"

#define CHUNK (1024 * 1024) /* bytes read at a time */

static enum coffer_err add_member(void *ctx, const char *name)
{
	struct backup_member m = {0};
	if (strlen(name) > BACKUP_MEMBER_NAME_MAX)
		return COFFER_ERR_INVALID_INPUT;
	memcpy(m.name, name, strlen(name) + 1);
	return backup_manifest_add(ctx, &m);
}

/* Reads the staged file of M: without W, hashes it into M (and its size); with W, appends it
 * there. The second pass does not hash again: the verification that follows every snapshot
 * compares each member with the manifest, and the sizes are checked here, so a member that
 * changed between the passes fails the snapshot either way. */
static enum coffer_err pass_member(const char *staging, struct backup_member *m,
				   struct backup_writer *w, uint8_t *buf, const atomic_bool *stop)
{
	char path[PATH_MAX];
	uint8_t digest[BACKUP_DIGEST_BYTES];
	unsigned int dlen = 0;
	uint64_t size = 0;
	snprintf(path, sizeof path, "%s/%s", staging, m->name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return COFFER_ERR_IO;
	/* Only the first pass hashes. */
	EVP_MD_CTX *md = w == NULL ? EVP_MD_CTX_new() : NULL;
	enum coffer_err err =
	    w != NULL || (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1)
		? COFFER_OK
		: COFFER_ERR_NOMEM;
	for (;;) {
		if (err == COFFER_OK && stop != NULL && atomic_load(stop))
			err = COFFER_ERR_UNAVAILABLE;
		ssize_t n = err == COFFER_OK ? read(fd, buf, CHUNK) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = COFFER_ERR_IO;
		if (n <= 0)
			break;
		size += (uint64_t)n;
		if (w != NULL)
			err = backup_writer_put(w, buf, (size_t)n);
		else if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			err = COFFER_ERR_CRYPTO;
	}
	close(fd);
	if (err == COFFER_OK && w == NULL &&
	    (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != sizeof digest))
		err = COFFER_ERR_INTERNAL;
	EVP_MD_CTX_free(md);
	if (err != COFFER_OK)
		return err;
	if (w == NULL) {
		m->size = size;
		memcpy(m->sha256, digest, sizeof digest);
		return COFFER_OK;
	}
	/* The staging copy is ours alone and blobs never change: a difference is a fault. */
	if (size != m->size) {
		log_msg(LOG_ERROR, "backup", "%s changed while the snapshot was written", m->name);
		return COFFER_ERR_STORAGE;
	}
	return COFFER_OK;
}

/* Writes the snapshot of the members staged in STAGING (hashed into M) to TO_DIR. */
static enum coffer_err write_snapshot(const char *staging, const char *to_dir, int64_t now,
				      const struct backup_keys *keys, struct backup_manifest *m,
				      uint8_t *buf, const atomic_bool *stop,
				      struct backup_made *out)
{
	struct backup_header h = {.time = now};
	struct backup_writer *w = NULL;
	uint8_t *key = sodium_malloc(AEAD_KEY_BYTES), lenbuf[4];
	size_t mlen = backup_manifest_encoded_len(m);
	uint8_t *mbytes = mlen > 0 ? malloc(mlen) : NULL;
	enum coffer_err err = key != NULL && mbytes != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK && mlen == 0)
		err = COFFER_ERR_TOO_LARGE;
	if (err == COFFER_OK)
		err = keys->new_key(keys->ctx, &h.master_version, h.salt, key);
	if (err == COFFER_OK)
		err = backup_writer_open(to_dir, &h, key, out->path, &w);
	/* A snapshot's name is its second: one made in the same second as another (the server's
	 * and a command's, say) is named, and dated, a second on. */
	for (int i = 0; err == COFFER_ERR_EXISTS && i < 60; i++) {
		h.time++;
		err = backup_writer_open(to_dir, &h, key, out->path, &w);
	}
	if (err == COFFER_OK) {
		backup_manifest_encode(m, mbytes, mlen);
		lenbuf[0] = (uint8_t)(mlen >> 24);
		lenbuf[1] = (uint8_t)(mlen >> 16);
		lenbuf[2] = (uint8_t)(mlen >> 8);
		lenbuf[3] = (uint8_t)mlen;
		err = backup_writer_put(w, lenbuf, sizeof lenbuf);
	}
	if (err == COFFER_OK)
		err = backup_writer_put(w, mbytes, mlen);
	for (size_t i = 0; err == COFFER_OK && i < m->n; i++)
		err = pass_member(staging, &m->members[i], w, buf, stop);
	if (err == COFFER_OK) {
		out->size = backup_writer_size(w) + AEAD_TAG_BYTES; /* with the last segment's */
		err = backup_writer_commit(w);
		w = NULL;
	}
	backup_writer_abort(w);
	free(mbytes);
	sodium_free(key);
	if (err == COFFER_OK) {
		struct stat st;
		if (stat(out->path, &st) == 0)
			out->size = (uint64_t)st.st_size;
		out->time = h.time;
		out->content = backup_manifest_bytes(m);
		out->members = m->n;
	}
	return err;
}

/* DATA_DIR/backup.lock, held (flock) while a snapshot is made: one at a time, whoever makes it
 * (the server's nightly run, a sysadmin's, the command line). */
static enum coffer_err lock_backups(const char *data_dir, int *fd)
{
	return file_lock_in(data_dir, "backup.lock", fd);
}

/* An empty directory DATA_DIR/NAME (what a crash left there is removed). */
static enum coffer_err fresh_dir(const char *data_dir, const char *name, char path[PATH_MAX])
{
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", data_dir, name) >= PATH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = backup_remove_tree(path);
	if (err == COFFER_OK && mkdir(path, 0700) != 0)
		err = COFFER_ERR_IO;
	return err;
}

enum coffer_err backup_create(const char *data_dir, const char *to_dir, int64_t now,
			      const struct backup_keys *keys, const atomic_bool *stop,
			      struct backup_made *out, struct backup_problem *problem)
{
	char staging[PATH_MAX], scratch[PATH_MAX];
	struct backup_manifest m = {0};
	int lock = -1;
	uint8_t *buf = malloc(CHUNK);
	memset(out, 0, sizeof *out);
	memset(problem, 0, sizeof *problem);
	enum coffer_err err = buf != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK && mkdir(to_dir, 0700) != 0 && errno != EEXIST)
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		err = lock_backups(data_dir, &lock);
	if (err == COFFER_OK)
		err = fresh_dir(data_dir, "backup-staging", staging);
	if (err == COFFER_OK)
		err = store_snapshot_stage(data_dir, staging, add_member, &m);
	for (size_t i = 0; err == COFFER_OK && i < m.n; i++)
		err = pass_member(staging, &m.members[i], NULL, buf, stop);
	if (err == COFFER_OK)
		err = write_snapshot(staging, to_dir, now, keys, &m, buf, stop, out);
	if (lock >= 0 && backup_remove_tree(staging) != COFFER_OK)
		log_msg(LOG_WARN, "backup", "cannot remove %s", staging);
	/* Proven before it counts: a snapshot that does not read back is no backup. */
	if (err == COFFER_OK)
		err = fresh_dir(data_dir, "backup-verify", scratch);
	if (err == COFFER_OK) {
		err = backup_verify(out->path, keys, scratch, problem, NULL, NULL);
		if (err != COFFER_OK) {
			log_msg(LOG_ERROR, "backup", "the new snapshot does not verify: %s %s",
				problem->member, problem->why);
			unlink(out->path);
		}
		if (backup_remove_tree(scratch) != COFFER_OK)
			log_msg(LOG_WARN, "backup", "cannot remove %s", scratch);
	}
	if (lock >= 0)
		close(lock);
	backup_manifest_free(&m);
	free(buf);
	return err;
}
