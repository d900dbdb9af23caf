/* master_key.c — creating, sealing and reading the master key file (format in the header). */
#include "crypto/master_key.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "crypto/aead.h"

#define MAGIC "COFFERMK"
#define MAGIC_LEN 8
#define FORMAT_VERSION 1
#define KIND_PLAIN 0
#define KIND_SEALED 1
#define SALT_BYTES 16
#define PLAIN_LEN (MAGIC_LEN + 2 + MASTER_KEY_BYTES)
#define SEALED_AAD_LEN (MAGIC_LEN + 2 + 4 + 4 + SALT_BYTES)
#define SEALED_LEN (SEALED_AAD_LEN + AEAD_OVERHEAD + MASTER_KEY_BYTES)
/* Bounds on the stored cost, so a damaged file cannot make start-up take forever. */
#define OPSLIMIT_MAX 16u
#define MEMLIMIT_KIB_MIN (8u * 1024u)
#define MEMLIMIT_KIB_MAX (4u * 1024u * 1024u)

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Derives the sealing key from the passphrase with the parameters stored in HEADER. */
static enum coffer_err derive(const unsigned char *header, const char *pass, size_t pass_len,
			      unsigned char *kek)
{
	uint32_t ops = get_u32(header + MAGIC_LEN + 2);
	uint32_t mem_kib = get_u32(header + MAGIC_LEN + 6);
	if (ops < 1 || ops > OPSLIMIT_MAX || mem_kib < MEMLIMIT_KIB_MIN || mem_kib > MEMLIMIT_KIB_MAX)
		return COFFER_ERR_CRYPTO;
	if (crypto_pwhash(kek, AEAD_KEY_BYTES, pass, pass_len, header + MAGIC_LEN + 10, ops,
			  (size_t)mem_kib * 1024u, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return COFFER_ERR_NOMEM; /* libsodium fails only when it cannot get the memory */
	return COFFER_OK;
}

enum coffer_err master_key_create(const char *path, const char *passphrase, size_t pass_len)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	unsigned char *key = sodium_malloc(MASTER_KEY_BYTES);
	unsigned char *kek = sodium_malloc(AEAD_KEY_BYTES);
	unsigned char *file = sodium_malloc(SEALED_LEN);
	size_t len;
	if (key == NULL || kek == NULL || file == NULL)
		goto out;
	randombytes_buf(key, MASTER_KEY_BYTES);
	memcpy(file, MAGIC, MAGIC_LEN);
	file[MAGIC_LEN] = FORMAT_VERSION;
	if (passphrase == NULL) {
		file[MAGIC_LEN + 1] = KIND_PLAIN;
		memcpy(file + MAGIC_LEN + 2, key, MASTER_KEY_BYTES);
		len = PLAIN_LEN;
	} else {
		file[MAGIC_LEN + 1] = KIND_SEALED;
		put_u32(file + MAGIC_LEN + 2, MASTER_KEY_OPSLIMIT);
		put_u32(file + MAGIC_LEN + 6, MASTER_KEY_MEMLIMIT_KIB);
		randombytes_buf(file + MAGIC_LEN + 10, SALT_BYTES);
		err = derive(file, passphrase, pass_len, kek);
		if (err != COFFER_OK)
			goto out;
		err = aead_seal(kek, file, SEALED_AAD_LEN, key, MASTER_KEY_BYTES,
				file + SEALED_AAD_LEN);
		if (err != COFFER_OK)
			goto out;
		len = SEALED_LEN;
	}
	err = file_write_atomic(path, file, len, 0600, 1);
out:
	/* sodium_free wipes before it frees. */
	sodium_free(file);
	sodium_free(kek);
	sodium_free(key);
	return err;
}

enum coffer_err master_key_load(const char *path, const char *passphrase, size_t pass_len,
				unsigned char **key)
{
	struct stat st;
	char *file = NULL;
	unsigned char *k = NULL, *kek = NULL;
	size_t len = 0;
	enum coffer_err err;

	if (stat(path, &st) != 0)
		return COFFER_ERR_NOT_FOUND;
	if ((st.st_mode & 077) != 0)
		return COFFER_ERR_FORBIDDEN; /* readable by others: refuse rather than use it */
	err = file_read_all(path, SEALED_LEN, 1, &file, &len);
	if (err != COFFER_OK)
		return err == COFFER_ERR_TOO_LARGE ? COFFER_ERR_CRYPTO : err;
	const unsigned char *f = (const unsigned char *)file;
	err = COFFER_ERR_CRYPTO;
	if (len < MAGIC_LEN + 2 || memcmp(f, MAGIC, MAGIC_LEN) != 0 || f[MAGIC_LEN] != FORMAT_VERSION)
		goto out;
	k = sodium_malloc(MASTER_KEY_BYTES);
	if (k == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	if (f[MAGIC_LEN + 1] == KIND_PLAIN && len == PLAIN_LEN) {
		if (passphrase != NULL) {
			err = COFFER_ERR_INVALID_INPUT;
			goto out;
		}
		memcpy(k, f + MAGIC_LEN + 2, MASTER_KEY_BYTES);
	} else if (f[MAGIC_LEN + 1] == KIND_SEALED && len == SEALED_LEN) {
		if (passphrase == NULL) {
			err = COFFER_ERR_UNAUTHENTICATED;
			goto out;
		}
		kek = sodium_malloc(AEAD_KEY_BYTES);
		if (kek == NULL) {
			err = COFFER_ERR_NOMEM;
			goto out;
		}
		err = derive(f, passphrase, pass_len, kek);
		if (err != COFFER_OK)
			goto out;
		if (aead_open(kek, f, SEALED_AAD_LEN, f + SEALED_AAD_LEN, len - SEALED_AAD_LEN, k) !=
		    COFFER_OK) {
			err = COFFER_ERR_INVALID_CREDENTIALS;
			goto out;
		}
	} else {
		goto out;
	}
	sodium_mprotect_readonly(k);
	*key = k;
	k = NULL;
	err = COFFER_OK;
out:
	sodium_free(kek);
	sodium_free(k);
	sodium_free(file);
	return err;
}

enum coffer_err passphrase_read(const char *path, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	enum coffer_err err = file_read_all(path, PASSPHRASE_MAX + 2, 1, &buf, &n);
	if (err != COFFER_OK)
		return err;
	/* One trailing newline is the editor's, not the passphrase's. */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0 || n > PASSPHRASE_MAX) {
		sodium_free(buf);
		return COFFER_ERR_INVALID_INPUT;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return COFFER_OK;
}
