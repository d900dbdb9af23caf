/* config_s3.c — the object-store and residency settings (config_s3.h).
 *
 * The endpoint is a base URL, scheme://host[:port] and nothing after it: https to anywhere,
 * plain http only to a loopback address (a test's Swift on 127.0.0.1), since the object
 * store's signatures cover the request but not its secrecy, and the metadata of every
 * upload (which organisation, how large, when) would travel in clear. */
#include "config/config_s3.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static bool all_of(const char *v, const char *set, size_t min, size_t max)
{
	size_t n = strlen(v);
	return n >= min && n <= max && strspn(v, set) == n;
}

const char *config_set_blob_store(struct coffer_config *cfg, const char *v)
{
	if (strcmp(v, "file") == 0)
		cfg->blob_store = CONFIG_BLOBS_FILE;
	else if (strcmp(v, "s3") == 0)
		cfg->blob_store = CONFIG_BLOBS_S3;
	else
		return "expected file or s3";
	return NULL;
}

/* Whether HOST (no brackets) is a loopback address: 127.0.0.0/8 or ::1. Names are not:
 * what "localhost" resolves to is the resolver's to say. */
static bool loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Splits "host[:port]" or "[v6][:port]" (REST) into HOST; false when malformed. */
static bool endpoint_host(const char *rest, char host[CONFIG_HOST_MAX + 1])
{
	const char *end;
	size_t n;
	if (rest[0] == '[') {
		end = strchr(rest, ']');
		if (end == NULL)
			return false;
		n = (size_t)(end - rest - 1);
		if (n == 0 || n > CONFIG_HOST_MAX)
			return false;
		memcpy(host, rest + 1, n);
		host[n] = '\0';
		end++;
	} else {
		n = strcspn(rest, ":");
		if (n == 0 || n > CONFIG_HOST_MAX)
			return false;
		memcpy(host, rest, n);
		host[n] = '\0';
		if (strspn(host,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
			return false;
		end = rest + n;
	}
	if (*end == '\0')
		return true;
	/* A port: 1..65535, digits only. */
	if (*end != ':' || !all_of(end + 1, "0123456789", 1, 5))
		return false;
	long port = strtol(end + 1, NULL, 10);
	return port >= 1 && port <= 65535;
}

const char *config_set_s3_endpoint(struct coffer_config *cfg, const char *v)
{
	char host[CONFIG_HOST_MAX + 1], bare[CONFIG_URL_MAX + 1];
	size_t n = strlen(v);
	bool https = strncmp(v, "https://", 8) == 0, http = strncmp(v, "http://", 7) == 0;
	if (n > CONFIG_URL_MAX || (!https && !http))
		return "expected https://HOST[:PORT]";
	size_t scheme = https ? 8 : 7;
	if (n > scheme && v[n - 1] == '/')
		n--; /* one trailing slash names the same base; it is not kept */
	if (n <= scheme)
		return "expected https://HOST[:PORT]";
	memcpy(bare, v + scheme, n - scheme);
	bare[n - scheme] = '\0';
	if (!endpoint_host(bare, host))
		return "expected https://HOST[:PORT] with nothing after the host and port";
	if (http && !loopback(host))
		return "plain http only to a loopback address (127.0.0.0/8, ::1): use https";
	memcpy(cfg->s3_endpoint, v, n);
	cfg->s3_endpoint[n] = '\0';
	return NULL;
}

const char *config_set_s3_ca_file(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > CONFIG_PATH_MAX)
		return "expected a path to a PEM file";
	memcpy(cfg->s3_ca_file, v, n + 1);
	return NULL;
}

/* S3's bucket naming rules: 3 to 63 of lowercase letters, digits, '.' and '-', beginning and
 * ending with a letter or digit. */
const char *config_set_s3_bucket(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (!all_of(v, "abcdefghijklmnopqrstuvwxyz0123456789.-", 3, CONFIG_S3_BUCKET_MAX) ||
	    v[0] == '.' || v[0] == '-' || v[n - 1] == '.' || v[n - 1] == '-')
		return "expected a bucket name: 3 to 63 of a-z, 0-9, '.', '-'";
	memcpy(cfg->s3_bucket, v, n + 1);
	return NULL;
}

/* A region name such as eu-west-2. */
static const char *set_region(char out[CONFIG_REGION_MAX + 1], const char *v)
{
	if (!all_of(v, "abcdefghijklmnopqrstuvwxyz0123456789-", 1, CONFIG_REGION_MAX))
		return "expected a region name such as eu-west-2";
	memcpy(out, v, strlen(v) + 1);
	return NULL;
}

const char *config_set_s3_region(struct coffer_config *cfg, const char *v)
{
	return set_region(cfg->s3_region, v);
}

const char *config_set_data_region(struct coffer_config *cfg, const char *v)
{
	return set_region(cfg->data_region, v);
}

/* Access key ids: AWS's are upper-case letters and digits; Swift's tempauth ones are
 * account:user. Nothing that would need quoting anywhere. */
const char *config_set_s3_access_key_id(struct coffer_config *cfg, const char *v)
{
	if (!all_of(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:._-", 1,
		    CONFIG_S3_KEY_ID_MAX))
		return "expected an access key id (letters, digits, ':', '.', '_', '-')";
	memcpy(cfg->s3_access_key_id, v, strlen(v) + 1);
	return NULL;
}

const char *config_set_s3_path_style(struct coffer_config *cfg, const char *v)
{
	if (strcmp(v, "true") == 0)
		cfg->s3_path_style = true;
	else if (strcmp(v, "false") == 0)
		cfg->s3_path_style = false;
	else
		return "expected true or false";
	return NULL;
}

const char *config_s3_missing(const struct coffer_config *cfg)
{
	if (cfg->s3_endpoint[0] == '\0')
		return "needs s3_endpoint";
	if (cfg->s3_bucket[0] == '\0')
		return "needs s3_bucket";
	if (cfg->s3_region[0] == '\0')
		return "needs s3_region";
	if (cfg->s3_access_key_id[0] == '\0')
		return "needs s3_access_key_id (the secret key is `coffer secret set "
		       "s3_secret_access_key`)";
	return NULL;
}
