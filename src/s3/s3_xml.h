/* s3_xml.h — the store's XML answers, read with libexpat: the result of CreateMultipartUpload,
 * CompleteMultipartUpload, ListMultipartUploads, ListObjectsV2, GetBucketLocation, and <Error>.
 *
 * Design points:
 * - An answer is untrusted input: it is read only up to S3_XML_MAX bytes, a DOCTYPE (and so
 *   any entity declaration) is refused, elements nest at most S3_XML_DEPTH_MAX deep, and every
 *   field has a fixed capacity: text beyond it fails the answer instead of being cut.
 * - Only the elements read are looked at, by their path from the root; anything else is
 *   skipped, so that extra fields in a newer store's answers do no harm. Text inside an element
 *   that is read must be text only (no child element), and each appears once per scope.
 * - Every reader answers COFFER_ERR_IO for an answer it cannot read (not XML, wrong root, a
 *   field too long, a number or time that is not one), whatever the detail.
 */
#ifndef COFFER_S3_XML_H
#define COFFER_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "s3/s3_client.h"
#include "s3/s3_list.h"
#include "s3/s3_multipart.h"

#define S3_XML_MAX	 (4u * 1024u * 1024u)
#define S3_XML_DEPTH_MAX 16
#define S3_TOKEN_MAX	 1024 /* a ListObjectsV2 continuation token */

/* <Error><Code>…</Code></Error>: S3's error code (e.g. "NoSuchKey") into CODE. */
COFFER_MUST_CHECK enum coffer_err s3_xml_error(const char *xml, size_t len,
					       char code[S3_ERROR_CODE_MAX + 1]);

/* <InitiateMultipartUploadResult><UploadId>: the new upload's id (not empty). */
COFFER_MUST_CHECK enum coffer_err s3_xml_initiate(const char *xml, size_t len,
						  char upload_id[S3_UPLOAD_ID_MAX + 1]);

/* <CompleteMultipartUploadResult> (CODE set to "") or <Error> (CODE set to its code): S3 may
 * answer 200 and still fail the completion. */
COFFER_MUST_CHECK enum coffer_err s3_xml_complete(const char *xml, size_t len,
						  char code[S3_ERROR_CODE_MAX + 1]);

/* <LocationConstraint>: the region, "" when S3 means us-east-1. */
COFFER_MUST_CHECK enum coffer_err s3_xml_location(const char *xml, size_t len,
						  char region[S3_REGION_MAX + 1]);

/* Where the next page of a listing starts. */
struct s3_xml_page {
	bool truncated;
	char next_key_marker[S3_KEY_MAX + 1];		  /* ListMultipartUploads */
	char next_upload_id_marker[S3_UPLOAD_ID_MAX + 1]; /* ListMultipartUploads */
	char next_token[S3_TOKEN_MAX + 1];		  /* ListObjectsV2 */
};

/* <ListMultipartUploadsResult>: FN for each <Upload> in order (stops at FN's first error,
 * returned), then *PAGE. A truncated page must name where the next one starts. */
COFFER_MUST_CHECK enum coffer_err s3_xml_uploads(const char *xml, size_t len,
						 enum coffer_err (*fn)(void *ctx,
								       const struct s3_upload *u),
						 void *ctx, struct s3_xml_page *page);

/* <ListBucketResult> of ListObjectsV2: FN for each <Contents>, then *PAGE (as above). */
COFFER_MUST_CHECK enum coffer_err s3_xml_objects(const char *xml, size_t len,
						 enum coffer_err (*fn)(void *ctx,
								       const struct s3_object *o),
						 void *ctx, struct s3_xml_page *page);

/* "2026-12-07T10:00:00.000Z" (fraction optional, at most 9 digits, Z only) to seconds since
 * the epoch. False for anything else, or a date that does not exist. */
bool s3_xml_time(const char *s, int64_t *out);

#endif
