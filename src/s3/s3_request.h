/* s3_request.h — inside the S3 client: its state, and the one function that sends a signed
 * request with its retries. Only src/s3/ includes this; callers use s3_client.h and the
 * operation headers.
 */
#ifndef COFFER_S3_REQUEST_H
#define COFFER_S3_REQUEST_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "s3/s3_client.h"
#include "s3/s3_objects.h"
#include "s3/s3_sha256.h"

struct s3_client {
	CURLSH *share; /* connection, DNS and TLS session caches of every call's handle */
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	char *base_url; /* "scheme://host[:port]/bucket" (path style) or "scheme://bucket.host" */
	/* The request host's addresses, resolved once by s3_client_new (CURLOPT_RESOLVE), or
	 * NULL when it is an address already: see s3_client.c. */
	struct curl_slist *resolve;
	char *ca_file; /* NULL: the system's CAs */
	char *access_key_id;
	char *secret; /* sodium_malloc'd, read-only: see s3_client.c */
	char sigv4[sizeof "aws:amz::s3" + S3_REGION_MAX];
	unsigned int connect_timeout_ms;
	unsigned int stall_timeout_s;
	unsigned int max_attempts;
	unsigned int list_page_size;
	_Atomic uint64_t connections;
};

struct s3_request {
	const char *op;	    /* names the operation in logs, e.g. "put_object" */
	const char *method; /* "GET", "HEAD", "PUT", "POST" or "DELETE" */
	const char *key;    /* checked with s3_key_valid; NULL: the bucket itself */
	const char *query;  /* canonical (s3_query_build), without '?'; NULL or "": none */
	/* PUT: the body, streamed from its file; BODY_SHA256 is its hash (resolved). */
	const struct s3_body *body;
	const char *body_sha256;
	/* POST: a body in memory (POST_LEN may be 0), sent as application/xml. */
	const char *post;
	size_t post_len;
	/* GET of a range: SINK_LEN bytes from RANGE_OFFSET into SINK, exactly. */
	void *sink;
	size_t sink_len;
	uint64_t range_offset;
	bool want_body; /* keep the answer's body (an XML document, up to S3_XML_MAX) */
};

struct s3_response {
	long status; /* of the last attempt; 0 when none answered */
	char *body;  /* the answer's body, NUL-terminated (when wanted, or an error's) */
	size_t body_len;
	uint64_t content_length; /* of a HEAD; UINT64_MAX when not given */
	char etag[S3_ETAG_MAX + 1];
	char content_range[96];			/* of a 206 */
	char error_code[S3_ERROR_CODE_MAX + 1]; /* S3's code of an error answer, or "" */
};

/* Sends RQ, retrying as s3_status.h says, and fills *RS (free it with s3_response_clear, also
 * on failure). COFFER_OK for a 2xx answer, else the mapped error, logged once with the
 * operation, the key, the status and S3's code. */
COFFER_MUST_CHECK enum coffer_err s3_request_send(struct s3_client *c, const struct s3_request *rq,
						  struct s3_response *rs);
void s3_response_clear(struct s3_response *rs);

/* The SHA-256 of BODY: the caller's when given (checked for form), else computed. */
COFFER_MUST_CHECK enum coffer_err s3_body_sha256(const struct s3_body *body,
						 char out[S3_SHA256_HEX_BUF]);

#endif
