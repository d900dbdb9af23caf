/* tls_certs.c — the HTTPS server's certificate and key, and the OCSP response stapled with them:
 * read from their files, checked to belong together, and swapped on SIGHUP while the handshakes
 * under way keep the pair they took.
 *
 * Design points:
 * - Every handshake asks for the pair (tls_certs_retrieve) and takes the one in use with a single
 *   atomic load. A reload builds and checks the new pair completely, then publishes it with one
 *   atomic store: a handshake never waits for a reload and never sees half a pair.
 * - The OCSP response (tls_ocsp_file) is part of the pair: it is judged against the certificate
 *   it is loaded with (ocsp_staple.h) and published with it, so a handshake never staples a
 *   response about another certificate than the one it presents.
 * - GnuTLS keeps pointers to what the callback returns for as long as the session lives, and
 *   frees none of it. It reads them only while it writes its own side of the handshake, just after
 *   the callback (the Certificate message, TLS 1.2's CertificateStatus, and the signature in
 *   CertificateVerify or ServerKeyExchange); a renegotiation or a second ClientHello calls the
 * callback again, and neither GnuTLS nor libmicrohttpd looks at them once the handshake is over. A
 * replaced pair is kept all the same for TLS_CERTS_RETIRE_S, far longer than any handshake, and
 * only then freed by a later reload; while TLS_CERTS_SLOTS pairs are held, a reload is refused. So
 * memory stays bounded, and no pair is freed under a handshake that uses it.
 * - A reload that fails in any way (a file missing or unreadable, no certificate, no key, a key
 *   that is not the certificate's, an OCSP response that is not a good, current one about the
 *   certificate) changes nothing. Files holding the pair and response already in use are not
 *   loaded again, so a SIGHUP sent for another reason costs no slot.
 * - The key is proved to be the certificate's by signing with it and verifying the signature
 *   with the certificate's public key: a key that only claims the right public half fails too.
 * - The key file is read into guarded memory, wiped once parsed; the parsed key lives in GnuTLS's
 *   memory, as it does with MHD_OPTION_HTTPS_MEM_KEY.
 * - Only the signal-handling thread opens, reloads and closes; a mutex serialises them anyway.
 */
#include "http/tls_certs.h"

#include <gnutls/x509.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "http/ocsp_staple.h"

#define PEM_MAX	   (256 * 1024)
#define SERIAL_MAX 20 /* octets, RFC 5280 §4.1.2.2 */

struct tls_pair {
	gnutls_pcert_st certs[TLS_CERTS_CHAIN_MAX];
	unsigned int n_certs;
	gnutls_privkey_t key;
	gnutls_ocsp_data_st ocsp; /* response.data NULL: nothing to staple */
	struct ocsp_staple_times ocsp_times;
	bool retired;
	uint64_t retired_at; /* now_s() when it stopped being the pair in use */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct tls_pair *) current;
static struct tls_pair *held[TLS_CERTS_SLOTS]; /* under lock */
static char *cert_file, *key_file;	       /* under lock */
static char *ocsp_file;			       /* under lock; NULL: no stapling */
static uint64_t clock_offset_s;		       /* under lock */

static uint64_t now_s(void)
{
	return time_mono_ns() / 1000000000u + clock_offset_s;
}

static void pair_free(struct tls_pair *p)
{
	if (p == NULL)
		return;
	for (unsigned int i = 0; i < p->n_certs; i++)
		gnutls_pcert_deinit(&p->certs[i]);
	if (p->key != NULL)
		gnutls_privkey_deinit(p->key);
	free(p->ocsp.response.data);
	free(p);
}

static enum coffer_err read_file(const char *path, int secure, const char *what, char **out,
				 size_t *len, char *why, size_t whylen)
{
	enum coffer_err err = file_read_all(path, PEM_MAX, secure, out, len);
	if (err == COFFER_ERR_NOT_FOUND)
		snprintf(why, whylen, "the %s file %s is missing", what, path);
	else if (err == COFFER_ERR_TOO_LARGE)
		snprintf(why, whylen, "the %s file %s is larger than %u bytes", what, path,
			 (unsigned int)PEM_MAX);
	else if (err != COFFER_OK)
		snprintf(why, whylen, "cannot read the %s file %s", what, path);
	if (err == COFFER_ERR_TOO_LARGE)
		err = COFFER_ERR_CONFIG;
	return err;
}

/* Signs with P's key and verifies with its certificate's public key. */
static bool key_matches(const struct tls_pair *p)
{
	static unsigned char probe[] = "coffer: does this key belong to this certificate?";
	const gnutls_datum_t data = {probe, sizeof probe - 1};
	gnutls_datum_t sig = {NULL, 0};
	int pk = gnutls_privkey_get_pk_algorithm(p->key, NULL);
	gnutls_sign_algorithm_t algo =
	    gnutls_pk_to_sign((gnutls_pk_algorithm_t)pk, GNUTLS_DIG_SHA256);
	bool ok = pk > 0 && algo != GNUTLS_SIGN_UNKNOWN &&
		  gnutls_privkey_sign_data2(p->key, algo, 0, &data, &sig) == 0 &&
		  gnutls_pubkey_verify_data2(p->certs[0].pubkey, algo, 0, &data, &sig) >= 0;
	gnutls_free(sig.data);
	return ok;
}

/* Reads the OCSP response at PATH, judges it against P's certificate (and its issuer, when the
 * certificate file carries it: a sorted chain's second certificate) and attaches it to P. */
static enum coffer_err load_staple(struct tls_pair *p, const char *path, char *why, size_t whylen)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	gnutls_x509_crt_t crt = NULL, issuer = NULL;
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    (p->n_certs > 1 && gnutls_x509_crt_init(&issuer) < 0)) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	err = COFFER_ERR_CRYPTO;
	if (gnutls_x509_crt_import(crt, &p->certs[0].cert, GNUTLS_X509_FMT_DER) < 0) {
		snprintf(why, whylen, "cannot read back the certificate just loaded");
		goto out;
	}
	if (issuer != NULL &&
	    (gnutls_x509_crt_import(issuer, &p->certs[1].cert, GNUTLS_X509_FMT_DER) < 0 ||
	     gnutls_x509_crt_check_issuer(crt, issuer) == 0)) {
		gnutls_x509_crt_deinit(issuer);
		issuer = NULL;
	}
	err = ocsp_staple_load(path, crt, issuer, (int64_t)time(NULL), &p->ocsp.response,
			       &p->ocsp_times, why, whylen);
	if (err == COFFER_OK)
		p->ocsp.exptime = (time_t)p->ocsp_times.valid_until;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (issuer != NULL)
		gnutls_x509_crt_deinit(issuer);
	return err;
}

/* Reads and checks a pair, with its OCSP response when OCSP_PATH is not NULL; *OUT is the
 * caller's (pair_free). */
static enum coffer_err load_pair(const char *cert_path, const char *key_path, const char *ocsp_path,
				 struct tls_pair **out, char *why, size_t whylen)
{
	enum coffer_err err;
	char *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	struct tls_pair *p = calloc(1, sizeof *p);
	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	err = read_file(cert_path, 0, "certificate", &cert_pem, &cert_len, why, whylen);
	if (err != COFFER_OK)
		goto out;
	err = read_file(key_path, 1, "key", &key_pem, &key_len, why, whylen);
	if (err != COFFER_OK)
		goto out;
	err = COFFER_ERR_CONFIG;
	const gnutls_datum_t cd = {(unsigned char *)cert_pem, (unsigned int)cert_len};
	unsigned int n = TLS_CERTS_CHAIN_MAX;
	int rc = gnutls_pcert_list_import_x509_raw(p->certs, &n, &cd, GNUTLS_X509_FMT_PEM,
						   GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0 || n == 0) {
		snprintf(why, whylen,
			 "the certificate file %s does not hold 1 to %u PEM certificates, the "
			 "server's first (%s)",
			 cert_path, (unsigned int)TLS_CERTS_CHAIN_MAX, gnutls_strerror(rc));
		goto out;
	}
	p->n_certs = n;
	const gnutls_datum_t kd = {(unsigned char *)key_pem, (unsigned int)key_len};
	if (gnutls_privkey_init(&p->key) < 0 ||
	    gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		snprintf(why, whylen,
			 "the key file %s does not hold an unencrypted PEM private key", key_path);
		goto out;
	}
	if (!key_matches(p)) {
		snprintf(why, whylen, "the key in %s is not the key of the certificate in %s",
			 key_path, cert_path);
		goto out;
	}
	if (ocsp_path != NULL) {
		err = load_staple(p, ocsp_path, why, whylen);
		if (err != COFFER_OK)
			goto out;
	}
	*out = p;
	p = NULL;
	err = COFFER_OK;
out:
	pair_free(p);
	free(cert_pem);
	if (key_pem != NULL)
		sodium_free(key_pem); /* sodium_free wipes */
	return err;
}

static bool same_datum(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
}

/* The same certificates and the same OCSP response (or none in both). */
static bool same_contents(const struct tls_pair *a, const struct tls_pair *b)
{
	if (a == NULL || b == NULL || a->n_certs != b->n_certs ||
	    !same_datum(&a->ocsp.response, &b->ocsp.response))
		return false;
	for (unsigned int i = 0; i < a->n_certs; i++)
		if (!same_datum(&a->certs[i].cert, &b->certs[i].cert))
			return false;
	return true;
}

enum coffer_err tls_certs_open(const char *cert_path, const char *key_path, const char *ocsp_path,
			       char *why, size_t whylen)
{
	enum coffer_err err = COFFER_ERR_EXISTS;
	struct tls_pair *p = NULL;
	pthread_mutex_lock(&lock);
	if (cert_file != NULL) {
		snprintf(why, whylen, "the TLS certificate is already loaded");
		goto out;
	}
	err = load_pair(cert_path, key_path, ocsp_path, &p, why, whylen);
	if (err != COFFER_OK)
		goto out;
	cert_file = strdup(cert_path);
	key_file = strdup(key_path);
	ocsp_file = ocsp_path != NULL ? strdup(ocsp_path) : NULL;
	if (cert_file == NULL || key_file == NULL || (ocsp_path != NULL && ocsp_file == NULL)) {
		free(cert_file);
		free(key_file);
		free(ocsp_file);
		cert_file = key_file = ocsp_file = NULL;
		pair_free(p);
		snprintf(why, whylen, "out of memory");
		err = COFFER_ERR_NOMEM;
		goto out;
	}
	held[0] = p;
	atomic_store_explicit(&current, p, memory_order_release);
out:
	pthread_mutex_unlock(&lock);
	return err;
}

enum coffer_err tls_certs_reload(char *why, size_t whylen)
{
	enum coffer_err err = COFFER_ERR_CONFIG;
	struct tls_pair *p = NULL;
	pthread_mutex_lock(&lock);
	if (cert_file == NULL) {
		snprintf(why, whylen, "no TLS certificate was loaded at start");
		goto out;
	}
	err = load_pair(cert_file, key_file, ocsp_file, &p, why, whylen);
	if (err != COFFER_OK)
		goto out;
	struct tls_pair *old = atomic_load_explicit(&current, memory_order_relaxed);
	if (same_contents(old, p)) {
		if (ocsp_file != NULL)
			snprintf(why, whylen,
				 "%s and %s hold the certificate and OCSP response already in use",
				 cert_file, ocsp_file);
		else
			snprintf(why, whylen, "%s holds the certificate already in use", cert_file);
		err = COFFER_ERR_EXISTS;
		goto out;
	}
	uint64_t now = now_s();
	int slot = -1;
	for (int i = 0; i < TLS_CERTS_SLOTS; i++) {
		if (held[i] != NULL && held[i]->retired &&
		    now - held[i]->retired_at >= TLS_CERTS_RETIRE_S) {
			pair_free(held[i]);
			held[i] = NULL;
		}
		if (held[i] == NULL && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		snprintf(why, whylen,
			 "%u certificates were replaced within %u s; try again later or restart",
			 (unsigned int)TLS_CERTS_SLOTS - 1, (unsigned int)TLS_CERTS_RETIRE_S);
		err = COFFER_ERR_UNAVAILABLE;
		goto out;
	}
	held[slot] = p;
	atomic_store_explicit(&current, p, memory_order_release);
	p = NULL;
	old->retired = true;
	old->retired_at = now;
	err = COFFER_OK;
out:
	pair_free(p);
	pthread_mutex_unlock(&lock);
	return err;
}

enum coffer_err tls_certs_current(char *serial_hex, size_t serial_len, int64_t *not_after)
{
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	gnutls_x509_crt_t crt = NULL;
	unsigned char serial[SERIAL_MAX + 1];
	size_t n = sizeof serial;
	pthread_mutex_lock(&lock);
	const struct tls_pair *p = atomic_load_explicit(&current, memory_order_relaxed);
	if (p == NULL)
		goto out;
	err = COFFER_ERR_CRYPTO;
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &p->certs[0].cert, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_serial(crt, serial, &n) < 0)
		goto out;
	err = COFFER_ERR_INVALID_INPUT;
	if (serial_len < 2 * n + 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		snprintf(serial_hex + 2 * i, 3, "%02X", serial[i]);
	serial_hex[2 * n] = '\0';
	*not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	err = COFFER_OK;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	pthread_mutex_unlock(&lock);
	return err;
}

enum coffer_err tls_certs_current_ocsp(struct ocsp_staple_times *times)
{
	enum coffer_err err = COFFER_ERR_NOT_FOUND;
	pthread_mutex_lock(&lock);
	const struct tls_pair *p = atomic_load_explicit(&current, memory_order_relaxed);
	if (p != NULL && p->ocsp.response.data != NULL) {
		*times = p->ocsp_times;
		err = COFFER_OK;
	}
	pthread_mutex_unlock(&lock);
	return err;
}

void tls_certs_ocsp_fields(struct json_t *fields)
{
	struct ocsp_staple_times t;
	char when[TIMEFMT_RFC3339_LEN];
	if (fields == NULL || tls_certs_current_ocsp(&t) != COFFER_OK)
		return;
	timefmt_rfc3339(t.this_update, when);
	json_object_set_new(fields, "ocsp_this_update", json_string(when));
	timefmt_rfc3339(t.valid_until, when);
	json_object_set_new(fields, "ocsp_valid_until", json_string(when));
}

static bool ocsp_configured(void)
{
	pthread_mutex_lock(&lock);
	bool on = ocsp_file != NULL;
	pthread_mutex_unlock(&lock);
	return on;
}

void tls_certs_reload_logged(void)
{
	char why[3 * PATH_MAX + 128]; /* three paths and some words */
	char serial[2 * (SERIAL_MAX + 1) + 1], expires[TIMEFMT_RFC3339_LEN];
	int64_t not_after = 0;
	enum coffer_err err = tls_certs_reload(why, sizeof why);
	if (err == COFFER_OK && tls_certs_current(serial, sizeof serial, &not_after) == COFFER_OK) {
		timefmt_rfc3339(not_after, expires);
		json_t *fields = json_pack("{s:s,s:s,s:s}", "what", "tls_certificate", "serial",
					   serial, "not_after", expires);
		tls_certs_ocsp_fields(fields);
		log_event(LOG_INFO, "reload", fields);
	} else if (err == COFFER_OK) {
		log_event(LOG_INFO, "reload", json_pack("{s:s}", "what", "tls_certificate"));
	} else if (err == COFFER_ERR_EXISTS) {
		log_event(LOG_INFO, "reload",
			  json_pack("{s:s,s:s}", "what", "tls_certificate", "msg", why));
	} else {
		log_event(
		    LOG_ERROR, "reload",
		    json_pack("{s:s,s:s,s:s}", "what", "tls_certificate", "msg", why, "kept",
			      ocsp_configured()
				  ? "the certificate, key and OCSP response loaded before stay "
				    "in use"
				  : "the certificate and key loaded before stay in use"));
	}
}

unsigned int tls_certs_held(void)
{
	unsigned int n = 0;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < TLS_CERTS_SLOTS; i++)
		n += held[i] != NULL;
	pthread_mutex_unlock(&lock);
	return n;
}

int tls_certs_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
		       gnutls_pcert_st **pcert, unsigned int *pcert_length,
		       gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
		       gnutls_privkey_t *pkey, unsigned int *flags)
{
	(void)session;
	(void)info;
	struct tls_pair *p = atomic_load_explicit(&current, memory_order_acquire);
	if (p == NULL)
		return -1;
	*pcert = p->certs;
	*pcert_length = p->n_certs;
	*pkey = p->key;
	/* One response, for the server's certificate (the first): GnuTLS sends it in TLS 1.2's
	 * CertificateStatus and in TLS 1.3's first certificate entry, to clients that ask. */
	*ocsp = p->ocsp.response.data != NULL ? &p->ocsp : NULL;
	*ocsp_length = p->ocsp.response.data != NULL ? 1 : 0;
	*flags = 0; /* GnuTLS frees none of it: the pair is ours */
	return 0;
}

void tls_certs_close(void)
{
	pthread_mutex_lock(&lock);
	atomic_store_explicit(&current, NULL, memory_order_release);
	for (int i = 0; i < TLS_CERTS_SLOTS; i++) {
		pair_free(held[i]);
		held[i] = NULL;
	}
	free(cert_file);
	free(key_file);
	free(ocsp_file);
	cert_file = key_file = ocsp_file = NULL;
	clock_offset_s = 0;
	pthread_mutex_unlock(&lock);
}

void tls_certs_advance_clock_for_tests(uint64_t seconds)
{
	pthread_mutex_lock(&lock);
	clock_offset_s += seconds;
	pthread_mutex_unlock(&lock);
}
