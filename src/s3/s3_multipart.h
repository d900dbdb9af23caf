/* s3_multipart.h — multipart uploads: an object sent in parts (5 MiB at least, but the last;
 * at most 10000), made whole by one completion, or aborted. libcurl has no helper for them.
 *
 * An upload that is neither completed nor aborted keeps its parts in the store (and costs):
 * s3_multipart_list finds them under a prefix so that a sweep can abort the stale ones.
 */
#ifndef COFFER_S3_MULTIPART_H
#define COFFER_S3_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "s3/s3_client.h"
#include "s3/s3_objects.h"

#define S3_PARTS_MAX 10000u

struct s3_part {
	unsigned int number; /* 1 to S3_PARTS_MAX */
	char etag[S3_ETAG_MAX + 1];
};

/* Starts an upload of KEY; writes its id into UPLOAD_ID. */
COFFER_MUST_CHECK enum coffer_err s3_multipart_create(struct s3_client *c, const char *key,
						      char upload_id[S3_UPLOAD_ID_MAX + 1]);

/* Sends BODY as part NUMBER of the upload; fills *PART (number and ETag) for the completion.
 * Sending a number again replaces that part. */
COFFER_MUST_CHECK enum coffer_err
s3_multipart_upload_part(struct s3_client *c, const char *key, const char *upload_id,
			 unsigned int number, const struct s3_body *body, struct s3_part *part);

/* Makes the object KEY of the COUNT parts (ascending numbers) and ends the upload. The store
 * may refuse after its 200 (an <Error> body): that is an error here too. */
COFFER_MUST_CHECK enum coffer_err s3_multipart_complete(struct s3_client *c, const char *key,
							const char *upload_id,
							const struct s3_part *parts, size_t count);

/* Ends the upload and drops its parts. An upload that is not there any more succeeds. */
COFFER_MUST_CHECK enum coffer_err s3_multipart_abort(struct s3_client *c, const char *key,
						     const char *upload_id);

struct s3_upload {
	const char *key;
	const char *upload_id;
	int64_t initiated; /* seconds since the epoch */
};

/* Calls FN for each upload under PREFIX (s3_prefix_valid), page after page.
 * FN's pointers are valid during the call only; a result other than COFFER_OK stops the
 * listing and is returned. */
COFFER_MUST_CHECK enum coffer_err
s3_multipart_list(struct s3_client *c, const char *prefix,
		  enum coffer_err (*fn)(void *ctx, const struct s3_upload *u), void *ctx);

#endif
