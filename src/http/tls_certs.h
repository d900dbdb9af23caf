/* tls_certs.h — the certificate and key the HTTPS server presents, and the OCSP response it
 * staples (tls_ocsp_file), re-read from their files at run time (SIGHUP) so that a renewed
 * certificate or a fresh response needs no restart.
 *
 * There is one set per process (GnuTLS's certificate callback has no argument to carry one):
 * tls_certs_open at start, tls_certs_reload on SIGHUP, tls_certs_close once the server has
 * stopped. tls_certs_retrieve is what libmicrohttpd calls on every handshake.
 */
#ifndef COFFER_TLS_CERTS_H
#define COFFER_TLS_CERTS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "http/ocsp_staple.h"

struct json_t;

/* At most this many pairs are held at once: the one in use and those replaced less than
 * TLS_CERTS_RETIRE_S ago. */
#define TLS_CERTS_SLOTS	   16
#define TLS_CERTS_RETIRE_S 3600
/* Certificates in one file: the server's, then the intermediates (an ACME client's fullchain). */
#define TLS_CERTS_CHAIN_MAX 8

/* Reads CERT_PATH (PEM, the server's certificate first) and KEY_PATH (PEM private key), checks
 * that the key belongs to the certificate, and makes them the pair every new handshake takes.
 * With OCSP_PATH (NULL: no stapling), the pair also holds that OCSP response (DER), which must be
 * a good, current answer about a CA-issued certificate (ocsp_staple_load), stapled to every
 * handshake whose client asks for it (status_request). Remembers the paths (copied) for
 * tls_certs_reload. Fails with COFFER_ERR_NOT_FOUND (a file is missing), COFFER_ERR_IO,
 * COFFER_ERR_CONFIG (not a certificate or key, they do not match, or the response is not good for
 * them; WHY says which), COFFER_ERR_NOMEM or COFFER_ERR_EXISTS (already open). */
COFFER_MUST_CHECK enum coffer_err tls_certs_open(const char *cert_path, const char *key_path,
						 const char *ocsp_path, char *why, size_t whylen);

/* Re-reads the files named at open. On success new handshakes take the new pair (and response),
 * and those already under way keep the one they took; on any failure the pair and response in
 * use stay and WHY says why. COFFER_ERR_EXISTS: the files hold the pair and response already in
 * use (nothing changed).
 * COFFER_ERR_UNAVAILABLE: TLS_CERTS_SLOTS pairs were replaced within TLS_CERTS_RETIRE_S. */
COFFER_MUST_CHECK enum coffer_err tls_certs_reload(char *why, size_t whylen);

/* tls_certs_reload, with its outcome logged: "reload" at info level with the new certificate's
 * serial and expiry (and the stapled response's times), or at error level with why the pair in
 * use stays. For SIGHUP. */
void tls_certs_reload_logged(void);

/* The times of the OCSP response stapled now; COFFER_ERR_NOT_FOUND when none is. */
COFFER_MUST_CHECK enum coffer_err tls_certs_current_ocsp(struct ocsp_staple_times *times);

/* Adds "ocsp_this_update" and "ocsp_valid_until" (RFC 3339) to FIELDS, a JSON object for a log
 * line, when a response is stapled; nothing otherwise (or when FIELDS is NULL). */
void tls_certs_ocsp_fields(struct json_t *fields);

/* The serial number (upper-case hex) and expiry (Unix time) of the certificate in use. */
COFFER_MUST_CHECK enum coffer_err tls_certs_current(char *serial_hex, size_t serial_len,
						    int64_t *not_after);

/* Pairs held now, the one in use included (for tests and logs). */
unsigned int tls_certs_held(void);

/* A gnutls_certificate_retrieve_function3, for MHD_OPTION_HTTPS_CERT_CALLBACK2: hands the pair in
 * use, and its OCSP response when there is one, to the handshake (borrowed: GnuTLS neither copies
 * nor frees them). */
int tls_certs_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
		       gnutls_pcert_st **pcert, unsigned int *pcert_length,
		       gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
		       gnutls_privkey_t *pkey, unsigned int *flags);

/* Frees every pair (and response) and forgets the paths. Only once no handshake can run (the server
 * stopped). */
void tls_certs_close(void);

/* Moves the clock retired pairs are aged by forward by SECONDS (unit tests only). */
void tls_certs_advance_clock_for_tests(uint64_t seconds);

#endif
