/* s3_sha256.h — the SHA-256 of a request's payload in lowercase hex, as SigV4 signs it in
 * x-amz-content-sha256 (OpenSSL's EVP digest). */
#ifndef COFFER_S3_SHA256_H
#define COFFER_S3_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define S3_SHA256_HEX_BUF 65 /* 64 hex digits and the NUL */

/* The hash of no bytes: the payload hash of GET, HEAD and DELETE. */
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

COFFER_MUST_CHECK enum coffer_err s3_sha256_hex(const void *data, size_t len,
						char out[S3_SHA256_HEX_BUF]);

/* The hash of LENGTH bytes of FD from OFFSET, read with pread in fixed-size blocks.
 * COFFER_ERR_IO when the file ends first or cannot be read. */
COFFER_MUST_CHECK enum coffer_err s3_sha256_fd(int fd, uint64_t offset, uint64_t length,
					       char out[S3_SHA256_HEX_BUF]);

/* True when S is 64 lowercase hex digits. */
bool s3_sha256_hex_valid(const char *s);

#endif
