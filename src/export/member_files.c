/* member_files.c — a file's member, files/<its own name>: the content opened one 64 KiB
 * segment at a time (crypto/file_seal.h) while libzip writes it, its SHA-256 checked against
 * the one recorded at upload. Names are made safe (zip_name.h) and unique in the archive. */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "crypto/content.h"
#include "crypto/file_seal.h"
#include "export/archive.h"
#include "export/member.h"
#include "store/blobs.h"

#define PAGE	     100   /* files listed at once */
#define VARIANTS_MAX 10000 /* "name (2)" … before a name is given up as taken */

struct file_member {
	struct file_item *item;
	/* while open */
	struct blob_reader *blob;
	struct file_opener *opener;
	EVP_MD_CTX *sha;
	uint64_t pos;
	uint8_t *buf; /* STREAM_SEGMENT_BYTES */
	bool ended;
};

static enum coffer_err from_blob(void *ctx, uint64_t offset, uint8_t *buf, size_t len)
{
	return blob_read_at(ctx, offset, buf, len);
}

/* Opens F's data key and its sealed name and SHA-256 into ITEM. */
static enum coffer_err open_meta(struct export_job *j, struct file_item *item)
{
	const struct file_row *f = &item->row;
	uint8_t key[AEAD_KEY_BYTES], plain[FILE_META_SEALED_MAX];
	struct object_ctx ctx;
	if (f->meta_len < AEAD_OVERHEAD + FILE_SHA256_BYTES ||
	    f->meta_len - AEAD_OVERHEAD - FILE_SHA256_BYTES > FILE_NAME_MAX)
		return COFFER_ERR_STORAGE;
	enum coffer_err err = job_key_open(j, &f->key, key);
	job_object_ctx(j, &f->key, &ctx);
	if (err == COFFER_OK)
		err = content_open(key, &ctx, CONTENT_FILE_META, f->meta, f->meta_len, plain);
	if (err == COFFER_OK) {
		size_t name_len = f->meta_len - AEAD_OVERHEAD - FILE_SHA256_BYTES;
		memcpy(item->sha256, plain, FILE_SHA256_BYTES);
		memcpy(item->name, plain + FILE_SHA256_BYTES, name_len);
		item->name[name_len] = '\0';
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(plain, sizeof plain);
	return err == COFFER_ERR_CRYPTO ? COFFER_ERR_INTERNAL : err;
}

static void file_close(void *ctx)
{
	struct file_member *m = ctx;
	file_opener_free(m->opener);
	m->opener = NULL;
	blob_close(m->blob);
	m->blob = NULL;
	EVP_MD_CTX_free(m->sha);
	m->sha = NULL;
	if (m->buf != NULL) {
		sodium_memzero(m->buf, STREAM_SEGMENT_BYTES);
		free(m->buf);
		m->buf = NULL;
	}
}

static enum coffer_err file_open(void *ctx)
{
	struct file_member *m = ctx;
	struct file_item *item = m->item;
	struct export_job *j = item->a->j;
	m->pos = 0;
	m->ended = false;
	/* Still there, and still within the clearance? Else the member stays empty. */
	struct file_row now;
	struct org_db *odb = NULL;
	enum coffer_err err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_file_get(odb, item->row.id, &now);
	store_org_return(j->deps->orgs, odb);
	if (err == COFFER_ERR_NOT_FOUND || (err == COFFER_OK && now.level > j->clearance)) {
		item->outcome = err == COFFER_ERR_NOT_FOUND ? "deleted" : "above_clearance";
		item->a->deleted++;
		return COFFER_OK; /* no opener: the first read ends it */
	}
	if (err != COFFER_OK)
		return err;
	uint8_t key[AEAD_KEY_BYTES], aad[KEYWRAP_AAD_MAX];
	struct object_ctx octx;
	uint64_t sealed = 0;
	err = job_key_open(j, &now.key, key);
	job_object_ctx(j, &now.key, &octx);
	size_t aad_len = keywrap_object_aad(&octx, aad);
	if (err == COFFER_OK)
		err = blob_open(j->deps->blobs, j->org_id, now.id, &m->blob, &sealed);
	if (err == COFFER_OK)
		err = file_opener_new(key, aad, aad_len, from_blob, m->blob, sealed, now.size,
				      &m->opener);
	sodium_memzero(key, sizeof key);
	if (err == COFFER_ERR_NOT_FOUND || err == COFFER_ERR_CRYPTO) {
		log_msg(LOG_ERROR, "export",
			"file %s: its blob is missing or not the file recorded", now.id);
		err = COFFER_ERR_INTERNAL;
	}
	if (err == COFFER_OK) {
		m->buf = malloc(STREAM_SEGMENT_BYTES);
		m->sha = EVP_MD_CTX_new();
		if (m->buf == NULL || m->sha == NULL ||
		    EVP_DigestInit_ex(m->sha, EVP_sha256(), NULL) != 1)
			err = COFFER_ERR_NOMEM;
	}
	return err;
}

/* The end of the content: it must be the file recorded at upload. */
static enum coffer_err file_end(struct file_member *m)
{
	struct file_item *item = m->item;
	uint8_t digest[32];
	unsigned int len = 0;
	if (m->sha != NULL) {
		if (EVP_DigestFinal_ex(m->sha, digest, &len) != 1 || len != sizeof digest)
			return COFFER_ERR_INTERNAL;
		if (memcmp(digest, item->sha256, sizeof digest) != 0) {
			log_msg(LOG_ERROR, "export",
				"file %s: its content does not have the SHA-256 recorded",
				item->row.id);
			return COFFER_ERR_INTERNAL;
		}
		item->outcome = "exported";
		item->a->files++;
	}
	job_member_done(item->a->j);
	return COFFER_OK;
}

static enum coffer_err file_next(void *ctx, const uint8_t **data, size_t *len)
{
	struct file_member *m = ctx;
	*data = NULL;
	*len = 0;
	if (m->ended)
		return COFFER_OK;
	size_t n = 0;
	enum coffer_err err = COFFER_OK;
	if (m->opener != NULL) {
		err = file_opener_read(m->opener, m->pos, m->buf, STREAM_SEGMENT_BYTES, &n);
		if (err == COFFER_ERR_CRYPTO) {
			log_msg(LOG_ERROR, "export",
				"file %s: content failed to verify at byte %llu", m->item->row.id,
				(unsigned long long)m->pos);
			err = COFFER_ERR_INTERNAL;
		}
		if (err == COFFER_OK && n > 0 && EVP_DigestUpdate(m->sha, m->buf, n) != 1)
			err = COFFER_ERR_INTERNAL;
	}
	if (err != COFFER_OK)
		return err;
	if (n == 0) {
		m->ended = true;
		return file_end(m);
	}
	m->pos += n;
	*data = m->buf;
	*len = n;
	return COFFER_OK;
}

static void file_free(void *ctx)
{
	struct file_member *m = ctx;
	if (m->item != NULL)
		sodium_memzero(m->item->name, sizeof m->item->name);
	free(m->item);
	free(m);
}

static const struct member_ops file_ops = {file_open, file_next, file_close, file_free};

/* "files/<safe name>", or a variant of it, that no member of ZA has yet. */
static enum coffer_err unique_path(zip_t *za, const char *name, char *out, size_t outlen)
{
	char safe[ZIP_NAME_MAX + 1], variant[ZIP_NAME_VARIANT_MAX + 1];
	zip_name_safe(name, strlen(name), safe);
	snprintf(out, outlen, "files/%s", safe);
	for (unsigned int n = 2; zip_name_locate(za, out, ZIP_FL_ENC_RAW) >= 0; n++) {
		if (n > VARIANTS_MAX)
			return COFFER_ERR_INTERNAL;
		zip_name_variant(safe, n, variant);
		snprintf(out, outlen, "files/%s", variant);
	}
	return COFFER_OK;
}

static enum coffer_err keep_item(struct archive *a, struct file_item *item)
{
	if (a->n_items == a->cap_items) {
		size_t cap = a->cap_items == 0 ? 64 : a->cap_items * 2;
		struct file_item **p = realloc(a->items, cap * sizeof *p);
		if (p == NULL)
			return COFFER_ERR_NOMEM;
		a->items = p;
		a->cap_items = cap;
	}
	a->items[a->n_items++] = item;
	return COFFER_OK;
}

static enum coffer_err add_file(struct archive *a, zip_t *za, const struct file_row *row)
{
	struct file_member *m = calloc(1, sizeof *m);
	struct file_item *item = calloc(1, sizeof *item);
	if (m == NULL || item == NULL) {
		free(m);
		free(item);
		return COFFER_ERR_NOMEM;
	}
	m->item = item;
	item->a = a;
	item->row = *row;
	item->outcome = "failed";
	enum coffer_err err = open_meta(a->j, item);
	if (err == COFFER_OK)
		err = unique_path(za, item->name, item->path, sizeof item->path);
	if (err == COFFER_OK)
		err = keep_item(a, item);
	if (err != COFFER_OK) {
		file_free(m);
		return err;
	}
	/* The item is listed; the member owns it from here (file_free). */
	return member_add(za, a->j, item->path, &file_ops, m, -1, false);
}

enum coffer_err archive_add_files(struct archive *a, zip_t *za)
{
	struct export_job *j = a->j;
	struct file_row *rows = calloc(PAGE, sizeof *rows);
	char after[UUID_TEXT_LEN + 1] = "";
	bool more = true;
	enum coffer_err err = rows != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
	while (err == COFFER_OK && more) {
		size_t n = 0;
		struct org_db *odb = NULL;
		err = store_org_borrow(j->deps->orgs, j->org_id, false, &odb);
		if (err != COFFER_OK)
			break;
		err = store_files_list(odb, j->clearance, after, PAGE, rows, &n, &more);
		store_org_return(j->deps->orgs, odb);
		for (size_t i = 0; err == COFFER_OK && i < n; i++) {
			err = add_file(a, za, &rows[i]);
			if (err == COFFER_OK)
				job_total_add(j, 1);
		}
		if (n == 0)
			break;
		snprintf(after, sizeof after, "%s", rows[n - 1].id);
	}
	free(rows);
	return err;
}
