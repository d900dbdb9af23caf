/* s3_multipart.c — multipart uploads (see s3_multipart.h).
 *
 * The completion's body lists every part's number and ETag; it is built here in memory (at
 * most S3_PARTS_MAX short lines), its ETags checked to be printable and free of XML's special
 * characters so that they can be written as they are.
 */
#include "s3/s3_multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "s3/s3_query.h"
#include "s3/s3_request.h"
#include "s3/s3_status.h"
#include "s3/s3_xml.h"

#define PART_LINE_MAX                                                                              \
	(sizeof "<Part><PartNumber>10000</PartNumber><ETag></ETag></Part>" + S3_ETAG_MAX)
#define COMPLETE_HEAD "<CompleteMultipartUpload>"
#define COMPLETE_TAIL "</CompleteMultipartUpload>"

static bool upload_id_valid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n > S3_UPLOAD_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return false;
	return true;
}

/* An ETag as the store sends it ("…" in quotes, printable), safe to write into XML as is. */
static bool etag_valid(const char *etag)
{
	size_t n = strlen(etag);
	if (n == 0 || n > S3_ETAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (etag[i] < ' ' || etag[i] > '~' || etag[i] == '<' || etag[i] == '>' ||
		    etag[i] == '&')
			return false;
	return true;
}

enum coffer_err s3_multipart_create(struct s3_client *c, const char *key,
				    char upload_id[S3_UPLOAD_ID_MAX + 1])
{
	struct s3_response rs;
	char id[S3_UPLOAD_ID_MAX + 1];
	if (c == NULL || !s3_key_valid(key) || upload_id == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {.op = "multipart_create",
				.method = "POST",
				.key = key,
				.query = "uploads=",
				.post = "",
				.want_body = true};
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_OK)
		err = s3_xml_initiate(rs.body, rs.body_len, id);
	if (err == COFFER_OK && !upload_id_valid(id))
		err = COFFER_ERR_IO;
	if (err == COFFER_OK)
		memcpy(upload_id, id, strlen(id) + 1);
	s3_response_clear(&rs);
	return err;
}

/* "partNumber=N&uploadId=ID" (NUMBER 0: "uploadId=ID"), canonical. */
static enum coffer_err upload_query(const char *upload_id, unsigned int number, char *out,
				    size_t out_len)
{
	char num[16];
	snprintf(num, sizeof num, "%u", number);
	struct s3_param params[] = {{"uploadId", upload_id}, {"partNumber", num}};
	return s3_query_build(params, number > 0 ? 2 : 1, out, out_len);
}

enum coffer_err s3_multipart_upload_part(struct s3_client *c, const char *key,
					 const char *upload_id, unsigned int number,
					 const struct s3_body *body, struct s3_part *part)
{
	char query[S3_QUERY_MAX], sha[S3_SHA256_HEX_BUF];
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key) || !upload_id_valid(upload_id) || number == 0 ||
	    number > S3_PARTS_MAX || body == NULL || part == NULL ||
	    upload_query(upload_id, number, query, sizeof query) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = s3_body_sha256(body, sha);
	if (err != COFFER_OK)
		return err;
	struct s3_request rq = {.op = "multipart_part",
				.method = "PUT",
				.key = key,
				.query = query,
				.body = body,
				.body_sha256 = sha};
	err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_OK && !etag_valid(rs.etag)) {
		log_msg(LOG_WARN, "s3_answer_refused", "multipart_part %s: no usable ETag", key);
		err = COFFER_ERR_IO;
	}
	if (err == COFFER_OK) {
		part->number = number;
		memcpy(part->etag, rs.etag, strlen(rs.etag) + 1);
	}
	s3_response_clear(&rs);
	return err;
}

/* The completion's XML body of PARTS; caller frees *OUT. */
static enum coffer_err complete_body(const struct s3_part *parts, size_t count, char **out,
				     size_t *out_len)
{
	size_t cap = sizeof COMPLETE_HEAD + sizeof COMPLETE_TAIL + count * PART_LINE_MAX;
	char *buf = malloc(cap);
	size_t at = 0;
	if (buf == NULL)
		return COFFER_ERR_NOMEM;
	at += (size_t)snprintf(buf, cap, COMPLETE_HEAD);
	for (size_t i = 0; i < count; i++) {
		if (parts[i].number == 0 || parts[i].number > S3_PARTS_MAX ||
		    (i > 0 && parts[i].number <= parts[i - 1].number) ||
		    !etag_valid(parts[i].etag)) {
			free(buf);
			return COFFER_ERR_INVALID_INPUT;
		}
		at += (size_t)snprintf(buf + at, cap - at,
				       "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>",
				       parts[i].number, parts[i].etag);
	}
	at += (size_t)snprintf(buf + at, cap - at, COMPLETE_TAIL);
	*out = buf;
	*out_len = at;
	return COFFER_OK;
}

enum coffer_err s3_multipart_complete(struct s3_client *c, const char *key, const char *upload_id,
				      const struct s3_part *parts, size_t count)
{
	char query[S3_QUERY_MAX], code[S3_ERROR_CODE_MAX + 1];
	char *body = NULL;
	size_t body_len = 0;
	struct s3_response rs = {0};
	if (c == NULL || !s3_key_valid(key) || !upload_id_valid(upload_id) || parts == NULL ||
	    count == 0 || count > S3_PARTS_MAX ||
	    upload_query(upload_id, 0, query, sizeof query) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = complete_body(parts, count, &body, &body_len);
	if (err != COFFER_OK)
		return err;
	struct s3_request rq = {.op = "multipart_complete",
				.method = "POST",
				.key = key,
				.query = query,
				.post = body,
				.post_len = body_len,
				.want_body = true};
	err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_OK)
		err = s3_xml_complete(rs.body, rs.body_len, code);
	if (err == COFFER_OK && code[0] != '\0') {
		/* The store answered 200, then failed while assembling the parts. */
		log_msg(LOG_WARN, "s3_refused", "multipart_complete %s: HTTP 200 %s", key, code);
		err = strcmp(code, "InternalError") == 0 || strcmp(code, "SlowDown") == 0
			  ? COFFER_ERR_UNAVAILABLE
		      : strcmp(code, "NoSuchUpload") == 0 ? COFFER_ERR_NOT_FOUND
		      : strcmp(code, "AccessDenied") == 0 ? COFFER_ERR_FORBIDDEN
							  : COFFER_ERR_IO;
	}
	s3_response_clear(&rs);
	free(body);
	return err;
}

enum coffer_err s3_multipart_abort(struct s3_client *c, const char *key, const char *upload_id)
{
	char query[S3_QUERY_MAX];
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key) || !upload_id_valid(upload_id) ||
	    upload_query(upload_id, 0, query, sizeof query) != COFFER_OK)
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {
	    .op = "multipart_abort", .method = "DELETE", .key = key, .query = query};
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK; /* completed or aborted already: nothing left to drop */
	s3_response_clear(&rs);
	return err;
}

enum coffer_err s3_multipart_list(struct s3_client *c, const char *prefix,
				  enum coffer_err (*fn)(void *ctx, const struct s3_upload *u),
				  void *ctx)
{
	enum coffer_err err = COFFER_OK;
	char query[S3_QUERY_MAX], max[16];
	struct s3_xml_page *page = NULL;
	if (c == NULL || prefix == NULL || fn == NULL || !s3_prefix_valid(prefix))
		return COFFER_ERR_INVALID_INPUT;
	page = calloc(1, sizeof *page); /* a few KiB: not on a request thread's stack */
	if (page == NULL)
		return COFFER_ERR_NOMEM;
	snprintf(max, sizeof max, "%u", c->list_page_size);
	for (;;) {
		struct s3_param params[5] = {
		    {"uploads", ""}, {"prefix", prefix}, {"max-uploads", max}};
		size_t n = 3;
		if (page->next_key_marker[0] != '\0') {
			params[n++] = (struct s3_param){"key-marker", page->next_key_marker};
			if (page->next_upload_id_marker[0] != '\0')
				params[n++] = (struct s3_param){"upload-id-marker",
								page->next_upload_id_marker};
		}
		err = s3_query_build(params, n, query, sizeof query);
		if (err != COFFER_OK)
			break;
		struct s3_request rq = {
		    .op = "multipart_list", .method = "GET", .query = query, .want_body = true};
		struct s3_response rs;
		char last_key[S3_KEY_MAX + 1], last_id[S3_UPLOAD_ID_MAX + 1];
		memcpy(last_key, page->next_key_marker, sizeof last_key);
		memcpy(last_id, page->next_upload_id_marker, sizeof last_id);
		err = s3_request_send(c, &rq, &rs);
		if (err == COFFER_OK)
			err = s3_xml_uploads(rs.body, rs.body_len, fn, ctx, page);
		s3_response_clear(&rs);
		if (err != COFFER_OK || !page->truncated)
			break;
		if (strcmp(last_key, page->next_key_marker) == 0 &&
		    strcmp(last_id, page->next_upload_id_marker) == 0) {
			err = COFFER_ERR_IO; /* the same page again: the listing would never end */
			break;
		}
	}
	free(page);
	return err;
}
