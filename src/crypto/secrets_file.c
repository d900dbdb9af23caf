/* secrets_file.c — DATA/secrets, sealed and opened (secrets_file.h). */
#include "crypto/secrets_file.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/wire.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"

#define MAGIC	    "COFFERSC"
#define MAGIC_LEN   8
#define FORMAT	    1
#define ENTRY_MAX   (2 + SECRET_NAME_MAX + 8 + 2 + SECRET_VALUE_MAX)
#define ENTRIES_MAX (1 + SECRETS_MAX * ENTRY_MAX)

static const char *const defined[] = {SECRET_PG_PASSWORD, SECRET_S3_SECRET_ACCESS_KEY};

bool secret_name_defined(const char *name)
{
	for (size_t i = 0; i < sizeof defined / sizeof defined[0]; i++) {
		if (strcmp(name, defined[i]) == 0)
			return true;
	}
	return false;
}

const char *secret_names_defined(void)
{
	return SECRET_PG_PASSWORD ", " SECRET_S3_SECRET_ACCESS_KEY;
}

/* 1..SECRET_NAME_MAX bytes of [a-z0-9_]: safe to print, and one spelling per name. */
static bool name_ok(const char *name)
{
	size_t n = strnlen(name, SECRET_NAME_MAX + 1);
	if (n == 0 || n > SECRET_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

enum coffer_err secrets_new(struct secrets **out)
{
	struct secrets *s = sodium_malloc(sizeof *s);
	if (s == NULL)
		return COFFER_ERR_NOMEM;
	sodium_memzero(s, sizeof *s);
	*out = s;
	return COFFER_OK;
}

void secrets_wipe(struct secrets *s)
{
	if (s != NULL)
		sodium_memzero(s, sizeof *s);
}

void secrets_free(struct secrets *s)
{
	sodium_free(s); /* wipes as it frees */
}

const struct secret *secrets_find(const struct secrets *s, const char *name)
{
	for (uint32_t i = 0; i < s->count; i++) {
		if (strcmp(s->items[i].name, name) == 0)
			return &s->items[i];
	}
	return NULL;
}

enum coffer_err secrets_put(struct secrets *s, const char *name, const uint8_t *value, size_t len,
			    int64_t set_at)
{
	if (!name_ok(name) || len == 0 || len > SECRET_VALUE_MAX || memchr(value, '\0', len))
		return COFFER_ERR_INVALID_INPUT;
	uint32_t at = 0;
	while (at < s->count && strcmp(s->items[at].name, name) < 0)
		at++;
	if (at == s->count || strcmp(s->items[at].name, name) != 0) {
		if (s->count == SECRETS_MAX)
			return COFFER_ERR_TOO_LARGE;
		memmove(&s->items[at + 1], &s->items[at], (s->count - at) * sizeof s->items[0]);
		s->count++;
	}
	struct secret *e = &s->items[at];
	sodium_memzero(e, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	memcpy(e->value, value, len);
	e->len = len;
	e->set_at = set_at;
	return COFFER_OK;
}

bool secrets_remove(struct secrets *s, const char *name)
{
	for (uint32_t i = 0; i < s->count; i++) {
		if (strcmp(s->items[i].name, name) != 0)
			continue;
		memmove(&s->items[i], &s->items[i + 1], (s->count - i - 1) * sizeof s->items[0]);
		s->count--;
		sodium_memzero(&s->items[s->count], sizeof s->items[0]);
		return true;
	}
	return false;
}

enum coffer_err secrets_entries_decode(const uint8_t *in, size_t len, struct secrets *out)
{
	struct wire_reader r = wire_reader_init(in, len);
	sodium_memzero(out, sizeof *out);
	uint8_t count = wire_get_u8(&r);
	bool ok = !r.bad && count <= SECRETS_MAX;
	for (uint32_t i = 0; ok && i < count; i++) {
		struct secret *e = &out->items[i];
		wire_get_str(&r, e->name, SECRET_NAME_MAX);
		e->set_at = (int64_t)wire_get_u64(&r);
		wire_get_str(&r, (char *)e->value, SECRET_VALUE_MAX);
		e->len = strlen((const char *)e->value);
		/* Sorted and unique: one encoding per set. */
		ok = !r.bad && name_ok(e->name) && e->set_at >= 0 &&
		     (i == 0 || strcmp(out->items[i - 1].name, e->name) < 0);
	}
	if (!ok || !wire_reader_end(&r)) {
		sodium_memzero(out, sizeof *out);
		return COFFER_ERR_CRYPTO;
	}
	out->count = count;
	return COFFER_OK;
}

static void header(uint8_t h[SECRETS_HEADER_LEN], uint32_t version)
{
	memcpy(h, MAGIC, MAGIC_LEN);
	h[8] = FORMAT;
	h[9] = (uint8_t)(version >> 24);
	h[10] = (uint8_t)(version >> 16);
	h[11] = (uint8_t)(version >> 8);
	h[12] = (uint8_t)version;
}

static enum coffer_err file_key(const struct master_key *mk, uint8_t key[AEAD_KEY_BYTES])
{
	return kdf_derive(mk->key, MASTER_KEY_BYTES, SECRETS_KEY_LABEL, key, AEAD_KEY_BYTES);
}

enum coffer_err secrets_seal(const struct master_keyring *ring, const struct secrets *s,
			     uint8_t **out, size_t *len)
{
	const struct master_key *mk = master_keyring_newest(ring);
	uint8_t *plain = sodium_malloc(ENTRIES_MAX);
	uint8_t *key = sodium_malloc(AEAD_KEY_BYTES);
	uint8_t *file = NULL;
	enum coffer_err err = plain != NULL && key != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	struct wire_writer w = wire_writer_init(plain, ENTRIES_MAX);
	if (err == COFFER_OK && s->count > SECRETS_MAX)
		err = COFFER_ERR_TOO_LARGE;
	if (err == COFFER_OK) {
		wire_put_u8(&w, (uint8_t)s->count);
		for (uint32_t i = 0; i < s->count; i++) {
			wire_put_str(&w, s->items[i].name);
			wire_put_u64(&w, (uint64_t)s->items[i].set_at);
			wire_put_bytes(&w, s->items[i].value, s->items[i].len);
		}
		if (w.bad)
			err = COFFER_ERR_INTERNAL;
	}
	if (err == COFFER_OK)
		err = file_key(mk, key);
	size_t total = SECRETS_HEADER_LEN + w.len + AEAD_OVERHEAD;
	if (err == COFFER_OK && (file = malloc(total)) == NULL)
		err = COFFER_ERR_NOMEM;
	if (err == COFFER_OK) {
		header(file, mk->version);
		err = aead_seal(key, file, SECRETS_HEADER_LEN, plain, w.len,
				file + SECRETS_HEADER_LEN);
	}
	sodium_free(plain);
	sodium_free(key);
	if (err != COFFER_OK) {
		free(file);
		return err;
	}
	*out = file;
	*len = total;
	return COFFER_OK;
}

enum coffer_err secrets_open(const struct master_keyring *ring, const uint8_t *in, size_t len,
			     struct secrets **out, uint32_t *version)
{
	if (len < SECRETS_HEADER_LEN + AEAD_OVERHEAD + 1 || len > SECRETS_FILE_MAX ||
	    memcmp(in, MAGIC, MAGIC_LEN) != 0 || in[8] != FORMAT)
		return COFFER_ERR_CRYPTO;
	uint32_t v = (uint32_t)in[9] << 24 | (uint32_t)in[10] << 16 | (uint32_t)in[11] << 8 |
		     (uint32_t)in[12];
	const struct master_key *mk = master_keyring_find(ring, v);
	if (mk == NULL)
		return COFFER_ERR_NOT_FOUND;
	size_t plain_len = len - SECRETS_HEADER_LEN - AEAD_OVERHEAD;
	uint8_t *plain = sodium_malloc(plain_len);
	uint8_t *key = sodium_malloc(AEAD_KEY_BYTES);
	struct secrets *s = NULL;
	enum coffer_err err = plain != NULL && key != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	if (err == COFFER_OK)
		err = file_key(mk, key);
	if (err == COFFER_OK)
		err = aead_open(key, in, SECRETS_HEADER_LEN, in + SECRETS_HEADER_LEN,
				len - SECRETS_HEADER_LEN, plain);
	if (err == COFFER_OK)
		err = secrets_new(&s);
	if (err == COFFER_OK)
		err = secrets_entries_decode(plain, plain_len, s);
	sodium_free(plain);
	sodium_free(key);
	if (err != COFFER_OK) {
		secrets_free(s);
		return err;
	}
	if (version != NULL)
		*version = v;
	*out = s;
	return COFFER_OK;
}

static enum coffer_err file_path(const char *data_dir, char path[PATH_MAX])
{
	return snprintf(path, PATH_MAX, "%s/%s", data_dir, SECRETS_FILE) < PATH_MAX
		   ? COFFER_OK
		   : COFFER_ERR_INVALID_INPUT;
}

enum coffer_err secrets_load(const char *data_dir, const struct master_keyring *ring,
			     struct secrets **out)
{
	char path[PATH_MAX];
	struct stat st;
	char *file = NULL;
	size_t len = 0;
	enum coffer_err err = file_path(data_dir, path);
	if (err != COFFER_OK)
		return err;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? secrets_new(out) : COFFER_ERR_IO;
	/* The values are sealed, but a file others may write is one others may replace. */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		return COFFER_ERR_FORBIDDEN;
	err = file_read_all(path, SECRETS_FILE_MAX, 0, &file, &len);
	if (err == COFFER_ERR_TOO_LARGE)
		err = COFFER_ERR_CRYPTO;
	else if (err != COFFER_OK)
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		err = secrets_open(ring, (const uint8_t *)file, len, out, NULL);
	free(file);
	return err;
}

enum coffer_err secrets_save(const char *data_dir, const struct master_keyring *ring,
			     const struct secrets *s)
{
	char path[PATH_MAX];
	uint8_t *file = NULL;
	size_t len = 0;
	enum coffer_err err = file_path(data_dir, path);
	if (err == COFFER_OK)
		err = secrets_seal(ring, s, &file, &len);
	if (err == COFFER_OK)
		err = file_write_atomic(path, file, len, 0600, 0);
	free(file);
	return err;
}
