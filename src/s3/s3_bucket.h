/* s3_bucket.h — checks of the bucket itself, for start-up: that it exists and the credentials
 * open it, and where the store keeps it (data residency). */
#ifndef COFFER_S3_BUCKET_H
#define COFFER_S3_BUCKET_H

#include "common/err.h"
#include "s3/s3_client.h"

/* COFFER_OK when the bucket exists and the credentials may use it; COFFER_ERR_NOT_FOUND when
 * there is no such bucket, COFFER_ERR_FORBIDDEN when the store refuses the credentials (a
 * wrong secret, an unknown key id) or the bucket is someone else's. */
COFFER_MUST_CHECK enum coffer_err s3_bucket_check(struct s3_client *c);

/* The bucket's region as the store names it (GetBucketLocation). S3 answers an empty location
 * for us-east-1: REGION is then "us-east-1". */
COFFER_MUST_CHECK enum coffer_err s3_bucket_region(struct s3_client *c,
						   char region[S3_REGION_MAX + 1]);

#endif
