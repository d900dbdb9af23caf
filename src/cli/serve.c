/* serve.c — `coffer serve`: load the deployment, serve HTTPS until SIGTERM or SIGINT, then stop
 * gracefully.
 *
 * Signals are blocked in every thread before any is started and taken synchronously here with
 * sigwait(2), so no handler ever runs in the middle of request code.
 */
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "alerts/runner.h"
#include "api/app.h"
#include "api/authorize.h"
#include "api/org_audit.h"
#include "api/routes.h"
#include "signin/breached.h"
#include "backup/nightly.h"
#include "cli/cli.h"
#include "cli/run_as.h"
#include "config/config_webauthn.h"
#include "cli/store_open.h"
#include "cli/keyring.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "crypto/secrets_file.h"
#include "http/server.h"
#include "http/tls_certs.h"
#include "keyclient/spawn.h"
#include "metrics/metrics.h"
#include "http/metrics_listener.h"
#include "sandbox/harden.h"
#include "sandbox/seccomp.h"
#include "sandbox/web_filter.h"
#include "keyclient/keyclient.h"
#include "store/audit_watch.h"
#include "s3/s3_bucket.h"
#include "store/blob_s3.h"
#include "store/blobs.h"
#include "store/org_reaper.h"
#include "store/sweep.h"
#include "version.h"

#define USAGE                                                                                      \
	"coffer serve --data DIR [--listen HOST:PORT] [--passphrase-file F|-] "                    \
	"[--pkcs11-pin-file F|-]"
#define SHUTDOWN_GRACE_MS 10000

static int parse_args(int argc, char **argv, const char **data_dir, const char **listen,
		      const char **passphrase_file, const char **pin_file)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"passphrase-file", required_argument, NULL, 'p'},
	    {"pkcs11-pin-file", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	*data_dir = cli_default_data_dir();
	*listen = NULL;
	*passphrase_file = NULL;
	*pin_file = NULL;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *data_dir = optarg; break;
		case 'l': *listen = optarg; break;
		case 'p': *passphrase_file = optarg; break;
		case 'P': *pin_file = optarg; break;
		default: return cli_usage(USAGE, "unknown or incomplete option");
		}
	}
	if (optind < argc)
		return cli_usage(USAGE, "unexpected argument");
	return 0;
}

/* Resolves a configured path: absolute as it is, relative against the data directory. */
static void data_path(const char *data_dir, const char *p, char out[PATH_MAX])
{
	if (p[0] == '/')
		snprintf(out, PATH_MAX, "%s", p);
	else
		snprintf(out, PATH_MAX, "%s/%s", data_dir, p);
}

/* keyd ended by signal SIG before it could say what failed: not its keys' fault, so not
 * explained as if it were. */
static int keyd_killed(int sig)
{
	if (sig == SIGSYS)
		return cli_fail(
		    "the key service was stopped during start-up by its system-call "
		    "filter (SIGSYS): it made a call the filter forbids; this is a bug in "
		    "coffer, please report it");
	return cli_fail("the key service ended during start-up, killed by signal %d (%s)", sig,
			strsignal(sig));
}

/* Starts keyd and waits until it holds the master key; explains a failure in one line. */
static int start_keyd(const char *data_dir, const char *passphrase_file, const char *pin_file,
		      const struct privdrop_target *run_as, pid_t *pid, struct keyd_client **keyd)
{
	struct keyd_start start = {.data_dir = data_dir,
				   .passphrase_file = passphrase_file,
				   .pin_file = pin_file,
				   .run_as = *run_as};
	enum coffer_err err = keyd_spawn(&start, pid, keyd);
	if (err != COFFER_OK)
		return cli_fail("cannot start the key service");
	enum keyd_fail_source source = KEYD_FAIL_KEYRING;
	err = keyd_wait_ready_from(*keyd, &source);
	if (err == COFFER_OK)
		return 0;
	keyd_client_free(*keyd);
	*keyd = NULL;
	int status = 0;
	if (waitpid(*pid, &status, 0) == *pid && WIFSIGNALED(status))
		return keyd_killed(WTERMSIG(status));
	if (source == KEYD_FAIL_SECRETS)
		return cli_secrets_failure(data_dir, err);
	return cli_keyring_failure(data_dir, passphrase_file, pin_file, err);
}

/* An unsealed master key is a choice made at init; it is said again at every start, since
 * anyone with a copy of DATA reads everything. Only the kind byte is read: no key. */
static void warn_if_unsealed(const char *data_dir)
{
	char path[PATH_MAX];
	struct master_key_info info;
	snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
	if (master_key_info(path, &info) == COFFER_OK && info.kind == MASTER_KIND_PLAIN)
		log_event(LOG_WARN, "master_key",
			  json_pack("{s:s,s:s,s:s}", "sealed", "no", "msg",
				    "the master key is not sealed: anyone with a copy of the data "
				    "directory can read every organisation's data",
				    "fix",
				    "a new deployment made with coffer init --passphrase-file or "
				    "--pkcs11-module"));
}

/* Re-opens the breached-password list (SIGHUP): a failure keeps the list in use. */
static void reload_breached(struct breached_db *db, const char *path)
{
	enum coffer_err err = breached_db_reload(db);
	if (err == COFFER_OK)
		log_event(LOG_INFO, "reload",
			  json_pack("{s:s,s:s}", "what", "breached_passwords_file", "path",
				    path ? path : ""));
	else
		log_event(LOG_ERROR, "reload",
			  json_pack("{s:s,s:s,s:s}", "what", "breached_passwords_file", "msg",
				    err == COFFER_ERR_CONFIG	  ? "not a Pwned Passwords list"
				    : err == COFFER_ERR_NOT_FOUND ? "the file is missing"
								  : "cannot read the file",
				    "kept", "the list loaded before stays in use"));
}

/* Up to 1024 connections, each a descriptor, beside the open organisations' databases (a few
 * each, ORG_CACHE_DEFAULT of them) and blobs being read or written: the default soft limit of
 * 1024 is too low. Raised as far as the hard limit allows, and no further than needed. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t want = 8192;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_msg(LOG_WARN, "limits", "cannot raise the open-file limit");
	}
}

/* Waits for SIGTERM or SIGINT, or for keyd to die (SIGCHLD): serving without the key service
 * is not an option. SIGHUP re-opens the breached-password list and re-reads the TLS certificate
 * and key. */
static int wait_for_stop(const sigset_t *set, pid_t keyd, struct breached_db *breached,
			 const char *breached_path)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload_breached(breached, breached_path);
			tls_certs_reload_logged();
			continue;
		}
		if (sig == SIGCHLD && waitpid(keyd, NULL, WNOHANG) != keyd)
			continue;
		return sig;
	}
}

/* Opens the system database where CFG says: SQLite in DATA_DIR, or PostgreSQL with the password
 * keyd opened from DATA/secrets (the web process never reads the sealed file). Prints why on
 * failure. */
static int open_store(const char *data_dir, const struct coffer_config *cfg,
		      struct keyd_client *keyd, struct store **out)
{
	if (cfg->database != CONFIG_DB_POSTGRESQL)
		return cli_store_open_with(data_dir, cfg, NULL, out);
	char *password = sodium_malloc(SECRET_VALUE_MAX + 1);
	if (password == NULL)
		return cli_fail("out of memory");
	size_t len = 0;
	enum coffer_err err =
	    keyd_secret_get(keyd, SECRET_PG_PASSWORD, password, SECRET_VALUE_MAX + 1, &len);
	if (err != COFFER_OK && err != COFFER_ERR_NOT_FOUND) {
		sodium_free(password);
		return cli_fail("keyd cannot give the PostgreSQL password (DATA/secrets)");
	}
	int rc = cli_store_open_with(data_dir, cfg, err == COFFER_OK ? password : NULL, out);
	sodium_free(password); /* sodium_free wipes it */
	return rc;
}

/* Whether the bucket is there, opens with coffer's credentials and is kept where
 * data_region says. Prints why not. */
static int check_bucket(const struct coffer_config *cfg, struct s3_client *client)
{
	enum coffer_err err = s3_bucket_check(client);
	if (err == COFFER_ERR_NOT_FOUND)
		return cli_fail("the object store at %s has no bucket %s (s3_bucket)",
				cfg->s3_endpoint, cfg->s3_bucket);
	if (err == COFFER_ERR_FORBIDDEN)
		return cli_fail("the object store at %s refuses coffer's credentials for bucket %s "
				"(s3_access_key_id, and the secret of `coffer secret set "
				"s3_secret_access_key`)",
				cfg->s3_endpoint, cfg->s3_bucket);
	if (err != COFFER_OK)
		return cli_fail("cannot reach the object store at %s (%s)", cfg->s3_endpoint,
				coffer_err_info(err)->code);
	if (cfg->data_region[0] == '\0')
		return 0;
	char region[S3_REGION_MAX + 1];
	err = s3_bucket_region(client, region);
	if (err != COFFER_OK)
		return cli_fail("cannot ask the object store where bucket %s is kept (%s)",
				cfg->s3_bucket, coffer_err_info(err)->code);
	if (strcmp(region, cfg->data_region) != 0)
		return cli_fail("bucket %s is kept in %s, but data_region is %s: files would leave "
				"their region",
				cfg->s3_bucket, region, cfg->data_region);
	return 0;
}

/* The object-store kind of blob store, with the secret key keyd opened from DATA/secrets. */
static int open_s3_blobs(const char *data_dir, const struct coffer_config *cfg,
			 struct keyd_client *keyd, struct blob_store **out)
{
	if (cfg->data_region[0] != '\0' && strcmp(cfg->s3_region, cfg->data_region) != 0)
		return cli_fail("s3_region is %s, but data_region is %s: files would leave their "
				"region",
				cfg->s3_region, cfg->data_region);
	char *secret = sodium_malloc(SECRET_VALUE_MAX + 1);
	if (secret == NULL)
		return cli_fail("out of memory");
	size_t len = 0;
	enum coffer_err err =
	    keyd_secret_get(keyd, SECRET_S3_SECRET_ACCESS_KEY, secret, SECRET_VALUE_MAX + 1, &len);
	if (err != COFFER_OK) {
		sodium_free(secret);
		return err == COFFER_ERR_NOT_FOUND
			   ? cli_fail("blob_store = s3 needs the secret key: coffer secret set "
				      "s3_secret_access_key --data %s",
				      data_dir)
			   : cli_fail(
				 "keyd cannot give the object store's secret key (DATA/secrets)");
	}
	char ca_path[PATH_MAX];
	if (cfg->s3_ca_file[0] != '\0')
		data_path(data_dir, cfg->s3_ca_file, ca_path);
	struct s3_config sc = {.endpoint = cfg->s3_endpoint,
			       .ca_file = cfg->s3_ca_file[0] != '\0' ? ca_path : NULL,
			       .bucket = cfg->s3_bucket,
			       .region = cfg->s3_region,
			       .access_key_id = cfg->s3_access_key_id,
			       .secret_access_key = secret,
			       .virtual_hosted = !cfg->s3_path_style};
	err = blob_store_s3(&sc, data_dir, out);
	sodium_free(secret); /* the client keeps its own copy; sodium_free wipes this one */
	if (err == COFFER_ERR_UNAVAILABLE)
		return cli_fail("cannot resolve the object store's host in %s", cfg->s3_endpoint);
	if (err != COFFER_OK)
		return cli_fail("cannot set up the object store client for %s", cfg->s3_endpoint);
	return check_bucket(cfg, blob_store_s3_client(*out));
}

/* Opens where the organisations' file contents live, as CFG says. Prints why on failure. */
static int open_blobs(const char *data_dir, const struct coffer_config *cfg,
		      struct keyd_client *keyd, struct blob_store **out)
{
	if (cfg->blob_store == CONFIG_BLOBS_S3)
		return open_s3_blobs(data_dir, cfg, keyd, out);
	if (blob_store_files(data_dir, out) != COFFER_OK)
		return cli_fail("cannot set up the blob store under %s", data_dir);
	return 0;
}

/* A chain found altered: an alert, the organisation's too when the chain is one's. */
static void alert_broken_chain(const char *chain, const char *why)
{
	bool org = strcmp(chain, AUDIT_SYSTEM_CHAIN) != 0;
	alert_raise(ALERT_AUDIT_CHAIN, org ? chain : NULL, chain, why, "");
}

/* An alert concerning an organisation, entered in its chain as any other of its entries. */
static enum coffer_err alert_org_append(void *ctx, const char *org_id, struct audit_entry *e)
{
	return org_audit_commit(ctx, org_id, e, 1);
}

/* The labels of the metrics' routes, the route table's in its order. */
struct route_labels {
	const char **methods, **patterns;
};

static int start_metrics(struct route_labels *l)
{
	l->methods = calloc(api_routes_count, sizeof *l->methods);
	l->patterns = calloc(api_routes_count, sizeof *l->patterns);
	if (l->methods == NULL || l->patterns == NULL)
		return -1;
	for (size_t i = 0; i < api_routes_count; i++) {
		l->methods[i] = api_routes[i].method;
		l->patterns[i] = api_routes[i].pattern;
	}
	return metrics_init(l->methods, l->patterns, api_routes_count) == COFFER_OK ? 0 : -1;
}

/* Tells keyd the WebAuthn relying party (config_webauthn.h), which it checks every passkey
 * against: once, now, since keyd was started before the configuration was read. */
static int give_keyd_webauthn(struct keyd_client *keyd, const struct coffer_config *cfg)
{
	char rp_id[CONFIG_RP_ID_MAX + 1], origin[CONFIG_ORIGIN_MAX + 1];
	config_webauthn(cfg, rp_id, origin);
	if (keyd_webauthn_set(keyd, rp_id, origin) != COFFER_OK)
		return -1;
	log_event(LOG_INFO, "webauthn", json_pack("{s:s,s:s}", "rp_id", rp_id, "origin", origin));
	return 0;
}

/* What the metrics read at each scrape: the sessions live now. */
struct metrics_source {
	struct store *store;
	int64_t idle_ttl;
};

static int64_t sessions_open(void *ctx)
{
	const struct metrics_source *m = ctx;
	int64_t n = -1;
	return store_sessions_open(m->store, time_now(), m->idle_ttl, &n) == COFFER_OK ? n : -1;
}

int cmd_serve(int argc, char **argv)
{
	const char *data_dir, *listen, *passphrase_file, *pin_file;
	char conf_path[PATH_MAX], why[512];
	struct coffer_config cfg;
	char cert_path[PATH_MAX], key_path[PATH_MAX], ocsp_path[PATH_MAX];
	struct store *store = NULL;
	struct blob_store *blobs = NULL;
	struct org_cache *orgs = NULL;
	struct audit_batch *audit = NULL;
	struct audit_watch *watch = NULL;
	struct sweep *sweep = NULL;
	struct org_reaper *reaper = NULL;
	struct backup_nightly *backups = NULL;
	struct exports *exports = NULL;
	struct http_server *srv = NULL;
	struct metrics_listener *metrics = NULL;
	struct route_labels route_labels = {0};
	pid_t keyd_pid = -1, runner_pid = -1;
	struct keyd_client *keyd = NULL;
	struct breached_db *breached = NULL;
	char breached_path[PATH_MAX];
	const char *breached_file = NULL; /* breached_path, when one is configured */
	int lock_fd = -1;
	struct privdrop_target run_as;
	char data_real[PATH_MAX];
	int rc = parse_args(argc, argv, &data_dir, &listen, &passphrase_file, &pin_file);
	if (rc == 0) /* who both processes become; data_dir becomes absolute */
		rc = run_as_for_serve(&data_dir, data_real, &run_as);
	if (rc != 0)
		return rc;
	/* keyd first: it must not inherit anything the parsing below might leave behind. */
	rc = start_keyd(data_dir, passphrase_file, pin_file, &run_as, &keyd_pid, &keyd);
	if (rc != 0)
		return rc;
	/* One server per data directory; held until we exit, so that `keys rotate --master`
	 * cannot change the keyring under a running keyd. */
	enum coffer_err lock_err = cli_lock_data(data_dir, &lock_fd);
	if (lock_err != COFFER_OK) {
		rc = lock_err == COFFER_ERR_EXISTS
			 ? cli_fail("%s is already being served by another coffer serve", data_dir)
			 : cli_fail("cannot lock %s", data_dir);
		goto out_keyd;
	}
	/* Block the signals before any thread starts (the audit watch's, libmicrohttpd's), so
	 * that they inherit the mask and only sigwait() below ever takes them, and before anything
	 * is logged that a supervisor might answer with a signal: a SIGTERM during start-up waits
	 * for an orderly stop. A closed peer must not kill us: SIGPIPE off. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (harden_process() != COFFER_OK) {
		rc = cli_fail("cannot harden the web process");
		goto out_keyd;
	}

	config_defaults(&cfg);
	snprintf(conf_path, sizeof conf_path, "%s/coffer.conf", data_dir);
	if (config_load(&cfg, conf_path, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	if (listen != NULL && listen_addr_parse(listen, &cfg.listen) != COFFER_OK) {
		rc = cli_fail("--listen: expected HOST:PORT or [IPV6]:PORT");
		goto out;
	}
	log_set_level(cfg.log_level);
	warn_if_unsealed(data_dir);
	if (give_keyd_webauthn(keyd, &cfg) != 0) {
		rc = cli_fail("cannot give the key service the WebAuthn relying party");
		goto out;
	}
	/* Before anything that counts (the audit chains' first verification among them). */
	if (cfg.metrics_on && start_metrics(&route_labels) != 0) {
		rc = cli_fail("cannot set up the metrics");
		goto out;
	}

	data_path(data_dir, cfg.tls_cert, cert_path);
	data_path(data_dir, cfg.tls_key, key_path);
	if (cfg.tls_ocsp_file != NULL)
		data_path(data_dir, cfg.tls_ocsp_file, ocsp_path);
	if (tls_certs_open(cert_path, key_path, cfg.tls_ocsp_file != NULL ? ocsp_path : NULL, why,
			   sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	if (cfg.tls_ocsp_file != NULL) {
		json_t *fields = json_pack("{s:s}", "file", ocsp_path);
		tls_certs_ocsp_fields(fields);
		log_event(LOG_INFO, "ocsp_stapling", fields);
	}
	if (cfg.breached_passwords_file != NULL) {
		data_path(data_dir, cfg.breached_passwords_file, breached_path);
		breached_file = breached_path;
	}
	enum coffer_err berr = breached_db_open(breached_file, &breached);
	if (berr != COFFER_OK) {
		rc = berr == COFFER_ERR_CONFIG
			 ? cli_fail("%s is not a Pwned Passwords list (SHA1HEX:COUNT lines)",
				    breached_path)
			 : cli_fail("cannot open breached_passwords_file %s", breached_path);
		goto out;
	}
	if (open_store(data_dir, &cfg, keyd, &store) != 0) {
		rc = EXIT_USER_ERROR;
		goto out;
	}
	if (open_blobs(data_dir, &cfg, keyd, &blobs) != 0) {
		rc = EXIT_USER_ERROR;
		goto out;
	}
	/* Before the first verification of the audit chains, which may raise one. */
	if (alerts_init(store) != COFFER_OK) {
		rc = cli_fail("cannot set up the alerts");
		goto out;
	}
	struct audit_signer signer = keyd_audit_signer(keyd);
	if (audit_watch_start(store, &signer, alert_broken_chain, &watch) != COFFER_OK) {
		rc = cli_fail("cannot set up the audit chains' checkpoints");
		goto out;
	}
	raise_fd_limit();
	if (store_org_cache_for(store, ORG_CACHE_DEFAULT, &orgs) != COFFER_OK ||
	    audit_batch_start(org_audit_commit, orgs, &audit) != COFFER_OK) {
		rc = cli_fail("cannot set up the organisations' storage");
		goto out;
	}
	alerts_set_org_chains(alert_org_append, orgs);

	/* On PostgreSQL the database's own tools back it up (docs/OPERATIONS.md): coffer's
	 * nightly copies the SQLite store only. */
	if (cfg.database != CONFIG_DB_POSTGRESQL &&
	    backup_nightly_new(data_dir, &cfg, keyd, &backups) != COFFER_OK) {
		rc = cli_fail("backup_time_zone: '%s' is not a time zone this system knows",
			      cfg.backup_time_zone);
		goto out;
	}

	struct coffer_app app = {.cfg = &cfg,
				 .data_dir = data_dir,
				 .store = store,
				 .blobs = blobs,
				 .keyd = keyd,
				 .breached = breached,
				 .orgs = orgs,
				 .audit = audit,
				 .backups = backups};
	const struct export_deps export_deps = {.data_dir = data_dir,
						.store = store,
						.blobs = blobs,
						.orgs = orgs,
						.keyd = keyd,
						.session_idle_ttl = cfg.session_idle_ttl};
	if (exports_new(&export_deps, &exports) != COFFER_OK) {
		rc = cli_fail("cannot prepare organisations' exports");
		goto out;
	}
	app.exports = exports;
	struct http_server_opts opts = {
	    .listen = cfg.listen,
	    .routes = api_routes,
	    .n_routes = api_routes_count,
	    .app = &app,
	    /* Password hashing runs on as many workers as keyd hashes at once: the connection
	     * threads stay free for everything else. */
	    .workers = KEYD_HASH_CONCURRENCY,
	    .header_timeout = cfg.header_timeout,
	    .per_address = cfg.connections_per_address,
	    .authorize = api_authorize,
	    .record_read = org_audit_read,
	};
	if (http_server_start(&opts, &srv, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	struct metrics_source source = {.store = store, .idle_ttl = cfg.session_idle_ttl};
	if (cfg.metrics_on && metrics_listener_start(&cfg.metrics_listen, sessions_open, &source,
						     &metrics, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("metrics_listen: %s", why);
		http_server_shutdown(srv, 0);
		goto out;
	}
	/* The port is bound and what needs root is open: root goes, before anything else. */
	rc = run_as_drop(&run_as, data_dir);
	if (rc != 0) {
		http_server_shutdown(srv, 0);
		goto out;
	}
	/* alert_command runs in a process of its own, started now: as the server's user, and
	 * before the sandbox, which lets the web process start none. */
	int runner_fd = -1;
	if (cfg.alert_command[0] != '\0' &&
	    alert_runner_spawn(data_dir, &runner_pid, &runner_fd) != COFFER_OK) {
		rc = cli_fail("cannot start the alert runner for alert_command");
		http_server_shutdown(srv, 0);
		goto out;
	}
	alerts_set_runner(runner_fd); /* -1: none; the alerts kept until now are let go */
	/* Blobs left by a crash go, in the background. */
	if (sweep_start(blobs, store, orgs, &sweep) != COFFER_OK)
		log_msg(LOG_WARN, "sweep", "cannot start the sweep of orphaned blobs");
	/* Deletions whose week has passed, and any a crash left half done. */
	if (org_reaper_start(store, blobs, orgs, &reaper) != COFFER_OK)
		log_msg(LOG_ERROR, "org_reaper", "cannot start the deletion of organisations");
	/* Nightly backups: a thread of their own, started before the sandbox forbids threads. */
	if (backups != NULL && backup_nightly_start(backups) != COFFER_OK)
		log_msg(LOG_ERROR, "backup", "cannot start the nightly backups");
	/* Organisations' exports: their worker starts now, as the server's user. */
	if (exports_run(exports) != COFFER_OK) {
		rc = cli_fail("cannot start organisations' exports under %s/%s", data_dir,
			      EXPORT_DIR);
		http_server_shutdown(srv, 0);
		goto out;
	}
	/* Start-up is over: from here on the web process lives under its allow-list. */
	if (!sandbox_skipped_for_sanitizers() &&
	    sandbox_web(cfg.database == CONFIG_DB_POSTGRESQL ||
			cfg.blob_store == CONFIG_BLOBS_S3) != COFFER_OK) {
		rc = cli_fail("cannot install the web process's seccomp filter");
		http_server_shutdown(srv, 0);
		goto out;
	}
	char where[CONFIG_HOST_MAX + 16], url[CONFIG_HOST_MAX + 32];
	listen_addr_format(&cfg.listen, where, sizeof where);
	snprintf(url, sizeof url, "https://%s", where);
	log_event(LOG_INFO, "listening",
		  json_pack("{s:s,s:s}", "url", url, "version", COFFER_VERSION));

	int sig = wait_for_stop(&set, keyd_pid, breached, breached_file);
	if (sig == SIGCHLD) {
		keyd_pid = -1; /* reaped */
		log_msg(LOG_ERROR, "keyd", "the key service stopped; shutting down");
		rc = 1;
	} else {
		log_event(LOG_INFO, "stopping",
			  json_pack("{s:s}", "signal", sig == SIGTERM ? "TERM" : "INT"));
		rc = 0;
	}
	metrics_listener_stop(metrics);
	metrics = NULL;
	unsigned int cut = http_server_shutdown(srv, SHUTDOWN_GRACE_MS);
	if (cut > 0)
		log_event(LOG_WARN, "stopped",
			  json_pack("{s:i}", "requests_cut_off", (json_int_t)cut));
	else
		log_event(LOG_INFO, "stopped", NULL);
out:
	/* After the server's threads are gone: no request can be in flight. The audit batch
	 * commits what is queued before it stops. */
	metrics_listener_stop(metrics);
	/* The runner's pipe closes: it passes on what it holds and ends. */
	alerts_shutdown();
	if (runner_pid > 0)
		waitpid(runner_pid, NULL, 0);
	sweep_stop(sweep);
	org_reaper_stop(reaper);
	backup_nightly_free(backups);
	exports_stop(exports);
	audit_batch_stop(audit);
	audit_watch_stop(watch);
	store_org_cache_free(orgs);
	breached_db_close(breached);
	store_close(store);
	blob_store_free(blobs);
	tls_certs_close();
	config_free(&cfg);
	metrics_free();
	free(route_labels.methods);
	free(route_labels.patterns);
out_keyd:
	/* Closing our ends tells keyd to wipe its keys and exit. */
	keyd_client_free(keyd);
	if (lock_fd >= 0)
		close(lock_fd);
	if (keyd_pid > 0) {
		int status = 0;
		waitpid(keyd_pid, &status, 0);
		/* keyd ends with exit(0) when we close the socket; anything else is a bug, e.g. a
		 * system call its sandbox did not expect (killed by SIGSYS). */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			log_event(LOG_ERROR, "keyd",
				  json_pack("{s:s,s:i}", "msg", "the key service ended abnormally",
					    "status", (json_int_t)status));
			if (rc == 0)
				rc = 1;
		}
	}
	return rc;
}
