/* s3_client.h — a client of an S3-compatible object store (AWS S3, OpenStack Swift's s3api):
 * one bucket, one set of credentials, shared by every thread of the process.
 *
 * The operations are declared beside it: s3_objects.h (put, ranged get, head, delete),
 * s3_multipart.h (multipart uploads and their listing), s3_list.h (objects under a prefix) and
 * s3_bucket.h (the bucket's existence and region). docs/S3.md describes what is signed, the
 * retries and timeouts, and the limits of Debian's libcurl (7.88) that this code works around.
 *
 * Design points:
 * - Every request is signed with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4); the
 *   access key id and the secret go to curl separately (CURLOPT_USERNAME / CURLOPT_PASSWORD),
 *   because Swift's tempauth key ids hold a colon.
 * - The secret lives in guarded memory (sodium_malloc, read-only once copied) and is wiped when
 *   the client is freed. It is never logged; errors name the operation, the key and S3's code.
 * - A client is thread-safe: each call uses its own curl handle, and the handles share one
 *   connection cache, DNS cache and TLS session cache, so that connections are reused.
 * - Object keys are only ever [A-Za-z0-9/._-] (s3_key_valid): libcurl 7.88 signs the path as
 *   written, so a key never needs encoding.
 */
#ifndef COFFER_S3_CLIENT_H
#define COFFER_S3_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define S3_KEY_MAX	  1024 /* S3's own limit on a key, in bytes */
#define S3_BUCKET_MAX	  63
#define S3_REGION_MAX	  63
#define S3_UPLOAD_ID_MAX  255
#define S3_ETAG_MAX	  127
#define S3_ERROR_CODE_MAX 63

struct s3_config {
	/* "https://host[:port]", or "http://" to a loopback address only (tests). No path, query
	 * or user information. */
	const char *endpoint;
	const char *ca_file; /* PEM file of the CA to trust instead of the system's; NULL: none */
	const char *bucket;  /* [a-z0-9.-], 3 to 63 characters */
	const char *region;  /* the signing region, e.g. "eu-west-2" */
	const char *access_key_id;
	/* Borrowed for the call only: copied into guarded memory. The caller wipes its own. */
	const char *secret_access_key;
	bool virtual_hosted; /* false (the default): path style, ENDPOINT/BUCKET/KEY */
	/* Tuning; 0 means the default (docs/S3.md). */
	unsigned int connect_timeout_ms; /* 5000 */
	unsigned int stall_timeout_s;	 /* 5: a transfer that moves no byte for this long fails */
	unsigned int max_attempts;	 /* 4: tries of one request, retries included */
	unsigned int list_page_size;	 /* 1000: keys or uploads asked for per listing request */
};

struct s3_client;

/* Checks CONFIG and makes a client; caller frees with s3_client_free. COFFER_ERR_CONFIG when a
 * setting is refused (the log says which, never the secret). */
COFFER_MUST_CHECK enum coffer_err s3_client_new(const struct s3_config *config,
						struct s3_client **out);
/* Closes the client's connections and wipes its secret. NULL is allowed. No call may be under
 * way on C. */
void s3_client_free(struct s3_client *c);

/* The number of connections the client has opened so far (a reused connection is not counted):
 * for tests and metrics. */
uint64_t s3_client_connections(const struct s3_client *c);

/* True when KEY can name an object: 1 to S3_KEY_MAX characters of [A-Za-z0-9/._-], not starting
 * with '/', no empty, "." or ".." path segment. */
bool s3_key_valid(const char *key);

/* True when PREFIX can select keys in a listing: "", a valid key, or one followed by '/'. */
bool s3_prefix_valid(const char *prefix);

#endif
