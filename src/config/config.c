/* config.c — the coffer.conf parser: a table of keys, each with its own strict value parser. */
#include "config/config.h"
#include "config/config_s3.h"
#include "config/config_webauthn.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"

#define LINE_MAX_LEN 4096

void config_defaults(struct coffer_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	memcpy(cfg->listen.host, "127.0.0.1", sizeof "127.0.0.1");
	cfg->listen.port = 8443;
	cfg->session_absolute_ttl = 12 * 3600;
	cfg->session_idle_ttl = 30 * 60;
	cfg->reauthenticate_after = CONFIG_REAUTH_AFTER_MAX;
	cfg->max_file_size = 2ull << 30; /* 2 GiB */
	cfg->log_level = LOG_INFO;
	cfg->header_timeout = 10;
	cfg->connections_per_address = 64;
	memcpy(cfg->backup_dir, "backups", sizeof "backups");
	cfg->backup_at = 2 * 60 + 30;
	memcpy(cfg->backup_time_zone, "UTC", sizeof "UTC");
	cfg->backup_keep_days = 28;
	cfg->database = CONFIG_DB_SQLITE;
	cfg->pg_port = 5432;
	memcpy(cfg->pg_database, "coffer", sizeof "coffer");
	cfg->pg_sslmode = CONFIG_PG_SSL_VERIFY_FULL;
	cfg->pg_pool_size = 16;
	cfg->pg_statement_timeout_ms = 30000;
	cfg->alert_signin_failures_account = 5;
	cfg->alert_signin_failures_address = 20;
	cfg->alert_reads_per_hour = 300;
	cfg->alert_reads_factor = 3;
	cfg->pg_prepared_statements = true;
	cfg->blob_store = CONFIG_BLOBS_FILE;
	cfg->s3_path_style = true;
}

void config_free(struct coffer_config *cfg)
{
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_ocsp_file);
	free(cfg->breached_passwords_file);
	free(cfg->user);
	config_defaults(cfg);
}

/* Digits only: no sign, no spaces, no hex — strtoull alone accepts all of those. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 19 || s[n] != '\0')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno != 0 || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool valid_hostname(const char *h)
{
	size_t len = strlen(h);
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!isalnum(c) && c != '-' && c != '.')
			return false;
	}
	return h[0] != '-' && h[0] != '.';
}

enum coffer_err listen_addr_parse(const char *text, struct listen_addr *out)
{
	struct listen_addr a;
	const char *colon;
	size_t hlen;
	memset(&a, 0, sizeof a);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return COFFER_ERR_INVALID_INPUT;
		hlen = (size_t)(close - text - 1);
		colon = close + 1;
		if (hlen == 0 || hlen > CONFIG_HOST_MAX)
			return COFFER_ERR_INVALID_INPUT;
		memcpy(a.host, text + 1, hlen);
		struct netaddr na;
		if (strchr(a.host, ':') == NULL || !netaddr_parse(a.host, &na))
			return COFFER_ERR_INVALID_INPUT;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return COFFER_ERR_INVALID_INPUT;
		hlen = (size_t)(colon - text);
		if (hlen == 0 || hlen > CONFIG_HOST_MAX)
			return COFFER_ERR_INVALID_INPUT;
		memcpy(a.host, text, hlen);
		if (!valid_hostname(a.host))
			return COFFER_ERR_INVALID_INPUT;
	}
	uint64_t port;
	if (!parse_u64(colon + 1, 1, 65535, &port))
		return COFFER_ERR_INVALID_INPUT;
	a.port = (uint16_t)port;
	*out = a;
	return COFFER_OK;
}

void listen_addr_format(const struct listen_addr *addr, char *out, size_t outlen)
{
	bool v6 = strchr(addr->host, ':') != NULL;
	snprintf(out, outlen, v6 ? "[%s]:%u" : "%s:%u", addr->host, (unsigned int)addr->port);
}

/* Each setter parses VALUE into CFG or answers why not (a short phrase for the message). */
typedef const char *(*setter_fn)(struct coffer_config *cfg, const char *value);

static const char *set_string(char **slot, const char *value, bool allow_empty)
{
	if (value[0] == '\0') {
		if (!allow_empty)
			return "a value is required";
		free(*slot);
		*slot = NULL;
		return NULL;
	}
	char *copy = strdup(value);
	if (copy == NULL)
		return "out of memory";
	free(*slot);
	*slot = copy;
	return NULL;
}

static const char *set_listen(struct coffer_config *cfg, const char *v)
{
	return listen_addr_parse(v, &cfg->listen) == COFFER_OK
		   ? NULL
		   : "expected HOST:PORT or [IPV6]:PORT";
}

static const char *set_metrics_listen(struct coffer_config *cfg, const char *v)
{
	if (strcmp(v, "off") == 0) {
		cfg->metrics_on = false;
		return NULL;
	}
	if (listen_addr_parse(v, &cfg->metrics_listen) != COFFER_OK)
		return "expected off, HOST:PORT or [IPV6]:PORT";
	cfg->metrics_on = true;
	return NULL;
}

static const char *set_alert_command(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (n > CONFIG_PATH_MAX)
		return "expected a command of at most 1024 bytes";
	memcpy(cfg->alert_command, v, n + 1);
	return NULL;
}

static const char *set_threshold(unsigned int *slot, const char *v, uint64_t max)
{
	uint64_t n;
	if (!parse_u64(v, 1, max, &n))
		return max == 1000 ? "expected a number from 1 to 1000"
				   : "expected a number from 1 to 1000000";
	*slot = (unsigned int)n;
	return NULL;
}

static const char *set_alert_account(struct coffer_config *cfg, const char *v)
{
	return set_threshold(&cfg->alert_signin_failures_account, v, 1000);
}

static const char *set_alert_address(struct coffer_config *cfg, const char *v)
{
	return set_threshold(&cfg->alert_signin_failures_address, v, 1000000);
}

static const char *set_alert_reads(struct coffer_config *cfg, const char *v)
{
	return set_threshold(&cfg->alert_reads_per_hour, v, 1000000);
}

static const char *set_alert_factor(struct coffer_config *cfg, const char *v)
{
	return set_threshold(&cfg->alert_reads_factor, v, 1000);
}

static const char *set_tls_cert(struct coffer_config *cfg, const char *v)
{
	return set_string(&cfg->tls_cert, v, false);
}

static const char *set_tls_key(struct coffer_config *cfg, const char *v)
{
	return set_string(&cfg->tls_key, v, false);
}

static const char *set_tls_ocsp_file(struct coffer_config *cfg, const char *v)
{
	return set_string(&cfg->tls_ocsp_file, v, true);
}

static const char *set_breached(struct coffer_config *cfg, const char *v)
{
	return set_string(&cfg->breached_passwords_file, v, true);
}

/* A login name as useradd(8) accepts it by default: no path, option or shell syntax. */
static const char *set_user(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (n > 32 || (n > 0 && (v[0] == '-' || strspn(v, "abcdefghijklmnopqrstuvwxyz"
							  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							  "0123456789_.-") != n)))
		return "expected a user name (letters, digits, '_', '.', '-'; at most 32)";
	return set_string(&cfg->user, v, true);
}

static const char *set_ttl(long *slot, const char *v)
{
	uint64_t n;
	/* A minute to 30 days: shorter is unusable, longer defeats expiry. */
	if (!parse_u64(v, 60, 30 * 86400, &n))
		return "expected whole seconds from 60 to 2592000";
	*slot = (long)n;
	return NULL;
}

static const char *set_abs_ttl(struct coffer_config *cfg, const char *v)
{
	return set_ttl(&cfg->session_absolute_ttl, v);
}

static const char *set_idle_ttl(struct coffer_config *cfg, const char *v)
{
	return set_ttl(&cfg->session_idle_ttl, v);
}

static const char *set_reauth_after(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	/* Longer than keyd's own window would promise what keyd refuses; shorter only asks for
	 * the password more often. */
	if (!parse_u64(v, 1, CONFIG_REAUTH_AFTER_MAX, &n))
		return "expected whole seconds from 1 to 900";
	cfg->reauthenticate_after = (long)n;
	return NULL;
}

static const char *set_trusted(struct coffer_config *cfg, const char *v)
{
	char item[128];
	size_t n = 0;
	const char *p = v;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		const char *start = p, *end = p + len;
		while (start < end && isspace((unsigned char)*start))
			start++;
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (end == start)
			return "empty entry in the list";
		if ((size_t)(end - start) >= sizeof item)
			return "entry too long";
		if (n == CONFIG_MAX_TRUSTED_PROXIES)
			return "too many entries (at most 64)";
		memcpy(item, start, (size_t)(end - start));
		item[end - start] = '\0';
		if (!cidr_parse(item, &cfg->trusted_proxies[n]))
			return "expected addresses or CIDR blocks separated by commas";
		n++;
		p += len;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return "empty entry in the list";
		}
	}
	cfg->n_trusted_proxies = n;
	return NULL;
}

static const char *set_max_file_size(struct coffer_config *cfg, const char *v)
{
	if (!parse_u64(v, 1, 1ull << 40, &cfg->max_file_size))
		return "expected a size in bytes from 1 to 1099511627776";
	return NULL;
}

static const char *set_log_level(struct coffer_config *cfg, const char *v)
{
	return log_level_parse(v, &cfg->log_level) ? NULL : "expected debug, info, warn or error";
}

static const char *set_header_timeout(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	/* Long enough for a slow link's TLS handshake; short enough that idle connections cannot
	 * pile up. */
	if (!parse_u64(v, 1, 60, &n))
		return "expected whole seconds from 1 to 60";
	cfg->header_timeout = (unsigned int)n;
	return NULL;
}

static const char *set_per_address(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	/* At most the server's whole connection cap (1024), which one address must never fill. */
	if (!parse_u64(v, 1, 1024, &n))
		return "expected a number of connections from 1 to 1024";
	cfg->connections_per_address = (unsigned int)n;
	return NULL;
}

static const char *set_backup_dir(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > CONFIG_PATH_MAX)
		return "expected a directory path of 1 to 1024 bytes";
	memcpy(cfg->backup_dir, v, n + 1);
	return NULL;
}

static const char *set_backup_at(struct coffer_config *cfg, const char *v)
{
	if (strlen(v) != 5 || !isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1]) ||
	    v[2] != ':' || !isdigit((unsigned char)v[3]) || !isdigit((unsigned char)v[4]))
		return "expected a time of day as HH:MM (00:00 to 23:59)";
	unsigned int h = (unsigned int)(v[0] - '0') * 10 + (unsigned int)(v[1] - '0');
	unsigned int m = (unsigned int)(v[3] - '0') * 10 + (unsigned int)(v[4] - '0');
	if (h > 23 || m > 59)
		return "expected a time of day as HH:MM (00:00 to 23:59)";
	cfg->backup_at = h * 60 + m;
	return NULL;
}

static const char *set_backup_zone(struct coffer_config *cfg, const char *v)
{
	/* Whether the zone exists is checked when the server starts (tz_name_valid reads the
	 * system's zone files); here only its shape. */
	size_t n = strlen(v);
	if (n == 0 || n > CONFIG_ZONE_MAX ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
		return "expected an IANA time zone name such as UTC or Europe/London";
	memcpy(cfg->backup_time_zone, v, n + 1);
	return NULL;
}

static const char *set_backup_keep(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	if (!parse_u64(v, 1, 3650, &n))
		return "expected whole days from 1 to 3650";
	cfg->backup_keep_days = (unsigned int)n;
	return NULL;
}

static const char *set_database(struct coffer_config *cfg, const char *v)
{
	if (strcmp(v, "sqlite") == 0)
		cfg->database = CONFIG_DB_SQLITE;
	else if (strcmp(v, "postgresql") == 0)
		cfg->database = CONFIG_DB_POSTGRESQL;
	else
		return "expected sqlite or postgresql";
	return NULL;
}

bool config_pg_host_is_socket(const char *host)
{
	return host[0] == '/'; /* libpq's own rule for its host parameter */
}

/* A TCP host (a DNS name, an IPv4 or an IPv6 literal without brackets) or an absolute
 * unix-socket directory. Nothing libpq would read as a list ("a,b") or as a conninfo string. */
static const char *set_pg_host(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (config_pg_host_is_socket(v)) {
		if (n > CONFIG_PG_SOCKET_DIR_MAX ||
		    strspn(v,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.-") !=
			n ||
		    strstr(v, "/../") != NULL || (n >= 3 && strcmp(v + n - 3, "/..") == 0))
			return "expected a host name, an address, or an absolute socket directory "
			       "(at most 91 bytes of letters, digits, '/', '_', '.', '-')";
	} else {
		struct netaddr na;
		if (n > CONFIG_HOST_MAX || (!valid_hostname(v) && !netaddr_parse(v, &na)))
			return "expected a host name, an address, or an absolute socket directory";
	}
	memcpy(cfg->pg_host, v, n + 1);
	return NULL;
}

static const char *set_pg_port(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	if (!parse_u64(v, 1, 65535, &n))
		return "expected a port from 1 to 65535";
	cfg->pg_port = (uint16_t)n;
	return NULL;
}

/* Role and database names: PostgreSQL accepts nearly anything quoted, coffer only names that
 * need no quoting care anywhere (a conninfo value, a log line, a shell). */
static bool valid_pg_name(const char *v)
{
	size_t n = strlen(v);
	return n >= 1 && n <= CONFIG_PG_NAME_MAX && v[0] != '-' &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static const char *set_pg_user(struct coffer_config *cfg, const char *v)
{
	if (!valid_pg_name(v))
		return "expected a role name (letters, digits, '_', '.', '-'; at most 63)";
	memcpy(cfg->pg_user, v, strlen(v) + 1);
	return NULL;
}

static const char *set_pg_database(struct coffer_config *cfg, const char *v)
{
	if (!valid_pg_name(v))
		return "expected a database name (letters, digits, '_', '.', '-'; at most 63)";
	/* The organisations' databases are coffer_org_<id>: the system database is not one. */
	if (strncmp(v, "coffer_org_", 11) == 0)
		return "names starting coffer_org_ are the organisations' databases";
	memcpy(cfg->pg_database, v, strlen(v) + 1);
	return NULL;
}

static const char *const sslmode_names[] = {
    [CONFIG_PG_SSL_DISABLE] = "disable",     [CONFIG_PG_SSL_ALLOW] = "allow",
    [CONFIG_PG_SSL_PREFER] = "prefer",	     [CONFIG_PG_SSL_REQUIRE] = "require",
    [CONFIG_PG_SSL_VERIFY_CA] = "verify-ca", [CONFIG_PG_SSL_VERIFY_FULL] = "verify-full",
};

const char *config_pg_sslmode_name(enum config_pg_sslmode mode)
{
	return (size_t)mode < sizeof sslmode_names / sizeof sslmode_names[0] ? sslmode_names[mode]
									     : "verify-full";
}

static const char *set_pg_sslmode(struct coffer_config *cfg, const char *v)
{
	for (size_t i = 0; i < sizeof sslmode_names / sizeof sslmode_names[0]; i++) {
		if (strcmp(v, sslmode_names[i]) == 0) {
			cfg->pg_sslmode = (enum config_pg_sslmode)i;
			return NULL;
		}
	}
	return "expected disable, allow, prefer, require, verify-ca or verify-full";
}

static const char *set_pg_sslrootcert(struct coffer_config *cfg, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > CONFIG_PATH_MAX)
		return "expected a file path of 1 to 1024 bytes";
	memcpy(cfg->pg_sslrootcert, v, n + 1);
	return NULL;
}

static const char *set_pg_pool_size(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	if (!parse_u64(v, 1, 1024, &n))
		return "expected a number of connections from 1 to 1024";
	cfg->pg_pool_size = (unsigned int)n;
	return NULL;
}

static const char *set_pg_statement_timeout_ms(struct coffer_config *cfg, const char *v)
{
	uint64_t n;
	if (!parse_u64(v, 100, 600000, &n))
		return "expected milliseconds from 100 to 600000";
	cfg->pg_statement_timeout_ms = (unsigned int)n;
	return NULL;
}

static const char *set_pg_prepared_statements(struct coffer_config *cfg, const char *v)
{
	if (strcmp(v, "on") == 0)
		cfg->pg_prepared_statements = true;
	else if (strcmp(v, "off") == 0)
		cfg->pg_prepared_statements = false;
	else
		return "expected on or off";
	return NULL;
}

static const struct {
	const char *key;
	setter_fn set;
} keys[] = {
    {"listen", set_listen},
    {"metrics_listen", set_metrics_listen},
    {"alert_command", set_alert_command},
    {"alert_signin_failures_account", set_alert_account},
    {"alert_signin_failures_address", set_alert_address},
    {"alert_reads_per_hour", set_alert_reads},
    {"alert_reads_factor", set_alert_factor},
    {"tls_cert", set_tls_cert},
    {"tls_key", set_tls_key},
    {"tls_ocsp_file", set_tls_ocsp_file},
    {"session_absolute_ttl", set_abs_ttl},
    {"session_idle_ttl", set_idle_ttl},
    {"reauthenticate_after", set_reauth_after},
    {"trusted_proxies", set_trusted},
    {"breached_passwords_file", set_breached},
    {"max_file_size", set_max_file_size},
    {"log_level", set_log_level},
    {"header_timeout", set_header_timeout},
    {"connections_per_address", set_per_address},
    {"user", set_user},
    {"backup_dir", set_backup_dir},
    {"backup_at", set_backup_at},
    {"backup_time_zone", set_backup_zone},
    {"backup_keep_days", set_backup_keep},
    {"database", set_database},
    {"pg_host", set_pg_host},
    {"pg_port", set_pg_port},
    {"pg_user", set_pg_user},
    {"pg_database", set_pg_database},
    {"pg_sslmode", set_pg_sslmode},
    {"pg_sslrootcert", set_pg_sslrootcert},
    {"pg_pool_size", set_pg_pool_size},
    {"pg_statement_timeout_ms", set_pg_statement_timeout_ms},
    {"pg_prepared_statements", set_pg_prepared_statements},
    {"blob_store", config_set_blob_store},
    {"s3_endpoint", config_set_s3_endpoint},
    {"s3_ca_file", config_set_s3_ca_file},
    {"s3_bucket", config_set_s3_bucket},
    {"s3_region", config_set_s3_region},
    {"s3_access_key_id", config_set_s3_access_key_id},
    {"s3_path_style", config_set_s3_path_style},
    {"data_region", config_set_data_region},
    {"webauthn_rp_id", config_set_webauthn_rp_id},
    {"webauthn_origin", config_set_webauthn_origin},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

static size_t key_index(const char *key)
{
	size_t k = 0;
	while (k < N_KEYS && strcmp(keys[k].key, key) != 0)
		k++;
	return k;
}

static void say(char *errbuf, size_t errlen, const char *name, size_t lineno, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void say(char *errbuf, size_t errlen, const char *name, size_t lineno, const char *fmt, ...)
{
	int n = snprintf(errbuf, errlen, "%s:%zu: ", name, lineno);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* What a PostgreSQL deployment's settings lack, or NULL. A TCP connection that verifies the
 * server needs the CA to verify it with: libpq 15 would otherwise look in the home directory
 * of whoever runs coffer (~/.postgresql/root.crt), which is no place for a deployment's trust. */
static const char *pg_settings_missing(const struct coffer_config *cfg)
{
	if (cfg->pg_host[0] == '\0')
		return "needs pg_host";
	if (cfg->pg_user[0] == '\0')
		return "needs pg_user";
	if (!config_pg_host_is_socket(cfg->pg_host) && cfg->pg_sslmode >= CONFIG_PG_SSL_VERIFY_CA &&
	    cfg->pg_sslrootcert[0] == '\0')
		return "needs pg_sslrootcert (the CA certificate) for pg_sslmode verify-ca or "
		       "verify-full";
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

enum coffer_err config_parse(struct coffer_config *cfg, const char *name, const char *text,
			     size_t len, char *errbuf, size_t errlen)
{
	struct coffer_config next;
	size_t seen_line[N_KEYS] = {0};
	char line[LINE_MAX_LEN + 1];
	size_t lineno = 0, pos = 0;

	/* Work on a copy, so that a failure leaves CFG untouched. */
	next = *cfg;
	next.tls_cert = NULL;
	next.tls_key = NULL;
	next.tls_ocsp_file = NULL;
	next.breached_passwords_file = NULL;
	next.user = NULL;
	if ((cfg->user && (next.user = strdup(cfg->user)) == NULL) ||
	    (cfg->tls_cert && (next.tls_cert = strdup(cfg->tls_cert)) == NULL) ||
	    (cfg->tls_key && (next.tls_key = strdup(cfg->tls_key)) == NULL) ||
	    (cfg->tls_ocsp_file && (next.tls_ocsp_file = strdup(cfg->tls_ocsp_file)) == NULL) ||
	    (cfg->breached_passwords_file &&
	     (next.breached_passwords_file = strdup(cfg->breached_passwords_file)) == NULL)) {
		snprintf(errbuf, errlen, "%s: out of memory", name);
		goto fail;
	}
	while (pos < len) {
		size_t start = pos;
		while (pos < len && text[pos] != '\n')
			pos++;
		size_t llen = pos - start;
		if (pos < len)
			pos++; /* the newline */
		lineno++;
		if (llen > LINE_MAX_LEN) {
			say(errbuf, errlen, name, lineno, "line longer than %d bytes",
			    LINE_MAX_LEN);
			goto fail;
		}
		memcpy(line, text + start, llen);
		line[llen] = '\0';
		if (memchr(text + start, '\0', llen) != NULL) {
			say(errbuf, errlen, name, lineno, "NUL byte in line");
			goto fail;
		}
		for (size_t i = 0; i < llen; i++) {
			unsigned char c = (unsigned char)line[i];
			if ((c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f) {
				say(errbuf, errlen, name, lineno,
				    "control or non-ASCII character in line");
				goto fail;
			}
		}
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *content = trim(line);
		if (*content == '\0')
			continue;
		char *eq = strchr(content, '=');
		if (eq == NULL) {
			say(errbuf, errlen, name, lineno, "expected 'key = value'");
			goto fail;
		}
		*eq = '\0';
		char *key = trim(content), *value = trim(eq + 1);
		size_t k = key_index(key);
		if (k == N_KEYS) {
			say(errbuf, errlen, name, lineno, "unknown key '%.64s'", key);
			goto fail;
		}
		if (seen_line[k] != 0) {
			say(errbuf, errlen, name, lineno, "'%s' already set on line %zu", key,
			    seen_line[k]);
			goto fail;
		}
		seen_line[k] = lineno;
		const char *why = keys[k].set(&next, value);
		if (why != NULL) {
			say(errbuf, errlen, name, lineno, "bad value for '%s': %s", key, why);
			goto fail;
		}
	}
	if (next.session_idle_ttl > next.session_absolute_ttl) {
		/* Blame the later of the two lines (0 when a value is the default). */
		size_t a = seen_line[key_index("session_absolute_ttl")];
		size_t i = seen_line[key_index("session_idle_ttl")];
		say(errbuf, errlen, name, a > i ? a : i,
		    "session_idle_ttl must not exceed session_absolute_ttl");
		goto fail;
	}
	if (next.database == CONFIG_DB_POSTGRESQL) {
		const char *why = pg_settings_missing(&next);
		if (why != NULL) {
			say(errbuf, errlen, name, seen_line[key_index("database")],
			    "database = postgresql %s", why);
			goto fail;
		}
	}
	if (next.blob_store == CONFIG_BLOBS_S3) {
		const char *why = config_s3_missing(&next);
		if (why != NULL) {
			say(errbuf, errlen, name, seen_line[key_index("blob_store")],
			    "blob_store = s3 %s", why);
			goto fail;
		}
	}
	config_free(cfg);
	*cfg = next;
	return COFFER_OK;
fail:
	config_free(&next);
	return COFFER_ERR_CONFIG;
}

enum coffer_err config_load(struct coffer_config *cfg, const char *path, char *errbuf,
			    size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	enum coffer_err err = file_read_all(path, CONFIG_FILE_MAX, 0, &text, &len);
	if (err != COFFER_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
			 err == COFFER_ERR_NOT_FOUND   ? "no such file"
			 : err == COFFER_ERR_TOO_LARGE ? "file too large"
						       : "cannot read");
		return COFFER_ERR_CONFIG;
	}
	err = config_parse(cfg, path, text, len, errbuf, errlen);
	free(text);
	return err;
}
