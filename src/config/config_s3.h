/* config_s3.h — coffer.conf's object-store settings (blob_store = s3; docs/STORAGE.md) and the
 * data residency setting, as config.c's key table reaches them. */
#ifndef COFFER_CONFIG_S3_H
#define COFFER_CONFIG_S3_H

#include "config/config.h"

/* Setters of one key each: NULL when V is taken, else what is wrong with it. */
const char *config_set_blob_store(struct coffer_config *cfg, const char *v);
const char *config_set_s3_endpoint(struct coffer_config *cfg, const char *v);
const char *config_set_s3_ca_file(struct coffer_config *cfg, const char *v);
const char *config_set_s3_bucket(struct coffer_config *cfg, const char *v);
const char *config_set_s3_region(struct coffer_config *cfg, const char *v);
const char *config_set_s3_access_key_id(struct coffer_config *cfg, const char *v);
const char *config_set_s3_path_style(struct coffer_config *cfg, const char *v);
const char *config_set_data_region(struct coffer_config *cfg, const char *v);

/* What blob_store = s3 lacks among the settings it needs, or NULL. */
const char *config_s3_missing(const struct coffer_config *cfg);

#endif
