/* files.c — /api/v1/orgs/{org}/files: files streamed through encryption.
 *
 * An upload is sealed as it arrives, 64 KiB segment by segment (crypto/file_seal.h), straight
 * into a temporary blob; at the end of the body the blob is made durable under its name, and
 * only then is its row committed, with its audit entry, so an acknowledged file is always
 * whole and an unacknowledged one leaves at most a blob that the start-up sweep removes. A
 * download is opened the same way, one verified segment at a time, and stops at the first
 * segment that does not verify. Memory stays at a few segments whatever the file's size.
 *
 * A file's name and the SHA-256 of its content are sealed under its data key as well (a name
 * says a lot about a case); its size, type and level are the clear metadata. For the same reason
 * the name comes in the Content-Disposition header, not in the request line that proxies log.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "api/access.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/object_keys.h"
#include "api/org_audit.h"
#include "api/page.h"
#include "api/routes.h"
#include "common/level.h"
#include "common/log.h"
#include "common/utf8.h"
#include "common/timefmt.h"
#include "common/uuid.h"
#include "crypto/content.h"
#include "crypto/file_seal.h"
#include "http/content_disposition.h"
#include "http/query.h"
#include "http/reply.h"
#include "store/blobs.h"
#include "metrics/metrics.h"

#define KIND		     "file"
#define DEFAULT_CONTENT_TYPE "application/octet-stream"

/* A file's sealed metadata in clear: the SHA-256 of its content, then its name. */
struct file_meta {
	uint8_t sha256[FILE_SHA256_BYTES];
	char name[FILE_NAME_MAX + 1];
	size_t name_len;
};

/* A file's members into T (json_text.h): its reply, and its item in a list. */
static void file_members(struct json_text *t, const struct file_row *f, const struct file_meta *m)
{
	char when[TIMEFMT_RFC3339_LEN], sha[FILE_SHA256_BYTES * 2 + 1];
	timefmt_rfc3339(f->created_at, when);
	sodium_bin2hex(sha, sizeof sha, m->sha256, sizeof m->sha256);
	const char *level = level_name(f->level);
	json_text_str(t, "id", f->id, strlen(f->id));
	json_text_str(t, "name", m->name, m->name_len);
	json_text_int(t, "size", (int64_t)f->size);
	json_text_str(t, "sha256", sha, strlen(sha));
	json_text_str(t, "content_type", f->content_type, strlen(f->content_type));
	json_text_str(t, "level", level, strlen(level));
	json_text_str(t, "created_at", when, strlen(when));
	json_text_str(t, "created_by", f->created_by, strlen(f->created_by));
}

static enum coffer_err seal_meta(const uint8_t key[AEAD_KEY_BYTES], struct request *rq,
				 const struct file_meta *m, struct file_row *f)
{
	uint8_t plain[FILE_SHA256_BYTES + FILE_NAME_MAX];
	struct object_ctx ctx;
	memcpy(plain, m->sha256, FILE_SHA256_BYTES);
	memcpy(plain + FILE_SHA256_BYTES, m->name, m->name_len);
	object_ctx_of(rq, &f->key, &ctx);
	size_t len = FILE_SHA256_BYTES + m->name_len;
	f->meta_len = len + AEAD_OVERHEAD;
	enum coffer_err err = content_seal(key, &ctx, CONTENT_FILE_META, plain, len, f->meta);
	sodium_memzero(plain, sizeof plain);
	return err;
}

static enum coffer_err open_meta(const uint8_t key[AEAD_KEY_BYTES], struct request *rq,
				 const struct file_row *f, struct file_meta *m)
{
	uint8_t plain[FILE_META_SEALED_MAX];
	struct object_ctx ctx;
	if (f->meta_len < AEAD_OVERHEAD + FILE_SHA256_BYTES ||
	    f->meta_len - AEAD_OVERHEAD - FILE_SHA256_BYTES > FILE_NAME_MAX)
		return COFFER_ERR_STORAGE;
	object_ctx_of(rq, &f->key, &ctx);
	enum coffer_err err =
	    content_open(key, &ctx, CONTENT_FILE_META, f->meta, f->meta_len, plain);
	if (err == COFFER_OK) {
		memcpy(m->sha256, plain, FILE_SHA256_BYTES);
		m->name_len = f->meta_len - AEAD_OVERHEAD - FILE_SHA256_BYTES;
		memcpy(m->name, plain + FILE_SHA256_BYTES, m->name_len);
		m->name[m->name_len] = '\0';
	}
	sodium_memzero(plain, sizeof plain);
	return err == COFFER_ERR_CRYPTO ? COFFER_ERR_INTERNAL : err;
}

/* Opens F's data key and its metadata. KEY is left for the caller to use and wipe. */
static enum coffer_err open_file(struct request *rq, const struct file_row *f,
				 uint8_t key[AEAD_KEY_BYTES], struct file_meta *m)
{
	enum coffer_err err = object_key_open(rq, &f->key, key);
	if (err == COFFER_OK)
		err = open_meta(key, rq, f, m);
	return err;
}

/* --- checking what an upload says about itself ------------------------------------------ */

/* A file name is shown to people and offered to their file systems: 1–255 bytes of UTF-8,
 * no path separators, no control characters (C0, DEL, C1), no bidirectional formatting
 * characters, and not "." or "..". */
static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len > FILE_NAME_MAX || strlen(name) != len)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	json_t *utf8 = json_stringn(name, len); /* NULL unless valid UTF-8 */
	json_decref(utf8);
	if (utf8 == NULL)
		return false;
	if (utf8_has_bidi_control(name, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return false;
		if (c == 0xc2 && i + 1 < len && (unsigned char)name[i + 1] >= 0x80 &&
		    (unsigned char)name[i + 1] <= 0x9f)
			return false; /* U+0080–U+009F */
	}
	return true;
}

/* A media type as a client sent it: printable ASCII with a '/', bounded. */
static bool content_type_ok(const char *ct)
{
	size_t len = strlen(ct);
	if (len == 0 || len > FILE_CONTENT_TYPE_MAX || strchr(ct, '/') == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (ct[i] < 0x20 || ct[i] > 0x7e)
			return false;
	}
	return true;
}

static enum coffer_err bad(struct request *rq, const char *msg)
{
	snprintf(rq->msg, sizeof rq->msg, "%s", msg);
	return COFFER_ERR_INVALID_INPUT;
}

/* --- upload ------------------------------------------------------------------------------ */

struct upload {
	uint8_t *key; /* the file's data key, guarded, for the sealer and the metadata */
	struct file_sealer *sealer;
	struct blob_writer *blob;
	struct file_row row;
	struct file_meta meta;
	uint64_t received, max;
};

static enum coffer_err to_blob(void *ctx, const uint8_t *data, size_t len)
{
	return blob_write(ctx, data, len);
}

static void upload_free(struct request *rq)
{
	struct upload *up = rq->upload;
	if (up == NULL)
		return;
	file_sealer_free(up->sealer);
	blob_abort(up->blob);
	if (up->key != NULL)
		sodium_free(up->key);
	sodium_memzero(&up->meta, sizeof up->meta);
	free(up);
	rq->upload = NULL;
}

static const char name_rules[] = "1 to 255 bytes of UTF-8, without '/', '\\', control or "
				 "bidirectional formatting characters, and not '.' or '..'.";

/* The file's name, into NAME (room for FILE_NAME_MAX + 1 bytes). It comes from the
 * Content-Disposition header (http/content_disposition.h) because a request line is what proxies
 * log; ?name= is still read when the header is absent, for older clients, and is deprecated. A
 * request with both is refused rather than one of them preferred: whatever stands between the
 * client and coffer must not be able to read one name where coffer stores another. */
static enum coffer_err upload_name(struct request *rq, char *name, size_t *len)
{
	size_t query_len = 0;
	const char *query_name = query_get_n(rq, "name", &query_len);
	enum disposition_verdict v = content_disposition_of(rq, name, FILE_NAME_MAX, len);
	if (v == DISPOSITION_ABSENT && query_name == NULL)
		return bad(rq,
			   "The file name is required: header 'Content-Disposition: attachment; "
			   "filename*=UTF-8''NAME', the name percent-encoded.");
	if (v == DISPOSITION_ABSENT) {
		if (query_len > FILE_NAME_MAX || !name_ok(query_name, query_len)) {
			snprintf(rq->msg, sizeof rq->msg, "parameter 'name': %s", name_rules);
			return COFFER_ERR_INVALID_INPUT;
		}
		memcpy(name, query_name, query_len);
		name[query_len] = '\0';
		*len = query_len;
		return COFFER_OK;
	}
	if (v == DISPOSITION_OK && query_name != NULL)
		return bad(rq,
			   "The file name is given twice, in header 'Content-Disposition' and in "
			   "parameter 'name': send the header only.");
	if (v == DISPOSITION_NAME_TOO_LONG || (v == DISPOSITION_OK && !name_ok(name, *len))) {
		snprintf(rq->msg, sizeof rq->msg, "header 'Content-Disposition': the file name: %s",
			 name_rules);
		return COFFER_ERR_INVALID_INPUT;
	}
	return v == DISPOSITION_OK ? COFFER_OK : bad(rq, content_disposition_message(v));
}

/* Everything else the query and headers say is checked here, before a byte of the body is read;
 * then the file's key, blob and sealer are made ready for it. */
static enum coffer_err upload_open(struct request *rq, const char *name, size_t name_len)
{
	const struct caller *caller = api_caller(rq);
	const char *level_text = query_get(rq, "level");
	enum level level;
	if (level_text == NULL || !level_parse(level_text, &level))
		return bad(rq, "parameter 'level': one of public, internal, confidential, "
			       "restricted.");
	const char *ct =
	    MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && !content_type_ok(ct))
		return bad(rq, "The Content-Type is not a media type.");
	enum coffer_err err = access_level(rq, level);
	if (err != COFFER_OK)
		return err;
	uint64_t max = rq->app->cfg->max_file_size;
	const char *cl =
	    MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > max) {
		snprintf(rq->msg, sizeof rq->msg, "Files may be at most %llu bytes.",
			 (unsigned long long)max);
		return COFFER_ERR_TOO_LARGE;
	}

	struct upload *up = calloc(1, sizeof *up);
	if (up == NULL)
		return COFFER_ERR_NOMEM;
	rq->upload = up;
	rq->upload_free = upload_free;
	up->max = max;
	struct file_row *f = &up->row;
	uuid_generate(f->id);
	f->level = level;
	f->created_at = time_now();
	snprintf(f->created_by, sizeof f->created_by, "%s", caller->user.id);
	snprintf(f->content_type, sizeof f->content_type, "%s", ct ? ct : DEFAULT_CONTENT_TYPE);
	memcpy(up->meta.name, name, name_len);
	up->meta.name_len = name_len;

	up->key = sodium_malloc(AEAD_KEY_BYTES);
	if (up->key == NULL)
		return COFFER_ERR_NOMEM;
	err = object_key_new(rq, KIND, f->id, 1, level, up->key, &f->key);
	if (err == COFFER_OK)
		err = blob_create(rq->app->blobs, caller->org_id, f->id, &up->blob);
	uint8_t aad[KEYWRAP_AAD_MAX];
	struct object_ctx ctx;
	object_ctx_of(rq, &f->key, &ctx);
	size_t aad_len = keywrap_object_aad(&ctx, aad);
	if (err == COFFER_OK && aad_len == 0)
		err = COFFER_ERR_INTERNAL;
	if (err == COFFER_OK)
		err = file_sealer_new(up->key, aad, aad_len, to_blob, up->blob, &up->sealer);
	return err;
}

static enum coffer_err upload_begin(struct request *rq)
{
	static const char *const allowed[] = {"name", "level", NULL};
	char name[FILE_NAME_MAX + 1];
	size_t name_len = 0;
	if (!query_only(rq, allowed))
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = upload_name(rq, name, &name_len);
	if (err == COFFER_OK)
		err = upload_open(rq, name, name_len);
	sodium_memzero(name, sizeof name);
	return err;
}

static enum coffer_err upload_data(struct request *rq, const char *data, size_t len)
{
	struct upload *up = rq->upload;
	if (len > up->max - up->received) {
		snprintf(rq->msg, sizeof rq->msg, "Files may be at most %llu bytes.",
			 (unsigned long long)up->max);
		return COFFER_ERR_TOO_LARGE;
	}
	up->received += len;
	metrics_bytes(METRICS_UPLOADED, len);
	return file_sealer_push(up->sealer, (const uint8_t *)data, len);
}

const struct route_stream files_upload_stream = {.begin = upload_begin, .data = upload_data};

enum coffer_err files_upload(struct request *rq)
{
	struct upload *up = rq->upload;
	const struct caller *caller = api_caller(rq);
	struct file_row *f = &up->row;
	enum coffer_err err = file_sealer_finish(up->sealer, up->meta.sha256, &f->size);
	if (err == COFFER_OK) {
		err = blob_commit(up->blob);
		up->blob = NULL; /* committed or removed: blob_commit frees it either way */
	}
	if (err == COFFER_OK)
		err = seal_meta(up->key, rq, &up->meta, f);
	struct org_db *odb = NULL;
	if (err == COFFER_OK) {
		err = store_org_borrow(rq->app->orgs, caller->org_id, false, &odb);
		if (err == COFFER_OK) {
			struct audit_entry e;
			org_audit_entry(rq, f->id, &e);
			err = store_file_add(odb, caller->org_id, f, &e);
			store_org_return(rq->app->orgs, odb);
		}
		if (err != COFFER_OK &&
		    blob_remove(rq->app->blobs, caller->org_id, f->id) != COFFER_OK)
			log_msg(LOG_WARN, "files",
				"request %s: a blob without a row is left for the "
				"start-up sweep",
				rq->id);
	}
	if (err != COFFER_OK)
		return err;
	struct json_text t;
	json_text_begin(&t);
	file_members(&t, f, &up->meta);
	return reply_json_text(rq, 201, &t);
}

/* --- download ----------------------------------------------------------------------------- */

struct download {
	struct blob_reader *blob;
	struct file_opener *opener;
	char id[UUID_TEXT_LEN + 1];
	/* The file's first byte, opened before the answer began (see files_download), and
	 * whether it still waits to be sent. */
	uint8_t first;
	bool first_pending;
};

static enum coffer_err from_blob(void *ctx, uint64_t offset, uint8_t *buf, size_t len)
{
	return blob_read_at(ctx, offset, buf, len);
}

static long download_read(void *ctx, uint64_t pos, char *buf, size_t max)
{
	struct download *d = ctx;
	size_t n = 0, given = 0;
	if (d->first_pending && pos == 0 && max > 0) {
		buf[0] = (char)d->first;
		d->first_pending = false;
		given = 1;
		pos = 1;
		buf++;
		max--;
	}
	enum coffer_err err =
	    max > 0 ? file_opener_read(d->opener, pos, (uint8_t *)buf, max, &n) : COFFER_OK;
	if (given > 0 && err == COFFER_OK) {
		metrics_bytes(METRICS_DOWNLOADED, given + n);
		return (long)(given + n); /* n == 0: a file of one byte, whole */
	}
	if (err != COFFER_OK || n == 0) {
		log_msg(LOG_ERROR, "files",
			"file %s: content failed to verify at byte %llu; the "
			"download was cut off",
			d->id, (unsigned long long)pos);
		return -1;
	}
	metrics_bytes(METRICS_DOWNLOADED, n);
	return (long)n;
}

static void download_free(void *ctx)
{
	struct download *d = ctx;
	file_opener_free(d->opener);
	blob_close(d->blob);
	free(d);
}

/* Content-Disposition: attachment, with the name as UTF-8 (RFC 6266 / RFC 8187) and a plain
 * ASCII fallback for old clients. */
static void disposition(const struct file_meta *m, char *out, size_t outlen)
{
	char ascii[FILE_NAME_MAX + 1], encoded[FILE_NAME_MAX * 3 + 1];
	size_t e = 0;
	for (size_t i = 0; i < m->name_len; i++) {
		unsigned char c = (unsigned char)m->name[i];
		ascii[i] =
		    (c < 0x80 && c != '"' && c != '\\' && c != '%' && c != ';') ? (char)c : '_';
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("!#$&+-.^_`|~", c) != NULL)
			encoded[e++] = (char)c;
		else
			e += (size_t)snprintf(encoded + e, 4, "%%%02X", c);
	}
	ascii[m->name_len] = '\0';
	encoded[e] = '\0';
	snprintf(out, outlen, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, encoded);
}

/* The {id} of the path: 400 when it is not a well-formed id. */
static enum coffer_err path_id(struct request *rq, char id[UUID_TEXT_LEN + 1])
{
	if (route_param(&rq->params, "id", id, UUID_TEXT_LEN + 1) && uuid_valid(id))
		return COFFER_OK;
	return bad(rq, "The file id is not well-formed.");
}

/* The row of the path's file, if the caller's clearance covers it. */
static enum coffer_err find_file(struct request *rq, char id[UUID_TEXT_LEN + 1], struct file_row *f)
{
	enum coffer_err err = path_id(rq, id);
	struct org_db *odb = NULL;
	if (err == COFFER_OK)
		err = store_org_borrow(rq->app->orgs, api_caller(rq)->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	err = store_file_get(odb, id, f);
	store_org_return(rq->app->orgs, odb);
	if (err == COFFER_OK)
		err = access_level(rq, f->level);
	return err;
}

enum coffer_err files_download(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1], cd[FILE_NAME_MAX * 4 + 64];
	struct file_row f;
	struct file_meta m;
	uint8_t key[AEAD_KEY_BYTES];
	enum coffer_err err = find_file(rq, id, &f);
	if (err == COFFER_OK)
		err = open_file(rq, &f, key, &m);
	if (err != COFFER_OK)
		return err;
	struct download *d = calloc(1, sizeof *d);
	uint64_t sealed = 0;
	if (d == NULL)
		err = COFFER_ERR_NOMEM;
	else
		memcpy(d->id, id, sizeof d->id);
	if (err == COFFER_OK)
		err = blob_open(rq->app->blobs, api_caller(rq)->org_id, id, &d->blob, &sealed);
	uint8_t aad[KEYWRAP_AAD_MAX];
	struct object_ctx ctx;
	object_ctx_of(rq, &f.key, &ctx);
	size_t aad_len = keywrap_object_aad(&ctx, aad);
	if (err == COFFER_OK)
		err = file_opener_new(key, aad, aad_len, from_blob, d->blob, sealed, f.size,
				      &d->opener);
	sodium_memzero(key, sizeof key);
	/* The first segment is opened before the answer starts: content that does not verify
	 * from its very beginning (a one-segment file tampered with, a blob swapped) is an error
	 * answer, not a 200 followed by nothing. Later segments can only cut the stream. */
	if (err == COFFER_OK && f.size > 0) {
		size_t n = 0;
		err = file_opener_read(d->opener, 0, &d->first, 1, &n);
		if (err == COFFER_OK && n != 1)
			err = COFFER_ERR_CRYPTO;
		d->first_pending = err == COFFER_OK;
	}
	if (err != COFFER_OK) {
		if (d != NULL)
			download_free(d);
		if (err == COFFER_ERR_NOT_FOUND || err == COFFER_ERR_CRYPTO) {
			log_msg(LOG_ERROR, "files",
				"file %s: its blob is missing or not the file "
				"recorded",
				id);
			err = COFFER_ERR_INTERNAL;
		}
		return err;
	}
	disposition(&m, cd, sizeof cd);
	/* RFC 9530: the whole file's SHA-256, recorded at upload, so a client can tell a download
	 * cut short (a segment that fails its check ends the stream) from a complete one. */
	char b64[sodium_base64_ENCODED_LEN(FILE_SHA256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char digest[sizeof b64 + 16];
	sodium_bin2base64(b64, sizeof b64, m.sha256, sizeof m.sha256,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(digest, sizeof digest, "sha-256=:%s:", b64);
	sodium_memzero(&m, sizeof m);
	const struct reply_header headers[] = {
	    {MHD_HTTP_HEADER_CONTENT_TYPE, f.content_type},
	    {MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd},
	    {"Repr-Digest", digest},
	    /* Whatever the type claims, nothing a file holds may run in our origin. */
	    {"Content-Security-Policy", "sandbox"},
	};
	return reply_stream(rq, 200, f.size, STREAM_SEGMENT_BYTES, download_read, d, download_free,
			    headers, sizeof headers / sizeof headers[0]);
}

/* --- list and delete ------------------------------------------------------------------- */

static enum coffer_err list_files(struct org_db *odb, enum level max_level, const char *after,
				  size_t limit, void *rows, size_t *n, bool *more)
{
	return store_files_list(odb, max_level, after, limit, rows, n, more);
}

static enum coffer_err describe_file(struct request *rq, const uint8_t key[AEAD_KEY_BYTES],
				     const void *row, struct json_text *t)
{
	struct file_meta m;
	enum coffer_err err = open_meta(key, rq, row, &m);
	if (err == COFFER_OK)
		file_members(t, row, &m);
	sodium_memzero(&m, sizeof m);
	return err;
}

// clang-format off
static const struct page_kind file_page = {
	.field = "files", .unknown_after = "parameter 'after': no such file",
	.row_size = sizeof(struct file_row), .list = list_files, .describe = describe_file,
	.key_offset = offsetof(struct file_row, key), .id_offset = offsetof(struct file_row, id)};
// clang-format on

enum coffer_err files_list(struct request *rq)
{
	return page_list(rq, &file_page);
}

enum coffer_err files_delete(struct request *rq)
{
	char id[UUID_TEXT_LEN + 1];
	struct file_row f;
	const struct caller *caller = api_caller(rq);
	enum coffer_err err = find_file(rq, id, &f);
	struct org_db *odb = NULL;
	if (err == COFFER_OK)
		err = store_org_borrow(rq->app->orgs, caller->org_id, false, &odb);
	if (err != COFFER_OK)
		return err;
	struct audit_entry e;
	org_audit_entry(rq, id, &e);
	err = store_file_delete(odb, caller->org_id, id, &e);
	store_org_return(rq->app->orgs, odb);
	if (err != COFFER_OK)
		return err;
	/* The row and key are gone: the content is unreadable already. A blob left behind by a
	 * failure here is an orphan for the start-up sweep. */
	if (blob_remove(rq->app->blobs, caller->org_id, id) != COFFER_OK)
		log_msg(LOG_WARN, "files", "file %s: its blob is left for the start-up sweep", id);
	return reply_no_content(rq);
}
