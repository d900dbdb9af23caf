/* device.c — whether DATA lies on an encrypted block device: a device-mapper device whose
 * uuid (SYS/block/dm-N/dm/uuid) starts "CRYPT-" (dm-crypt, LUKS among them), directly or
 * beneath another device-mapper layer (LVM on LUKS: the crypt device is among the slaves). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check/check.h"

#define LAYERS_MAX 4

static bool read_line(const char *path, char *out, size_t outlen)
{
	FILE *fp = fopen(path, "re");
	if (fp == NULL)
		return false;
	bool ok = fgets(out, (int)outlen, fp) != NULL;
	fclose(fp);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

/* Whether dm device NAME (dm-N) or one beneath it is a crypt device. */
static bool crypt_beneath(const char *sys_root, const char *name, int depth)
{
	char path[PATH_MAX], uuid[256];
	snprintf(path, sizeof path, "%s/block/%s/dm/uuid", sys_root, name);
	if (read_line(path, uuid, sizeof uuid) && strncmp(uuid, "CRYPT-", 6) == 0)
		return true;
	if (depth >= LAYERS_MAX)
		return false;
	snprintf(path, sizeof path, "%s/block/%s/slaves", sys_root, name);
	DIR *d = opendir(path);
	if (d == NULL)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "dm-", 3) == 0)
			found = crypt_beneath(sys_root, e->d_name, depth + 1);
	closedir(d);
	return found;
}

enum check_device check_device_kind(const char *sys_root, unsigned int major, unsigned int minor,
				    char *name, size_t namelen)
{
	char path[PATH_MAX], dev[64], want[64];
	snprintf(want, sizeof want, "%u:%u", major, minor);
	snprintf(path, sizeof path, "%s/block", sys_root);
	DIR *d = opendir(path);
	if (d == NULL)
		return CHECK_DEVICE_UNKNOWN;
	enum check_device kind = CHECK_DEVICE_PLAIN;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "dm-", 3) != 0)
			continue;
		snprintf(path, sizeof path, "%s/block/%s/dev", sys_root, e->d_name);
		if (!read_line(path, dev, sizeof dev) || strcmp(dev, want) != 0)
			continue;
		snprintf(name, namelen, "%s", e->d_name);
		kind = crypt_beneath(sys_root, e->d_name, 0) ? CHECK_DEVICE_CRYPT
							     : CHECK_DEVICE_DM_PLAIN;
		break;
	}
	closedir(d);
	return kind;
}

void check_encrypted_device(const char *data_dir, const char *sys_root, struct check_findings *f)
{
	struct stat st;
	char name[64] = "";
	const char *fix = "keep DATA on a dm-crypt (LUKS) volume, so that a disk that leaves the "
			  "machine holds nothing readable";
	if (stat(data_dir, &st) != 0) {
		check_add(f, "data.encrypted_device", CHECK_WARNING, fix, "cannot examine %s",
			  data_dir);
		return;
	}
	unsigned int maj = major(st.st_dev), min = minor(st.st_dev);
	switch (check_device_kind(sys_root, maj, min, name, sizeof name)) {
	case CHECK_DEVICE_CRYPT:
		check_add(f, "data.encrypted_device", CHECK_OK, NULL,
			  "DATA is on %s, a dm-crypt device", name);
		break;
	case CHECK_DEVICE_DM_PLAIN:
		check_add(f, "data.encrypted_device", CHECK_WARNING, fix,
			  "DATA is on %s, a device-mapper device with no dm-crypt layer", name);
		break;
	case CHECK_DEVICE_UNKNOWN:
		check_add(f, "data.encrypted_device", CHECK_WARNING, fix,
			  "cannot tell: %s/block cannot be read", sys_root);
		break;
	default:
		check_add(f, "data.encrypted_device", CHECK_WARNING, fix,
			  "DATA is on device %u:%u, which is not dm-crypt", maj, min);
		break;
	}
}
