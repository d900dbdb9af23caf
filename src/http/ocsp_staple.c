/* ocsp_staple.c — judging the OCSP response to staple: about our certificate, good, current.
 *
 * Design points:
 * - A response is checked in the order a client would trust it: it parses, the responder
 *   answered "successful", it holds an answer about our certificate, it is signed by the
 *   certificate's issuer (or a responder the issuer authorised) when the certificate file carries
 *   the issuer, and only then is its answer ("good") and its time believed.
 * - Without the issuer in the certificate file (a file holding the server's certificate alone)
 *   the signature cannot be checked here; clients still check it against the issuer they know.
 * - A response is stapled until its nextUpdate: GnuTLS stops sending it then (the handshake's
 *   exptime) rather than staple an answer clients would refuse.
 */
#include "http/ocsp_staple.h"

#include <gnutls/ocsp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/timefmt.h"

#define SERIAL_MAX 20 /* octets, RFC 5280 §4.1.2.2 */

bool ocsp_staple_self_signed(gnutls_x509_crt_t cert)
{
	return gnutls_x509_crt_check_issuer(cert, cert) != 0;
}

static const char *responder_status_name(int status)
{
	switch (status) {
	case GNUTLS_OCSP_RESP_MALFORMEDREQUEST: return "malformedRequest";
	case GNUTLS_OCSP_RESP_INTERNALERROR: return "internalError";
	case GNUTLS_OCSP_RESP_TRYLATER: return "tryLater";
	case GNUTLS_OCSP_RESP_SIGREQUIRED: return "sigRequired";
	case GNUTLS_OCSP_RESP_UNAUTHORIZED: return "unauthorized";
	default: return "an unknown status";
	}
}

static const char *verify_failure_name(unsigned int verify)
{
	if (verify & GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE)
		return "the signature does not verify";
	if (verify & GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR)
		return "the responder's certificate is not for OCSP signing";
	if (verify & GNUTLS_OCSP_VERIFY_INSECURE_ALGORITHM)
		return "the signature algorithm is insecure";
	if (verify & (GNUTLS_OCSP_VERIFY_CERT_NOT_ACTIVATED | GNUTLS_OCSP_VERIFY_CERT_EXPIRED))
		return "the responder's certificate is not valid now";
	return "the signer is not the issuer nor a responder it certified";
}

/* DATA as upper-case hex in OUT (cut short when OUT is too small). */
static void hex(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < len && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02X", data[i]);
}

/* The index of the response's answer about CERT, or -1. */
static int answer_about(gnutls_ocsp_resp_t resp, gnutls_x509_crt_t cert)
{
	for (unsigned int i = 0;; i++) {
		int rc = gnutls_ocsp_resp_check_crt(resp, i, cert);
		if (rc == 0)
			return (int)i;
		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || i >= 64)
			return -1;
	}
}

/* Says in WHY which certificate the response is about instead of CERT. */
static void say_other_certificate(const char *name, gnutls_ocsp_resp_t resp, gnutls_x509_crt_t cert,
				  char *why, size_t whylen)
{
	unsigned char ours[SERIAL_MAX + 1];
	size_t ours_len = sizeof ours;
	char ours_hex[2 * sizeof ours + 1] = "?", theirs_hex[2 * SERIAL_MAX + 1] = "?";
	gnutls_datum_t theirs = {NULL, 0};
	if (gnutls_x509_crt_get_serial(cert, ours, &ours_len) >= 0)
		hex(ours, ours_len, ours_hex, sizeof ours_hex);
	if (gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, &theirs, NULL, NULL, NULL, NULL,
					NULL) >= 0)
		hex(theirs.data, theirs.size, theirs_hex, sizeof theirs_hex);
	gnutls_free(theirs.data);
	if (strcmp(theirs_hex, ours_hex) == 0)
		snprintf(why, whylen,
			 "the OCSP response %s is about another certificate (serial %s of another "
			 "issuer), not the one in use",
			 name, theirs_hex);
	else
		snprintf(why, whylen,
			 "the OCSP response %s is about another certificate (serial %s), not the "
			 "one in use (serial %s)",
			 name, theirs_hex, ours_hex);
}

enum coffer_err ocsp_staple_judge(const char *name, const gnutls_datum_t *der,
				  gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, int64_t now,
				  struct ocsp_staple_times *times, char *why, size_t whylen)
{
	enum coffer_err err = COFFER_ERR_NOMEM;
	gnutls_ocsp_resp_t resp = NULL;
	char when[TIMEFMT_RFC3339_LEN];
	if (gnutls_ocsp_resp_init(&resp) < 0) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	err = COFFER_ERR_CONFIG;
	int rc = gnutls_ocsp_resp_import(resp, der);
	if (rc < 0) {
		snprintf(why, whylen, "the file %s is not an OCSP response in DER (%s)", name,
			 gnutls_strerror(rc));
		goto out;
	}
	int status = gnutls_ocsp_resp_get_status(resp);
	if (status != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		snprintf(why, whylen,
			 "the OCSP response %s is the responder's refusal (%s), not an answer",
			 name, status < 0 ? "unreadable status" : responder_status_name(status));
		goto out;
	}
	int idx = answer_about(resp, cert);
	if (idx < 0) {
		say_other_certificate(name, resp, cert, why, whylen);
		goto out;
	}
	if (issuer != NULL) {
		unsigned int verify = 0;
		rc = gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, 0);
		if (rc < 0 || verify != 0) {
			snprintf(why, whylen,
				 "the OCSP response %s is not signed for the certificate's issuer "
				 "(%s)",
				 name, rc < 0 ? gnutls_strerror(rc) : verify_failure_name(verify));
			goto out;
		}
	}
	unsigned int cert_status = 0;
	time_t this_update = 0, next_update = 0, revoked_at = 0;
	rc = gnutls_ocsp_resp_get_single(resp, (unsigned int)idx, NULL, NULL, NULL, NULL,
					 &cert_status, &this_update, &next_update, &revoked_at,
					 NULL);
	if (rc < 0 || this_update == (time_t)-1) {
		snprintf(why, whylen, "the OCSP response %s has an unreadable answer (%s)", name,
			 rc < 0 ? gnutls_strerror(rc) : "no thisUpdate");
		goto out;
	}
	if (cert_status == GNUTLS_OCSP_CERT_REVOKED) {
		timefmt_rfc3339((int64_t)revoked_at, when);
		snprintf(why, whylen,
			 "the OCSP response %s says the certificate was revoked (at %s): install a "
			 "new certificate",
			 name, when);
		goto out;
	}
	if (cert_status != GNUTLS_OCSP_CERT_GOOD) {
		snprintf(why, whylen,
			 "the OCSP response %s says the responder does not know the certificate "
			 "(status unknown)",
			 name);
		goto out;
	}
	if ((int64_t)this_update > now + OCSP_STAPLE_CLOCK_SKEW_S) {
		timefmt_rfc3339((int64_t)this_update, when);
		snprintf(why, whylen,
			 "the OCSP response %s is not valid yet (thisUpdate %s): check the clock",
			 name, when);
		goto out;
	}
	int64_t until = next_update == (time_t)-1
			    ? (int64_t)this_update + OCSP_STAPLE_NO_NEXT_UPDATE_S
			    : (int64_t)next_update;
	if (until <= now) {
		timefmt_rfc3339(until, when);
		snprintf(why, whylen,
			 "the OCSP response %s expired at %s%s: fetch a fresh one from the CA's "
			 "responder",
			 name, when,
			 next_update == (time_t)-1 ? " (no nextUpdate: 15 days on)" : "");
		goto out;
	}
	times->this_update = (int64_t)this_update;
	times->next_update = next_update == (time_t)-1 ? -1 : (int64_t)next_update;
	times->valid_until = until;
	err = COFFER_OK;
out:
	if (resp != NULL)
		gnutls_ocsp_resp_deinit(resp);
	return err;
}

enum coffer_err ocsp_staple_load(const char *path, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer,
				 int64_t now, gnutls_datum_t *der, struct ocsp_staple_times *times,
				 char *why, size_t whylen)
{
	enum coffer_err err = COFFER_ERR_CONFIG;
	char *bytes = NULL;
	size_t len = 0;
	if (ocsp_staple_self_signed(cert)) {
		snprintf(
		    why, whylen,
		    "tls_ocsp_file is set, but the certificate is self-signed: no CA answers "
		    "for it, so there is nothing to staple (remove tls_ocsp_file, or install a "
		    "certificate a CA issued)");
		goto out;
	}
	err = file_read_all(path, OCSP_STAPLE_FILE_MAX, 0, &bytes, &len);
	if (err == COFFER_ERR_NOT_FOUND)
		snprintf(why, whylen, "the OCSP response file %s is missing", path);
	else if (err == COFFER_ERR_TOO_LARGE)
		snprintf(why, whylen, "the OCSP response file %s is larger than %u bytes", path,
			 (unsigned int)OCSP_STAPLE_FILE_MAX);
	else if (err != COFFER_OK)
		snprintf(why, whylen, "cannot read the OCSP response file %s", path);
	if (err == COFFER_ERR_TOO_LARGE)
		err = COFFER_ERR_CONFIG;
	if (err != COFFER_OK)
		goto out;
	const gnutls_datum_t d = {(unsigned char *)bytes, (unsigned int)len};
	err = ocsp_staple_judge(path, &d, cert, issuer, now, times, why, whylen);
	if (err != COFFER_OK)
		goto out;
	der->data = (unsigned char *)bytes;
	der->size = (unsigned int)len;
	bytes = NULL;
out:
	free(bytes);
	return err;
}
