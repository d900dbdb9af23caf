/* checkpoint_file.c — the system chain's checkpoint file (checkpoint_file.h). */
#include "store/checkpoint_file.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/chain.h"
#include "common/fileio.h"

static enum coffer_err file_path(const char *data_dir, char out[PATH_MAX])
{
	if (snprintf(out, PATH_MAX, "%s/%s", data_dir, AUDIT_CHECKPOINT_FILE) >= PATH_MAX)
		return COFFER_ERR_INVALID_INPUT;
	return COFFER_OK;
}

static bool is_system(const struct audit_checkpoint *cp)
{
	return strcmp(cp->chain, AUDIT_SYSTEM_CHAIN) == 0;
}

enum coffer_err checkpoint_file_read(const char *data_dir, struct audit_checkpoint *out)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	enum coffer_err err = file_path(data_dir, path);
	if (err == COFFER_OK)
		err = file_read_all(path, AUDIT_CHECKPOINT_LINE_MAX, 0, &text, &len);
	if (err == COFFER_ERR_TOO_LARGE)
		err = COFFER_ERR_STORAGE;
	if (err == COFFER_OK && (!audit_checkpoint_parse(text, len, out) || !is_system(out)))
		err = COFFER_ERR_STORAGE;
	free(text);
	return err;
}

enum coffer_err checkpoint_file_put(const char *data_dir, const struct audit_checkpoint *cp)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	char path[PATH_MAX], line[AUDIT_CHECKPOINT_LINE_MAX];
	struct audit_checkpoint have;
	size_t len = audit_checkpoint_format(cp, line, sizeof line);
	enum coffer_err err = len ? file_path(data_dir, path) : COFFER_ERR_INVALID_INPUT;
	if (err != COFFER_OK)
		return err;
	pthread_mutex_lock(&mu);
	enum coffer_err got = checkpoint_file_read(data_dir, &have);
	if (got == COFFER_OK && have.seq > cp->seq)
		err = COFFER_OK; /* a later one is there already */
	else
		err = file_write_atomic(path, line, len, 0600, 0);
	/* A command run as root writes it too: it stays DATA's owner's, whom `coffer serve`
	 * runs as, or the server could no longer read it. lchown: never through a link. */
	struct stat dir;
	if (err == COFFER_OK && geteuid() == 0 && stat(data_dir, &dir) == 0 &&
	    lchown(path, dir.st_uid, dir.st_gid) != 0)
		err = COFFER_ERR_IO;
	pthread_mutex_unlock(&mu);
	return err;
}
