/* selfsigned.c — self-signed certificate generation with GnuTLS's X.509 API. */
#include "crypto/selfsigned.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "common/fileio.h"

/* Under the 398 days that browsers (and the CA/Browser Forum's rules) allow a server certificate
 * issued since September 2020, counted from the backdated start below. */
#define VALIDITY_DAYS 397
#define BACKDATE_S    3600 /* a client whose clock is a little behind still accepts it */

static bool add_san(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char bin[16];
	if (inet_pton(AF_INET, name, bin) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, bin, 4,
							    GNUTLS_FSAN_APPEND) == 0;
	if (inet_pton(AF_INET6, name, bin) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, bin, 16,
							    GNUTLS_FSAN_APPEND) == 0;
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						    (unsigned int)strlen(name),
						    GNUTLS_FSAN_APPEND) == 0;
}

enum coffer_err selfsigned_create(const char *host, const char *cert_path, const char *key_path)
{
	enum coffer_err err = COFFER_ERR_CRYPTO;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t key_pem = {NULL, 0}, crt_pem = {NULL, 0};
	unsigned char serial[16];
	time_t now = time(NULL);

	if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		goto out;
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
		goto out;
	serial[0] &= 0x7f; /* a positive INTEGER */
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - BACKDATE_S) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now - BACKDATE_S +
							 (time_t)VALIDITY_DAYS * 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, host,
					  (unsigned int)strlen(host)) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "coffer", 6) <
		0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0)
		goto out;
	if (!add_san(crt, host) || (strcmp(host, "localhost") != 0 && !add_san(crt, "localhost")))
		goto out;
	if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem) < 0)
		goto out;
	err = file_write_atomic(key_path, key_pem.data, key_pem.size, 0600, 1);
	if (err == COFFER_OK)
		err = file_write_atomic(cert_path, crt_pem.data, crt_pem.size, 0644, 1);
out:
	if (key_pem.data != NULL) {
		gnutls_memset(key_pem.data, 0, key_pem.size);
		gnutls_free(key_pem.data);
	}
	gnutls_free(crt_pem.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return err;
}
