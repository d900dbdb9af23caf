/* read.c — reading a snapshot back: verifying it and extracting it (see backup.h). Both walk
 * the stream once, member by member, hashing each against the manifest; verification writes
 * the databases (and the system chain's checkpoint) to a scratch directory to check them with
 * SQLite and the audit judge, extraction writes everything to the new deployment. */
#include "backup/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/archive.h"
#include "common/fileio.h"
#include "store/audit_check.h"
#include "store/snapshot.h"
#include "store/store.h"

#define CHUNK (1024 * 1024) /* bytes handled at a time */

/* What a walk writes: every member (extract), or only those verification checks further. */
enum walk_writes { WRITE_NONE, WRITE_CHECKED, WRITE_ALL };

static void say(struct backup_problem *p, const char *member, const char *why)
{
	snprintf(p->member, sizeof p->member, "%s", member);
	snprintf(p->why, sizeof p->why, "%s", why);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool checked_later(const char *name)
{
	return ends_with(name, ".db") || strcmp(name, "audit.checkpoint") == 0;
}

/* Creates the directories of NAME's path under DIR. */
static enum coffer_err make_parents(const char *dir, const char *name)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return COFFER_ERR_INVALID_INPUT;
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return COFFER_ERR_IO;
		*p = '/';
	}
	return COFFER_OK;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

enum coffer_err backup_remove_tree(const char *path)
{
	if (access(path, F_OK) != 0)
		return COFFER_OK;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? COFFER_OK : COFFER_ERR_IO;
}

/* Empties DIR, keeping it. */
static void empty_dir(const char *dir)
{
	char path[PATH_MAX];
	static const char *const tops[] = {"orgs",	  "tls",    "system.db", "audit.checkpoint",
					   "coffer.conf", "secrets"};
	for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, tops[i]);
		if (backup_remove_tree(path) != COFFER_OK)
			continue; /* what is left is in a directory of our own, mode 0700 */
	}
}

/* Streams member M from R: hashes it and, when FD ≥ 0, writes it there. */
static enum coffer_err copy_member(struct backup_reader *r, const struct backup_member *m, int fd,
				   uint8_t *buf, struct backup_problem *p)
{
	uint8_t digest[BACKUP_DIGEST_BYTES];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	enum coffer_err err = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1
				  ? COFFER_OK
				  : COFFER_ERR_NOMEM;
	for (uint64_t left = m->size; err == COFFER_OK && left > 0;) {
		size_t n = left > CHUNK ? CHUNK : (size_t)left;
		err = backup_reader_read(r, buf, n);
		if (err == COFFER_OK && EVP_DigestUpdate(md, buf, n) != 1)
			err = COFFER_ERR_CRYPTO;
		if (err == COFFER_OK && fd >= 0)
			err = fd_write_all(fd, buf, n);
		left -= n;
	}
	if (err == COFFER_OK &&
	    (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != sizeof digest))
		err = COFFER_ERR_INTERNAL;
	EVP_MD_CTX_free(md);
	if (err == COFFER_ERR_CRYPTO)
		say(p, m->name, "does not authenticate: the snapshot was altered or damaged there");
	else if (err == COFFER_OK && sodium_memcmp(digest, m->sha256, sizeof digest) != 0) {
		say(p, m->name, "does not match the SHA-256 its manifest gives");
		err = COFFER_ERR_CRYPTO;
	}
	return err;
}

static enum coffer_err open_member(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX];
	enum coffer_err err = make_parents(dir, name);
	if (err != COFFER_OK)
		return err;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	*fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	return *fd >= 0 ? COFFER_OK : errno == EEXIST ? COFFER_ERR_EXISTS : COFFER_ERR_IO;
}

/* SQLite's integrity check of the database member NAME written under DIR. */
static enum coffer_err check_db(const char *dir, const char *name, struct backup_problem *p)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (store_snapshot_check_db(path) == COFFER_OK)
		return COFFER_OK;
	say(p, name, "fails SQLite's integrity check");
	return COFFER_ERR_STORAGE;
}

/* Reads the whole snapshot at PATH, writing members to DIR as WRITES says. */
static enum coffer_err walk(const char *path, const struct backup_keys *keys, const char *dir,
			    enum walk_writes writes, struct backup_problem *p, uint64_t *content,
			    size_t *members)
{
	struct backup_header h;
	struct backup_reader *r = NULL;
	struct backup_manifest m = {0};
	uint8_t lenbuf[4] = {0}, *mbytes = NULL, *buf = NULL;
	uint8_t *key = sodium_malloc(AEAD_KEY_BYTES);
	char why[160];
	enum coffer_err err = key != NULL ? backup_reader_open(path, &h, &r) : COFFER_ERR_NOMEM;
	if (err == COFFER_ERR_CRYPTO)
		say(p, "(header)", "is not that of a coffer snapshot this version reads");
	if (err == COFFER_OK) {
		err = keys->key_for(keys->ctx, &h, key);
		if (err == COFFER_ERR_NOT_FOUND) {
			snprintf(why, sizeof why,
				 "names master key version %u, which this master key file does not "
				 "hold",
				 (unsigned)h.master_version);
			say(p, "(header)", why);
		}
	}
	if (err == COFFER_OK)
		err = backup_reader_start(r, key);
	if (err == COFFER_OK)
		err = backup_reader_read(r, lenbuf, sizeof lenbuf);
	size_t mlen =
	    (size_t)lenbuf[0] << 24 | (size_t)lenbuf[1] << 16 | (size_t)lenbuf[2] << 8 | lenbuf[3];
	if (err == COFFER_OK && (mlen < 8 || mlen > BACKUP_MANIFEST_MAX))
		err = COFFER_ERR_CRYPTO;
	if (err == COFFER_OK)
		err = (mbytes = malloc(mlen)) != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		err = backup_reader_read(r, mbytes, mlen);
	if (err == COFFER_OK)
		err = backup_manifest_decode(mbytes, mlen, &m);
	if (err == COFFER_ERR_CRYPTO && p->why[0] == '\0')
		say(p, "(manifest)",
		    "does not authenticate: the snapshot's start was altered or damaged, or it "
		    "was made under another master key");
	if (err == COFFER_OK)
		err = (buf = malloc(CHUNK)) != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	for (size_t i = 0; err == COFFER_OK && i < m.n; i++) {
		int fd = -1;
		bool write = writes == WRITE_ALL ||
			     (writes == WRITE_CHECKED && checked_later(m.members[i].name));
		if (write)
			err = open_member(dir, m.members[i].name, &fd);
		if (err == COFFER_OK)
			err = copy_member(r, &m.members[i], fd, buf, p);
		if (fd >= 0) {
			if (err == COFFER_OK && fsync(fd) != 0)
				err = COFFER_ERR_IO;
			close(fd);
		}
		if (err == COFFER_OK && writes == WRITE_CHECKED &&
		    ends_with(m.members[i].name, ".db"))
			err = check_db(dir, m.members[i].name, p);
	}
	if (err == COFFER_OK) {
		err = backup_reader_end(r);
		if (err == COFFER_ERR_CRYPTO)
			say(p, "(end)",
			    "is missing, or bytes follow it: the snapshot was cut short or "
			    "added to");
	}
	if (err == COFFER_OK && content != NULL)
		*content = backup_manifest_bytes(&m);
	if (err == COFFER_OK && members != NULL)
		*members = m.n;
	free(buf);
	free(mbytes);
	backup_manifest_free(&m);
	backup_reader_close(r);
	sodium_free(key);
	return err;
}

/* The judge's verdict on every chain of the deployment copied into DIR. */
struct chain_verdicts {
	struct backup_problem *p;
	size_t bad;
};

static void note_chain(void *ctx, const struct audit_chain_report *r)
{
	struct chain_verdicts *v = ctx;
	char why[200], member[BACKUP_MEMBER_NAME_MAX + 1];
	if (r->verdict == AUDIT_INTACT || v->bad++ > 0)
		return;
	audit_verdict_explain(r->verdict, r->walk, r->checkpoint, why, sizeof why);
	if (r->org_name == NULL)
		snprintf(member, sizeof member, "system.db");
	else
		snprintf(member, sizeof member, "orgs/%s/org.db", r->chain);
	snprintf(v->p->why, sizeof v->p->why, "holds an audit chain that is not intact: %s", why);
	snprintf(v->p->member, sizeof v->p->member, "%s", member);
}

/* Every audit chain of the deployment copied into DIR (whose databases passed their checks). */
static enum coffer_err check_databases(const char *dir, struct backup_problem *p)
{
	uint64_t entries = 0;
	struct chain_verdicts v = {.p = p};
	struct store *st = NULL;
	enum coffer_err err = store_system_open(dir, &st);
	if (err == COFFER_OK)
		err = audit_check_chains(st, NULL, note_chain, &v, &entries, &v.bad);
	if (err == COFFER_OK && v.bad > 0)
		err = COFFER_ERR_STORAGE;
	else if (err != COFFER_OK && p->why[0] == '\0')
		say(p, "system.db", "cannot be read as a deployment's system database");
	store_close(st);
	return err;
}

enum coffer_err backup_verify(const char *path, const struct backup_keys *keys, const char *scratch,
			      struct backup_problem *problem, uint64_t *content, size_t *members)
{
	memset(problem, 0, sizeof *problem);
	empty_dir(scratch);
	enum coffer_err err = walk(path, keys, scratch, WRITE_CHECKED, problem, content, members);
	if (err == COFFER_OK)
		err = check_databases(scratch, problem);
	empty_dir(scratch);
	return err;
}

enum coffer_err backup_extract(const char *path, const struct backup_keys *keys, const char *target,
			       struct backup_problem *problem)
{
	memset(problem, 0, sizeof *problem);
	enum coffer_err err = walk(path, keys, target, WRITE_ALL, problem, NULL, NULL);
	/* Every file was fsynced as it was written; their directories' entries too, at once. */
	int fd = err == COFFER_OK ? open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (err == COFFER_OK && (fd < 0 || syncfs(fd) != 0))
		err = COFFER_ERR_IO;
	if (fd >= 0)
		close(fd);
	if (err != COFFER_OK)
		empty_dir(target);
	return err;
}
