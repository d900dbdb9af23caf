/* tls_certs.h — the certificate and key the HTTPS server presents, re-read from their files at run
 * time (SIGHUP) so that a renewed certificate needs no restart.
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

/* At most this many pairs are held at once: the one in use and those replaced less than
 * TLS_CERTS_RETIRE_S ago. */
#define TLS_CERTS_SLOTS	   16
#define TLS_CERTS_RETIRE_S 3600
/* Certificates in one file: the server's, then the intermediates (an ACME client's fullchain). */
#define TLS_CERTS_CHAIN_MAX 8

/* Reads CERT_PATH (PEM, the server's certificate first) and KEY_PATH (PEM private key), checks
 * that the key belongs to the certificate, and makes them the pair every new handshake takes.
 * Remembers both paths (copied) for tls_certs_reload. Fails with COFFER_ERR_NOT_FOUND (a file is
 * missing), COFFER_ERR_IO, COFFER_ERR_CONFIG (not a certificate or key, or they do not match;
 * WHY says which), COFFER_ERR_NOMEM or COFFER_ERR_EXISTS (already open). */
COFFER_MUST_CHECK enum coffer_err tls_certs_open(const char *cert_path, const char *key_path,
						 char *why, size_t whylen);

/* Re-reads the files named at open. On success new handshakes take the new pair, and those
 * already under way keep the one they took; on any failure the pair in use stays and WHY says
 * why. COFFER_ERR_EXISTS: the files hold the pair already in use (nothing changed).
 * COFFER_ERR_UNAVAILABLE: TLS_CERTS_SLOTS pairs were replaced within TLS_CERTS_RETIRE_S. */
COFFER_MUST_CHECK enum coffer_err tls_certs_reload(char *why, size_t whylen);

/* tls_certs_reload, with its outcome logged: "reload" at info level with the new certificate's
 * serial and expiry, or at error level with why the pair in use stays. For SIGHUP. */
void tls_certs_reload_logged(void);

/* The serial number (upper-case hex) and expiry (Unix time) of the certificate in use. */
COFFER_MUST_CHECK enum coffer_err tls_certs_current(char *serial_hex, size_t serial_len,
						    int64_t *not_after);

/* Pairs held now, the one in use included (for tests and logs). */
unsigned int tls_certs_held(void);

/* A gnutls_certificate_retrieve_function2, for MHD_OPTION_HTTPS_CERT_CALLBACK: hands the pair in
 * use to the handshake (borrowed: GnuTLS neither copies nor frees it). */
int tls_certs_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		       const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		       gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey);

/* Frees every pair and forgets the paths. Only once no handshake can run (the server stopped). */
void tls_certs_close(void);

/* Moves the clock retired pairs are aged by forward by SECONDS (unit tests only). */
void tls_certs_advance_clock_for_tests(uint64_t seconds);

#endif
