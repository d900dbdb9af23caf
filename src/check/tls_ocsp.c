/* tls_ocsp.c — the OCSP response coffer staples (tls_ocsp_file): judged as `coffer serve` judges
 * it (http/ocsp_staple.h), and how long it has left. A response is refreshed by the operator's job
 * long before its nextUpdate; one with under a quarter of its life left means the job has
 * stopped, and an expired one is no longer stapled at all. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>

#include "check/check.h"
#include "common/timefmt.h"
#include "http/ocsp_staple.h"

#define HOUR_S 3600

static void judge_file(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, const char *path,
		       int64_t now, struct check_findings *f)
{
	gnutls_datum_t der = {NULL, 0};
	struct ocsp_staple_times t;
	char why[CHECK_SEEN_MAX], until[TIMEFMT_RFC3339_LEN];
	if (ocsp_staple_load(path, cert, issuer, now, &der, &t, why, sizeof why) != COFFER_OK) {
		check_add(f, "tls.ocsp", CHECK_ERROR,
			  "fetch a fresh response for the certificate in use from the CA's "
			  "responder (`openssl ocsp`), rename it over tls_ocsp_file, SIGHUP; or "
			  "remove tls_ocsp_file",
			  "%s", why);
		return;
	}
	free(der.data);
	timefmt_rfc3339(t.valid_until, until);
	int64_t life = t.valid_until - t.this_update, left = t.valid_until - now;
	if (left < life / 4)
		check_add(
		    f, "tls.ocsp", CHECK_WARNING,
		    "fetch a fresh response now and SIGHUP; check the job that should (a "
		    "response is fetched well before its nextUpdate)",
		    "the stapled OCSP response ends at %s, in %lld hours, with under a quarter "
		    "of its life left",
		    until, (long long)(left / HOUR_S));
	else
		check_add(f, "tls.ocsp", CHECK_OK, NULL,
			  "the stapled OCSP response says good until %s", until);
}

void check_tls_ocsp(const char *pem, size_t len, const char *ocsp_path, int64_t now,
		    struct check_findings *f)
{
	gnutls_x509_crt_t *crts = NULL;
	unsigned int n = 0;
	gnutls_datum_t data = {(unsigned char *)(uintptr_t)pem, (unsigned int)len};
	if (gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0)
		return; /* tls.certificate says so */
	gnutls_x509_crt_t issuer =
	    n > 1 && gnutls_x509_crt_check_issuer(crts[0], crts[1]) ? crts[1] : NULL;
	if (ocsp_path != NULL)
		judge_file(crts[0], issuer, ocsp_path, now, f);
	else if (!ocsp_staple_self_signed(crts[0]))
		check_add(f, "tls.ocsp", CHECK_INFO, NULL,
			  "the certificate is a CA's and tls_ocsp_file is unset: no OCSP response "
			  "is stapled");
	for (unsigned int i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}
