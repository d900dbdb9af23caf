/* s3_client.c — the client's settings, its shared curl caches and its guarded secret (see
 * s3_client.h).
 *
 * Design points:
 * - Settings are checked once here, so that every request can trust them: the endpoint is
 *   parsed with libcurl's own URL parser (the one that will use it), http is allowed to a
 *   loopback address only, and the bucket and region are plain names (they become part of
 *   the URL and of the SigV4 scope).
 * - The secret is copied into sodium_malloc'd memory, made read-only, and sodium_free wipes
 *   it. libcurl keeps its own copy per handle while a request runs (CURLOPT_PASSWORD copies)
 *   and frees it without wiping: a known limit, docs/S3.md.
 * - curl_global_init (and sodium_init) run once per process (pthread_once): with 7.88
 *   curl_global_init is not thread-safe.
 */
#include "s3/s3_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "s3/s3_request.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000u
#define DEFAULT_STALL_TIMEOUT_S	   5u
#define DEFAULT_MAX_ATTEMPTS	   4u
#define DEFAULT_LIST_PAGE_SIZE	   1000u
#define ATTEMPTS_MAX		   10u
#define SECRET_MAX		   256u

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* libsodium too: the secret's guarded memory and the retries' jitter need it. */
static void curl_init(void)
{
	curl_init_rc =
	    sodium_init() < 0 ? CURLE_FAILED_INIT : curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool s3_key_valid(const char *key)
{
	if (key == NULL || key[0] == '\0' || key[0] == '/')
		return false;
	size_t seg = 0; /* length of the current path segment */
	size_t dots = 0;
	size_t i;
	for (i = 0; key[i] != '\0'; i++) {
		char ch = key[i];
		if (i >= S3_KEY_MAX)
			return false;
		if (ch == '/') {
			if (seg == 0 || (seg == dots && dots <= 2))
				return false; /* "//", "/./", "/../": curl or the store would fold
						 them */
			seg = dots = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
		seg++;
		if (ch == '.')
			dots++;
	}
	return !(seg == dots && dots <= 2); /* nor may it end in "/", "/." or "/.." */
}

bool s3_prefix_valid(const char *prefix)
{
	char key[S3_KEY_MAX + 1];
	if (prefix == NULL)
		return false;
	size_t n = strlen(prefix);
	if (n == 0)
		return true;
	if (n > S3_KEY_MAX)
		return false;
	memcpy(key, prefix, n + 1);
	if (key[n - 1] == '/')
		key[n - 1] = '\0';
	return s3_key_valid(key);
}

static bool bucket_valid(const char *b)
{
	size_t n = b != NULL ? strlen(b) : 0;
	if (n < 3 || n > S3_BUCKET_MAX || b[0] == '.' || b[0] == '-' || b[n - 1] == '.' ||
	    b[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
		      b[i] == '-'))
			return false;
	return true;
}

static bool region_valid(const char *r)
{
	size_t n = r != NULL ? strlen(r) : 0;
	if (n == 0 || n > S3_REGION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return false;
	return true;
}

/* A printable key id without spaces: it goes into the Authorization header's credential. */
static bool key_id_valid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == '/' || id[i] == ',')
			return false;
	return true;
}

static bool loopback(const char *host)
{
	unsigned char addr[16];
	char buf[64];
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1 && IN6_IS_ADDR_LOOPBACK((void *)addr);
	}
	return inet_pton(AF_INET, host, addr) == 1 && addr[0] == 127;
}

static bool config_refused(const char *what)
{
	log_msg(LOG_ERROR, "s3_config", "%s", what);
	return true;
}

/* HOST's addresses as one CURLOPT_RESOLVE entry "HOST:PORT:ADDR[,ADDR…]" into *OUT, or
 * nothing when HOST is an address itself (libcurl then resolves nothing). libcurl's resolver
 * would start a thread for each look-up, which the web process's sandbox does not allow once
 * it is up; resolved here, at start, the names never need it again. A store that moves to
 * another address needs a restart. */
static enum coffer_err pin_addresses(const char *host, const char *port, struct curl_slist **out)
{
	unsigned char addr[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, addr) == 1 || host[0] == '[')
		return COFFER_OK;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG},
			*res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		log_msg(LOG_ERROR, "s3_config", "cannot resolve %s: %s", host, gai_strerror(rc));
		return COFFER_ERR_UNAVAILABLE;
	}
	char entry[1024];
	int n = snprintf(entry, sizeof entry, "%s:%s:", host, port);
	bool first = true;
	for (struct addrinfo *a = res; a != NULL && n > 0; a = a->ai_next) {
		char text[INET6_ADDRSTRLEN];
		const void *src =
		    a->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
		    inet_ntop(a->ai_family, src, text, sizeof text) == NULL)
			continue;
		char piece[INET6_ADDRSTRLEN + 4];
		int len =
		    snprintf(piece, sizeof piece, a->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
			     first ? "" : ",", text);
		if (len < 0 || (size_t)(n + len) >= sizeof entry)
			break; /* as many addresses as fit: a name with hundreds has plenty */
		memcpy(entry + n, piece, (size_t)len + 1);
		n += len;
		first = false;
	}
	freeaddrinfo(res);
	if (first || n <= 0 || (size_t)n >= sizeof entry)
		return COFFER_ERR_UNAVAILABLE;
	*out = curl_slist_append(NULL, entry);
	return *out != NULL ? COFFER_OK : COFFER_ERR_NOMEM;
}

/* Parses ENDPOINT; writes the base URL of every request into *BASE (caller frees) and pins
 * the request host's addresses into *RESOLVE. */
static enum coffer_err make_base_url(const struct s3_config *cfg, char **base,
				     struct curl_slist **resolve)
{
	enum coffer_err err = COFFER_ERR_CONFIG;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL,
	     *fragment = NULL;
	CURLU *u = curl_url();
	if (u == NULL)
		return COFFER_ERR_NOMEM;
	if (cfg->endpoint == NULL ||
	    curl_url_set(u, CURLUPART_URL, cfg->endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		config_refused("s3_endpoint is not a URL");
		goto out;
	}
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	(void)curl_url_get(u, CURLUPART_PATH, &path, 0);
	(void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
	(void)curl_url_get(u, CURLUPART_USER, &user, 0);
	(void)curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
	if ((path != NULL && strcmp(path, "/") != 0 && path[0] != '\0') || query != NULL ||
	    user != NULL || fragment != NULL) {
		config_refused("s3_endpoint must be scheme://host[:port] only");
		goto out;
	}
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && loopback(host))) {
		config_refused("s3_endpoint must be https (http only to a loopback address)");
		goto out;
	}
	size_t len = strlen(scheme) + strlen(host) + (port != NULL ? strlen(port) : 0) +
		     strlen(cfg->bucket) + sizeof "://.:/";
	*base = malloc(len);
	if (*base == NULL) {
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	if (cfg->virtual_hosted)
		snprintf(*base, len, "%s://%s.%s%s%s", scheme, cfg->bucket, host,
			 port != NULL ? ":" : "", port != NULL ? port : "");
	else
		snprintf(*base, len, "%s://%s%s%s/%s", scheme, host, port != NULL ? ":" : "",
			 port != NULL ? port : "", cfg->bucket);
	char request_host[S3_BUCKET_MAX + 2 + 256];
	unsigned char addr[sizeof(struct in6_addr)];
	if (strlen(host) > 255)
		goto out;
	if (cfg->virtual_hosted && (host[0] == '[' || inet_pton(AF_INET, host, addr) == 1)) {
		config_refused("virtual-hosted style (s3_path_style = false) needs a host name");
		goto out;
	}
	snprintf(request_host, sizeof request_host, "%s%s%s",
		 cfg->virtual_hosted ? cfg->bucket : "", cfg->virtual_hosted ? "." : "", host);
	err = pin_addresses(request_host,
			    port != NULL ? port : (strcmp(scheme, "https") == 0 ? "443" : "80"),
			    resolve);
	if (err == COFFER_ERR_UNAVAILABLE) /* perhaps for now only: not a CONFIG error */
		log_msg(LOG_ERROR, "s3_config", "s3_endpoint's host does not resolve");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_free(fragment);
	curl_url_cleanup(u);
	return err;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct s3_client *c = ud;
	(void)h;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct s3_client *c = ud;
	(void)h;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->locks[data]);
}

static unsigned int or_default(unsigned int v, unsigned int dflt)
{
	return v != 0 ? v : dflt;
}

enum coffer_err s3_client_new(const struct s3_config *cfg, struct s3_client **out)
{
	enum coffer_err err = COFFER_ERR_CONFIG;
	struct s3_client *c = NULL;
	if (cfg == NULL || out == NULL)
		return COFFER_ERR_INVALID_INPUT;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		log_msg(LOG_ERROR, "s3_config", "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return COFFER_ERR_INTERNAL;
	}
	size_t secret_len = cfg->secret_access_key != NULL ? strlen(cfg->secret_access_key) : 0;
	if ((!bucket_valid(cfg->bucket) && config_refused("s3_bucket is not a bucket name")) ||
	    (!region_valid(cfg->region) && config_refused("s3_region is not a region name")) ||
	    (!key_id_valid(cfg->access_key_id) &&
	     config_refused("s3_access_key_id is empty or not printable")) ||
	    ((secret_len == 0 || secret_len > SECRET_MAX) &&
	     config_refused("s3_secret_access_key is missing or too long")) ||
	    (cfg->virtual_hosted && cfg->bucket != NULL && strchr(cfg->bucket, '.') != NULL &&
	     config_refused("a bucket name with a dot needs path style (TLS names)")) ||
	    (cfg->max_attempts > ATTEMPTS_MAX && config_refused("too many attempts")))
		return COFFER_ERR_CONFIG;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return COFFER_ERR_NOMEM;
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	err = make_base_url(cfg, &c->base_url, &c->resolve);
	if (err != COFFER_OK)
		goto out;
	err = COFFER_ERR_NOMEM;
	c->access_key_id = strdup(cfg->access_key_id);
	c->ca_file = cfg->ca_file != NULL ? strdup(cfg->ca_file) : NULL;
	c->secret = sodium_malloc(secret_len + 1);
	c->share = curl_share_init();
	if (c->access_key_id == NULL || (cfg->ca_file != NULL && c->ca_file == NULL) ||
	    c->secret == NULL || c->share == NULL)
		goto out;
	memcpy(c->secret, cfg->secret_access_key, secret_len + 1);
	sodium_mprotect_readonly(c->secret);
	snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", cfg->region);
	c->connect_timeout_ms = or_default(cfg->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
	c->stall_timeout_s = or_default(cfg->stall_timeout_s, DEFAULT_STALL_TIMEOUT_S);
	c->max_attempts = or_default(cfg->max_attempts, DEFAULT_MAX_ATTEMPTS);
	c->list_page_size = or_default(cfg->list_page_size, DEFAULT_LIST_PAGE_SIZE);
	if (c->list_page_size > DEFAULT_LIST_PAGE_SIZE)
		c->list_page_size = DEFAULT_LIST_PAGE_SIZE; /* S3 answers at most 1000 anyway */
	atomic_init(&c->connections, 0);
	if (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
		CURLSHE_OK) {
		err = COFFER_ERR_INTERNAL;
		goto out;
	}
	*out = c;
	c = NULL;
	err = COFFER_OK;
out:
	s3_client_free(c);
	return err;
}

void s3_client_free(struct s3_client *c)
{
	if (c == NULL)
		return;
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->locks[i]);
	sodium_free(c->secret);
	free(c->access_key_id);
	free(c->ca_file);
	free(c->base_url);
	curl_slist_free_all(c->resolve);
	free(c);
}

uint64_t s3_client_connections(const struct s3_client *c)
{
	return atomic_load(&c->connections);
}
