/* run_as.c — the `user` setting turned into who `coffer serve` runs as and who owns what
 * `coffer init` creates (run_as.h).
 *
 * Design points:
 * - Root is never kept: started as root, serve needs `user` and drops to it in both processes
 *   once start-up is over; without it, it refuses to start. Running a network service as root
 *   because a line is missing is not a default anyone should get by accident.
 * - The decision is made once, before keyd is forked, so that both processes become the same
 *   user and a mistake is reported before anything has started.
 * - DATA must belong to the user, and its parents let the user through: after the drop the
 *   web process opens organisations' databases and writes blobs there, by path (SQLite makes
 *   every path absolute, so a working directory inside DATA would not spare the parents). A
 * mismatch is refused at start, naming the chown that fixes it, rather than found at the first
 * write.
 */
#include "cli/run_as.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"

#define PW_BUF 16384

/* NAME's uid and primary gid: COFFER_ERR_NOT_FOUND when there is no such user. */
static enum coffer_err lookup(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *found = NULL;
	char buf[PW_BUF];
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	int rc = getpwnam_r(name, &pw, buf, sizeof buf, &found);
	if (rc != 0)
		err = COFFER_ERR_IO;
	else if (found != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		err = COFFER_OK;
	}
	return err;
}

/* The name of UID for a message ("uid N" when it has none). */
static void name_of(uid_t uid, char *out, size_t outlen)
{
	struct passwd pw, *found = NULL;
	char buf[PW_BUF];
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL)
		snprintf(out, outlen, "%s", pw.pw_name);
	else
		snprintf(out, outlen, "uid %u", (unsigned int)uid);
}

/* As root: the configured USER, which must exist, not be root, and own DATA_DIR. */
static int serve_as_root(const char *data_dir, const char *user, struct privdrop_target *target)
{
	uid_t uid = 0;
	gid_t gid = 0;
	struct stat st;
	char owner[64];
	int rc = 0;
	enum coffer_err err = user != NULL ? lookup(user, &uid, &gid) : COFFER_ERR_CONFIG;
	if (user == NULL)
		rc = cli_fail("coffer serve will not run as root: set 'user = NAME' in "
			      "%s/coffer.conf to the system user that owns %s (e.g. %s; see "
			      "docs/OPERATIONS.md)",
			      data_dir, data_dir, RUN_AS_DEFAULT_USER);
	else if (err == COFFER_ERR_NOT_FOUND)
		rc = cli_fail("user = %s in %s/coffer.conf: no such user (create it with useradd "
			      "--system --no-create-home --shell /usr/sbin/nologin %s)",
			      user, data_dir, user);
	else if (err != COFFER_OK)
		rc = cli_fail("user = %s in %s/coffer.conf: cannot look the user up", user,
			      data_dir);
	else if (uid == 0 || gid == 0)
		rc = cli_fail("user = %s in %s/coffer.conf is root or in group root; coffer serve "
			      "does not keep root",
			      user, data_dir);
	else if (stat(data_dir, &st) == 0 && st.st_uid != uid) {
		name_of(st.st_uid, owner, sizeof owner);
		rc = cli_fail("%s belongs to %s, not to user = %s: chown -R %s: %s", data_dir,
			      owner, user, user, data_dir);
	}
	if (rc == 0)
		*target = (struct privdrop_target){.change = true, .uid = uid, .gid = gid};
	return rc;
}

/* As anyone else: stay who we are; a configured user must be us. */
static int serve_as_user(const char *data_dir, const char *user, struct privdrop_target *target)
{
	uid_t uid = 0;
	gid_t gid = 0;
	char self[64];
	int rc = 0;
	if (user != NULL && (lookup(user, &uid, &gid) != COFFER_OK || uid != geteuid())) {
		name_of(geteuid(), self, sizeof self);
		rc = cli_fail("user = %s in %s/coffer.conf, but coffer serve runs as %s and cannot "
			      "become another user: start it as root or as %s",
			      user, data_dir, self, user);
	}
	if (rc == 0)
		*target = (struct privdrop_target){.change = false};
	return rc;
}

/* HOME becomes the home of UID, the user serve will run as (or "/" when it has none): libraries
 * look there for files of their own, and libpq, finding root's home unreadable, would refuse
 * every connection it opens after the drop ("could not open certificate file
 * /root/.postgresql/postgresql.crt"). Set before any thread or process starts: setenv is not
 * safe beside other threads' getenv. */
static void home_of(uid_t uid)
{
	struct passwd pw, *found = NULL;
	char buf[PW_BUF];
	const char *home = "/";
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL &&
	    pw.pw_dir != NULL && pw.pw_dir[0] == '/')
		home = pw.pw_dir;
	setenv("HOME", home, 1);
}

int run_as_for_serve(const char **data_dirp, char real[PATH_MAX], struct privdrop_target *target)
{
	char path[PATH_MAX], why[512];
	struct coffer_config cfg;
	const char *data_dir = *data_dirp;
	int rc;
	config_defaults(&cfg);
	snprintf(path, sizeof path, "%s/coffer.conf", data_dir);
	if (config_load(&cfg, path, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	rc = geteuid() == 0 ? serve_as_root(data_dir, cfg.user, target)
			    : serve_as_user(data_dir, cfg.user, target);
	/* SQLite makes every path absolute and follows it from /: a relative DATA below a
	 * directory closed to the user (a checkout under /root, DATA a link out of it) would fail
	 * after the drop where its real path works. */
	if (rc == 0 && realpath(data_dir, real) != NULL)
		*data_dirp = real;
	if (rc == 0 && target->change)
		home_of(target->uid);
out:
	config_free(&cfg);
	return rc;
}

int run_as_drop(const struct privdrop_target *target, const char *data_dir)
{
	char db[PATH_MAX + 16], self[64];
	int rc = 0;
	snprintf(db, sizeof db, "%s/system.db", data_dir);
	if (privdrop_apply(target) != COFFER_OK)
		rc = cli_fail("cannot give up root and every capability in the web process");
	/* system.db is absent on a deployment whose store is PostgreSQL. */
	else if (access(data_dir, R_OK | W_OK | X_OK) != 0 ||
		 (access(db, F_OK) == 0 && access(db, R_OK | W_OK) != 0)) {
		name_of(getuid(), self, sizeof self);
		rc = cli_fail("%s cannot read and write %s and its system.db (chown -R %s: it, and "
			      "let the user through its parent directories)",
			      self, data_dir, self);
	}
	return rc;
}

static bool is_user_name(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= RUN_AS_NAME_MAX && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		   n;
}

int run_as_for_init(const char *option, struct run_as_owner *owner)
{
	const char *name = option != NULL ? option : RUN_AS_DEFAULT_USER;
	uid_t uid = 0;
	gid_t gid = 0;
	char self[64];
	int rc = 0;
	bool root = geteuid() == 0;
	enum coffer_err err =
	    is_user_name(name) ? lookup(name, &uid, &gid) : COFFER_ERR_INVALID_INPUT;
	*owner = (struct run_as_owner){.set = false};
	if (err == COFFER_ERR_INVALID_INPUT)
		rc = cli_fail("--user: not a user name");
	else if (!root && option != NULL && (err != COFFER_OK || uid != geteuid())) {
		name_of(geteuid(), self, sizeof self);
		rc = cli_fail("--user %s: only root can hand a deployment to another user (this is "
			      "%s)",
			      name, self);
	} else if (!root)
		rc = 0; /* the files are ours, and nothing is written */
	else if (err == COFFER_ERR_NOT_FOUND && option == NULL)
		rc = cli_fail("run as root, init hands the deployment to the system user %s, "
			      "which does not exist: create it (useradd --system --no-create-home "
			      "--shell /usr/sbin/nologin %s) or give --user NAME",
			      name, name);
	else if (err != COFFER_OK)
		rc = cli_fail("--user %s: no such user", name);
	else if (uid == 0 || gid == 0)
		rc = cli_fail("--user %s: root or group root; coffer serve does not keep root",
			      name);
	else {
		owner->set = true;
		snprintf(owner->name, sizeof owner->name, "%s", name);
		owner->uid = uid;
		owner->gid = gid;
	}
	return rc;
}

/* nftw passes no context: the owner being applied, set for the length of one walk (init is
 * single-threaded). */
static const struct run_as_owner *walking;

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return lchown(path, walking->uid, walking->gid) == 0 ? 0 : -1;
}

enum coffer_err run_as_chown_tree(const char *dir, const struct run_as_owner *owner)
{
	char top[PATH_MAX];
	/* "DIR/." so that DIR itself may be a symbolic link (followed), and nothing below it. */
	if (snprintf(top, sizeof top, "%s/.", dir) >= (int)sizeof top)
		return COFFER_ERR_INVALID_INPUT;
	walking = owner;
	int rc = nftw(top, chown_one, 16, FTW_PHYS);
	walking = NULL;
	return rc == 0 ? COFFER_OK : COFFER_ERR_IO;
}
