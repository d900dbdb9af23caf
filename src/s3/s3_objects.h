/* s3_objects.h — whole objects in the store: put from a file, read a byte range, size, delete.
 *
 * A body always comes from a region of an open file (struct s3_body) and is streamed from it,
 * so memory stays constant whatever its size, and a retry re-reads it from the file. Its
 * SHA-256 is sent in x-amz-content-sha256 and signed: the store refuses a body that differs.
 */
#ifndef COFFER_S3_OBJECTS_H
#define COFFER_S3_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "s3/s3_client.h"

#define S3_SHA256_HEX_LEN 64

/* LENGTH bytes of FD from OFFSET (read with pread: FD's position is not used). */
struct s3_body {
	int fd;
	uint64_t offset;
	uint64_t length;
	/* The lowercase hex SHA-256 of those bytes when the caller has it (e.g. computed while
	 * writing them); NULL: the client reads the region once more to compute it. A wrong one
	 * makes the store refuse the body (COFFER_ERR_IO). */
	const char *sha256_hex;
};

/* Stores BODY as KEY, replacing any object of that name. Up to 5 GiB (S3's limit on one PUT);
 * larger bodies go as multipart (s3_multipart.h). */
COFFER_MUST_CHECK enum coffer_err s3_put_object(struct s3_client *c, const char *key,
						const struct s3_body *body);

/* Reads exactly LEN bytes (1 or more) of KEY from OFFSET into BUF. COFFER_ERR_NOT_FOUND when
 * there is no such object, COFFER_ERR_IO when the object ends before OFFSET + LEN. */
COFFER_MUST_CHECK enum coffer_err s3_get_range(struct s3_client *c, const char *key,
					       uint64_t offset, void *buf, size_t len);

/* The size of KEY in bytes. COFFER_ERR_NOT_FOUND when there is none. */
COFFER_MUST_CHECK enum coffer_err s3_head_object(struct s3_client *c, const char *key,
						 uint64_t *size);

/* Deletes KEY. Deleting what is not there succeeds (idempotent). */
COFFER_MUST_CHECK enum coffer_err s3_delete_object(struct s3_client *c, const char *key);

#endif
