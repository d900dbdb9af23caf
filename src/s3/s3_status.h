/* s3_status.h — what an answer of the store means for coffer: the one table from HTTP statuses
 * and libcurl's transport errors to enum coffer_err, and which of them are worth a retry.
 *
 *	2xx				COFFER_OK
 *	403				COFFER_ERR_FORBIDDEN (S3's code, e.g. SignatureDoesNotMatch,
 *logged) 404				COFFER_ERR_NOT_FOUND (NoSuchKey, NoSuchBucket, NoSuchUpload)
 *	429, 5xx but 501, timeouts,	retried; after the last attempt COFFER_ERR_UNAVAILABLE
 *	refused or cut connections
 *	TLS verification failures	COFFER_ERR_CONFIG (wrong CA file or host name: no retry)
 *	other 4xx and 501		COFFER_ERR_IO (a request the store refuses; never retried)
 *	anything else (3xx: no		COFFER_ERR_STORAGE
 *	redirect is followed)
 */
#ifndef COFFER_S3_STATUS_H
#define COFFER_S3_STATUS_H

#include <curl/curl.h>
#include <stdbool.h>

#include "common/err.h"

enum coffer_err s3_status_err(long status);
bool s3_status_retryable(long status);

/* A transfer that failed before an HTTP answer came. */
enum coffer_err s3_transport_err(CURLcode rc);
bool s3_transport_retryable(CURLcode rc);

#endif
