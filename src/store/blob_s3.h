/* blob_s3.h — the object-store kind of struct blob_store (blobs.h; blob_s3.c). */
#ifndef COFFER_BLOB_S3_H
#define COFFER_BLOB_S3_H

#include "s3/s3_client.h"
#include "store/blobs.h"

/* The blobs kept as objects in the bucket CFG names; uploads spool under DATA_DIR/spool.
 * COFFER_ERR_CONFIG when the client refuses a setting. Nothing is asked of the store yet: see
 * s3_bucket.h for the start-up checks, through blob_store_s3_client. */
COFFER_MUST_CHECK enum coffer_err blob_store_s3(const struct s3_config *cfg, const char *data_dir,
						struct blob_store **out);

/* The client behind BS, or NULL when BS is not of this kind. */
struct s3_client *blob_store_s3_client(struct blob_store *bs);

#endif
