/* tls.c — the certificate coffer serves: its key, how long it lasts, and whether it names the
 * host clients reach (the baseline: the CA/Browser Forum's 398 days at most, renewal at least
 * 30 days before the end). */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "common/fileio.h"
#include "common/timefmt.h"

#define DAY_S	       86400
#define RENEW_BEFORE_S (30 * DAY_S)
#define VALIDITY_MAX_S (398 * DAY_S)
#define RSA_BITS_MIN   2048
#define ECDSA_BITS_MIN 256
#define CERT_FILE_MAX  (1024 * 1024)

static void key_type(gnutls_x509_crt_t crt, struct check_findings *f)
{
	unsigned int bits = 0;
	int alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	const char *name = gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)alg);
	name = name != NULL ? name : "unknown";
	bool strong = (alg == GNUTLS_PK_RSA && bits >= RSA_BITS_MIN) ||
		      (alg == GNUTLS_PK_ECDSA && bits >= ECDSA_BITS_MIN) ||
		      alg == GNUTLS_PK_EDDSA_ED25519 || alg == GNUTLS_PK_EDDSA_ED448;
	if (strong)
		check_add(f, "tls.key_type", CHECK_OK, NULL, "%s key of %u bits", name, bits);
	else
		check_add(f, "tls.key_type", CHECK_ERROR,
			  "a new key and certificate: ECDSA P-256 or RSA of 2048 bits or more",
			  "%s key of %u bits", name, bits);
}

static void expiry(gnutls_x509_crt_t crt, int64_t now, struct check_findings *f)
{
	int64_t end = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(end, when);
	if (end <= now)
		check_add(f, "tls.expiry", CHECK_ERROR,
			  "install a renewed certificate and send SIGHUP to coffer serve",
			  "the certificate expired at %s", when);
	else if (end - now < RENEW_BEFORE_S)
		check_add(f, "tls.expiry", CHECK_WARNING,
			  "renew it now: install the new certificate and send SIGHUP to coffer "
			  "serve",
			  "the certificate expires at %s, in %lld days", when,
			  (long long)((end - now) / DAY_S));
	else
		check_add(f, "tls.expiry", CHECK_OK, NULL, "the certificate expires at %s", when);
}

static void validity(gnutls_x509_crt_t crt, struct check_findings *f)
{
	int64_t start = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	int64_t end = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	long long days = (long long)((end - start) / DAY_S);
	if (end - start > VALIDITY_MAX_S)
		check_add(f, "tls.validity", CHECK_WARNING,
			  "a certificate valid for 398 days at most (browsers refuse longer ones)",
			  "the certificate is valid for %lld days", days);
	else
		check_add(f, "tls.validity", CHECK_OK, NULL,
			  "the certificate is valid for %lld days", days);
}

static bool wildcard_host(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0 || host[0] == '\0';
}

static void names(gnutls_x509_crt_t crt, const char *host, struct check_findings *f)
{
	char list[CHECK_SEEN_MAX / 2] = "", one[256];
	size_t used = 0;
	for (unsigned int i = 0; i < 16; i++) {
		size_t len = sizeof one - 1;
		unsigned int type = 0;
		int rc = gnutls_x509_crt_get_subject_alt_name2(crt, i, one, &len, &type, NULL);
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue; /* a name too long to show is still compared below */
		if (type == GNUTLS_SAN_IPADDRESS) {
			char text[INET6_ADDRSTRLEN];
			if ((len != 4 && len != 16) || inet_ntop(len == 4 ? AF_INET : AF_INET6, one,
								 text, sizeof text) == NULL)
				continue;
			snprintf(one, sizeof one, "%s", text);
		} else if (type != GNUTLS_SAN_DNSNAME) {
			continue;
		} else {
			one[len] = '\0';
		}
		if (used < sizeof list)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
						 used ? ", " : "", one);
	}
	if (wildcard_host(host))
		check_add(f, "tls.names", CHECK_INFO,
			  "make sure the names are those clients use to reach coffer",
			  "listen is a wildcard address, so no name to compare; the certificate "
			  "names %s",
			  list[0] ? list : "nothing");
	else if (gnutls_x509_crt_check_hostname2(crt, host, 0) == 0)
		check_add(
		    f, "tls.names", CHECK_WARNING,
		    "a certificate naming the host in `listen` (clients will refuse this one)",
		    "listen names %s, the certificate names %s", host, list[0] ? list : "nothing");
	else
		check_add(f, "tls.names", CHECK_OK, NULL,
			  "the certificate names %s, as listen does", host);
}

void check_tls_pem(const char *pem, size_t len, const char *host, int64_t now,
		   struct check_findings *f)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0;
	gnutls_datum_t data = {(unsigned char *)(uintptr_t)pem, (unsigned int)len};
	if (gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0) {
		check_add(f, "tls.certificate", CHECK_ERROR,
			  "a PEM certificate (the server's first) in the file tls_cert names",
			  "tls_cert holds no PEM certificate");
		return;
	}
	key_type(crts[0], f);
	expiry(crts[0], now, f);
	validity(crts[0], f);
	names(crts[0], host, f);
	for (unsigned int i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

void check_tls(const struct check_context *ctx, struct check_findings *f)
{
	char path[PATH_MAX];
	const char *c = ctx->cfg->tls_cert;
	if (c == NULL) {
		check_add(f, "tls.certificate", CHECK_ERROR, "set tls_cert in coffer.conf",
			  "coffer.conf names no certificate");
		return;
	}
	snprintf(path, sizeof path, "%s%s%s", c[0] == '/' ? "" : ctx->data_dir,
		 c[0] == '/' ? "" : "/", c);
	char *pem = NULL;
	size_t len = 0;
	if (file_read_all(path, CERT_FILE_MAX, 0, &pem, &len) != COFFER_OK) {
		check_add(f, "tls.certificate", CHECK_ERROR,
			  "put the certificate where tls_cert says, readable by the serving user",
			  "cannot read %s", path);
		return;
	}
	check_tls_pem(pem, len, ctx->cfg->listen.host, ctx->now, f);
	const char *o = ctx->cfg->tls_ocsp_file;
	if (o != NULL)
		snprintf(path, sizeof path, "%s%s%s", o[0] == '/' ? "" : ctx->data_dir,
			 o[0] == '/' ? "" : "/", o);
	check_tls_ocsp(pem, len, o != NULL ? path : NULL, ctx->now, f);
	free(pem);
}
