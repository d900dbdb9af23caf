/* master_key.c — creating and reading the master key file. */
#include "crypto/master_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"

#define MAGIC "COFFERMK"
#define MAGIC_LEN 8
#define FORMAT_VERSION 1
#define KIND_PLAIN 0
#define FILE_LEN (MAGIC_LEN + 2 + MASTER_KEY_BYTES)

enum coffer_err master_key_create(const char *path)
{
	unsigned char *file = sodium_malloc(FILE_LEN);
	if (file == NULL)
		return COFFER_ERR_NOMEM;
	memcpy(file, MAGIC, MAGIC_LEN);
	file[MAGIC_LEN] = FORMAT_VERSION;
	file[MAGIC_LEN + 1] = KIND_PLAIN;
	randombytes_buf(file + MAGIC_LEN + 2, MASTER_KEY_BYTES);
	enum coffer_err err = file_write_atomic(path, file, FILE_LEN, 0600, 1);
	sodium_free(file); /* wipes */
	return err;
}

enum coffer_err master_key_load(const char *path, unsigned char **key)
{
	struct stat st;
	char *file = NULL;
	size_t len = 0;
	enum coffer_err err;

	if (stat(path, &st) != 0)
		return COFFER_ERR_NOT_FOUND;
	if ((st.st_mode & 077) != 0)
		return COFFER_ERR_FORBIDDEN; /* readable by others: refuse rather than use it */
	err = file_read_all(path, FILE_LEN, 1, &file, &len);
	if (err != COFFER_OK)
		return err;
	if (len != FILE_LEN || memcmp(file, MAGIC, MAGIC_LEN) != 0 ||
	    file[MAGIC_LEN] != FORMAT_VERSION || file[MAGIC_LEN + 1] != KIND_PLAIN) {
		sodium_free(file);
		return COFFER_ERR_CRYPTO;
	}
	unsigned char *k = sodium_malloc(MASTER_KEY_BYTES);
	if (k == NULL) {
		sodium_free(file);
		return COFFER_ERR_NOMEM;
	}
	memcpy(k, file + MAGIC_LEN + 2, MASTER_KEY_BYTES);
	sodium_free(file);
	sodium_mprotect_readonly(k);
	*key = k;
	return COFFER_OK;
}
