/* catalog.c — listing and pruning a backup directory (see catalog.h). */
#include "backup/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"

static int newest_first(const void *a, const void *b)
{
	const struct backup_entry *x = a, *y = b;
	return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

/* The master key version in the header of the snapshot NAME in directory DFD; 0 if unreadable. */
static uint32_t header_version(int dfd, const char *name)
{
	uint8_t head[BACKUP_HEADER_BYTES];
	struct backup_header h;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return n == (ssize_t)sizeof head && backup_header_decode(head, &h) ? h.master_version : 0;
}

enum coffer_err backup_catalog_list(const char *dir, struct backup_entry **out, size_t *n)
{
	struct backup_entry *list = NULL;
	size_t count = 0, cap = 0;
	DIR *d = opendir(dir);
	*out = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? COFFER_OK : COFFER_ERR_IO;
	enum coffer_err err = COFFER_OK;
	struct dirent *e;
	while (err == COFFER_OK && (e = readdir(d)) != NULL) {
		struct backup_entry be = {0};
		struct stat st;
		if (!backup_file_name_parse(e->d_name, &be.time) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		memcpy(be.name, e->d_name, sizeof be.name);
		be.size = (uint64_t)st.st_size;
		be.master_version = header_version(dirfd(d), e->d_name);
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			struct backup_entry *grown = realloc(list, cap * sizeof *grown);
			if (grown == NULL) {
				err = COFFER_ERR_NOMEM;
				break;
			}
			list = grown;
		}
		list[count++] = be;
	}
	closedir(d);
	if (err != COFFER_OK) {
		free(list);
		return err;
	}
	if (count > 1)
		qsort(list, count, sizeof *list, newest_first);
	*out = list;
	*n = count;
	return COFFER_OK;
}

/* Removes the temporary files of runs that were killed (".coffer-backup-….cfb.tmp"), once a
 * day old: no run still writing one is that old. */
static void remove_stale_temporaries(const char *dir, int64_t now)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		size_t len = strlen(e->d_name);
		if (e->d_name[0] != '.' || len != BACKUP_FILE_NAME_LEN + 5 ||
		    strncmp(e->d_name + 1, BACKUP_PREFIX, sizeof BACKUP_PREFIX - 1) != 0 ||
		    strcmp(e->d_name + len - 4, ".tmp") != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < now - 86400 &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_msg(LOG_INFO, "backup", "removed %s, left by an interrupted run",
				e->d_name);
	}
	closedir(d);
}

enum coffer_err backup_catalog_prune(const char *dir, int64_t now, unsigned int keep_days,
				     size_t *removed)
{
	struct backup_entry *list = NULL;
	size_t n = 0;
	char path[PATH_MAX];
	*removed = 0;
	enum coffer_err err = backup_catalog_list(dir, &list, &n);
	if (err != COFFER_OK)
		return err;
	remove_stale_temporaries(dir, now);
	int64_t cutoff = now - (int64_t)keep_days * 86400;
	/* list[0] is the newest: it stays, however old. */
	for (size_t i = 1; i < n && err == COFFER_OK; i++) {
		if (list[i].time >= cutoff)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, list[i].name);
		if (unlink(path) != 0 && errno != ENOENT) {
			err = COFFER_ERR_IO;
			break;
		}
		log_msg(LOG_INFO, "backup", "removed %s, older than %u days", list[i].name,
			keep_days);
		(*removed)++;
	}
	if (*removed > 0 && err == COFFER_OK)
		err = dir_fsync(dir);
	free(list);
	return err;
}
