/* serve.c — `coffer serve`: load the deployment, serve HTTPS until SIGTERM or SIGINT, then stop
 * gracefully.
 *
 * Signals are blocked in every thread before any is started and taken synchronously here with
 * sigwait(2), so no handler ever runs in the middle of request code.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "api/routes.h"
#include "cli/cli.h"
#include "common/fileio.h"
#include "common/log.h"
#include "config/config.h"
#include "crypto/master_key.h"
#include "http/server.h"
#include "version.h"

#define USAGE "coffer serve --data DIR [--listen HOST:PORT] [--passphrase-file F]"
#define SHUTDOWN_GRACE_MS 10000
#define PEM_MAX (256 * 1024)

static int parse_args(int argc, char **argv, const char **data_dir, const char **listen,
		      const char **passphrase_file)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"passphrase-file", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	int c;
	*data_dir = cli_default_data_dir();
	*listen = NULL;
	*passphrase_file = NULL;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *data_dir = optarg; break;
		case 'l': *listen = optarg; break;
		case 'p': *passphrase_file = optarg; break;
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

static enum coffer_err read_pem(const char *data_dir, const char *p, int secure, char **out)
{
	char path[PATH_MAX];
	size_t len;
	data_path(data_dir, p, path);
	return file_read_all(path, PEM_MAX, secure, out, &len);
}

/* Proves that the master key can be unsealed before anything is served, and wipes it again.
 * (The key service, which will hold the key for the life of the process, replaces this.) */
static int check_master_key(const char *data_dir, const char *passphrase_file)
{
	char path[PATH_MAX], *pass = NULL;
	size_t pass_len = 0;
	unsigned char *key = NULL;
	if (passphrase_file != NULL && passphrase_read(passphrase_file, &pass, &pass_len) != COFFER_OK)
		return cli_fail("--passphrase-file: cannot read a passphrase (1 to %d bytes) from %s",
				PASSPHRASE_MAX, passphrase_file);
	data_path(data_dir, MASTER_KEY_FILE, path);
	enum coffer_err err = master_key_load(path, pass, pass_len, &key);
	sodium_free(pass);
	sodium_free(key);
	switch (err) {
	case COFFER_OK: return 0;
	case COFFER_ERR_NOT_FOUND: return cli_fail("%s is missing", path);
	case COFFER_ERR_FORBIDDEN: return cli_fail("%s is readable by others; chmod 600 it", path);
	case COFFER_ERR_UNAUTHENTICATED:
		return cli_fail("the master key is sealed: give --passphrase-file");
	case COFFER_ERR_INVALID_CREDENTIALS: return cli_fail("wrong passphrase for the master key");
	case COFFER_ERR_INVALID_INPUT:
		return cli_fail("the master key is not sealed: drop --passphrase-file");
	default: return cli_fail("%s is damaged or unreadable", path);
	}
}

/* Waits for SIGTERM or SIGINT; SIGHUP will reload what can be reloaded (a later issue). */
static int wait_for_stop(const sigset_t *set)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_msg(LOG_INFO, "reload", "SIGHUP received; nothing to reload yet");
			continue;
		}
		return sig;
	}
}

int cmd_serve(int argc, char **argv)
{
	const char *data_dir, *listen, *passphrase_file;
	char conf_path[PATH_MAX], why[512];
	struct coffer_config cfg;
	char *cert = NULL, *key = NULL;
	struct store *store = NULL;
	struct http_server *srv = NULL;
	int rc = parse_args(argc, argv, &data_dir, &listen, &passphrase_file);
	if (rc != 0)
		return rc;

	config_defaults(&cfg);
	snprintf(conf_path, sizeof conf_path, "%s/coffer.conf", data_dir);
	if (config_load(&cfg, conf_path, why, sizeof why) != COFFER_OK)
		return cli_fail("%s", why);
	if (listen != NULL && listen_addr_parse(listen, &cfg.listen) != COFFER_OK) {
		rc = cli_fail("--listen: expected HOST:PORT or [IPV6]:PORT");
		goto out;
	}
	log_set_level(cfg.log_level);
	rc = check_master_key(data_dir, passphrase_file);
	if (rc != 0)
		goto out;

	if (read_pem(data_dir, cfg.tls_cert, 0, &cert) != COFFER_OK) {
		rc = cli_fail("cannot read the TLS certificate %s", cfg.tls_cert);
		goto out;
	}
	if (read_pem(data_dir, cfg.tls_key, 1, &key) != COFFER_OK) {
		rc = cli_fail("cannot read the TLS key %s", cfg.tls_key);
		goto out;
	}
	if (store_system_open(data_dir, &store) != COFFER_OK) {
		rc = cli_fail("cannot open the system database in %s", data_dir);
		goto out;
	}

	/* Block the signals before libmicrohttpd starts its threads, so they inherit the mask
	 * and only sigwait() below ever takes them. A closed peer must not kill us: SIGPIPE off. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct coffer_app app = {.cfg = &cfg, .data_dir = data_dir, .store = store};
	struct http_server_opts opts = {
		.listen = cfg.listen,
		.cert_pem = cert,
		.key_pem = key,
		.routes = api_routes,
		.n_routes = api_routes_count,
		.app = &app,
	};
	if (http_server_start(&opts, &srv, why, sizeof why) != COFFER_OK) {
		rc = cli_fail("%s", why);
		goto out;
	}
	char where[CONFIG_HOST_MAX + 16], url[CONFIG_HOST_MAX + 32];
	listen_addr_format(&cfg.listen, where, sizeof where);
	snprintf(url, sizeof url, "https://%s", where);
	log_event(LOG_INFO, "listening",
		  json_pack("{s:s,s:s}", "url", url, "version", COFFER_VERSION));

	int sig = wait_for_stop(&set);
	log_event(LOG_INFO, "stopping", json_pack("{s:s}", "signal", sig == SIGTERM ? "TERM" : "INT"));
	unsigned int cut = http_server_shutdown(srv, SHUTDOWN_GRACE_MS);
	if (cut > 0)
		log_event(LOG_WARN, "stopped", json_pack("{s:i}", "requests_cut_off", (json_int_t)cut));
	else
		log_event(LOG_INFO, "stopped", NULL);
	rc = 0;
out:
	store_close(store);
	free(cert);
	if (key != NULL)
		sodium_free(key);
	config_free(&cfg);
	return rc;
}
