/* s3_sha256.c — payload hashes for SigV4 (see s3_sha256.h). */
#include "s3/s3_sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define READ_BLOCK (256u * 1024u)

static void to_hex(const unsigned char *md, char out[S3_SHA256_HEX_BUF])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[64] = '\0';
}

enum coffer_err s3_sha256_hex(const void *data, size_t len, char out[S3_SHA256_HEX_BUF])
{
	unsigned char md[32];
	if (data == NULL && len > 0)
		return COFFER_ERR_INVALID_INPUT;
	if (EVP_Digest(len > 0 ? data : "", len, md, NULL, EVP_sha256(), NULL) != 1)
		return COFFER_ERR_CRYPTO;
	to_hex(md, out);
	return COFFER_OK;
}

enum coffer_err s3_sha256_fd(int fd, uint64_t offset, uint64_t length, char out[S3_SHA256_HEX_BUF])
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	unsigned char md[32];
	unsigned char *buf = NULL;
	EVP_MD_CTX *ctx = NULL;
	if (fd < 0 || offset > INT64_MAX || length > (uint64_t)INT64_MAX - offset)
		return COFFER_ERR_INVALID_INPUT;
	buf = malloc(READ_BLOCK);
	ctx = EVP_MD_CTX_new();
	if (buf == NULL || ctx == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (uint64_t done = 0; done < length;) {
		size_t want = length - done < READ_BLOCK ? (size_t)(length - done) : READ_BLOCK;
		ssize_t n = pread(fd, buf, want, (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_msg(LOG_ERROR, "s3_body_read", "%s",
				n < 0 ? strerror(errno) : "the file ends before the body");
			err = COFFER_ERR_IO;
			goto out;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
		done += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		goto out;
	to_hex(md, out);
	err = COFFER_OK;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

bool s3_sha256_hex_valid(const char *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}
