/* s3_query.h — the query strings of S3 requests, written canonically.
 *
 * libcurl 7.88 signs the query exactly as written in the URL, while the store signs its
 * canonical form (parameters sorted by name, names and values percent-encoded with only RFC
 * 3986's unreserved characters kept, '=' always present). So the query is built here in that
 * form and never altered after: the two signatures then agree. A valueless parameter is
 * written "uploads=".
 */
#ifndef COFFER_S3_QUERY_H
#define COFFER_S3_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define S3_QUERY_MAX	    4096
#define S3_QUERY_PARAMS_MAX 8

struct s3_param {
	const char *name;  /* NULL ends a list */
	const char *value; /* "" for a valueless parameter */
};

/* Writes the canonical query of the COUNT PARAMS (any order, unique names) into OUT, without
 * the '?'; "" when COUNT is 0. COFFER_ERR_INVALID_INPUT when it would not fit in OUT_LEN or
 * COUNT is above S3_QUERY_PARAMS_MAX. */
COFFER_MUST_CHECK enum coffer_err s3_query_build(const struct s3_param *params, size_t count,
						 char *out, size_t out_len);

/* Percent-encodes the LEN bytes of IN as SigV4 does (A-Z a-z 0-9 - . _ ~ kept, anything else
 * %XX in upper case) into OUT. False when it would not fit in OUT_LEN (with its NUL). */
bool s3_uri_encode(const char *in, size_t len, char *out, size_t out_len);

#endif
