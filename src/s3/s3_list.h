/* s3_list.h — the objects under a prefix (ListObjectsV2), page after page. */
#ifndef COFFER_S3_LIST_H
#define COFFER_S3_LIST_H

#include <stdint.h>

#include "common/err.h"
#include "s3/s3_client.h"

struct s3_object {
	const char *key;
	uint64_t size;
	int64_t last_modified; /* seconds since the epoch */
};

/* Calls FN for each object under PREFIX (s3_prefix_valid), in key order. FN's
 * pointers are valid during the call only; a result other than COFFER_OK stops the listing and
 * is returned. */
COFFER_MUST_CHECK enum coffer_err
s3_list_objects(struct s3_client *c, const char *prefix,
		enum coffer_err (*fn)(void *ctx, const struct s3_object *o), void *ctx);

#endif
