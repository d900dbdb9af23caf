/* test_config.c — coffer.conf parsing: defaults, every key, and every way a file can be wrong. */
#include "test_util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define NAME   "coffer.conf"
#define ERRLEN 512

/* Parses a NUL-terminated TEXT (or LEN bytes when LEN != 0) into CFG. */
static enum coffer_err parse_n(struct coffer_config *cfg, const char *text, size_t len,
			       char errbuf[ERRLEN])
{
	errbuf[0] = '\0';
	return config_parse(cfg, NAME, text, len ? len : strlen(text), errbuf, ERRLEN);
}

static enum coffer_err parse(struct coffer_config *cfg, const char *text, char errbuf[ERRLEN])
{
	return parse_n(cfg, text, 0, errbuf);
}

/* True when CFG is byte-for-byte what config_defaults writes (it memsets, so padding is 0). */
static bool is_defaults(const struct coffer_config *cfg)
{
	struct coffer_config d;
	config_defaults(&d);
	return memcmp(cfg, &d, sizeof d) == 0;
}

static void test_defaults(void **state)
{
	(void)state;
	struct coffer_config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.listen.host, "127.0.0.1");
	assert_int_equal(cfg.listen.port, 8443);
	assert_null(cfg.tls_cert);
	assert_null(cfg.tls_key);
	assert_int_equal(cfg.session_absolute_ttl, 12 * 3600);
	assert_int_equal(cfg.session_idle_ttl, 30 * 60);
	assert_int_equal(cfg.reauthenticate_after, 15 * 60);
	assert_int_equal(cfg.n_trusted_proxies, 0);
	assert_null(cfg.breached_passwords_file);
	assert_true(cfg.max_file_size == 2ull * 1024 * 1024 * 1024);
	assert_int_equal(cfg.header_timeout, 10);
	assert_int_equal(cfg.connections_per_address, 64);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_string_equal(cfg.backup_dir, "backups");
	assert_int_equal(cfg.backup_at, 2 * 60 + 30);
	assert_string_equal(cfg.backup_time_zone, "UTC");
	assert_int_equal(cfg.backup_keep_days, 28);
}

/* Texts with nothing to set leave every default in place. */
static void test_empty_and_comment_only_files(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "",
	    "\n",
	    "\n\n\n",
	    "# only a comment",
	    "# a comment\n\n   \n\t\n# another\n",
	    "   # indented comment\r\n\r\n",
	    "#listen = 0.0.0.0:1\n",
	    "####\n#=#\n",
	};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		struct coffer_config cfg;
		char err[ERRLEN];
		config_defaults(&cfg);
		if (parse(&cfg, texts[i], err) != COFFER_OK)
			fail_msg("text %zu refused: %s", i, err);
		assert_true(is_defaults(&cfg));
	}
}

static void test_every_key(void **state)
{
	(void)state;
	static const char text[] = "# coffer.conf\n"
				   "listen = 0.0.0.0:9443\n"
				   "tls_cert = certs/server.pem\n"
				   "tls_key = /etc/coffer/server.key\n"
				   "session_absolute_ttl = 7200\n"
				   "session_idle_ttl = 600\n"
				   "trusted_proxies = 10.0.0.0/8, 192.0.2.1, 2001:db8::/32\n"
				   "breached_passwords_file = /srv/pwned.txt\n"
				   "max_file_size = 1048576\n"
				   "log_level = debug\n";
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	if (parse(&cfg, text, err) != COFFER_OK)
		fail_msg("refused: %s", err);
	assert_string_equal(cfg.listen.host, "0.0.0.0");
	assert_int_equal(cfg.listen.port, 9443);
	assert_string_equal(cfg.tls_cert, "certs/server.pem");
	assert_string_equal(cfg.tls_key, "/etc/coffer/server.key");
	assert_int_equal(cfg.session_absolute_ttl, 7200);
	assert_int_equal(cfg.session_idle_ttl, 600);
	assert_int_equal(cfg.n_trusted_proxies, 3);
	assert_int_equal(cfg.trusted_proxies[0].prefix, 96 + 8);
	assert_int_equal(cfg.trusted_proxies[1].prefix, 128);
	assert_int_equal(cfg.trusted_proxies[2].prefix, 32);
	struct netaddr a;
	assert_true(netaddr_parse("10.200.3.4", &a));
	assert_true(cidr_contains(&cfg.trusted_proxies[0], &a));
	assert_true(netaddr_parse("192.0.2.1", &a));
	assert_true(cidr_contains(&cfg.trusted_proxies[1], &a));
	assert_true(netaddr_parse("2001:db8:ffff::1", &a));
	assert_true(cidr_contains(&cfg.trusted_proxies[2], &a));
	assert_string_equal(cfg.breached_passwords_file, "/srv/pwned.txt");
	assert_true(cfg.max_file_size == 1048576);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	config_free(&cfg);
	assert_true(is_defaults(&cfg)); /* config_free resets */
}

/* '#' starts a comment anywhere, whitespace around key and value is ignored, CRLF is fine. Every
 * text here must set log_level to warn and tls_cert to exactly "c.pem". */
static void test_comments_whitespace_crlf(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "log_level = warn\ntls_cert = c.pem\n",
	    "log_level=warn\ntls_cert=c.pem",
	    "  log_level\t=\twarn  \n\ttls_cert =   c.pem\t\n",
	    "log_level = warn # trailing comment\ntls_cert = c.pem#no space before it\n",
	    "# header\n\nlog_level = warn\n\n# middle\n\ntls_cert = c.pem\n\n# end",
	    "log_level = warn\r\ntls_cert = c.pem\r\n",
	    "log_level = warn # c\r\ntls_cert = c.pem \t\r\n",
	    "\r\n# c\r\nlog_level = warn\r\n\r\ntls_cert = c.pem",
	};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		struct coffer_config cfg;
		char err[ERRLEN];
		config_defaults(&cfg);
		if (parse(&cfg, texts[i], err) != COFFER_OK)
			fail_msg("text %zu refused: %s", i, err);
		if (cfg.log_level != LOG_WARN || cfg.tls_cert == NULL ||
		    strcmp(cfg.tls_cert, "c.pem") != 0)
			fail_msg("text %zu: log_level %d tls_cert '%s'", i, (int)cfg.log_level,
				 cfg.tls_cert ? cfg.tls_cert : "(null)");
		config_free(&cfg);
	}
}

/* One good value per row, checked through a small probe of the field it sets. */
struct good_case {
	const char *text;
	const char *field; /* which field to check */
	const char *want_s;
	unsigned long long want_n;
};

// clang-format off
static const struct good_case good_cases[] = {
    {"listen = 127.0.0.1:8443", "listen", "127.0.0.1", 8443},
    {"listen = [::1]:8443", "listen", "::1", 8443},
    {"listen = localhost:1", "listen", "localhost", 1},
    {"listen = example.com:65535", "listen", "example.com", 65535},
    {"listen = [2001:db8::1]:443", "listen", "2001:db8::1", 443},
    {"listen = 0.0.0.0:080", "listen", "0.0.0.0", 80},
    {"session_absolute_ttl = 60\nsession_idle_ttl = 60", "abs", NULL, 60},
    {"session_absolute_ttl = 2592000", "abs", NULL, 2592000},
    {"session_idle_ttl = 60", "idle", NULL, 60},
    {"reauthenticate_after = 1", "reauth", NULL, 1},
    {"reauthenticate_after = 900", "reauth", NULL, 900},
    {"session_idle_ttl = 43200", "idle", NULL, 43200}, /* equal to the default absolute */
    {"session_absolute_ttl = 2592000\nsession_idle_ttl = 2592000", "idle", NULL, 2592000},
    {"max_file_size = 1", "max_file_size", NULL, 1},
    {"header_timeout = 1", "header_timeout", NULL, 1},
    {"header_timeout = 60", "header_timeout", NULL, 60},
    {"connections_per_address = 1", "per_address", NULL, 1},
    {"connections_per_address = 1024", "per_address", NULL, 1024},
    {"max_file_size = 1099511627776", "max_file_size", NULL, 1099511627776ull},
    {"log_level = debug", "log_level", NULL, LOG_DEBUG},
    {"log_level = info", "log_level", NULL, LOG_INFO},
    {"log_level = warn", "log_level", NULL, LOG_WARN},
    {"log_level = error", "log_level", NULL, LOG_ERROR},
    {"breached_passwords_file = ", "breached", NULL, 0},
    {"breached_passwords_file = /x/y z.txt", "breached", "/x/y z.txt", 0},
    {"tls_key = key with spaces.pem", "tls_key", "key with spaces.pem", 0},
    {"trusted_proxies = ", "proxies", NULL, 0},
    {"trusted_proxies = 10.0.0.0/8", "proxies", NULL, 1},
    {"trusted_proxies = 10.0.0.0/8,192.168.0.0/16", "proxies", NULL, 2},
    {"trusted_proxies =  10.0.0.0/8 ,\t192.168.0.0/16 , ::1 ", "proxies", NULL, 3},
    {"trusted_proxies = ::/0, 0.0.0.0/0", "proxies", NULL, 2},
    {"user = coffer", "user", "coffer", 0},
    {"user = svc_coffer.2-x", "user", "svc_coffer.2-x", 0},
    {"user = ", "user", NULL, 0},
    {"backup_dir = /srv/backups/coffer", "backup_dir", "/srv/backups/coffer", 0},
    {"backup_dir = elsewhere", "backup_dir", "elsewhere", 0},
    {"backup_at = 00:00", "backup_at", NULL, 0},
    {"backup_at = 23:59", "backup_at", NULL, 1439},
    {"backup_at = 04:05", "backup_at", NULL, 245},
    {"backup_time_zone = Europe/London", "backup_zone", "Europe/London", 0},
    {"backup_time_zone = Etc/GMT+5", "backup_zone", "Etc/GMT+5", 0},
    {"backup_keep_days = 1", "backup_keep", NULL, 1},
    {"backup_keep_days = 3650", "backup_keep", NULL, 3650},
};
// clang-format on

static void test_good_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct coffer_config cfg;
		char err[ERRLEN];
		config_defaults(&cfg);
		if (parse(&cfg, c->text, err) != COFFER_OK)
			fail_msg("'%s' refused: %s", c->text, err);
		const char *s = NULL;
		unsigned long long n = 0;
		if (strcmp(c->field, "listen") == 0) {
			s = cfg.listen.host;
			n = cfg.listen.port;
		} else if (strcmp(c->field, "abs") == 0) {
			n = (unsigned long long)cfg.session_absolute_ttl;
		} else if (strcmp(c->field, "idle") == 0) {
			n = (unsigned long long)cfg.session_idle_ttl;
		} else if (strcmp(c->field, "reauth") == 0) {
			n = (unsigned long long)cfg.reauthenticate_after;
		} else if (strcmp(c->field, "max_file_size") == 0) {
			n = cfg.max_file_size;
		} else if (strcmp(c->field, "header_timeout") == 0) {
			n = cfg.header_timeout;
		} else if (strcmp(c->field, "per_address") == 0) {
			n = cfg.connections_per_address;
		} else if (strcmp(c->field, "log_level") == 0) {
			n = (unsigned long long)cfg.log_level;
		} else if (strcmp(c->field, "breached") == 0) {
			s = cfg.breached_passwords_file;
		} else if (strcmp(c->field, "tls_key") == 0) {
			s = cfg.tls_key;
		} else if (strcmp(c->field, "proxies") == 0) {
			n = cfg.n_trusted_proxies;
		} else if (strcmp(c->field, "user") == 0) {
			s = cfg.user;
		} else if (strcmp(c->field, "backup_dir") == 0) {
			s = cfg.backup_dir;
		} else if (strcmp(c->field, "backup_at") == 0) {
			n = cfg.backup_at;
		} else if (strcmp(c->field, "backup_zone") == 0) {
			s = cfg.backup_time_zone;
		} else if (strcmp(c->field, "backup_keep") == 0) {
			n = cfg.backup_keep_days;
		} else {
			fail_msg("bad field %s", c->field);
		}
		if ((c->want_s == NULL) != (s == NULL) ||
		    (c->want_s != NULL && strcmp(c->want_s, s) != 0) || n != c->want_n)
			fail_msg("'%s': got '%s' %llu, want '%s' %llu", c->text, s ? s : "(null)",
				 n, c->want_s ? c->want_s : "(null)", c->want_n);
		config_free(&cfg);
	}
}

/* A refused text: the error must name NAME and LINE and say WHY (a substring). */
struct bad_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	size_t line;
	const char *why;
};

// clang-format off
static const struct bad_case bad_cases[] = {
    /* structure */
    {"bogus = 1", 0, 1, "unknown key 'bogus'"},
    {"# comment\n\nbogus = 1\n", 0, 3, "unknown key 'bogus'"},
    {"log_level = info\nLog_Level = info", 0, 2, "unknown key 'Log_Level'"},
    {"log level = info", 0, 1, "unknown key 'log level'"},
    {"= info", 0, 1, "unknown key ''"},
    {"log_level = info\nlog_level = info", 0, 2, "'log_level' already set on line 1"},
    {"listen = 127.0.0.1:1\n# c\nlisten = 127.0.0.1:2", 0, 3, "already set on line 1"},
    {"tls_cert = a\ntls_cert = a", 0, 2, "already set"},
    {"listen 127.0.0.1:8443", 0, 1, "expected 'key = value'"},
    {"log_level info", 0, 1, "expected 'key = value'"},
    {"\n\nlog_level # = info", 0, 3, "expected 'key = value'"},
    /* backups */
    {"backup_dir = ", 0, 1, "expected a directory path"},
    {"backup_at = 2:30", 0, 1, "HH:MM"},
    {"backup_at = 24:00", 0, 1, "HH:MM"},
    {"backup_at = 02:60", 0, 1, "HH:MM"},
    {"backup_at = 02:30x", 0, 1, "HH:MM"},
    {"backup_at = 0230", 0, 1, "HH:MM"},
    {"backup_at = +2:30", 0, 1, "HH:MM"},
    {"backup_time_zone = ", 0, 1, "IANA time zone"},
    {"backup_time_zone = ../etc/passwd", 0, 1, "IANA time zone"},
    {"backup_time_zone = Europe London", 0, 1, "IANA time zone"},
    {"backup_keep_days = 0", 0, 1, "from 1 to 3650"},
    {"backup_keep_days = 3651", 0, 1, "from 1 to 3650"},
    /* PostgreSQL */
    {"database = postgres", 0, 1, "expected sqlite or postgresql"},
    {"database = SQLite", 0, 1, "expected sqlite or postgresql"},
    {"database = ", 0, 1, "expected sqlite or postgresql"},
    {"pg_host = ", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = db1,db2", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = host=evil", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = -db", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = db 1", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = [::1]", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = relative/dir", 0, 1, "bad value for 'pg_host'"},
    {"pg_host = /run/../etc", 0, 1, "socket directory"},
    {"pg_host = /run/pg sql", 0, 1, "socket directory"},
    {"pg_host = /run/postgresql/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     0, 1, "at most 91 bytes"},
    {"pg_port = 0", 0, 1, "from 1 to 65535"},
    {"pg_port = 65536", 0, 1, "from 1 to 65535"},
    {"pg_port = 5432x", 0, 1, "from 1 to 65535"},
    {"pg_user = ", 0, 1, "expected a role name"},
    {"pg_user = co'ffer", 0, 1, "expected a role name"},
    {"pg_user = cof fer", 0, 1, "expected a role name"},
    {"pg_user = -U", 0, 1, "expected a role name"},
    {"pg_user = abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", 0, 1,
     "at most 63"},
    {"pg_database = ", 0, 1, "expected a database name"},
    {"pg_database = coffer;drop", 0, 1, "expected a database name"},
    {"pg_database = coffer_org_0123", 0, 1, "organisations' databases"},
    {"pg_sslmode = verify_full", 0, 1, "expected disable, allow, prefer, require, verify-ca"},
    {"pg_sslmode = VERIFY-FULL", 0, 1, "expected disable"},
    {"pg_sslmode = ", 0, 1, "expected disable"},
    {"pg_sslrootcert = ", 0, 1, "expected a file path"},
    {"pg_pool_size = 0", 0, 1, "from 1 to 1024"},
    {"pg_pool_size = 1025", 0, 1, "from 1 to 1024"},
    {"pg_pool_size = -1", 0, 1, "from 1 to 1024"},
    {"pg_statement_timeout_ms = 99", 0, 1, "from 100 to 600000"},
    {"metrics_listen = on", 0, 1, "expected off, HOST:PORT"},
    {"alert_signin_failures_account = 0", 0, 1, "from 1 to 1000"},
    {"alert_reads_factor = 1001", 0, 1, "from 1 to 1000"},
    {"alert_reads_per_hour = 1000001", 0, 1, "from 1 to 1000000"},
    {"metrics_listen = 127.0.0.1", 0, 1, "expected off, HOST:PORT"},
    {"pg_statement_timeout_ms = 600001", 0, 1, "from 100 to 600000"},
    {"pg_statement_timeout_ms = 5s", 0, 1, "from 100 to 600000"},
    {"pg_prepared_statements = yes", 0, 1, "expected on or off"},
    /* cross-checks, pinned on the database line */
    {"database = postgresql", 0, 1, "database = postgresql needs pg_host"},
    {"pg_user = coffer\n\ndatabase = postgresql\npg_sslrootcert = ca.pem", 0, 3,
     "needs pg_host"},
    {"database = postgresql\npg_host = db.example\npg_sslrootcert = ca.pem", 0, 1,
     "needs pg_user"},
    {"database = postgresql\npg_host = db.example\npg_user = coffer", 0, 1,
     "needs pg_sslrootcert"},
    {"database = postgresql\npg_host = 10.0.0.5\npg_user = coffer\npg_sslmode = verify-ca", 0,
     1, "needs pg_sslrootcert"},
    /* The object store and residency */
    {"blob_store = S3", 0, 1, "expected file or s3"},
    {"blob_store = s3", 0, 1, "blob_store = s3 needs s3_endpoint"},
    {"blob_store = s3\ns3_endpoint = https://s3.example", 0, 1, "needs s3_bucket"},
    {"blob_store = s3\ns3_endpoint = https://s3.example\ns3_bucket = files", 0, 1,
     "needs s3_region"},
    {"blob_store = s3\ns3_endpoint = https://s3.example\ns3_bucket = files\n"
     "s3_region = eu-west-2",
     0, 1, "needs s3_access_key_id"},
    {"s3_endpoint = http://s3.example", 0, 1, "plain http only to a loopback address"},
    {"s3_endpoint = http://10.0.0.1:8080", 0, 1, "plain http only to a loopback address"},
    {"s3_endpoint = http://localhost:8080", 0, 1, "plain http only to a loopback address"},
    {"s3_endpoint = ftp://s3.example", 0, 1, "expected https://HOST[:PORT]"},
    {"s3_endpoint = https://", 0, 1, "expected https://HOST[:PORT]"},
    {"s3_endpoint = https:///", 0, 1, "expected https://HOST[:PORT]"},
    {"s3_endpoint = https://s3.example/bucket", 0, 1, "nothing after the host and port"},
    {"s3_endpoint = https://s3.example?x=1", 0, 1, "nothing after the host and port"},
    {"s3_endpoint = https://user@s3.example", 0, 1, "nothing after the host and port"},
    {"s3_endpoint = https://s3.example:0", 0, 1, "nothing after the host and port"},
    {"s3_endpoint = https://s3.example:65536", 0, 1, "nothing after the host and port"},
    {"s3_endpoint = https://[::1", 0, 1, "nothing after the host and port"},
    {"s3_bucket = ab", 0, 1, "expected a bucket name"},
    {"s3_bucket = Files", 0, 1, "expected a bucket name"},
    {"s3_bucket = -files", 0, 1, "expected a bucket name"},
    {"s3_bucket = files.", 0, 1, "expected a bucket name"},
    {"s3_bucket = a/b/c", 0, 1, "expected a bucket name"},
    {"s3_region = EU-WEST-2", 0, 1, "expected a region name"},
    {"s3_region = ", 0, 1, "expected a region name"},
    {"data_region = eu west", 0, 1, "expected a region name"},
    {"s3_access_key_id = key with space", 0, 1, "expected an access key id"},
    {"s3_access_key_id = key/slash", 0, 1, "expected an access key id"},
    {"s3_path_style = yes", 0, 1, "expected true or false"},
    {"s3_ca_file = ", 0, 1, "expected a path to a PEM file"},
    /* ttl values */
    {"session_absolute_ttl = abc", 0, 1, "bad value for 'session_absolute_ttl'"},
    {"session_absolute_ttl = -5", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 59", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 0", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 60x", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl =  60x ", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 6 0", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 2592001", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 99999999999999999999", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 18446744073709551676", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = +60", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 0x3c", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 60.0", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = 1e3", 0, 1, "from 60 to 2592000"},
    {"session_absolute_ttl = ", 0, 1, "from 60 to 2592000"},
    {"session_idle_ttl = abc", 0, 1, "bad value for 'session_idle_ttl'"},
    {"session_idle_ttl = 59", 0, 1, "from 60 to 2592000"},
    {"reauthenticate_after = 0", 0, 1, "from 1 to 900"},
    {"reauthenticate_after = 901", 0, 1, "from 1 to 900"},
    {"reauthenticate_after = 15m", 0, 1, "from 1 to 900"},
    {"session_idle_ttl = -5", 0, 1, "from 60 to 2592000"},
    /* idle must not exceed absolute: the error names the later of the two lines */
    {"session_absolute_ttl = 3600\nsession_idle_ttl = 3601", 0, 2, "must not exceed"},
    {"session_idle_ttl = 3601\n\nsession_absolute_ttl = 3600\n", 0, 3, "must not exceed"},
    {"# idle above the default absolute (12 h)\nsession_idle_ttl = 43201", 0, 2,
     "session_idle_ttl must not exceed session_absolute_ttl"},
    {"session_absolute_ttl = 60", 0, 1, "must not exceed"}, /* below the default idle */
    /* user: a login name, nothing a shell or a path could make more of */
    {"user = -coffer", 0, 1, "bad value for 'user'"},
    {"user = ../root", 0, 1, "expected a user name"},
    {"user = cof fer", 0, 1, "expected a user name"},
    {"user = coffer;id", 0, 1, "expected a user name"},
    {"user = abcdefghijklmnopqrstuvwxyz0123456", 0, 1, "at most 32"},
    {"user = a\nuser = b", 0, 2, "'user' already set on line 1"},
    /* listen */
    {"listen = nonsense", 0, 1, "bad value for 'listen'"},
    {"listen = :80", 0, 1, "expected HOST:PORT"},
    {"listen = host:0", 0, 1, "expected HOST:PORT"},
    {"listen = host:65536", 0, 1, "expected HOST:PORT"},
    {"listen = host:", 0, 1, "expected HOST:PORT"},
    {"listen = host:-1", 0, 1, "expected HOST:PORT"},
    {"listen = host:80x", 0, 1, "expected HOST:PORT"},
    {"listen = [::1]8443", 0, 1, "expected HOST:PORT"},
    {"listen = [::1]", 0, 1, "expected HOST:PORT"},
    {"listen = [::1:8443", 0, 1, "expected HOST:PORT"},
    {"listen = []:8443", 0, 1, "expected HOST:PORT"},
    {"listen = [127.0.0.1]:8443", 0, 1, "expected HOST:PORT"},
    {"listen = [nothex::zz]:8443", 0, 1, "expected HOST:PORT"},
    {"listen = ::1:80", 0, 1, "expected HOST:PORT"},
    {"listen = -host:80", 0, 1, "expected HOST:PORT"},
    {"listen = ho_st:80", 0, 1, "expected HOST:PORT"},
    {"listen = ho st:80", 0, 1, "expected HOST:PORT"},
    {"listen = ", 0, 1, "expected HOST:PORT"},
    /* trusted_proxies */
    {"trusted_proxies = 10.0.0.0/8,,192.168.0.0/16", 0, 1, "empty entry"},
    {"trusted_proxies = 10.0.0.0/8,", 0, 1, "empty entry"},
    {"trusted_proxies = ,10.0.0.0/8", 0, 1, "empty entry"},
    {"trusted_proxies = 10.0.0.0/8, ,192.168.0.0/16", 0, 1, "empty entry"},
    {"trusted_proxies = ,", 0, 1, "empty entry"},
    {"trusted_proxies = 10.0.0.1/8", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 10.0.0.0/33", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 2001:db8::/129", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 2001:db8::1/64", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 10.0.0.0/", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 10.0.0.0/-8", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = garbage", 0, 1, "expected addresses or CIDR blocks"},
    {"trusted_proxies = 10.0.0.0/8 192.168.0.0/16", 0, 1, "expected addresses or CIDR"},
    {"trusted_proxies = 10.0.0.0/8;192.168.0.0/16", 0, 1, "expected addresses or CIDR"},
    {"trusted_proxies = localhost", 0, 1, "expected addresses or CIDR blocks"},
    /* max_file_size */
    {"max_file_size = 0", 0, 1, "from 1 to 1099511627776"},
    {"header_timeout = 0", 0, 1, "from 1 to 60"},
    {"header_timeout = 61", 0, 1, "from 1 to 60"},
    {"header_timeout = 10s", 0, 1, "from 1 to 60"},
    {"connections_per_address = 0", 0, 1, "from 1 to 1024"},
    {"connections_per_address = 1025", 0, 1, "from 1 to 1024"},
    {"max_file_size = 1099511627777", 0, 1, "from 1 to 1099511627776"},
    {"max_file_size = -1", 0, 1, "from 1 to 1099511627776"},
    {"max_file_size = 1k", 0, 1, "from 1 to 1099511627776"},
    {"max_file_size = 2GiB", 0, 1, "from 1 to 1099511627776"},
    {"max_file_size = ", 0, 1, "from 1 to 1099511627776"},
    /* log_level */
    {"log_level = INFO", 0, 1, "expected debug, info, warn or error"},
    {"log_level = warning", 0, 1, "expected debug, info, warn or error"},
    {"log_level = trace", 0, 1, "expected debug, info, warn or error"},
    {"log_level = ", 0, 1, "expected debug, info, warn or error"},
    {"log_level = info info", 0, 1, "expected debug, info, warn or error"},
    /* strings */
    {"tls_cert = ", 0, 1, "a value is required"},
    {"tls_key =", 0, 1, "a value is required"},
    {"tls_key = # only a comment", 0, 1, "a value is required"},
    /* bytes a text file should not hold: checked before comments are stripped */
    {"log_level = info\0 # nul", 23, 1, "NUL byte"},
    {"# ok\nlog_level = info\0", 22, 2, "NUL byte"},
    {"tls_cert = caf\xc3\xa9.pem", 0, 1, "non-ASCII"},
    {"# caf\xc3\xa9 in a comment", 0, 1, "non-ASCII"},
    {"log_level = info\x7f", 0, 1, "non-ASCII"},
    {"log_level = info\f", 0, 1, "control"},
    {"log_level = info\x1b[0m", 0, 1, "control"},
    {"tls_cert = \x80", 0, 1, "non-ASCII"},
    {"tls_cert = \xff", 0, 1, "non-ASCII"},
};
// clang-format on

static void check_bad(const struct bad_case *c, size_t idx)
{
	struct coffer_config cfg;
	char err[ERRLEN], want_prefix[64];
	size_t len = c->len ? c->len : strlen(c->text);
	config_defaults(&cfg);
	enum coffer_err rc = parse_n(&cfg, c->text, len, err);
	snprintf(want_prefix, sizeof want_prefix, NAME ":%zu: ", c->line);
	if (rc != COFFER_ERR_CONFIG)
		fail_msg("case %zu ('%s'): accepted (rc %d)", idx, c->text, (int)rc);
	if (strncmp(err, want_prefix, strlen(want_prefix)) != 0)
		fail_msg("case %zu ('%s'): message '%s' does not start with '%s'", idx, c->text,
			 err, want_prefix);
	if (strstr(err, c->why) == NULL)
		fail_msg("case %zu ('%s'): message '%s' lacks '%s'", idx, c->text, err, c->why);
	if (!is_defaults(&cfg))
		fail_msg("case %zu ('%s'): cfg changed on failure", idx, c->text);
}

/* Every PostgreSQL key, and the combinations that need no certificate. */
static void test_postgresql_settings(void **state)
{
	(void)state;
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(cfg.database, CONFIG_DB_SQLITE);
	assert_string_equal(cfg.pg_host, "");
	assert_int_equal(cfg.pg_port, 5432);
	assert_string_equal(cfg.pg_user, "");
	assert_string_equal(cfg.pg_database, "coffer");
	assert_int_equal(cfg.pg_sslmode, CONFIG_PG_SSL_VERIFY_FULL);
	assert_string_equal(cfg.pg_sslrootcert, "");
	assert_int_equal(cfg.pg_pool_size, 16);
	assert_int_equal(cfg.pg_statement_timeout_ms, 30000);
	assert_false(cfg.metrics_on);
	assert_string_equal(cfg.alert_command, "");
	assert_int_equal(cfg.alert_signin_failures_account, 5);
	assert_int_equal(cfg.alert_signin_failures_address, 20);
	assert_int_equal(cfg.alert_reads_per_hour, 300);
	assert_int_equal(cfg.alert_reads_factor, 3);
	assert_true(cfg.pg_prepared_statements);

	assert_int_equal(parse(&cfg,
			       "database = postgresql\n"
			       "pg_host = db-1.example.net\n"
			       "pg_port = 6432\n"
			       "pg_user = coffer_app\n"
			       "pg_database = coffer.sys\n"
			       "pg_sslmode = verify-ca\n"
			       "pg_sslrootcert = pg-ca.pem\n"
			       "pg_pool_size = 1024\n"
			       "pg_statement_timeout_ms = 2500\n"
			       "metrics_listen = [::1]:9464\n"
			       "pg_prepared_statements = off\n",
			       err),
			 COFFER_OK);
	assert_false(cfg.pg_prepared_statements);
	assert_int_equal(cfg.database, CONFIG_DB_POSTGRESQL);
	assert_string_equal(cfg.pg_host, "db-1.example.net");
	assert_int_equal(cfg.pg_port, 6432);
	assert_string_equal(cfg.pg_user, "coffer_app");
	assert_string_equal(cfg.pg_database, "coffer.sys");
	assert_int_equal(cfg.pg_sslmode, CONFIG_PG_SSL_VERIFY_CA);
	assert_string_equal(config_pg_sslmode_name(cfg.pg_sslmode), "verify-ca");
	assert_string_equal(cfg.pg_sslrootcert, "pg-ca.pem");
	assert_int_equal(cfg.pg_pool_size, 1024);
	assert_int_equal(cfg.pg_statement_timeout_ms, 2500);
	assert_true(cfg.metrics_on);
	assert_string_equal(cfg.metrics_listen.host, "::1");
	assert_int_equal(cfg.metrics_listen.port, 9464);
	config_free(&cfg);

	/* A socket directory needs no certificate (TLS does not run over a unix socket); nor
	 * does a TCP host whose sslmode does not verify. Address literals are hosts too. */
	static const char *const good[] = {
	    "database = postgresql\npg_host = /run/postgresql\npg_user = coffer",
	    "database = postgresql\npg_host = 127.0.0.1\npg_user = c\npg_sslmode = require",
	    "database = postgresql\npg_host = ::1\npg_user = c\npg_sslmode = disable",
	    "database = sqlite\npg_host = db\npg_pool_size = 1",
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		config_defaults(&cfg);
		if (parse(&cfg, good[i], err) != COFFER_OK)
			fail_msg("'%s' refused: %s", good[i], err);
		config_free(&cfg);
	}
	assert_true(config_pg_host_is_socket("/run/postgresql"));
	assert_false(config_pg_host_is_socket("db.example"));
	static const char *const modes[] = {"disable", "allow",	    "prefer",
					    "require", "verify-ca", "verify-full"};
	for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
		char text[64];
		snprintf(text, sizeof text, "pg_sslmode = %s", modes[i]);
		config_defaults(&cfg);
		assert_int_equal(parse(&cfg, text, err), COFFER_OK);
		assert_string_equal(config_pg_sslmode_name(cfg.pg_sslmode), modes[i]);
	}
}

/* Every object-store key, and the defaults. */
static void test_s3_settings(void **state)
{
	(void)state;
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(cfg.blob_store, CONFIG_BLOBS_FILE);
	assert_true(cfg.s3_path_style);
	assert_string_equal(cfg.s3_endpoint, "");
	assert_string_equal(cfg.data_region, "");
	assert_int_equal(parse(&cfg,
			       "blob_store = s3\n"
			       "s3_endpoint = https://objects.example.net:8443/\n"
			       "s3_ca_file = s3-ca.pem\n"
			       "s3_bucket = coffer-files.eu\n"
			       "s3_region = eu-west-2\n"
			       "s3_access_key_id = test:tester\n"
			       "s3_path_style = false\n"
			       "data_region = eu-west-2\n",
			       err),
			 COFFER_OK);
	assert_int_equal(cfg.blob_store, CONFIG_BLOBS_S3);
	assert_string_equal(cfg.s3_endpoint, "https://objects.example.net:8443");
	assert_string_equal(cfg.s3_ca_file, "s3-ca.pem");
	assert_string_equal(cfg.s3_bucket, "coffer-files.eu");
	assert_string_equal(cfg.s3_region, "eu-west-2");
	assert_string_equal(cfg.s3_access_key_id, "test:tester");
	assert_false(cfg.s3_path_style);
	assert_string_equal(cfg.data_region, "eu-west-2");
	config_free(&cfg);
	/* Loopback may be plain http (a test's Swift); anything may be https. */
	static const char *const good[] = {
	    "s3_endpoint = http://127.0.0.1:8080",
	    "s3_endpoint = http://127.8.9.10",
	    "s3_endpoint = http://[::1]:8080",
	    "s3_endpoint = https://[2001:db8::5]:443",
	    "s3_endpoint = https://s3.eu-west-2.amazonaws.com",
	    "blob_store = file\ns3_bucket = abc",
	};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		config_defaults(&cfg);
		if (parse(&cfg, good[i], err) != COFFER_OK)
			fail_msg("'%s' refused: %s", good[i], err);
		config_free(&cfg);
	}
}

static void test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
		check_bad(&bad_cases[i], i);
}

/* Each good line is accepted on its own, so that a refusal in a longer file can be pinned on
 * the bad line: the same bad line after good ones is reported with the later line number. */
static void test_error_line_counts_every_line(void **state)
{
	(void)state;
	static const char text[] = "# 1\n"
				   "listen = 127.0.0.1:8443\r\n"
				   "\n"
				   "tls_cert = a.pem\n"
				   "   \t\n"
				   "log_level = loud # line 6\n"
				   "bogus = 1\n";
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, text, err), COFFER_ERR_CONFIG);
	assert_true(strncmp(err, "coffer.conf:6: ", 15) == 0);
	assert_non_null(strstr(err, "'log_level'"));
	assert_true(is_defaults(&cfg));
}

static void test_trusted_proxies_limit(void **state)
{
	(void)state;
	char text[64 * 20 + 64];
	size_t used = (size_t)snprintf(text, sizeof text, "trusted_proxies = ");
	for (int i = 0; i < 64; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s10.0.%d.0/24",
					 i ? ", " : "", i);
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	if (parse(&cfg, text, err) != COFFER_OK)
		fail_msg("64 entries refused: %s", err);
	assert_int_equal(cfg.n_trusted_proxies, 64);
	struct netaddr a;
	assert_true(netaddr_parse("10.0.63.9", &a));
	assert_true(cidr_contains(&cfg.trusted_proxies[63], &a));

	snprintf(text + used, sizeof text - used, ", 10.1.0.0/16");
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, text, err), COFFER_ERR_CONFIG);
	assert_non_null(strstr(err, "too many entries"));
	assert_true(is_defaults(&cfg));
}

/* Lines of up to 4096 bytes (CR included) are read; one byte more is refused. */
static void test_line_length_limit(void **state)
{
	(void)state;
	enum { MAX = 4096 };
	char *text = malloc(2 * MAX + 16);
	assert_non_null(text);
	struct coffer_config cfg;
	char err[ERRLEN];

	/* A comment line of exactly MAX bytes, then a real setting. */
	memset(text, '#', MAX);
	memcpy(text + MAX, "\nlog_level = error\n", 20);
	config_defaults(&cfg);
	if (parse(&cfg, text, err) != COFFER_OK)
		fail_msg("4096-byte line refused: %s", err);
	assert_int_equal(cfg.log_level, LOG_ERROR);

	/* A value line of exactly MAX bytes: tls_cert = aaaa… */
	memcpy(text, "tls_cert = ", 11);
	memset(text + 11, 'a', MAX - 11);
	text[MAX] = '\0';
	config_defaults(&cfg);
	if (parse(&cfg, text, err) != COFFER_OK)
		fail_msg("4096-byte value line refused: %s", err);
	assert_int_equal(strlen(cfg.tls_cert), MAX - 11);
	config_free(&cfg);

	/* MAX + 1 bytes: refused, as the second line. */
	memcpy(text, "# x\n", 4);
	memset(text + 4, '#', MAX + 1);
	text[4 + MAX + 1] = '\0';
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, text, err), COFFER_ERR_CONFIG);
	assert_true(strncmp(err, "coffer.conf:2: ", 15) == 0);
	assert_non_null(strstr(err, "longer than 4096"));
	assert_true(is_defaults(&cfg));

	/* MAX bytes of content plus the CR of a CRLF is also one byte too many. */
	memset(text, '#', MAX);
	memcpy(text + MAX, "\r\n", 3);
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, text, err), COFFER_ERR_CONFIG);
	assert_non_null(strstr(err, "coffer.conf:1: line longer"));
	free(text);
}

/* TEXT need not be NUL-terminated: only LEN bytes are read. */
static void test_length_is_respected(void **state)
{
	(void)state;
	static const char text[] = "log_level = warnXXXX";
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, NAME, text, 16, err, sizeof err), COFFER_OK);
	assert_int_equal(cfg.log_level, LOG_WARN);
	/* The bytes after LEN would make the line a bad value; a shorter LEN would too. */
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, NAME, text, 15, err, sizeof err), COFFER_ERR_CONFIG);
}

/* Strings set before the error are freed (LeakSanitizer checks at exit), and a CFG that already
 * owns strings keeps them, pointers and all, when a later parse fails. */
static void test_failure_frees_and_keeps_cfg(void **state)
{
	(void)state;
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg,
			       "tls_cert = c.pem\ntls_key = k.pem\nbreached_passwords_file = b\n"
			       "log_level = nope\n",
			       err),
			 COFFER_ERR_CONFIG);
	assert_true(is_defaults(&cfg));

	assert_int_equal(parse(&cfg, "tls_cert = old.pem\nlog_level = debug", err), COFFER_OK);
	struct coffer_config before = cfg;
	assert_int_equal(parse(&cfg, "tls_cert = new.pem\ntls_key = k\nbogus = 1\n", err),
			 COFFER_ERR_CONFIG);
	assert_memory_equal(&cfg, &before, sizeof cfg);
	assert_string_equal(cfg.tls_cert, "old.pem");
	config_free(&cfg);
}

/* config.h: "Parses TEXT ... on top of CFG's current values". A second parse must keep what the
 * first set and it does not set again, and must not leak the strings CFG owned. */
static void test_parse_on_top_of_current_values(void **state)
{
	(void)state;
	struct coffer_config cfg;
	char err[ERRLEN];
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, "tls_cert = c.pem\nlog_level = debug", err), COFFER_OK);
	assert_int_equal(parse(&cfg, "tls_key = k.pem", err), COFFER_OK);
	assert_non_null(cfg.tls_cert);
	assert_string_equal(cfg.tls_cert, "c.pem");
	assert_string_equal(cfg.tls_key, "k.pem");
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	config_free(&cfg);
}

/* A small ERRBUF is truncated but stays a NUL-terminated string; bytes after it are untouched. */
static void test_small_errbuf(void **state)
{
	(void)state;
	struct coffer_config cfg;
	char err[32];
	memset(err, 'Z', sizeof err);
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, NAME, "bogus = 1", 9, err, 8), COFFER_ERR_CONFIG);
	assert_string_equal(err, "coffer.");
	assert_int_equal(err[8], 'Z');
	memset(err, 'Z', sizeof err);
	assert_int_equal(config_parse(&cfg, NAME, "bogus = 1", 9, err, 16), COFFER_ERR_CONFIG);
	assert_string_equal(err, "coffer.conf:1: ");
	assert_int_equal(err[16], 'Z');
}

/* The unknown-key message shows at most 64 characters of the key. */
static void test_unknown_key_truncated(void **state)
{
	(void)state;
	char text[300], err[ERRLEN];
	memset(text, 'k', 200);
	memcpy(text + 200, " = 1", 5);
	struct coffer_config cfg;
	config_defaults(&cfg);
	assert_int_equal(parse(&cfg, text, err), COFFER_ERR_CONFIG);
	const char *q = strstr(err, "unknown key '");
	assert_non_null(q);
	q += strlen("unknown key '");
	assert_int_equal(strspn(q, "k"), 64);
	assert_int_equal(q[64], '\'');
}

/* listen_addr_parse → listen_addr_format gives the canonical text, which parses back equal. */
static void test_listen_addr_round_trip(void **state)
{
	(void)state;
	static const struct {
		const char *in, *host;
		unsigned int port;
		const char *out;
	} cases[] = {
	    {"127.0.0.1:8443", "127.0.0.1", 8443, "127.0.0.1:8443"},
	    {"[::1]:8443", "::1", 8443, "[::1]:8443"},
	    {"localhost:1", "localhost", 1, "localhost:1"},
	    {"example.com:65535", "example.com", 65535, "example.com:65535"},
	    {"[2001:db8::1]:443", "2001:db8::1", 443, "[2001:db8::1]:443"},
	    {"[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80, "[::ffff:192.0.2.1]:80"},
	    {"host:0080", "host", 80, "host:80"},
	    {"a-b.c1:9", "a-b.c1", 9, "a-b.c1:9"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct listen_addr a, b;
		char out[CONFIG_HOST_MAX + 16];
		memset(&a, 0x55, sizeof a);
		if (listen_addr_parse(cases[i].in, &a) != COFFER_OK)
			fail_msg("'%s' refused", cases[i].in);
		assert_string_equal(a.host, cases[i].host);
		assert_int_equal(a.port, cases[i].port);
		listen_addr_format(&a, out, sizeof out);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(listen_addr_parse(out, &b), COFFER_OK);
		assert_string_equal(a.host, b.host);
		assert_int_equal(a.port, b.port);
	}
}

static void test_listen_addr_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "nonsense",
	    ":80",
	    "host:0",
	    "host:65536",
	    "host:99999999999999999999",
	    "[::1]8443",
	    "::1:80",
	    "[::1]",
	    "[::1]:",
	    "[::1]:x",
	    "[::1:80",
	    "[]:80",
	    "[127.0.0.1]:80",
	    "[fe80::1%eth0]:80",
	    "host:",
	    "host:+1",
	    "host: 1",
	    " host:1",
	    "host:1 ",
	    "-h:1",
	    ".h:1",
	    "h_1:1",
	    "",
	    ":",
	    "[",
	    "]:80",
	    "[::1]:80:",
	    "h:1:2",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct listen_addr a;
		memcpy(a.host, "sentinel", 9);
		a.port = 4242;
		if (listen_addr_parse(bad[i], &a) != COFFER_ERR_INVALID_INPUT)
			fail_msg("'%s' accepted", bad[i]);
		/* OUT is written only on success. */
		assert_string_equal(a.host, "sentinel");
		assert_int_equal(a.port, 4242);
	}
}

/* Host names: at most 253 characters (and 255 as a bracketed literal is still refused). */
static void test_listen_addr_long_host(void **state)
{
	(void)state;
	char text[400];
	struct listen_addr a;
	memset(text, 'h', 253);
	memcpy(text + 253, ":1", 3);
	assert_int_equal(listen_addr_parse(text, &a), COFFER_OK);
	assert_int_equal(strlen(a.host), 253);
	memset(text, 'h', 254);
	memcpy(text + 254, ":1", 3);
	assert_int_equal(listen_addr_parse(text, &a), COFFER_ERR_INVALID_INPUT);
	memset(text, 'h', 300);
	memcpy(text + 300, ":1", 3);
	assert_int_equal(listen_addr_parse(text, &a), COFFER_ERR_INVALID_INPUT);
	text[0] = '[';
	memset(text + 1, ':', 299);
	memcpy(text + 300, "]:1", 4);
	assert_int_equal(listen_addr_parse(text, &a), COFFER_ERR_INVALID_INPUT);
}

/* A truncating OUT keeps a NUL terminator. */
static void test_listen_addr_format_truncates(void **state)
{
	(void)state;
	struct listen_addr a;
	char out[8];
	assert_int_equal(listen_addr_parse("[2001:db8::1]:443", &a), COFFER_OK);
	memset(out, 'Z', sizeof out);
	listen_addr_format(&a, out, 6);
	assert_string_equal(out, "[2001");
	assert_int_equal(out[6], 'Z');
}

static void test_config_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/coffer-test-config-XXXXXX";
	char path[128], err[ERRLEN];
	struct coffer_config cfg;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/coffer.conf", dir);

	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), COFFER_ERR_CONFIG);
	assert_non_null(strstr(err, "no such file"));

	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("listen = [::1]:9000\n\nbogus = 2\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), COFFER_ERR_CONFIG);
	char want[160];
	snprintf(want, sizeof want, "%s:3: unknown key 'bogus'", path);
	assert_string_equal(err, want);
	assert_true(is_defaults(&cfg));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("listen = [::1]:9000\ntls_cert = x.pem\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), COFFER_OK);
	assert_string_equal(cfg.listen.host, "::1");
	assert_int_equal(cfg.listen.port, 9000);
	assert_string_equal(cfg.tls_cert, "x.pem");
	config_free(&cfg);

	/* Larger than CONFIG_FILE_MAX: refused before parsing. */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < CONFIG_FILE_MAX / 8 + 1; i++)
		fputs("#234567\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, err, sizeof err), COFFER_ERR_CONFIG);
	assert_non_null(strstr(err, "too large"));

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_empty_and_comment_only_files),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_comments_whitespace_crlf),
	    cmocka_unit_test(test_good_values),
	    cmocka_unit_test(test_s3_settings),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_postgresql_settings),
	    cmocka_unit_test(test_error_line_counts_every_line),
	    cmocka_unit_test(test_trusted_proxies_limit),
	    cmocka_unit_test(test_line_length_limit),
	    cmocka_unit_test(test_length_is_respected),
	    cmocka_unit_test(test_failure_frees_and_keeps_cfg),
	    cmocka_unit_test(test_parse_on_top_of_current_values),
	    cmocka_unit_test(test_small_errbuf),
	    cmocka_unit_test(test_unknown_key_truncated),
	    cmocka_unit_test(test_listen_addr_round_trip),
	    cmocka_unit_test(test_listen_addr_bad),
	    cmocka_unit_test(test_listen_addr_long_host),
	    cmocka_unit_test(test_listen_addr_format_truncates),
	    cmocka_unit_test(test_config_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
