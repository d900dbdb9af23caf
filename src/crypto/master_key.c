/* master_key.c — creating, sealing, reading and rotating the master keyring file (format in
 * the header). */
#include "crypto/master_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/wire.h"
#include "crypto/aead.h"
#include "hsm/p11.h"

#define MAGIC		"COFFERMK"
#define MAGIC_LEN	8
#define FORMAT_VERSION	2
#define KIND_PLAIN	MASTER_KIND_PLAIN
#define KIND_SEALED	MASTER_KIND_SEALED
#define KIND_PKCS11	MASTER_KIND_PKCS11
#define ROOT_LABEL	"coffer/master-root/v1"
#define ROOT_AAD_LEN	(sizeof ROOT_LABEL - 1 + 4)
#define SEALED_ROOT_LEN (P11_IV_BYTES + MASTER_KEY_BYTES + P11_TAG_BYTES)
#define TOKEN_ENTRY_MAX (4 + 1 + MASTER_TOKEN_ID_MAX + SEALED_ROOT_LEN)
#define TOKEN_FILE_MAX                                                                             \
	(HEAD_LEN + 2 + MASTER_MODULE_MAX + MASTER_TOKEN_MAX + 1 +                                 \
	 MASTER_KEYRING_MAX * TOKEN_ENTRY_MAX)
#define TOKEN_KEY_ID_LEN 16
#define SALT_BYTES	 16
#define HEAD_LEN	 (MAGIC_LEN + 2)
#define SEALED_AAD_LEN	 (HEAD_LEN + 4 + 4 + SALT_BYTES)
#define ENTRY_LEN	 (4 + MASTER_KEY_BYTES)
#define KEYRING_LEN_MAX	 (1 + MASTER_KEYRING_MAX * ENTRY_LEN)
#define FILE_LEN_MAX                                                                               \
	(SEALED_AAD_LEN + AEAD_OVERHEAD + KEYRING_LEN_MAX > TOKEN_FILE_MAX                         \
	     ? SEALED_AAD_LEN + AEAD_OVERHEAD + KEYRING_LEN_MAX                                    \
	     : TOKEN_FILE_MAX)
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
	if (kr != NULL)
		p11_close(kr->token);
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

/* The AAD of version V's root, sealed by its token key. */
static void root_aad(uint32_t v, uint8_t out[ROOT_AAD_LEN])
{
	memcpy(out, ROOT_LABEL, sizeof ROOT_LABEL - 1);
	put_u32(out + sizeof ROOT_LABEL - 1, v);
}

/* Encodes a kind-2 keyring into FILE (FILE_LEN_MAX bytes), sealing each root in the token with a
 * fresh nonce; *LEN its length. */
static enum coffer_err token_encode(const struct master_keyring *kr, uint8_t *file, size_t *len)
{
	uint8_t aad[ROOT_AAD_LEN];
	size_t mlen = strlen(kr->module), tlen = strlen(kr->token_label);
	struct wire_writer w = wire_writer_init(file + HEAD_LEN, FILE_LEN_MAX - HEAD_LEN);
	enum coffer_err err = COFFER_OK;
	if (kr->token == NULL || mlen == 0 || mlen > MASTER_MODULE_MAX || tlen == 0 ||
	    tlen > MASTER_TOKEN_MAX)
		return COFFER_ERR_INTERNAL;
	wire_put_u8(&w, (uint8_t)mlen);
	wire_put_raw(&w, kr->module, mlen);
	wire_put_u8(&w, (uint8_t)tlen);
	wire_put_raw(&w, kr->token_label, tlen);
	wire_put_u8(&w, (uint8_t)kr->count);
	for (uint32_t i = 0; err == COFFER_OK && i < kr->count; i++) {
		const struct master_key *k = &kr->keys[i];
		uint8_t sealed[SEALED_ROOT_LEN];
		randombytes_buf(sealed, P11_IV_BYTES);
		root_aad(k->version, aad);
		err = p11_encrypt(kr->token, k->token_key, sealed, aad, sizeof aad, k->key,
				  MASTER_KEY_BYTES, sealed + P11_IV_BYTES);
		wire_put_u32(&w, k->version);
		wire_put_u8(&w, k->token_key_id_len);
		wire_put_raw(&w, k->token_key_id, k->token_key_id_len);
		wire_put_raw(&w, sealed, sizeof sealed);
	}
	if (err == COFFER_OK && w.bad)
		err = COFFER_ERR_INTERNAL;
	*len = HEAD_LEN + w.len;
	return err;
}

/* Reads one u8-length-prefixed string of 1..MAX bytes into OUT (MAX + 1 bytes). */
static bool get_str(struct wire_reader *r, size_t max, char *out)
{
	size_t n = wire_get_u8(r);
	const uint8_t *p = wire_get_raw(r, n);
	if (p == NULL || n == 0 || n > max || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Parses the unsecret part of a kind-2 file: where the token is, and each version's key id and
 * sealed root (into SEALED, count × SEALED_ROOT_LEN). */
static bool token_decode(const uint8_t *f, size_t len, struct master_keyring *kr,
			 uint8_t sealed[MASTER_KEYRING_MAX][SEALED_ROOT_LEN])
{
	struct wire_reader r = wire_reader_init(f + HEAD_LEN, len - HEAD_LEN);
	if (!get_str(&r, MASTER_MODULE_MAX, kr->module) ||
	    !get_str(&r, MASTER_TOKEN_MAX, kr->token_label))
		return false;
	uint32_t count = wire_get_u8(&r);
	if (count < 1 || count > MASTER_KEYRING_MAX)
		return false;
	for (uint32_t i = 0; i < count; i++) {
		struct master_key *k = &kr->keys[i];
		k->version = wire_get_u32(&r);
		k->token_key_id_len = wire_get_u8(&r);
		const uint8_t *id = wire_get_raw(&r, k->token_key_id_len);
		const uint8_t *s = wire_get_raw(&r, SEALED_ROOT_LEN);
		if (id == NULL || s == NULL || k->token_key_id_len == 0 ||
		    k->token_key_id_len > MASTER_TOKEN_ID_MAX || k->version == 0 ||
		    (i > 0 && k->version <= kr->keys[i - 1].version))
			return false;
		memcpy(k->token_key_id, id, k->token_key_id_len);
		memcpy(sealed[i], s, SEALED_ROOT_LEN);
	}
	kr->count = count;
	kr->kind = MASTER_KIND_PKCS11;
	return wire_reader_end(&r);
}

/* Opens a kind-2 file: logs in to its token, takes a session copy of every version's key and
 * unseals the roots with them. */
static enum coffer_err token_open(const uint8_t *f, size_t len, const struct master_unlock *u,
				  struct master_keyring *kr)
{
	uint8_t aad[ROOT_AAD_LEN];
	uint8_t(*sealed)[SEALED_ROOT_LEN] = sodium_malloc(MASTER_KEYRING_MAX * SEALED_ROOT_LEN);
	enum coffer_err err = COFFER_ERR_NOMEM;
	if (sealed == NULL)
		goto out;
	err = COFFER_ERR_CRYPTO;
	if (!token_decode(f, len, kr, sealed))
		goto out;
	err = COFFER_ERR_INVALID_INPUT;
	if (u->passphrase != NULL)
		goto out;
	err = COFFER_ERR_UNAUTHENTICATED;
	if (u->pin == NULL)
		goto out;
	err = p11_open(kr->module, kr->token_label, u->pin, u->pin_len, &kr->token);
	for (uint32_t i = 0; err == COFFER_OK && i < kr->count; i++) {
		struct master_key *k = &kr->keys[i];
		err = p11_key_use(kr->token, k->token_key_id, k->token_key_id_len, &k->token_key);
		root_aad(k->version, aad);
		if (err == COFFER_OK)
			err = p11_decrypt(kr->token, k->token_key, sealed[i], aad, sizeof aad,
					  sealed[i] + P11_IV_BYTES,
					  MASTER_KEY_BYTES + P11_TAG_BYTES, k->key);
	}
out:
	sodium_free(sealed);
	return err;
}

/* Adds to KR (kind 2, token open) version VERSION: a new key object in the token and a fresh
 * root. */
static enum coffer_err token_add_version(struct master_keyring *kr, uint32_t version)
{
	struct master_key *k = &kr->keys[kr->count];
	char label[64];
	snprintf(label, sizeof label, "coffer master key v%u", (unsigned int)version);
	k->version = version;
	k->token_key_id_len = TOKEN_KEY_ID_LEN;
	randombytes_buf(k->token_key_id, TOKEN_KEY_ID_LEN);
	randombytes_buf(k->key, MASTER_KEY_BYTES);
	enum coffer_err err = p11_key_create(kr->token, k->token_key_id, TOKEN_KEY_ID_LEN, label);
	if (err == COFFER_OK)
		err = p11_key_use(kr->token, k->token_key_id, TOKEN_KEY_ID_LEN, &k->token_key);
	if (err == COFFER_OK)
		kr->count++;
	else
		sodium_memzero(k, sizeof *k);
	return err;
}

/* Writes KR to PATH: as its kind says, sealed under U's passphrase for kind 1. */
static enum coffer_err keyring_write(const char *path, const struct master_keyring *kr,
				     const struct master_unlock *u, int exclusive)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	uint8_t *ring = sodium_malloc(KEYRING_LEN_MAX);
	uint8_t *kek = sodium_malloc(AEAD_KEY_BYTES);
	uint8_t *file = sodium_malloc(FILE_LEN_MAX);
	size_t ring_len, len = 0;
	if (ring == NULL || kek == NULL || file == NULL)
		goto out;
	err = COFFER_ERR_INTERNAL;
	ring_len = keyring_encode(kr, ring);
	if (ring_len == 0)
		goto out;
	memcpy(file, MAGIC, MAGIC_LEN);
	file[MAGIC_LEN] = FORMAT_VERSION;
	file[MAGIC_LEN + 1] = (uint8_t)kr->kind;
	if (kr->kind == KIND_PKCS11) {
		err = token_encode(kr, file, &len);
		if (err != COFFER_OK)
			goto out;
	} else if (kr->kind == KIND_PLAIN) {
		memcpy(file + HEAD_LEN, ring, ring_len);
		len = HEAD_LEN + ring_len;
	} else {
		if (u->passphrase == NULL)
			goto out;
		put_u32(file + HEAD_LEN, MASTER_KEY_OPSLIMIT);
		put_u32(file + HEAD_LEN + 4, MASTER_KEY_MEMLIMIT_KIB);
		randombytes_buf(file + HEAD_LEN + 8, SALT_BYTES);
		err = derive(file, u->passphrase, u->pass_len, kek);
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
	const struct master_unlock u = {.passphrase = passphrase, .pass_len = pass_len};
	struct master_keyring *kr = keyring_alloc();
	if (kr == NULL)
		return COFFER_ERR_NOMEM;
	kr->kind = passphrase != NULL ? KIND_SEALED : KIND_PLAIN;
	kr->count = 1;
	kr->keys[0].version = 1;
	randombytes_buf(kr->keys[0].key, MASTER_KEY_BYTES);
	enum coffer_err err = keyring_write(path, kr, &u, 1);
	master_keyring_free(kr);
	return err;
}

enum coffer_err master_key_create_pkcs11(const char *path, const char *module,
					 const char *token_label, const struct master_unlock *u)
{
	size_t mlen = strlen(module), tlen = strlen(token_label);
	struct master_keyring *kr = NULL;
	enum coffer_err err = COFFER_ERR_INVALID_INPUT;
	if (mlen == 0 || mlen > MASTER_MODULE_MAX || tlen == 0 || tlen > MASTER_TOKEN_MAX ||
	    u->passphrase != NULL)
		goto out;
	err = COFFER_ERR_UNAUTHENTICATED;
	if (u->pin == NULL)
		goto out;
	err = COFFER_ERR_NOMEM;
	if ((kr = keyring_alloc()) == NULL)
		goto out;
	kr->kind = KIND_PKCS11;
	memcpy(kr->module, module, mlen + 1);
	memcpy(kr->token_label, token_label, tlen + 1);
	err = p11_open(module, token_label, u->pin, u->pin_len, &kr->token);
	if (err == COFFER_OK)
		err = token_add_version(kr, 1);
	if (err == COFFER_OK)
		err = keyring_write(path, kr, u, 1);
out:
	master_keyring_free(kr);
	return err;
}

/* Opens the file F (LEN bytes) into KR. */
static enum coffer_err keyring_open(const uint8_t *f, size_t len, const struct master_unlock *u,
				    struct master_keyring *kr)
{
	if (len < HEAD_LEN || memcmp(f, MAGIC, MAGIC_LEN) != 0 || f[MAGIC_LEN] != FORMAT_VERSION)
		return COFFER_ERR_CRYPTO;
	kr->kind = f[MAGIC_LEN + 1];
	if (f[MAGIC_LEN + 1] == KIND_PKCS11)
		return token_open(f, len, u, kr);
	if (u->pin != NULL)
		return COFFER_ERR_INVALID_INPUT;
	if (f[MAGIC_LEN + 1] == KIND_PLAIN) {
		if (u->passphrase != NULL)
			return COFFER_ERR_INVALID_INPUT;
		return keyring_decode(f + HEAD_LEN, len - HEAD_LEN, kr) ? COFFER_OK
									: COFFER_ERR_CRYPTO;
	}
	if (f[MAGIC_LEN + 1] != KIND_SEALED || len < SEALED_AAD_LEN + AEAD_OVERHEAD + 1)
		return COFFER_ERR_CRYPTO;
	if (u->passphrase == NULL)
		return COFFER_ERR_UNAUTHENTICATED;
	size_t ring_len = len - SEALED_AAD_LEN - AEAD_OVERHEAD;
	uint8_t *kek = sodium_malloc(AEAD_KEY_BYTES);
	uint8_t *ring = sodium_malloc(ring_len);
	enum coffer_err err = COFFER_ERR_NOMEM;
	if (kek == NULL || ring == NULL)
		goto out;
	err = derive(f, u->passphrase, u->pass_len, kek);
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

/* Reads PATH, checking its mode, into a fresh buffer in guarded memory. */
static enum coffer_err file_read(const char *path, char **file, size_t *len)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return COFFER_ERR_NOT_FOUND;
	if ((st.st_mode & 077) != 0)
		return COFFER_ERR_FORBIDDEN; /* readable by others: refuse rather than use it */
	enum coffer_err err = file_read_all(path, FILE_LEN_MAX, 1, file, len);
	return err == COFFER_ERR_TOO_LARGE ? COFFER_ERR_CRYPTO : err;
}

/* Reads PATH into a fresh, writable keyring. */
static enum coffer_err keyring_read(const char *path, const struct master_unlock *u,
				    struct master_keyring **out)
{
	char *file = NULL;
	size_t len = 0;
	enum coffer_err err = file_read(path, &file, &len);
	if (err != COFFER_OK)
		return err;
	struct master_keyring *kr = keyring_alloc();
	if (kr == NULL)
		err = COFFER_ERR_NOMEM;
	else
		err = keyring_open((const uint8_t *)file, len, u, kr);
	sodium_free(file);
	if (err != COFFER_OK) {
		master_keyring_free(kr);
		return err;
	}
	*out = kr;
	return COFFER_OK;
}

/* The first HEAD_LEN bytes of PATH: enough to tell the kind without reading a key. */
/* The header alone, with read(2) of exactly its length: stdio would buffer a whole block, and
 * with it an unsealed file's keys, in memory this process never wipes. */
static enum coffer_err head_read(const char *path, uint8_t head[HEAD_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? COFFER_ERR_NOT_FOUND : COFFER_ERR_IO;
	size_t n = 0;
	while (n < HEAD_LEN) {
		ssize_t got = read(fd, head + n, HEAD_LEN - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n != HEAD_LEN || memcmp(head, MAGIC, MAGIC_LEN) != 0 ||
	    head[MAGIC_LEN] != FORMAT_VERSION || head[MAGIC_LEN + 1] > KIND_PKCS11)
		return COFFER_ERR_CRYPTO;
	return COFFER_OK;
}

enum coffer_err master_key_info(const char *path, struct master_key_info *out)
{
	uint8_t head[HEAD_LEN];
	char *file = NULL;
	size_t len = 0;
	struct master_keyring *kr = NULL;
	uint8_t(*sealed)[SEALED_ROOT_LEN] = NULL;
	/* Only a kind-2 file is read whole: it holds no key in the clear. The web process calls
	 * this, and must never hold a master key. */
	enum coffer_err err = head_read(path, head);
	if (err != COFFER_OK)
		goto out;
	memset(out, 0, sizeof *out);
	out->kind = head[MAGIC_LEN + 1];
	if (out->kind != KIND_PKCS11)
		goto out;
	err = file_read(path, &file, &len);
	if (err != COFFER_OK)
		goto out;
	err = COFFER_ERR_NOMEM;
	kr = keyring_alloc();
	sealed = sodium_malloc(MASTER_KEYRING_MAX * SEALED_ROOT_LEN);
	if (kr == NULL || sealed == NULL)
		goto out;
	err = COFFER_ERR_CRYPTO;
	if (len < HEAD_LEN || !token_decode((const uint8_t *)file, len, kr, sealed))
		goto out;
	memcpy(out->module, kr->module, sizeof out->module);
	memcpy(out->token_label, kr->token_label, sizeof out->token_label);
	err = COFFER_OK;
out:
	sodium_free(sealed);
	master_keyring_free(kr);
	sodium_free(file);
	return err;
}

enum coffer_err master_key_open(const char *path, const struct master_unlock *u,
				struct master_keyring **out)
{
	struct master_keyring *kr = NULL;
	enum coffer_err err = keyring_read(path, u, &kr);
	if (err != COFFER_OK)
		return err;
	sodium_mprotect_readonly(kr);
	*out = kr;
	return COFFER_OK;
}

enum coffer_err master_key_load(const char *path, const char *passphrase, size_t pass_len,
				struct master_keyring **out)
{
	const struct master_unlock u = {.passphrase = passphrase, .pass_len = pass_len};
	return master_key_open(path, &u, out);
}

enum coffer_err master_key_rotate_with(const char *path, const struct master_unlock *u,
				       uint32_t *new_version)
{
	struct master_keyring *kr = NULL;
	enum coffer_err err = keyring_read(path, u, &kr);
	if (err != COFFER_OK)
		return err;
	uint32_t next = master_keyring_newest(kr)->version + 1;
	if (kr->count == MASTER_KEYRING_MAX || next == 0) {
		err = COFFER_ERR_TOO_LARGE;
	} else if (kr->kind == KIND_PKCS11) {
		err = token_add_version(kr, next);
	} else {
		kr->keys[kr->count].version = next;
		randombytes_buf(kr->keys[kr->count].key, MASTER_KEY_BYTES);
		kr->count++;
	}
	if (err == COFFER_OK)
		err = keyring_write(path, kr, u, 0);
	master_keyring_free(kr);
	if (err == COFFER_OK)
		*new_version = next;
	return err;
}

enum coffer_err master_key_rotate(const char *path, const char *passphrase, size_t pass_len,
				  uint32_t *new_version)
{
	const struct master_unlock u = {.passphrase = passphrase, .pass_len = pass_len};
	return master_key_rotate_with(path, &u, new_version);
}

enum coffer_err passphrase_read(const char *path, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	enum coffer_err err = strcmp(path, "-") == 0
				  ? stdin_read_all(PASSPHRASE_MAX + 2, &buf, &n)
				  : file_read_all(path, PASSPHRASE_MAX + 2, 1, &buf, &n);
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
