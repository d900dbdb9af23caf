/* format.c — a backup's header, manifest and names (see format.h). */
#include "backup/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/uuid.h"
#include "common/wire.h"

#define MANIFEST_MAGIC "CFBM"

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void backup_header_encode(const struct backup_header *h, uint8_t out[BACKUP_HEADER_BYTES])
{
	uint64_t t = (uint64_t)h->time;
	memcpy(out, BACKUP_MAGIC, 8);
	out[8] = BACKUP_FORMAT_VERSION;
	out[9] = 0;
	put_u32(out + 10, h->master_version);
	put_u32(out + 14, (uint32_t)(t >> 32));
	put_u32(out + 18, (uint32_t)t);
	memcpy(out + 22, h->salt, BACKUP_SALT_BYTES);
}

bool backup_header_decode(const uint8_t in[BACKUP_HEADER_BYTES], struct backup_header *out)
{
	if (memcmp(in, BACKUP_MAGIC, 8) != 0 || in[8] != BACKUP_FORMAT_VERSION || in[9] != 0)
		return false;
	out->master_version = get_u32(in + 10);
	out->time = (int64_t)((uint64_t)get_u32(in + 14) << 32 | get_u32(in + 18));
	memcpy(out->salt, in + 22, BACKUP_SALT_BYTES);
	return out->master_version >= 1 && out->time >= 0;
}

void backup_context(const struct backup_header *h, uint8_t out[BACKUP_CONTEXT_BYTES])
{
	size_t label = sizeof BACKUP_CONTEXT_LABEL - 1;
	memcpy(out, BACKUP_CONTEXT_LABEL, label);
	backup_header_encode(h, out + label);
}

static bool file_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* "<uuid>/REST": the uuid checked, *REST set. */
static bool uuid_then(const char *s, const char **rest)
{
	char id[UUID_TEXT_LEN + 1];
	if (strlen(s) <= UUID_TEXT_LEN || s[UUID_TEXT_LEN] != '/')
		return false;
	memcpy(id, s, UUID_TEXT_LEN);
	id[UUID_TEXT_LEN] = '\0';
	*rest = s + UUID_TEXT_LEN + 1;
	return uuid_valid(id);
}

bool backup_member_name_ok(const char *name)
{
	static const char *const fixed[] = {"system.db", "coffer.conf", "audit.checkpoint",
					    "secrets"};
	const char *rest;
	if (strlen(name) > BACKUP_MEMBER_NAME_MAX)
		return false;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		if (strcmp(name, fixed[i]) == 0)
			return true;
	}
	if (strncmp(name, "tls/", 4) == 0)
		return file_name_ok(name + 4);
	if (strncmp(name, "orgs/", 5) != 0 || !uuid_then(name + 5, &rest))
		return false;
	if (strcmp(rest, "org.db") == 0)
		return true;
	return strncmp(rest, "blobs/", 6) == 0 && strlen(rest + 6) == UUID_TEXT_LEN &&
	       uuid_valid(rest + 6);
}

enum coffer_err backup_manifest_add(struct backup_manifest *m, const struct backup_member *member)
{
	if (!backup_member_name_ok(member->name))
		return COFFER_ERR_INVALID_INPUT;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct backup_member *grown = realloc(m->members, cap * sizeof *grown);
		if (grown == NULL)
			return COFFER_ERR_NOMEM;
		m->members = grown;
		m->cap = cap;
	}
	m->members[m->n++] = *member;
	return COFFER_OK;
}

void backup_manifest_free(struct backup_manifest *m)
{
	free(m->members);
	*m = (struct backup_manifest){0};
}

uint64_t backup_manifest_bytes(const struct backup_manifest *m)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < m->n; i++)
		sum += m->members[i].size;
	return sum;
}

size_t backup_manifest_encoded_len(const struct backup_manifest *m)
{
	uint64_t len = 4 + 4;
	for (size_t i = 0; i < m->n; i++)
		len += 2 + strlen(m->members[i].name) + 8 + BACKUP_DIGEST_BYTES;
	return len <= BACKUP_MANIFEST_MAX && m->n <= UINT32_MAX ? (size_t)len : 0;
}

void backup_manifest_encode(const struct backup_manifest *m, uint8_t *out, size_t len)
{
	struct wire_writer w = wire_writer_init(out, len);
	wire_put_raw(&w, MANIFEST_MAGIC, 4);
	wire_put_u32(&w, (uint32_t)m->n);
	for (size_t i = 0; i < m->n; i++) {
		wire_put_str(&w, m->members[i].name);
		wire_put_u64(&w, m->members[i].size);
		wire_put_raw(&w, m->members[i].sha256, BACKUP_DIGEST_BYTES);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether two members of M share a name. */
static enum coffer_err has_duplicates(const struct backup_manifest *m, bool *dup)
{
	const char **names = malloc((m->n ? m->n : 1) * sizeof *names);
	if (names == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < m->n; i++)
		names[i] = m->members[i].name;
	qsort(names, m->n, sizeof *names, by_name);
	*dup = false;
	for (size_t i = 1; i < m->n && !*dup; i++)
		*dup = strcmp(names[i - 1], names[i]) == 0;
	free(names);
	return COFFER_OK;
}

enum coffer_err backup_manifest_decode(const uint8_t *in, size_t len, struct backup_manifest *out)
{
	struct wire_reader r = wire_reader_init(in, len);
	const uint8_t *magic = wire_get_raw(&r, 4);
	uint32_t count = wire_get_u32(&r);
	enum coffer_err err = COFFER_OK;
	*out = (struct backup_manifest){0};
	/* Each member takes at least 2 + 1 + 8 + 32 bytes: a count beyond that is a lie. */
	if (r.bad || memcmp(magic, MANIFEST_MAGIC, 4) != 0 || count > len / 43)
		return COFFER_ERR_CRYPTO;
	for (uint32_t i = 0; i < count && err == COFFER_OK; i++) {
		struct backup_member mb;
		wire_get_str(&r, mb.name, BACKUP_MEMBER_NAME_MAX);
		mb.size = wire_get_u64(&r);
		const uint8_t *digest = wire_get_raw(&r, BACKUP_DIGEST_BYTES);
		if (digest != NULL)
			memcpy(mb.sha256, digest, BACKUP_DIGEST_BYTES);
		if (r.bad)
			err = COFFER_ERR_CRYPTO;
		else
			err = backup_manifest_add(out, &mb);
		if (err == COFFER_ERR_INVALID_INPUT)
			err = COFFER_ERR_CRYPTO;
	}
	bool dup = false;
	if (err == COFFER_OK && !wire_reader_end(&r))
		err = COFFER_ERR_CRYPTO;
	if (err == COFFER_OK)
		err = has_duplicates(out, &dup);
	if (err == COFFER_OK && dup)
		err = COFFER_ERR_CRYPTO;
	if (err != COFFER_OK)
		backup_manifest_free(out);
	return err;
}

void backup_file_name(int64_t t, char *out)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	char stamp[17];
	if (strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) != 16)
		memcpy(stamp, "00000000T000000Z", sizeof stamp); /* a year beyond 9999 */
	memcpy(out, BACKUP_PREFIX, sizeof BACKUP_PREFIX - 1);
	memcpy(out + sizeof BACKUP_PREFIX - 1, stamp, 16);
	memcpy(out + sizeof BACKUP_PREFIX - 1 + 16, BACKUP_SUFFIX, sizeof BACKUP_SUFFIX);
}

bool backup_file_name_parse(const char *name, int64_t *t)
{
	struct tm tm = {0};
	char check[BACKUP_FILE_NAME_LEN + 1];
	const char *p = name + sizeof BACKUP_PREFIX - 1;
	if (strlen(name) != BACKUP_FILE_NAME_LEN ||
	    strncmp(name, BACKUP_PREFIX, sizeof BACKUP_PREFIX - 1) != 0)
		return false;
	if (sscanf(p, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t tt = timegm(&tm);
	if (tt < 0)
		return false;
	/* Only the exact spelling this program writes: no signs, spaces or out-of-range fields. */
	backup_file_name((int64_t)tt, check);
	if (strcmp(check, name) != 0)
		return false;
	*t = (int64_t)tt;
	return true;
}
