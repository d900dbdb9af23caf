/* ocsp_staple.h — the OCSP response coffer staples to its handshakes (tls_ocsp_file): read from
 * the file the operator keeps fresh, and checked to be a good, current answer about the
 * certificate in use before any client sees it.
 *
 * The operator fetches the response from the CA's responder (docs/OPERATIONS.md); coffer never
 * goes to the network for it. GnuTLS parses the file; this module only judges what it says.
 */
#ifndef COFFER_OCSP_STAPLE_H
#define COFFER_OCSP_STAPLE_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* The largest response file read: real ones are 1 to 4 KiB (one with a delegated responder's
 * certificate included is the larger). */
#define OCSP_STAPLE_FILE_MAX (64 * 1024)
/* A response with no nextUpdate is stapled this long after its thisUpdate: the age GnuTLS's
 * own clients still accept for such a response. */
#define OCSP_STAPLE_NO_NEXT_UPDATE_S (15 * 86400)
/* How far in the future thisUpdate may be: the responder's clock and ours disagree a little. */
#define OCSP_STAPLE_CLOCK_SKEW_S 300

/* When a good response was made and until when it is stapled (Unix times). */
struct ocsp_staple_times {
	int64_t this_update;
	int64_t next_update; /* -1: the response has none */
	int64_t valid_until; /* next_update, or this_update + OCSP_STAPLE_NO_NEXT_UPDATE_S */
};

/* Whether CERT is self-signed (its issuer is its own subject): no CA answers for it, so there
 * is nothing to staple. */
bool ocsp_staple_self_signed(gnutls_x509_crt_t cert);

/* Judges DER, an OCSP response (DER), for CERT at NOW: it must be a successful response, hold
 * an answer about CERT (its issuer's name and its serial), that answer must be "good", and it
 * must be current (thisUpdate at most OCSP_STAPLE_CLOCK_SKEW_S ahead, valid_until after NOW).
 * ISSUER, when the certificate file carries it (NULL otherwise), must have signed the response
 * or authorised the responder that did. NAME names the response in WHY. COFFER_ERR_CONFIG with
 * WHY saying what is wrong; COFFER_ERR_NOMEM. *TIMES only on success. */
COFFER_MUST_CHECK enum coffer_err ocsp_staple_judge(const char *name, const gnutls_datum_t *der,
						    gnutls_x509_crt_t cert,
						    gnutls_x509_crt_t issuer, int64_t now,
						    struct ocsp_staple_times *times, char *why,
						    size_t whylen);

/* Refuses a self-signed CERT, reads PATH (at most OCSP_STAPLE_FILE_MAX bytes) and judges it
 * (ocsp_staple_judge). On success *DER holds the file's bytes (caller frees DER->data with
 * free()). COFFER_ERR_NOT_FOUND (no such file), COFFER_ERR_IO, COFFER_ERR_CONFIG,
 * COFFER_ERR_NOMEM; WHY says which. */
COFFER_MUST_CHECK enum coffer_err
ocsp_staple_load(const char *path, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, int64_t now,
		 gnutls_datum_t *der, struct ocsp_staple_times *times, char *why, size_t whylen);

#endif
