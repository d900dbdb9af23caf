/* files.c — modes and owners of everything under DATA, and who coffer runs as.
 *
 * Everything coffer writes is its user's alone (umask 077: files 0600, directories 0700); the
 * certificate alone may be readable by others, as it is public. Symbolic links are not
 * followed (DATA itself may be one). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/check.h"

#define WALK_DEPTH_MAX 16
#define NAMED_MAX      3 /* entries named in a finding; the rest are counted */

struct walk {
	uid_t owner;
	dev_t cert_dev;
	ino_t cert_ino;
	bool has_cert;
	size_t loose, foreign, unreadable;
	char loose_names[NAMED_MAX][PATH_MAX];
	char foreign_names[NAMED_MAX][PATH_MAX];
};

static void note(char names[NAMED_MAX][PATH_MAX], size_t *count, const char *path)
{
	if (*count < NAMED_MAX)
		snprintf(names[*count], PATH_MAX, "%s", path);
	(*count)++;
}

static void judge(struct walk *w, const char *path, const struct stat *st)
{
	mode_t allowed = 0700;
	if (S_ISREG(st->st_mode) && w->has_cert && st->st_dev == w->cert_dev &&
	    st->st_ino == w->cert_ino)
		allowed = 0744; /* the certificate is public, but no one else may change it */
	if (!S_ISLNK(st->st_mode) && (st->st_mode & 07777 & ~allowed) != 0)
		note(w->loose_names, &w->loose, path);
	if (st->st_uid != w->owner)
		note(w->foreign_names, &w->foreign, path);
}

static void walk_dir(struct walk *w, int fd_in, const char *path, int depth)
{
	DIR *d = fdopendir(fd_in);
	if (d == NULL) {
		close(fd_in);
		w->unreadable++;
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char child[PATH_MAX];
		struct stat st;
		if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			w->unreadable++;
			continue;
		}
		judge(w, child, &st);
		if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH_MAX) {
			int fd = openat(dirfd(d), e->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				w->unreadable++;
			else
				walk_dir(w, fd, child, depth + 1);
		}
	}
	closedir(d);
}

static void named(char *out, size_t outlen, char names[NAMED_MAX][PATH_MAX], size_t count)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && i < NAMED_MAX && used < outlen; i++)
		used +=
		    (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", names[i]);
	if (count > NAMED_MAX && used < outlen)
		snprintf(out + used, outlen - used, " and %zu more", count - NAMED_MAX);
}

/* The user coffer serves as: the server itself; else `user` when set, else DATA's owner. */
static bool expected_owner(const struct check_context *ctx, const struct stat *data, uid_t *uid)
{
	if (ctx->serving) { /* the server is that user already (and may not look users up) */
		*uid = ctx->euid;
		return true;
	}
	if (ctx->cfg->user == NULL) {
		*uid = data->st_uid;
		return true;
	}
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwnam_r(ctx->cfg->user, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
		return false;
	*uid = pw.pw_uid;
	return true;
}

void check_files(const struct check_context *ctx, struct check_findings *f)
{
	struct walk *w = calloc(1, sizeof *w);
	struct stat data, cert;
	char cert_path[PATH_MAX], list[CHECK_SEEN_MAX - 128];
	if (w == NULL) {
		f->nomem = true;
		return;
	}
	if (stat(ctx->data_dir, &data) != 0 || !S_ISDIR(data.st_mode)) {
		check_add(f, "data.mode", CHECK_ERROR, "give the data directory with --data",
			  "%s is not a readable directory", ctx->data_dir);
		free(w);
		return;
	}
	if (!expected_owner(ctx, &data, &w->owner)) {
		check_add(f, "data.owner", CHECK_ERROR,
			  "create the user (useradd --system coffer) or correct `user`",
			  "user = %s names no user of this system", ctx->cfg->user);
		w->owner = data.st_uid;
	}
	const char *c = ctx->cfg->tls_cert;
	if (c != NULL &&
	    snprintf(cert_path, sizeof cert_path, "%s%s%s", c[0] == '/' ? "" : ctx->data_dir,
		     c[0] == '/' ? "" : "/", c) < (int)sizeof cert_path &&
	    stat(cert_path, &cert) == 0) {
		w->has_cert = true;
		w->cert_dev = cert.st_dev;
		w->cert_ino = cert.st_ino;
	}
	judge(w, ctx->data_dir, &data);
	int fd = open(ctx->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		w->unreadable++;
	else
		walk_dir(w, fd, ctx->data_dir, 0);

	if (w->loose > 0) {
		named(list, sizeof list, w->loose_names, w->loose);
		check_add(f, "data.mode", CHECK_ERROR,
			  "chmod go= on each (directories 0700, files 0600; the certificate may "
			  "stay 0644)",
			  "%zu entries are open to other users: %s", w->loose, list);
	} else {
		check_add(f, "data.mode", CHECK_OK, NULL, "nothing under %s is open to other users",
			  ctx->data_dir);
	}
	if (w->foreign > 0) {
		named(list, sizeof list, w->foreign_names, w->foreign);
		check_add(f, "data.owner", CHECK_ERROR, "chown -R the serving user: DATA",
			  "%zu entries do not belong to uid %u, the serving user: %s", w->foreign,
			  (unsigned)w->owner, list);
	} else if (check_find(f, "data.owner") == NULL) {
		check_add(f, "data.owner", CHECK_OK, NULL,
			  "everything under %s belongs to uid %u, the serving user", ctx->data_dir,
			  (unsigned)w->owner);
	}
	if (w->unreadable > 0)
		check_add(f, "data.unreadable", CHECK_WARNING,
			  "run the check as root or as the serving user",
			  "%zu entries under %s could not be examined", w->unreadable,
			  ctx->data_dir);
	free(w);
}

void check_process_user(const struct check_context *ctx, struct check_findings *f)
{
	struct stat data;
	const char *user = ctx->cfg->user;
	if (ctx->serving && ctx->euid == 0) {
		check_add(f, "process.user", CHECK_ERROR,
			  "set user = NAME in coffer.conf and start coffer serve again",
			  "coffer serve runs as root");
		return;
	}
	if (user != NULL && strcmp(user, "root") == 0) {
		check_add(f, "process.user", CHECK_ERROR,
			  "create a system user (useradd --system coffer), set user = coffer and "
			  "chown -R coffer: DATA",
			  "user = root");
		return;
	}
	if (user == NULL && stat(ctx->data_dir, &data) == 0 && data.st_uid == 0) {
		check_add(f, "process.user", CHECK_ERROR,
			  "create a system user, set user = NAME in coffer.conf and chown -R NAME: "
			  "DATA",
			  "coffer.conf names no user and DATA belongs to root");
		return;
	}
	if (user != NULL)
		check_add(f, "process.user", CHECK_OK, NULL, "coffer serve runs as %s", user);
	else
		check_add(f, "process.user", CHECK_OK, NULL,
			  "coffer serve runs as the owner of DATA (uid %u), not root",
			  ctx->serving ? (unsigned)ctx->euid : (unsigned)data.st_uid);
}
