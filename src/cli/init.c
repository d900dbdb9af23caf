/* init.c — `coffer init`: create a new deployment in a data directory.
 *
 * How the master key is kept is a choice made here, and made explicitly: sealed by a passphrase,
 * in a PKCS#11 token, or --unsealed. Nobody gets an unsealed key by leaving an option out.
 *
 * Order matters: the directory is checked and created first, coffer.conf is written last, and a
 * failure on the way removes what this run created, so a half-made deployment is never left to
 * be mistaken for a whole one.
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/invite.h"
#include "cli/run_as.h"
#include "cli/keyring.h"
#include "common/email.h"
#include "common/fileio.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "cli/store_open.h"
#include "crypto/master_key.h"
#include "crypto/secrets_file.h"
#include "crypto/selfsigned.h"
#include "crypto/token.h"
#include "store/audit_check.h"
#include "store/store.h"

#define USAGE                                                                                      \
	"coffer init --data DIR --admin-email EMAIL [--listen HOST:PORT] "                         \
	"[--tls-cert F --tls-key F] (--passphrase-file F|- | --pkcs11-module PATH "                \
	"--pkcs11-token LABEL --pkcs11-pin-file F|- | --unsealed) [--user NAME] "                  \
	"[--database sqlite|postgresql --pg-host H [--pg-port P] --pg-user U [--pg-database DB] "  \
	"[--pg-sslmode MODE] [--pg-sslrootcert F] [--pg-password-file F|-]]"
#define CHOICES                                                                                    \
	"--passphrase-file F (F '-' for standard input), --pkcs11-module PATH --pkcs11-token "     \
	"LABEL --pkcs11-pin-file F, or --unsealed"

struct init_args {
	const char *data_dir;
	char email[EMAIL_MAX + 1];
	struct listen_addr listen;
	const char *tls_cert, *tls_key;
	const char *passphrase_file;
	const char *user; /* --user; run_as_for_init decides */
	struct run_as_owner owner;
	const char *pkcs11_module, *pkcs11_token, *pkcs11_pin_file;
	bool unsealed;
	/* database = postgresql: its settings as coffer.conf lines (checked by config_parse),
	 * and where the password comes from; "" for SQLite. */
	char pg_conf[1024];
	const char *pg_password_file;
};

/* Files this run created, removed again if a later step fails. */
static const char *const created_files[] = {
    "coffer.conf",  "system.db",   "system.db-wal", "system.db-shm",
    "tls/cert.pem", "tls/key.pem", MASTER_KEY_FILE, SECRETS_FILE,
};

static void undo(const char *dir, bool made_dir)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof created_files / sizeof created_files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, created_files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/tls", dir);
	rmdir(path);
	if (made_dir)
		rmdir(dir);
}

/* 0: absent, 1: present and empty, -1: present with something in it (or not a directory). */
static int dir_state(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	struct dirent *e;
	int state = 1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			state = -1;
			break;
		}
	}
	closedir(d);
	return state;
}

/* mkdir -p for the parents of DIR, then DIR itself with mode 0700. */
static int make_dir(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
		return -1;
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700);
}

/* Config values are single-line ASCII without a comment sign. */
static bool config_safe_value(const char *p)
{
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '#')
			return false;
	}
	return true;
}

/* The coffer.conf lines of --database postgresql and its --pg-* options, into A->pg_conf,
 * checked as serve will read them. */
static int pg_settings(struct init_args *a, const char *const pg[7])
{
	static const char *const keys[7] = {"pg_host",	   "pg_port",	 "pg_user",
					    "pg_database", "pg_sslmode", "pg_sslrootcert"};
	size_t used = (size_t)snprintf(a->pg_conf, sizeof a->pg_conf, "database = postgresql\n");
	for (size_t i = 0; i < 6; i++) {
		if (pg[i] == NULL)
			continue;
		if (!config_safe_value(pg[i]))
			return cli_fail("--%s: plain ASCII without '#' only", keys[i] + 0);
		int n = snprintf(a->pg_conf + used, sizeof a->pg_conf - used, "%s = %s\n", keys[i],
				 pg[i]);
		if (n < 0 || (size_t)n >= sizeof a->pg_conf - used)
			return cli_fail("--%s: too long", keys[i]);
		used += (size_t)n;
	}
	struct coffer_config cfg;
	char why[256];
	config_defaults(&cfg);
	enum coffer_err err = config_parse(&cfg, "--pg options", a->pg_conf, used, why, sizeof why);
	config_free(&cfg);
	if (err != COFFER_OK)
		return cli_fail("%s", why);
	return 0;
}

static int parse_args(int argc, char **argv, struct init_args *a)
{
	const char *database = NULL, *pg[7] = {0};
	const char *email = NULL, *listen = NULL;
	memset(a, 0, sizeof *a);
	a->data_dir = cli_default_data_dir();
	// clang-format off
	const struct cli_option opts[] = {
	    {"data",            &a->data_dir,        NULL},
	    {"admin-email",     &email,              NULL},
	    {"listen",          &listen,             NULL},
	    {"tls-cert",        &a->tls_cert,        NULL},
	    {"tls-key",         &a->tls_key,         NULL},
	    {"passphrase-file", &a->passphrase_file, NULL},
	    {"user",            &a->user,            NULL},
	    {"pkcs11-module",   &a->pkcs11_module,   NULL},
	    {"pkcs11-token",    &a->pkcs11_token,    NULL},
	    {"pkcs11-pin-file", &a->pkcs11_pin_file, NULL},
	    {"unsealed",        NULL,                &a->unsealed},
	    {"database",        &database,           NULL},
	    {"pg-host",         &pg[0],              NULL},
	    {"pg-port",         &pg[1],              NULL},
	    {"pg-user",         &pg[2],              NULL},
	    {"pg-database",     &pg[3],              NULL},
	    {"pg-sslmode",      &pg[4],              NULL},
	    {"pg-sslrootcert",  &pg[5],              NULL},
	    {"pg-password-file", &a->pg_password_file, NULL},
	};
	// clang-format on
	int next = 0;
	int rc = cli_options(argc, argv, NULL, opts, sizeof opts / sizeof opts[0], USAGE, &next);
	if (rc != 0)
		return rc;
	if (next < argc)
		return cli_usage(USAGE, "unexpected argument");
	if (email == NULL)
		return cli_usage(USAGE, "--admin-email is required");
	if ((a->tls_cert == NULL) != (a->tls_key == NULL))
		return cli_usage(USAGE, "--tls-cert and --tls-key go together");
	bool pkcs11 =
	    a->pkcs11_module != NULL || a->pkcs11_token != NULL || a->pkcs11_pin_file != NULL;
	int choices = (a->passphrase_file != NULL) + pkcs11 + a->unsealed;
	if (choices == 0)
		return cli_usage(USAGE, "choose how the master key is kept: " CHOICES);
	if (choices > 1)
		return cli_usage(USAGE, "choose only one way to keep the master key: " CHOICES);
	if (pkcs11 &&
	    (a->pkcs11_module == NULL || a->pkcs11_token == NULL || a->pkcs11_pin_file == NULL))
		return cli_usage(
		    USAGE, "--pkcs11-module, --pkcs11-token and --pkcs11-pin-file go together");
	bool postgresql = database != NULL && strcmp(database, "postgresql") == 0;
	if (database != NULL && !postgresql && strcmp(database, "sqlite") != 0)
		return cli_usage(USAGE, "--database: sqlite or postgresql");
	bool any_pg = a->pg_password_file != NULL;
	for (size_t i = 0; i < 6; i++)
		any_pg = any_pg || pg[i] != NULL;
	if (any_pg && !postgresql)
		return cli_usage(USAGE, "the --pg-* options go with --database postgresql");
	if (postgresql && (pg[0] == NULL || pg[2] == NULL))
		return cli_usage(USAGE, "--database postgresql needs --pg-host and --pg-user");
	if (postgresql && pg_settings(a, pg) != 0)
		return EXIT_USER_ERROR;
	if (!email_normalize(email, a->email))
		return cli_fail("--admin-email: not a valid email address");
	a->listen.port = 8443;
	memcpy(a->listen.host, "127.0.0.1", sizeof "127.0.0.1");
	if (listen != NULL && listen_addr_parse(listen, &a->listen) != COFFER_OK)
		return cli_fail("--listen: expected HOST:PORT or [IPV6]:PORT");
	return run_as_for_init(a->user, &a->owner);
}

static int write_config(const struct init_args *a, const char *path, const char *cert,
			const char *key)
{
	char listen[CONFIG_HOST_MAX + 16], text[8192], user[RUN_AS_NAME_MAX + 128] = "";
	listen_addr_format(&a->listen, listen, sizeof listen);
	if (a->owner.set)
		snprintf(
		    user, sizeof user,
		    "# Started as root, coffer serve runs as this user (it owns this directory).\n"
		    "user = %s\n",
		    a->owner.name);
	int n =
	    snprintf(text, sizeof text,
		     "# coffer deployment settings; see README.md for every key.\n"
		     "listen = %s\n"
		     "tls_cert = %s\n"
		     "tls_key = %s\n"
		     "# Sessions: absolute and idle lifetime, in seconds.\n"
		     "session_absolute_ttl = 43200\n"
		     "session_idle_ttl = 1800\n"
		     "# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs).\n"
		     "trusted_proxies =\n"
		     "# Seconds a connection has to send its request headers, and the connections\n"
		     "# one client address may hold (raise it behind a reverse proxy).\n"
		     "header_timeout = 10\n"
		     "connections_per_address = 64\n"
		     "# A Pwned Passwords file (SHA1HEX:COUNT lines, sorted), if you have one.\n"
		     "breached_passwords_file =\n"
		     "max_file_size = 2147483648\n"
		     "log_level = info\n"
		     "%s%s%s",
		     listen, cert, key, user,
		     a->pg_conf[0] != '\0'
			 ? "# The store: PostgreSQL (docs/STORAGE.md); its password is sealed in "
			   "secrets.\n"
			 : "",
		     a->pg_conf);
	if (n < 0 || (size_t)n >= sizeof text)
		return -1;
	/* Prove that what we write is what serve will accept. */
	struct coffer_config cfg;
	char why[256];
	config_defaults(&cfg);
	if (config_parse(&cfg, "coffer.conf", text, (size_t)n, why, sizeof why) != COFFER_OK)
		return -1;
	config_free(&cfg);
	return file_write_atomic(path, text, (size_t)n, 0600, 1) == COFFER_OK ? 0 : -1;
}

/* The first sysadmin's invitation, sealed here with the master keyring just created: no
 * sysadmin exists yet for keyd to seal it for (invite.h). And the first checkpoints of the
 * audit chains (of an empty system chain), made with the same keyring, which mark the
 * deployment as one whose chains are MAC-linked from the start. */
static enum coffer_err bootstrap_invite(const char *data_dir, const char *email,
					const struct master_unlock *u, struct store *st,
					char token[TOKEN_TEXT_LEN + 1])
{
	char path[PATH_MAX];
	struct master_keyring *ring = NULL;
	struct token_hash hash;
	struct invite_record rec;
	const struct cli_invite_order order = {.email = email, .role = INVITE_SYSADMIN};
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	struct audit_mac_keys *audit_keys = NULL;
	size_t chains = 0;
	enum coffer_err err = master_key_open(path, u, &ring);
	if (err == COFFER_OK)
		err = cli_invite_seal(ring, &order, time_now(), token, &hash, &rec);
	if (err == COFFER_OK && cli_audit_signer_begin(ring, st, &audit_keys) != 0)
		err = COFFER_ERR_CRYPTO;
	if (err == COFFER_OK)
		err = audit_upgrade_chains(st, &chains);
	if (audit_keys != NULL)
		cli_audit_signer_end(audit_keys);
	master_keyring_free(ring);
	if (err == COFFER_OK)
		err = store_invite_add(st, &hash, &rec);
	return err;
}

/* The PostgreSQL store of a new deployment: the password sealed in DATA/secrets under the new
 * master key, the schema created in the system database (which the administrator made, empty:
 * docs/OPERATIONS.md), and the store opened. */
static int pg_deployment(const struct init_args *a, const struct master_unlock *u,
			 struct store **st)
{
	char path[PATH_MAX], why[256];
	struct master_keyring *ring = NULL;
	struct secrets *s = NULL;
	char *password = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", a->data_dir, MASTER_KEY_FILE);
	if (a->pg_password_file != NULL &&
	    cli_secret_read(a->pg_password_file, &password, &len) != 0)
		return EXIT_USER_ERROR;
	enum coffer_err err = master_key_open(path, u, &ring);
	if (err == COFFER_OK)
		err = secrets_new(&s);
	if (err == COFFER_OK && password != NULL)
		err =
		    secrets_put(s, SECRET_PG_PASSWORD, (const uint8_t *)password, len, time_now());
	if (err == COFFER_OK)
		err = secrets_save(a->data_dir, ring, s);
	secrets_free(s);
	master_keyring_free(ring);
	int rc = 0;
	if (err != COFFER_OK)
		rc = cli_fail("cannot seal the PostgreSQL password in %s/%s", a->data_dir,
			      SECRETS_FILE);
	struct coffer_config cfg;
	config_defaults(&cfg);
	if (rc == 0 && config_parse(&cfg, "--pg options", a->pg_conf, strlen(a->pg_conf), why,
				    sizeof why) != COFFER_OK)
		rc = cli_fail("%s", why);
	struct pg_target target;
	char rootcert[PATH_MAX];
	cli_pg_target(a->data_dir, &cfg, rootcert, &target);
	const struct store_location loc = {
	    .data_dir = a->data_dir, .pg = &target, .pg_password = password};
	if (rc == 0) {
		err = store_create(&loc);
		if (err == COFFER_ERR_EXISTS)
			rc = cli_fail("the database %s on %s already holds a coffer deployment; "
				      "refusing to touch it",
				      cfg.pg_database, cfg.pg_host);
		else if (err != COFFER_OK)
			rc = cli_fail("cannot create the schema in the database %s on %s (see the "
				      "log above)",
				      cfg.pg_database, cfg.pg_host);
	}
	if (rc == 0)
		rc = cli_store_open_with(a->data_dir, &cfg, password, st);
	config_free(&cfg);
	if (password != NULL)
		sodium_free(password);
	return rc;
}

static int init_deployment(const struct init_args *args, const struct master_unlock *u)
{
	struct init_args a = *args;
	char path[PATH_MAX], cert_abs[PATH_MAX], key_abs[PATH_MAX];
	bool made_dir = false;

	if (a.tls_cert != NULL) {
		/* Stored as absolute paths, so the deployment does not depend on where init ran. */
		if (realpath(a.tls_cert, cert_abs) == NULL || access(cert_abs, R_OK) != 0)
			return cli_fail("--tls-cert: cannot read %s", a.tls_cert);
		if (realpath(a.tls_key, key_abs) == NULL || access(key_abs, R_OK) != 0)
			return cli_fail("--tls-key: cannot read %s", a.tls_key);
		if (!config_safe_value(cert_abs) || !config_safe_value(key_abs))
			return cli_fail("TLS paths must be plain ASCII without '#'");
	}
	switch (dir_state(a.data_dir)) {
	case 0:
		if (make_dir(a.data_dir) != 0)
			return cli_fail("cannot create %s: %s", a.data_dir, strerror(errno));
		made_dir = true;
		break;
	case 1:
		if (chmod(a.data_dir, 0700) != 0)
			return cli_fail("cannot set the mode of %s: %s", a.data_dir,
					strerror(errno));
		break;
	default:
		snprintf(path, sizeof path, "%s/coffer.conf", a.data_dir);
		if (access(path, F_OK) == 0)
			return cli_fail("%s already holds a deployment; refusing to touch it",
					a.data_dir);
		return cli_fail("%s exists and is not an empty directory", a.data_dir);
	}

	const char *step = "master key";
	snprintf(path, sizeof path, "%s/%s", a.data_dir, MASTER_KEY_FILE);
	if (a.pkcs11_module != NULL) {
		enum coffer_err kerr =
		    master_key_create_pkcs11(path, a.pkcs11_module, a.pkcs11_token, u);
		if (kerr != COFFER_OK) {
			undo(a.data_dir, made_dir);
			return cli_token_failure(a.pkcs11_module, a.pkcs11_token, kerr);
		}
	} else if (master_key_create(path, u->passphrase, u->pass_len) != COFFER_OK) {
		goto fail;
	}

	step = "TLS certificate";
	if (a.tls_cert == NULL) {
		char dir[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/tls", a.data_dir);
		snprintf(cert, sizeof cert, "%s/tls/cert.pem", a.data_dir);
		snprintf(key, sizeof key, "%s/tls/key.pem", a.data_dir);
		const char *host = a.listen.host;
		if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
			host = "localhost";
		if (mkdir(dir, 0700) != 0 || selfsigned_create(host, cert, key) != COFFER_OK)
			goto fail;
		snprintf(cert_abs, sizeof cert_abs, "tls/cert.pem");
		snprintf(key_abs, sizeof key_abs, "tls/key.pem");
	}

	step = "system database";
	struct store *st = NULL;
	if (a.pg_conf[0] != '\0') {
		int prc = pg_deployment(&a, u, &st);
		if (prc != 0) {
			undo(a.data_dir, made_dir);
			return prc;
		}
	} else if (store_system_create(a.data_dir) != COFFER_OK ||
		   store_system_open(a.data_dir, &st) != COFFER_OK) {
		goto fail;
	}

	step = "bootstrap invite";
	char token[TOKEN_TEXT_LEN + 1];
	enum coffer_err err = bootstrap_invite(a.data_dir, a.email, u, st, token);
	store_close(st);
	if (err != COFFER_OK)
		goto fail;

	step = "coffer.conf";
	snprintf(path, sizeof path, "%s/coffer.conf", a.data_dir);
	if (write_config(&a, path, cert_abs, key_abs) != 0 || dir_fsync(a.data_dir) != COFFER_OK)
		goto fail;
	step = "ownership of the files";
	if (a.owner.set && run_as_chown_tree(a.data_dir, &a.owner) != COFFER_OK)
		goto fail;

	char url[CONFIG_HOST_MAX + 16 + sizeof "https:///invite/" + TOKEN_TEXT_LEN];
	cli_invite_url(&a.listen, token, url, sizeof url);
	printf("coffer: created a deployment in %s\n", a.data_dir);
	printf("coffer: invite for the first system administrator (%s), valid 72 hours:\n",
	       a.email);
	printf("%s\n", url);
	sodium_memzero(token, sizeof token);
	sodium_memzero(url, sizeof url);
	return fflush(stdout) == 0 ? 0 : EXIT_USER_ERROR;
fail:
	undo(a.data_dir, made_dir);
	return cli_fail("cannot create the %s in %s", step, a.data_dir);
}

int cmd_init(int argc, char **argv)
{
	struct init_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc != 0)
		return rc;

	struct master_unlock u;
	rc = cli_unlock_read(a.passphrase_file, a.pkcs11_pin_file, &u);
	if (rc != 0)
		return rc;
	rc = init_deployment(&a, &u);
	cli_unlock_free(&u);
	return rc;
}
