/* master_key.c — creating, sealing, reading and rotating the master keyring file (format in
 * the header). */
#include "crypto/master_key.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/wire.h"
#include "crypto/aead.h"

#define MAGIC		"COFFERMK"
#define MAGIC_LEN	8
#define FORMAT_VERSION	2
#define KIND_PLAIN	0
#define KIND_SEALED	1
#define SALT_BYTES	16
#define HEAD_LEN	(MAGIC_LEN + 2)
#define SEALED_AAD_LEN	(HEAD_LEN + 4 + 4 + SALT_BYTES)
#define ENTRY_LEN	(4 + MASTER_KEY_BYTES)
#define KEYRING_LEN_MAX (1 + MASTER_KEYRING_MAX * ENTRY_LEN)
#define FILE_LEN_MAX	(SEALED_AAD_LEN + AEAD_OVERHEAD + KEYRING_LEN_MAX)
/* Bounds on the stored cost, so a damaged file cannot make start-up take forever. */
#define OPSLIMIT_MAX	 16u
#define MEMLIMIT_KIB_MIN (8u * 1024u)
#define MEMLIMIT_KIB_MAX (4u * 1024u * 1024u)

static struct master_keyring *keyring_alloc(void)
{
	struct master_keyring *kr = sodium_malloc(sizeof *kr);
	if (kr != NULL)
		memset(kr, 0, sizeof *kr);
	return kr;
}

void master_keyring_free(struct master_keyring *kr)
{
	sodium_free(kr); /* wipes before it frees, read-only or not */
}

const struct master_key *master_keyring_find(const struct master_keyring *kr, uint32_t version)
{
	for (uint32_t i = 0; i < kr->count; i++) {
		if (kr->keys[i].version == version)
			return &kr->keys[i];
	}
	return NULL;
}

const struct master_key *master_keyring_newest(const struct master_keyring *kr)
{
	return kr->count > 0 ? &kr->keys[kr->count - 1] : NULL;
}

static size_t keyring_encode(const struct master_keyring *kr, uint8_t out[KEYRING_LEN_MAX])
{
	struct wire_writer w = wire_writer_init(out, KEYRING_LEN_MAX);
	wire_put_u8(&w, (uint8_t)kr->count);
	for (uint32_t i = 0; i < kr->count; i++) {
		wire_put_u32(&w, kr->keys[i].version);
		wire_put_raw(&w, kr->keys[i].key, MASTER_KEY_BYTES);
	}
	return w.bad ? 0 : w.len;
}

static bool keyring_decode(const uint8_t *in, size_t len, struct master_keyring *kr)
{
	struct wire_reader r = wire_reader_init(in, len);
	uint32_t count = wire_get_u8(&r);
	if (count < 1 || count > MASTER_KEYRING_MAX)
		return false;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t v = wire_get_u32(&r);
		const uint8_t *key = wire_get_raw(&r, MASTER_KEY_BYTES);
		if (key == NULL || v == 0 || (i > 0 && v <= kr->keys[i - 1].version))
			return false;
		kr->keys[i].version = v;
		memcpy(kr->keys[i].key, key, MASTER_KEY_BYTES);
	}
	kr->count = count;
	return wire_reader_end(&r);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	struct wire_writer w = wire_writer_init(p, 4);
	wire_put_u32(&w, v);
}

static uint32_t get_u32(const uint8_t *p)
{
	struct wire_reader r = wire_reader_init(p, 4);
	return wire_get_u32(&r);
}

/* Derives the sealing key from the passphrase with the parameters stored in HEADER. */
static enum coffer_err derive(const uint8_t *header, const char *pass, size_t pass_len,
			      uint8_t *kek)
{
	uint32_t ops = get_u32(header + HEAD_LEN);
	uint32_t mem_kib = get_u32(header + HEAD_LEN + 4);
	if (ops < 1 || ops > OPSLIMIT_MAX || mem_kib < MEMLIMIT_KIB_MIN ||
	    mem_kib > MEMLIMIT_KIB_MAX)
		return COFFER_ERR_CRYPTO;
	if (crypto_pwhash(kek, AEAD_KEY_BYTES, pass, pass_len, header + HEAD_LEN + 8, ops,
			  (size_t)mem_kib * 1024u, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return COFFER_ERR_NOMEM; /* libsodium fails only when it cannot get the memory */
	return COFFER_OK;
}

/* Writes KR to PATH, sealed under PASSPHRASE when it is not NULL. */
static enum coffer_err keyring_write(const char *path, const struct master_keyring *kr,
				     const char *passphrase, size_t pass_len, int exclusive)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	uint8_t *ring = sodium_malloc(KEYRING_LEN_MAX);
	uint8_t *kek = sodium_malloc(AEAD_KEY_BYTES);
	uint8_t *file = sodium_malloc(FILE_LEN_MAX);
	size_t ring_len, len;
	if (ring == NULL || kek == NULL || file == NULL)
		goto out;
	err = COFFER_ERR_INTERNAL;
	ring_len = keyring_encode(kr, ring);
	if (ring_len == 0)
		goto out;
	memcpy(file, MAGIC, MAGIC_LEN);
	file[MAGIC_LEN] = FORMAT_VERSION;
	if (passphrase == NULL) {
		file[MAGIC_LEN + 1] = KIND_PLAIN;
		memcpy(file + HEAD_LEN, ring, ring_len);
		len = HEAD_LEN + ring_len;
	} else {
		file[MAGIC_LEN + 1] = KIND_SEALED;
		put_u32(file + HEAD_LEN, MASTER_KEY_OPSLIMIT);
		put_u32(file + HEAD_LEN + 4, MASTER_KEY_MEMLIMIT_KIB);
		randombytes_buf(file + HEAD_LEN + 8, SALT_BYTES);
		err = derive(file, passphrase, pass_len, kek);
		if (err != COFFER_OK)
			goto out;
		err = aead_seal(kek, file, SEALED_AAD_LEN, ring, ring_len, file + SEALED_AAD_LEN);
		if (err != COFFER_OK)
			goto out;
		len = SEALED_AAD_LEN + AEAD_OVERHEAD + ring_len;
	}
	err = file_write_atomic(path, file, len, 0600, exclusive);
out:
	sodium_free(file);
	sodium_free(kek);
	sodium_free(ring);
	return err;
}

enum coffer_err master_key_create(const char *path, const char *passphrase, size_t pass_len)
{
	struct master_keyring *kr = keyring_alloc();
	if (kr == NULL)
		return COFFER_ERR_NOMEM;
	kr->count = 1;
	kr->keys[0].version = 1;
	randombytes_buf(kr->keys[0].key, MASTER_KEY_BYTES);
	enum coffer_err err = keyring_write(path, kr, passphrase, pass_len, 1);
	master_keyring_free(kr);
	return err;
}

/* Opens the file F (LEN bytes) into KR. */
static enum coffer_err keyring_open(const uint8_t *f, size_t len, const char *passphrase,
				    size_t pass_len, struct master_keyring *kr)
{
	if (len < HEAD_LEN || memcmp(f, MAGIC, MAGIC_LEN) != 0 || f[MAGIC_LEN] != FORMAT_VERSION)
		return COFFER_ERR_CRYPTO;
	if (f[MAGIC_LEN + 1] == KIND_PLAIN) {
		if (passphrase != NULL)
			return COFFER_ERR_INVALID_INPUT;
		return keyring_decode(f + HEAD_LEN, len - HEAD_LEN, kr) ? COFFER_OK
									: COFFER_ERR_CRYPTO;
	}
	if (f[MAGIC_LEN + 1] != KIND_SEALED || len < SEALED_AAD_LEN + AEAD_OVERHEAD + 1)
		return COFFER_ERR_CRYPTO;
	if (passphrase == NULL)
		return COFFER_ERR_UNAUTHENTICATED;
	size_t ring_len = len - SEALED_AAD_LEN - AEAD_OVERHEAD;
	uint8_t *kek = sodium_malloc(AEAD_KEY_BYTES);
	uint8_t *ring = sodium_malloc(ring_len);
	enum coffer_err err = COFFER_ERR_NOMEM;
	if (kek == NULL || ring == NULL)
		goto out;
	err = derive(f, passphrase, pass_len, kek);
	if (err != COFFER_OK)
		goto out;
	if (aead_open(kek, f, SEALED_AAD_LEN, f + SEALED_AAD_LEN, len - SEALED_AAD_LEN, ring) !=
	    COFFER_OK)
		err = COFFER_ERR_INVALID_CREDENTIALS;
	else if (!keyring_decode(ring, ring_len, kr))
		err = COFFER_ERR_CRYPTO;
out:
	sodium_free(ring);
	sodium_free(kek);
	return err;
}

/* Reads PATH into a fresh, writable keyring. */
static enum coffer_err keyring_read(const char *path, const char *passphrase, size_t pass_len,
				    struct master_keyring **out)
{
	struct stat st;
	char *file = NULL;
	size_t len = 0;
	if (stat(path, &st) != 0)
		return COFFER_ERR_NOT_FOUND;
	if ((st.st_mode & 077) != 0)
		return COFFER_ERR_FORBIDDEN; /* readable by others: refuse rather than use it */
	enum coffer_err err = file_read_all(path, FILE_LEN_MAX, 1, &file, &len);
	if (err != COFFER_OK)
		return err == COFFER_ERR_TOO_LARGE ? COFFER_ERR_CRYPTO : err;
	struct master_keyring *kr = keyring_alloc();
	if (kr == NULL)
		err = COFFER_ERR_NOMEM;
	else
		err = keyring_open((const uint8_t *)file, len, passphrase, pass_len, kr);
	sodium_free(file);
	if (err != COFFER_OK) {
		master_keyring_free(kr);
		return err;
	}
	*out = kr;
	return COFFER_OK;
}

enum coffer_err master_key_load(const char *path, const char *passphrase, size_t pass_len,
				struct master_keyring **out)
{
	struct master_keyring *kr = NULL;
	enum coffer_err err = keyring_read(path, passphrase, pass_len, &kr);
	if (err != COFFER_OK)
		return err;
	sodium_mprotect_readonly(kr);
	*out = kr;
	return COFFER_OK;
}

enum coffer_err master_key_rotate(const char *path, const char *passphrase, size_t pass_len,
				  uint32_t *new_version)
{
	struct master_keyring *kr = NULL;
	enum coffer_err err = keyring_read(path, passphrase, pass_len, &kr);
	if (err != COFFER_OK)
		return err;
	uint32_t next = master_keyring_newest(kr)->version + 1;
	if (kr->count == MASTER_KEYRING_MAX || next == 0) {
		err = COFFER_ERR_TOO_LARGE;
	} else {
		kr->keys[kr->count].version = next;
		randombytes_buf(kr->keys[kr->count].key, MASTER_KEY_BYTES);
		kr->count++;
		err = keyring_write(path, kr, passphrase, pass_len, 0);
	}
	master_keyring_free(kr);
	if (err == COFFER_OK)
		*new_version = next;
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
