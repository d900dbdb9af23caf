/* s3_xml.c — the store's XML answers (see s3_xml.h).
 *
 * One small engine serves every reader: it tracks the path of the open elements
 * ("ListBucketResult/Contents/Key"), collects the text of the elements a reader names in its
 * field table into that field's fixed buffer, and calls the reader back at the end of each
 * repeated item (<Contents>, <Upload>), after which the item's fields are cleared.
 */
#include "s3/s3_xml.h"

#include <expat.h>
#include <string.h>
#include <time.h>

#define PATH_CAP 256 /* the longest path of a field read here is far shorter */

struct field {
	const char *path; /* from the root, e.g. "ListBucketResult/IsTruncated" */
	char *buf;	  /* CAP + 1 bytes */
	size_t cap;
	size_t len;
	bool seen;
};

struct reader {
	XML_Parser parser;
	const char *root;     /* the root element expected */
	bool error_root_ok;   /* <Error> is an answer too */
	bool saw_error_root;  /* the root was <Error> */
	struct field *fields; /* NFIELDS */
	size_t nfields;
	struct field *current; /* the field whose text is being collected */
	const char *item_path; /* a repeated element, or NULL */
	enum coffer_err (*on_item)(struct reader *r);
	void *ctx;
	char path[PATH_CAP + 1];
	size_t path_len;
	unsigned int depth;
	enum coffer_err err;
};

static void fail(struct reader *r, enum coffer_err err)
{
	if (r->err == COFFER_OK)
		r->err = err;
	XML_StopParser(r->parser, XML_FALSE);
}

static struct field *field_at(struct reader *r, const char *path)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].path, path) == 0)
			return &r->fields[i];
	return NULL;
}

/* Clears the fields under the item at R->item_path, for the next item. */
static void clear_item(struct reader *r)
{
	size_t n = strlen(r->item_path);
	for (size_t i = 0; i < r->nfields; i++) {
		struct field *f = &r->fields[i];
		if (strncmp(f->path, r->item_path, n) == 0 && f->path[n] == '/') {
			f->len = 0;
			f->buf[0] = '\0';
			f->seen = false;
		}
	}
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct reader *r = ud;
	(void)attrs;
	if (r->err != COFFER_OK)
		return;
	if (r->current != NULL || r->depth >= S3_XML_DEPTH_MAX) {
		fail(r, COFFER_ERR_IO); /* an element inside a field's text, or nesting too deep */
		return;
	}
	if (r->depth == 0) {
		if (r->error_root_ok && strcmp(name, "Error") == 0) {
			r->saw_error_root = true;
		} else if (strcmp(name, r->root) != 0) {
			fail(r, COFFER_ERR_IO);
			return;
		}
	}
	size_t n = strlen(name);
	size_t need = n + (r->depth > 0 ? 1 : 0);
	if (need > PATH_CAP - r->path_len) {
		fail(r, COFFER_ERR_IO);
		return;
	}
	if (r->depth > 0)
		r->path[r->path_len++] = '/';
	memcpy(r->path + r->path_len, name, n);
	r->path_len += n;
	r->path[r->path_len] = '\0';
	r->depth++;
	struct field *f = field_at(r, r->path);
	if (f != NULL) {
		if (f->seen) {
			fail(r, COFFER_ERR_IO); /* twice in one scope: which one would be meant? */
			return;
		}
		f->seen = true;
		f->len = 0;
		f->buf[0] = '\0';
		r->current = f;
	}
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct reader *r = ud;
	struct field *f = r->current;
	if (r->err != COFFER_OK || f == NULL || len <= 0)
		return;
	if ((size_t)len > f->cap - f->len) {
		fail(r,
		     COFFER_ERR_IO); /* never cut: a cut key or token would name something else */
		return;
	}
	memcpy(f->buf + f->len, s, (size_t)len);
	f->len += (size_t)len;
	f->buf[f->len] = '\0';
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct reader *r = ud;
	(void)name;
	if (r->err != COFFER_OK || r->depth == 0)
		return;
	r->current = NULL;
	if (r->item_path != NULL && strcmp(r->path, r->item_path) == 0) {
		enum coffer_err err = r->on_item(r);
		if (err != COFFER_OK) {
			fail(r, err);
			return;
		}
		clear_item(r);
	}
	r->depth--;
	char *slash = strrchr(r->path, '/');
	r->path_len = r->depth == 0 || slash == NULL ? 0 : (size_t)(slash - r->path);
	r->path[r->path_len] = '\0';
}

/* No DOCTYPE at all: S3 never sends one, and without it no entity can be declared. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct reader *r = ud;
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(r, COFFER_ERR_IO);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
				   const XML_Char *value, int value_len, const XML_Char *base,
				   const XML_Char *sysid, const XML_Char *pubid,
				   const XML_Char *notation)
{
	struct reader *r = ud;
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail(r, COFFER_ERR_IO);
}

static enum coffer_err run(struct reader *r, const char *xml, size_t len)
{
	if (xml == NULL || len == 0 || len > S3_XML_MAX)
		return COFFER_ERR_IO;
	r->parser = XML_ParserCreate("UTF-8");
	if (r->parser == NULL)
		return COFFER_ERR_NOMEM;
	r->err = COFFER_OK;
	XML_SetUserData(r->parser, r);
	XML_SetElementHandler(r->parser, on_start, on_end);
	XML_SetCharacterDataHandler(r->parser, on_text);
	XML_SetStartDoctypeDeclHandler(r->parser, on_doctype);
	XML_SetEntityDeclHandler(r->parser, on_entity_decl);
	XML_SetParamEntityParsing(r->parser, XML_PARAM_ENTITY_PARSING_NEVER);
	for (size_t i = 0; i < r->nfields; i++) {
		r->fields[i].len = 0;
		r->fields[i].seen = false;
		r->fields[i].buf[0] = '\0';
	}
	enum XML_Status st = XML_Parse(r->parser, xml, (int)len, XML_TRUE);
	enum coffer_err err = r->err;
	if (err == COFFER_OK && st != XML_STATUS_OK)
		err = COFFER_ERR_IO;
	XML_ParserFree(r->parser);
	r->parser = NULL;
	return err;
}

#define FIELD(p, b)                                                                                \
	{                                                                                          \
		.path = (p), .buf = (b), .cap = sizeof(b) - 1                                      \
	}

/* --- numbers and times -------------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] == '\0' || strlen(s) > 19)
		return false; /* 19 digits stay below 2^64 */
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return true;
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool s3_xml_time(const char *s, int64_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec;
	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	    !digits(s + 17, 2, &sec))
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		size_t n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n == 0 || n > 9)
			return false;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0))
		return false;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec == 60 ? 59 : sec};
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = (int64_t)t;
	return true;
}

/* "true" or "false" only. */
static bool parse_bool(const struct field *f, bool *out)
{
	if (!f->seen || strcmp(f->buf, "false") == 0) {
		*out = false;
		return true;
	}
	if (strcmp(f->buf, "true") == 0) {
		*out = true;
		return true;
	}
	return false;
}

/* --- the readers ---------------------------------------------------------------------------- */

enum coffer_err s3_xml_error(const char *xml, size_t len, char code[S3_ERROR_CODE_MAX + 1])
{
	char buf[S3_ERROR_CODE_MAX + 1];
	struct field fields[] = {FIELD("Error/Code", buf)};
	struct reader r = {.root = "Error", .fields = fields, .nfields = 1};
	enum coffer_err err = run(&r, xml, len);
	if (err == COFFER_OK && (!fields[0].seen || fields[0].len == 0))
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		memcpy(code, buf, fields[0].len + 1);
	return err;
}

enum coffer_err s3_xml_initiate(const char *xml, size_t len, char upload_id[S3_UPLOAD_ID_MAX + 1])
{
	char buf[S3_UPLOAD_ID_MAX + 1];
	struct field fields[] = {FIELD("InitiateMultipartUploadResult/UploadId", buf)};
	struct reader r = {.root = "InitiateMultipartUploadResult", .fields = fields, .nfields = 1};
	enum coffer_err err = run(&r, xml, len);
	if (err == COFFER_OK && fields[0].len == 0)
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		memcpy(upload_id, buf, fields[0].len + 1);
	return err;
}

enum coffer_err s3_xml_complete(const char *xml, size_t len, char code[S3_ERROR_CODE_MAX + 1])
{
	char buf[S3_ERROR_CODE_MAX + 1];
	struct field fields[] = {FIELD("Error/Code", buf)};
	struct reader r = {.root = "CompleteMultipartUploadResult",
			   .error_root_ok = true,
			   .fields = fields,
			   .nfields = 1};
	enum coffer_err err = run(&r, xml, len);
	if (err != COFFER_OK)
		return err;
	if (!r.saw_error_root) {
		code[0] = '\0';
		return COFFER_OK;
	}
	if (fields[0].len == 0)
		return COFFER_ERR_IO;
	memcpy(code, buf, fields[0].len + 1);
	return COFFER_OK;
}

enum coffer_err s3_xml_location(const char *xml, size_t len, char region[S3_REGION_MAX + 1])
{
	/* The root's own text: a field at the root's path. */
	char buf[S3_REGION_MAX + 1];
	struct field fields[] = {FIELD("LocationConstraint", buf)};
	struct reader r = {.root = "LocationConstraint", .fields = fields, .nfields = 1};
	enum coffer_err err = run(&r, xml, len);
	if (err != COFFER_OK)
		return err;
	for (size_t i = 0; i < fields[0].len; i++) {
		char ch = buf[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return COFFER_ERR_IO; /* a region is a plain name */
	}
	memcpy(region, buf, fields[0].len + 1);
	return COFFER_OK;
}

/* ListMultipartUploads */

enum { U_KEY, U_ID, U_INITIATED, U_TRUNCATED, U_NEXT_KEY, U_NEXT_ID, U_COUNT };

struct uploads_ctx {
	struct field *fields;
	enum coffer_err (*fn)(void *ctx, const struct s3_upload *u);
	void *ctx;
	char last_key[S3_KEY_MAX + 1]; /* of the page's last upload */
	char last_id[S3_UPLOAD_ID_MAX + 1];
};

static enum coffer_err upload_item(struct reader *r)
{
	struct uploads_ctx *uc = r->ctx;
	struct field *f = uc->fields;
	struct s3_upload u;
	if (f[U_KEY].len == 0 || f[U_ID].len == 0 || !s3_xml_time(f[U_INITIATED].buf, &u.initiated))
		return COFFER_ERR_IO;
	u.key = f[U_KEY].buf;
	u.upload_id = f[U_ID].buf;
	memcpy(uc->last_key, f[U_KEY].buf, f[U_KEY].len + 1);
	memcpy(uc->last_id, f[U_ID].buf, f[U_ID].len + 1);
	return uc->fn(uc->ctx, &u);
}

enum coffer_err s3_xml_uploads(const char *xml, size_t len,
			       enum coffer_err (*fn)(void *ctx, const struct s3_upload *u),
			       void *ctx, struct s3_xml_page *page)
{
	char key[S3_KEY_MAX + 1], id[S3_UPLOAD_ID_MAX + 1], initiated[64], truncated[8];
	struct field fields[U_COUNT] = {
	    [U_KEY] = FIELD("ListMultipartUploadsResult/Upload/Key", key),
	    [U_ID] = FIELD("ListMultipartUploadsResult/Upload/UploadId", id),
	    [U_INITIATED] = FIELD("ListMultipartUploadsResult/Upload/Initiated", initiated),
	    [U_TRUNCATED] = FIELD("ListMultipartUploadsResult/IsTruncated", truncated),
	    [U_NEXT_KEY] = FIELD("ListMultipartUploadsResult/NextKeyMarker", page->next_key_marker),
	    [U_NEXT_ID] =
		FIELD("ListMultipartUploadsResult/NextUploadIdMarker", page->next_upload_id_marker),
	};
	struct uploads_ctx uc = {
	    .fields = fields, .fn = fn, .ctx = ctx, .last_key = "", .last_id = ""};
	struct reader r = {.root = "ListMultipartUploadsResult",
			   .fields = fields,
			   .nfields = U_COUNT,
			   .item_path = "ListMultipartUploadsResult/Upload",
			   .on_item = upload_item,
			   .ctx = &uc};
	page->next_token[0] = '\0';
	enum coffer_err err = run(&r, xml, len);
	if (err != COFFER_OK)
		return err;
	if (!parse_bool(&fields[U_TRUNCATED], &page->truncated))
		return COFFER_ERR_IO;
	if (page->truncated && fields[U_NEXT_KEY].len == 0) {
		/* Swift 2.30's s3api leaves both markers empty on a page of one upload; S3 defines
		 * them as the page's last upload, which is where the next page starts. */
		if (uc.last_key[0] == '\0')
			return COFFER_ERR_IO; /* a next page nobody can ask for */
		memcpy(page->next_key_marker, uc.last_key, strlen(uc.last_key) + 1);
		memcpy(page->next_upload_id_marker, uc.last_id, strlen(uc.last_id) + 1);
	}
	return COFFER_OK;
}

/* ListObjectsV2 */

enum { O_KEY, O_SIZE, O_MODIFIED, O_TRUNCATED, O_NEXT_TOKEN, O_COUNT };

struct objects_ctx {
	struct field *fields;
	enum coffer_err (*fn)(void *ctx, const struct s3_object *o);
	void *ctx;
};

static enum coffer_err object_item(struct reader *r)
{
	struct objects_ctx *oc = r->ctx;
	struct field *f = oc->fields;
	struct s3_object o;
	if (f[O_KEY].len == 0 || !parse_u64(f[O_SIZE].buf, &o.size) || o.size > INT64_MAX ||
	    !s3_xml_time(f[O_MODIFIED].buf, &o.last_modified))
		return COFFER_ERR_IO;
	o.key = f[O_KEY].buf;
	return oc->fn(oc->ctx, &o);
}

enum coffer_err s3_xml_objects(const char *xml, size_t len,
			       enum coffer_err (*fn)(void *ctx, const struct s3_object *o),
			       void *ctx, struct s3_xml_page *page)
{
	char key[S3_KEY_MAX + 1], size[32], modified[64], truncated[8];
	struct field fields[O_COUNT] = {
	    [O_KEY] = FIELD("ListBucketResult/Contents/Key", key),
	    [O_SIZE] = FIELD("ListBucketResult/Contents/Size", size),
	    [O_MODIFIED] = FIELD("ListBucketResult/Contents/LastModified", modified),
	    [O_TRUNCATED] = FIELD("ListBucketResult/IsTruncated", truncated),
	    [O_NEXT_TOKEN] = FIELD("ListBucketResult/NextContinuationToken", page->next_token),
	};
	struct objects_ctx oc = {.fields = fields, .fn = fn, .ctx = ctx};
	struct reader r = {.root = "ListBucketResult",
			   .fields = fields,
			   .nfields = O_COUNT,
			   .item_path = "ListBucketResult/Contents",
			   .on_item = object_item,
			   .ctx = &oc};
	page->next_key_marker[0] = '\0';
	page->next_upload_id_marker[0] = '\0';
	enum coffer_err err = run(&r, xml, len);
	if (err != COFFER_OK)
		return err;
	if (!parse_bool(&fields[O_TRUNCATED], &page->truncated) ||
	    (page->truncated && fields[O_NEXT_TOKEN].len == 0))
		return COFFER_ERR_IO;
	return COFFER_OK;
}
