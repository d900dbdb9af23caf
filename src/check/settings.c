/* settings.c — what coffer.conf sets, against the baseline: session lifetimes (OWASP ASVS
 * 3.3: 30 minutes idle, 12 hours at most), trusted proxies, where metrics are served,
 * PostgreSQL's TLS, the object store's transport and data_region. */
#include <stdio.h>
#include <string.h>

#include "check/check.h"

#define IDLE_MAX_S     (30 * 60)
#define ABSOLUTE_MAX_S (12 * 3600)
/* IPv4 blocks are held IPv4-mapped (::ffff:0:0/96), so a /8 of IPv4 is a /104 here. */
#define V4_MAPPED_PREFIX 96
#define V4_WIDEST_SANE	 8
#define V6_WIDEST_SANE	 32

void check_sessions(const struct coffer_config *cfg, struct check_findings *f)
{
	if (cfg->session_idle_ttl > IDLE_MAX_S)
		check_add(f, "session.idle_ttl", CHECK_WARNING,
			  "session_idle_ttl = 1800 or less in coffer.conf",
			  "sessions end after %ld s idle, more than 30 minutes",
			  cfg->session_idle_ttl);
	else
		check_add(f, "session.idle_ttl", CHECK_OK, NULL, "sessions end after %ld s idle",
			  cfg->session_idle_ttl);
	if (cfg->session_absolute_ttl > ABSOLUTE_MAX_S)
		check_add(f, "session.absolute_ttl", CHECK_WARNING,
			  "session_absolute_ttl = 43200 or less in coffer.conf",
			  "sessions last up to %ld s, more than 12 hours",
			  cfg->session_absolute_ttl);
	else
		check_add(f, "session.absolute_ttl", CHECK_OK, NULL, "sessions last up to %ld s",
			  cfg->session_absolute_ttl);
}

static bool is_v4(const struct cidr *c)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return c->prefix >= V4_MAPPED_PREFIX && memcmp(c->addr.bytes, mapped, 12) == 0;
}

void check_trusted_proxies(const struct coffer_config *cfg, struct check_findings *f)
{
	size_t everyone = 0, wide = 0;
	char first[64] = "";
	for (size_t i = 0; i < cfg->n_trusted_proxies; i++) {
		const struct cidr *c = &cfg->trusted_proxies[i];
		char addr[46];
		unsigned int prefix = is_v4(c) ? c->prefix - V4_MAPPED_PREFIX : c->prefix;
		netaddr_format(&c->addr, addr);
		/* ::/0, or a block holding every IPv4 address (::ffff:0:0/96 or wider). */
		static const struct netaddr any_v4 = {
		    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}};
		if (c->prefix == 0 ||
		    (c->prefix <= V4_MAPPED_PREFIX && cidr_contains(c, &any_v4))) {
			everyone++;
			if (first[0] == '\0')
				snprintf(first, sizeof first, "%s/%u", addr, prefix);
			continue;
		}
		if ((is_v4(c) && prefix < V4_WIDEST_SANE) ||
		    (!is_v4(c) && prefix < V6_WIDEST_SANE)) {
			wide++;
			if (first[0] == '\0')
				snprintf(first, sizeof first, "%s/%u", addr, prefix);
		}
	}
	const char *fix = "list only the reverse proxies' own addresses in trusted_proxies";
	if (everyone > 0)
		check_add(f, "proxies.trusted", CHECK_ERROR, fix,
			  "trusted_proxies holds %s: any client can forge X-Forwarded-For and so "
			  "its address (throttling and login policies)",
			  first);
	else if (wide > 0)
		check_add(f, "proxies.trusted", CHECK_WARNING, fix,
			  "trusted_proxies holds %s, a very wide block", first);
	else if (cfg->n_trusted_proxies == 0)
		check_add(f, "proxies.trusted", CHECK_OK, NULL,
			  "no trusted proxy: the TCP peer is the client");
	else
		check_add(f, "proxies.trusted", CHECK_OK, NULL, "%zu trusted proxies, none wide",
			  cfg->n_trusted_proxies);
}

static bool loopback_host(const char *host)
{
	struct netaddr a;
	static const struct cidr v4 = {{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 0}},
				       104};
	if (strcmp(host, "localhost") == 0)
		return true;
	if (!netaddr_parse(host, &a))
		return false;
	static const struct netaddr v6 = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
	return cidr_contains(&v4, &a) || memcmp(a.bytes, v6.bytes, 16) == 0;
}

void check_metrics(const struct coffer_config *cfg, struct check_findings *f)
{
	if (!cfg->metrics_on)
		check_add(f, "metrics.listen", CHECK_OK, NULL, "metrics are not served");
	else if (loopback_host(cfg->metrics_listen.host))
		check_add(f, "metrics.listen", CHECK_OK, NULL,
			  "metrics are served on loopback (%s)", cfg->metrics_listen.host);
	else
		check_add(f, "metrics.listen", CHECK_WARNING,
			  "metrics_listen on 127.0.0.1 (scrape through a tunnel or a local agent), "
			  "or firewall it to the scraper alone",
			  "metrics are served in plain HTTP on %s", cfg->metrics_listen.host);
}

void check_database(const struct coffer_config *cfg, struct check_findings *f)
{
	if (cfg->database != CONFIG_DB_POSTGRESQL) {
		check_add(f, "database.pg_sslmode", CHECK_OK, NULL,
			  "the store is SQLite in the data directory");
		return;
	}
	const char *mode = config_pg_sslmode_name(cfg->pg_sslmode);
	if (config_pg_host_is_socket(cfg->pg_host))
		check_add(f, "database.pg_sslmode", CHECK_OK, NULL,
			  "PostgreSQL is reached over a unix socket (%s)", cfg->pg_host);
	else if (cfg->pg_sslmode == CONFIG_PG_SSL_VERIFY_FULL)
		check_add(f, "database.pg_sslmode", CHECK_OK, NULL,
			  "PostgreSQL over TCP with sslmode verify-full");
	else
		check_add(f, "database.pg_sslmode",
			  cfg->pg_sslmode <= CONFIG_PG_SSL_PREFER ? CHECK_ERROR : CHECK_WARNING,
			  "pg_sslmode = verify-full, with pg_sslrootcert naming the server's CA",
			  "PostgreSQL over TCP (%s) with sslmode %s: %s",
			  cfg->pg_host[0] ? cfg->pg_host : "localhost", mode,
			  cfg->pg_sslmode <= CONFIG_PG_SSL_PREFER
			      ? "the connection may be unencrypted"
			      : "the server's identity is not fully checked");
}

void check_blob_store(const struct coffer_config *cfg, struct check_findings *f)
{
	if (cfg->blob_store != CONFIG_BLOBS_S3)
		check_add(f, "blob_store.transport", CHECK_OK, NULL,
			  "file contents are kept in the data directory");
	else if (strncmp(cfg->s3_endpoint, "http://", 7) == 0)
		check_add(f, "blob_store.transport", CHECK_INFO, NULL,
			  "the object store is reached in plain HTTP at %s, a loopback address "
			  "(contents are encrypted before they leave)",
			  cfg->s3_endpoint);
	else
		check_add(f, "blob_store.transport", CHECK_OK, NULL,
			  "the object store is reached over HTTPS at %s", cfg->s3_endpoint);
}

void check_data_region(const struct coffer_config *cfg, struct check_findings *f)
{
	if (cfg->data_region[0] == '\0')
		check_add(f, "data_region.consistent", CHECK_INFO, NULL,
			  "no data_region: no promise is made of where the data stays");
	else if (cfg->blob_store == CONFIG_BLOBS_S3 &&
		 strcmp(cfg->s3_region, cfg->data_region) != 0)
		check_add(f, "data_region.consistent", CHECK_ERROR,
			  "s3_region and the bucket's location must be data_region",
			  "data_region is %s but s3_region is %s", cfg->data_region,
			  cfg->s3_region);
	else
		check_add(f, "data_region.consistent", CHECK_OK, NULL, "data_region is %s%s",
			  cfg->data_region,
			  cfg->blob_store == CONFIG_BLOBS_S3
			      ? ", as s3_region (the bucket's own location is checked at start)"
			      : "; file contents stay in the data directory");
}
