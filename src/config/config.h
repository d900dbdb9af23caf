/* config.h — coffer.conf: the settings of a deployment, parsed strictly.
 *
 * The file is `key = value` lines; `#` starts a comment anywhere on a line; blank lines are
 * ignored. An unknown key, a key given twice, or a bad value is an error naming the line.
 */
#ifndef COFFER_CONFIG_H
#define COFFER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"
#include "common/netaddr.h"

#define CONFIG_HOST_MAX		   255
#define CONFIG_MAX_TRUSTED_PROXIES 64
#define CONFIG_FILE_MAX		   (64 * 1024)

struct listen_addr {
	char host[CONFIG_HOST_MAX + 1]; /* a DNS name or an address literal, without brackets */
	uint16_t port;
};

#define CONFIG_PATH_MAX 1024
#define CONFIG_ZONE_MAX 64 /* TZ_NAME_MAX */

/* Where the deployment's data lives (docs/STORAGE.md). */
enum config_database { CONFIG_DB_SQLITE, CONFIG_DB_POSTGRESQL };

/* Where the organisations' file contents live (store/blobs.h). */
enum config_blob_store { CONFIG_BLOBS_FILE, CONFIG_BLOBS_S3 };

#define CONFIG_URL_MAX	     (8 + CONFIG_HOST_MAX + 2 + 6)
#define CONFIG_S3_BUCKET_MAX 63
#define CONFIG_S3_KEY_ID_MAX 128
#define CONFIG_REGION_MAX    32

/* libpq's sslmode values, weakest first. */
enum config_pg_sslmode {
	CONFIG_PG_SSL_DISABLE,
	CONFIG_PG_SSL_ALLOW,
	CONFIG_PG_SSL_PREFER,
	CONFIG_PG_SSL_REQUIRE,
	CONFIG_PG_SSL_VERIFY_CA,
	CONFIG_PG_SSL_VERIFY_FULL,
};

/* PostgreSQL's identifiers (role and database names) are at most NAMEDATALEN - 1 bytes. */
#define CONFIG_PG_NAME_MAX 63
/* A unix-socket directory: libpq appends "/.s.PGSQL.PORT" (at most 16 bytes) and the whole
 * must fit in sockaddr_un's 108 bytes with its NUL. */
#define CONFIG_PG_SOCKET_DIR_MAX (107 - 16)

/* reauthenticate_after's default and ceiling: 15 minutes, keyd's own (KEYD_REAUTH_AFTER_S). */
#define CONFIG_REAUTH_AFTER_MAX (15 * 60)

struct coffer_config {
	struct listen_addr listen;
	/* Where GET /metrics is served, plain HTTP (http/metrics_listener.h); off by default. */
	bool metrics_on;
	struct listen_addr metrics_listen;
	/* Alerts on suspicious activity (alerts/alerts.h): the command each alert is passed to,
	 * one JSON line on its standard input ("" when unset; run by /bin/sh -c), and the
	 * thresholds of the rules. */
	char alert_command[CONFIG_PATH_MAX + 1];
	unsigned int alert_signin_failures_account; /* consecutive failures of one account */
	unsigned int alert_signin_failures_address; /* failures from one address, in an hour */
	unsigned int alert_reads_per_hour; /* a member's reads in an hour before any judgement */
	unsigned int alert_reads_factor;   /* … and over this many times their busiest hour */
	char *tls_cert;			   /* path; relative paths are relative to the data dir */
	char *tls_key;
	/* An OCSP response (DER) for tls_cert, stapled to handshakes; NULL when unset. Relative
	 * to the data dir, as tls_cert. */
	char *tls_ocsp_file;
	long session_absolute_ttl; /* seconds */
	long session_idle_ttl;	   /* seconds */
	/* A sensitive change (ending sessions, people, policies, invitations, disabling, deleting)
	 * needs the password again once the session's last authentication is older than this
	 * (api/fresh_auth.h): seconds, 1 to CONFIG_REAUTH_AFTER_MAX. keyd holds its own requests
	 * to the maximum whatever this says, so it can only be made stricter. */
	long reauthenticate_after;
	struct cidr trusted_proxies[CONFIG_MAX_TRUSTED_PROXIES];
	size_t n_trusted_proxies;
	char *breached_passwords_file; /* NULL when unset */
	uint64_t max_file_size;	       /* bytes */
	enum log_level log_level;
	unsigned int header_timeout;	      /* seconds a connection has to send its headers */
	unsigned int connections_per_address; /* open connections one client address may hold */
	char *user; /* the account `coffer serve` runs as once started as root; NULL when unset */
	/* Nightly snapshots (backup/nightly.h): where (relative paths are relative to the data
	 * dir), at what local time of which zone, and how many days they are kept. */
	char backup_dir[CONFIG_PATH_MAX + 1];
	unsigned int backup_at; /* minute of the day, 0..1439 */
	char backup_time_zone[CONFIG_ZONE_MAX + 1];
	unsigned int backup_keep_days;
	/* PostgreSQL (database = postgresql; docs/STORAGE.md). PG_HOST is a host name, an
	 * address, or an absolute unix-socket directory ("" when unset); PG_SSLROOTCERT is a path,
	 * relative ones relative to the data dir ("" when unset). The password is never here: it
	 * is a sealed secret (`coffer secret set pg_password`). */
	enum config_database database;
	char pg_host[CONFIG_HOST_MAX + 1];
	uint16_t pg_port;
	char pg_user[CONFIG_PG_NAME_MAX + 1];
	char pg_database[CONFIG_PG_NAME_MAX + 1]; /* the system database */
	enum config_pg_sslmode pg_sslmode;
	char pg_sslrootcert[CONFIG_PATH_MAX + 1];
	unsigned int pg_pool_size; /* connections one node holds, all databases together */
	/* How long one statement, or a COMMIT, may take before the request fails with 503. */
	unsigned int pg_statement_timeout_ms;
	/* Statements prepared once per connection (off behind pgbouncer's transaction pooling
	 * before 1.21: store/postgres/pg_prepared.h). */
	bool pg_prepared_statements;
	/* File contents (blob_store = s3; docs/STORAGE.md). S3_ENDPOINT is a base URL without a
	 * path; S3_CA_FILE a PEM path, relative ones relative to the data dir ("" when unset:
	 * the system's). The secret key is never here: `coffer secret set s3_secret_access_key`.
	 */
	enum config_blob_store blob_store;
	char s3_endpoint[CONFIG_URL_MAX + 1];
	char s3_ca_file[CONFIG_PATH_MAX + 1];
	char s3_bucket[CONFIG_S3_BUCKET_MAX + 1];
	char s3_region[CONFIG_REGION_MAX + 1];
	char s3_access_key_id[CONFIG_S3_KEY_ID_MAX + 1];
	bool s3_path_style; /* https://HOST/BUCKET/KEY rather than https://BUCKET.HOST/KEY */
	/* Where the data must stay ("" when no promise is made): the object store's region and
	 * its bucket's location must be this one, or the server does not start. */
	char data_region[CONFIG_REGION_MAX + 1];
	/* The WebAuthn relying party ("" when unset: derived from listen, config_webauthn.h). */
	char webauthn_rp_id[253 + 1];
	char webauthn_origin[8 + 253 + 6 + 1];
};

/* The libpq name of MODE ("verify-full", …). */
const char *config_pg_sslmode_name(enum config_pg_sslmode mode);

/* Whether HOST (a pg_host value) names a unix-socket directory rather than a TCP host. */
bool config_pg_host_is_socket(const char *host);

/* Fills CFG with the defaults. Owns no memory until a parse sets a string. */
void config_defaults(struct coffer_config *cfg);

/* Parses TEXT (LEN bytes, need not be NUL-terminated) on top of CFG's current values (start
 * from config_defaults; a later parse overrides only the keys it sets). On failure
 * writes "NAME:LINE: what is wrong" to ERRBUF and leaves CFG as it was. NAME labels the source. */
COFFER_MUST_CHECK enum coffer_err config_parse(struct coffer_config *cfg, const char *name,
					       const char *text, size_t len, char *errbuf,
					       size_t errlen);

/* Reads and parses PATH on top of CFG, as config_parse. */
COFFER_MUST_CHECK enum coffer_err config_load(struct coffer_config *cfg, const char *path,
					      char *errbuf, size_t errlen);

/* Parses "HOST:PORT", "[V6]:PORT". */
COFFER_MUST_CHECK enum coffer_err listen_addr_parse(const char *text, struct listen_addr *out);

/* Writes "HOST:PORT" or "[V6]:PORT" — the form a URL needs. */
void listen_addr_format(const struct listen_addr *addr, char *out, size_t outlen);

/* Frees the strings CFG owns and resets it to the defaults. */
void config_free(struct coffer_config *cfg);

#endif
