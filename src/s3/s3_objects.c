/* s3_objects.c — put, ranged get, head and delete of one object (see s3_objects.h). */
#include "s3/s3_objects.h"

#include <string.h>

#include "s3/s3_request.h"

/* S3's limit on one PUT. */
#define PUT_MAX (5ull * 1024u * 1024u * 1024u)

enum coffer_err s3_put_object(struct s3_client *c, const char *key, const struct s3_body *body)
{
	char sha[S3_SHA256_HEX_BUF];
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key) || body == NULL || body->length > PUT_MAX)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = s3_body_sha256(body, sha);
	if (err != COFFER_OK)
		return err;
	struct s3_request rq = {
	    .op = "put_object", .method = "PUT", .key = key, .body = body, .body_sha256 = sha};
	err = s3_request_send(c, &rq, &rs);
	s3_response_clear(&rs);
	return err;
}

enum coffer_err s3_get_range(struct s3_client *c, const char *key, uint64_t offset, void *buf,
			     size_t len)
{
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key) || buf == NULL || len == 0 || offset > INT64_MAX ||
	    len > INT64_MAX - offset)
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {.op = "get_range",
				.method = "GET",
				.key = key,
				.sink = buf,
				.sink_len = len,
				.range_offset = offset};
	/* A range past the object's end is a 416: COFFER_ERR_IO, as s3_status.h maps it. */
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	s3_response_clear(&rs);
	return err;
}

enum coffer_err s3_head_object(struct s3_client *c, const char *key, uint64_t *size)
{
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key) || size == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {.op = "head_object", .method = "HEAD", .key = key};
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_OK && rs.content_length == UINT64_MAX)
		err = COFFER_ERR_IO; /* a HEAD without Content-Length */
	if (err == COFFER_OK)
		*size = rs.content_length;
	s3_response_clear(&rs);
	return err;
}

enum coffer_err s3_delete_object(struct s3_client *c, const char *key)
{
	struct s3_response rs;
	if (c == NULL || !s3_key_valid(key))
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {.op = "delete_object", .method = "DELETE", .key = key};
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	if (err == COFFER_ERR_NOT_FOUND)
		err = COFFER_OK; /* already gone: what was asked for */
	s3_response_clear(&rs);
	return err;
}
