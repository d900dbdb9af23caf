/* s3_bucket.c — the bucket's existence, the credentials, and its region (see s3_bucket.h). */
#include "s3/s3_bucket.h"

#include <string.h>

#include "common/log.h"
#include "s3/s3_request.h"
#include "s3/s3_xml.h"

/* GetBucketLocation; *RS is the answer (also on failure: its error code). */
static enum coffer_err location(struct s3_client *c, struct s3_response *rs)
{
	struct s3_request rq = {
	    .op = "bucket_location", .method = "GET", .query = "location=", .want_body = true};
	return s3_request_send(c, &rq, rs);
}

enum coffer_err s3_bucket_check(struct s3_client *c)
{
	struct s3_response rs;
	if (c == NULL)
		return COFFER_ERR_INVALID_INPUT;
	struct s3_request rq = {.op = "bucket_check", .method = "HEAD"};
	enum coffer_err err = s3_request_send(c, &rq, &rs);
	s3_response_clear(&rs);
	if (err == COFFER_ERR_FORBIDDEN) {
		/* A HEAD's answer has no body: ask again with one, for S3's reason in the log
		 * (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied). */
		(void)location(c, &rs);
		log_msg(LOG_ERROR, "s3_bucket_refused",
			"the store refuses these credentials for the bucket (%s): check "
			"s3_access_key_id and the secret s3_secret_access_key",
			rs.error_code[0] != '\0' ? rs.error_code : "no S3 error code");
		s3_response_clear(&rs);
	} else if (err == COFFER_ERR_NOT_FOUND) {
		log_msg(LOG_ERROR, "s3_bucket_missing", "the store has no such bucket");
	}
	return err;
}

enum coffer_err s3_bucket_region(struct s3_client *c, char region[S3_REGION_MAX + 1])
{
	struct s3_response rs;
	char got[S3_REGION_MAX + 1];
	if (c == NULL || region == NULL)
		return COFFER_ERR_INVALID_INPUT;
	enum coffer_err err = location(c, &rs);
	if (err == COFFER_OK)
		err = s3_xml_location(rs.body, rs.body_len, got);
	if (err == COFFER_OK) {
		/* S3 names us-east-1 by saying nothing. */
		const char *r = got[0] != '\0' ? got : "us-east-1";
		memcpy(region, r, strlen(r) + 1);
	}
	s3_response_clear(&rs);
	return err;
}
