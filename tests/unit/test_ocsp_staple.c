/* test_ocsp_staple.c — judging the OCSP response to staple: a good one passes with its times, and
 * each way of being wrong (another certificate, revoked, forged, expired, early, not a response,
 * a self-signed certificate) is refused with words that say which; the clock is the caller's, so
 * the time limits are tested to the second. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "http/ocsp_staple.h"
#include "test_ocsp_ca.h"

static struct fixture *ca; /* the CA and its answers, made once for the group */

struct judged {
	gnutls_x509_crt_t leaf, other, ca_cert, impostor;
};

static gnutls_x509_crt_t cert_from(const char *name)
{
	char path[PATH_MAX], *pem = NULL;
	size_t len = 0;
	gnutls_x509_crt_t crt = NULL;
	path_in(ca, name, path);
	assert_int_equal(file_read_all(path, 1 << 20, 0, &pem, &len), COFFER_OK);
	const gnutls_datum_t d = {(unsigned char *)pem, (unsigned int)len};
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	free(pem);
	return crt;
}

/* The response NAME (a file of the CA's directory); caller frees ->data with free(). */
static gnutls_datum_t response(const char *name)
{
	char path[PATH_MAX], *der = NULL;
	size_t len = 0;
	path_in(ca, name, path);
	assert_int_equal(file_read_all(path, 1 << 20, 0, &der, &len), COFFER_OK);
	return (gnutls_datum_t){(unsigned char *)der, (unsigned int)len};
}

static int group_setup(void **state)
{
	(void)state;
	if (gnutls_global_init() < 0 || setup((void **)&ca) != 0)
		return -1;
	return ocsp_ca_make(ca->dir);
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = teardown((void **)&ca);
	gnutls_global_deinit();
	return rc;
}

static int certs_setup(void **state)
{
	struct judged *j = calloc(1, sizeof *j);
	assert_non_null(j);
	j->leaf = cert_from("leaf.pem");
	j->other = cert_from("other.pem");
	j->ca_cert = cert_from("ca.pem");
	j->impostor = cert_from("imp.pem");
	*state = j;
	return 0;
}

static int certs_teardown(void **state)
{
	struct judged *j = *state;
	gnutls_x509_crt_deinit(j->leaf);
	gnutls_x509_crt_deinit(j->other);
	gnutls_x509_crt_deinit(j->ca_cert);
	gnutls_x509_crt_deinit(j->impostor);
	free(j);
	return 0;
}

/* Judges response NAME for CERT (ISSUER or NULL) at NOW; WHY holds the reason. */
static enum coffer_err judge(const char *name, gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer,
			     int64_t now, struct ocsp_staple_times *t, char why[512])
{
	gnutls_datum_t d = response(name);
	why[0] = '\0';
	enum coffer_err err = ocsp_staple_judge(name, &d, cert, issuer, now, t, why, 512);
	free(d.data);
	return err;
}

static void test_a_good_response_and_its_times(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	char why[512];
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert, now, &t, why), COFFER_OK);
	assert_true(t.this_update <= now && t.this_update > now - 600);
	assert_int_equal(t.next_update, t.this_update + 7 * 86400);
	assert_int_equal(t.valid_until, t.next_update);
	/* Without the issuer (a certificate file with the leaf alone) the signature is not
	 * checked here, and the rest is the same. */
	assert_int_equal(judge("good.der", j->leaf, NULL, now, &t, why), COFFER_OK);
}

static void test_the_time_limits_to_the_second(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t, at;
	char why[512];
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert, (int64_t)time(NULL), &t, why),
			 COFFER_OK);
	/* Good until the second before nextUpdate. */
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert, t.valid_until - 1, &at, why),
			 COFFER_OK);
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert, t.valid_until, &at, why),
			 COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "expired at"));
	/* A responder's clock a little ahead is allowed; more is not. */
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert,
			       t.this_update - OCSP_STAPLE_CLOCK_SKEW_S, &at, why),
			 COFFER_OK);
	assert_int_equal(judge("good.der", j->leaf, j->ca_cert,
			       t.this_update - OCSP_STAPLE_CLOCK_SKEW_S - 1, &at, why),
			 COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "not valid yet"));
}

static void test_no_next_update_lasts_15_days(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	char why[512];
	assert_int_equal(judge("nonext.der", j->leaf, j->ca_cert, (int64_t)time(NULL), &t, why),
			 COFFER_OK);
	assert_int_equal(t.next_update, -1);
	assert_int_equal(t.valid_until, t.this_update + OCSP_STAPLE_NO_NEXT_UPDATE_S);
	assert_int_equal(judge("nonext.der", j->leaf, j->ca_cert, t.valid_until, &t, why),
			 COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "no nextUpdate"));
}

static void test_wrong_answers_are_refused(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	char why[512];
	int64_t now = (int64_t)time(NULL);
	static const struct {
		const char *file;
		const char *words;
	} cases[] = {
	    {"other.der", "another certificate (serial 11), not the one in use (serial 10)"},
	    {"revoked.der", "revoked"},
	    {"forged.der", "not signed for the certificate's issuer"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(judge(cases[i].file, j->leaf, j->ca_cert, now, &t, why),
				 COFFER_ERR_CONFIG);
		if (strstr(why, cases[i].words) == NULL)
			fail_msg("%s: %s", cases[i].file, why);
	}
	/* The other certificate's own answer is good for it. */
	assert_int_equal(judge("other.der", j->other, j->ca_cert, now, &t, why), COFFER_OK);
	/* An issuer that is not the leaf's: the signature does not verify against it. */
	assert_int_equal(judge("good.der", j->leaf, j->impostor, now, &t, why), COFFER_ERR_CONFIG);
}

static void test_what_is_not_a_response(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	char why[512];
	gnutls_datum_t good = response("good.der");
	static unsigned char junk[] = "\x30\x03\x0a\x01\x00 trailing";
	const gnutls_datum_t cases[] = {
	    {good.data, 0},
	    {good.data, good.size / 2},
	    {good.data, good.size - 1},
	    {junk, sizeof junk - 1},
	    {(unsigned char *)"-----BEGIN OCSP RESPONSE-----", 29},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum coffer_err err = ocsp_staple_judge("x", &cases[i], j->leaf, j->ca_cert,
							(int64_t)time(NULL), &t, why, sizeof why);
		assert_int_equal(err, COFFER_ERR_CONFIG);
		assert_true(why[0] != '\0');
	}
	free(good.data);
}

static void test_load_refuses_a_self_signed_certificate_first(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	gnutls_datum_t der = {NULL, 0};
	char path[PATH_MAX], why[512];
	assert_true(ocsp_staple_self_signed(j->ca_cert));
	assert_false(ocsp_staple_self_signed(j->leaf));
	path_in(ca, "good.der", path);
	assert_int_equal(ocsp_staple_load(path, j->ca_cert, NULL, (int64_t)time(NULL), &der, &t,
					  why, sizeof why),
			 COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "self-signed"));
	assert_null(der.data);
}

static void test_load_reads_the_file(void **state)
{
	struct judged *j = *state;
	struct ocsp_staple_times t;
	gnutls_datum_t der = {NULL, 0};
	char path[PATH_MAX], why[512];
	int64_t now = (int64_t)time(NULL);
	path_in(ca, "good.der", path);
	assert_int_equal(
	    ocsp_staple_load(path, j->leaf, j->ca_cert, now, &der, &t, why, sizeof why), COFFER_OK);
	gnutls_datum_t want = response("good.der");
	assert_int_equal(der.size, want.size);
	assert_memory_equal(der.data, want.data, want.size);
	free(want.data);
	free(der.data);
	der.data = NULL;

	path_in(ca, "missing.der", path);
	assert_int_equal(
	    ocsp_staple_load(path, j->leaf, j->ca_cert, now, &der, &t, why, sizeof why),
	    COFFER_ERR_NOT_FOUND);
	assert_non_null(strstr(why, "is missing"));
	/* Larger than any response: refused before it is parsed. */
	path_in(ca, "huge.der", path);
	char *big = calloc(1, OCSP_STAPLE_FILE_MAX + 1);
	assert_non_null(big);
	assert_int_equal(file_write_atomic(path, big, OCSP_STAPLE_FILE_MAX + 1, 0600, 0),
			 COFFER_OK);
	free(big);
	assert_int_equal(
	    ocsp_staple_load(path, j->leaf, j->ca_cert, now, &der, &t, why, sizeof why),
	    COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "larger than"));
	assert_null(der.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_good_response_and_its_times, certs_setup,
					    certs_teardown),
	    cmocka_unit_test_setup_teardown(test_the_time_limits_to_the_second, certs_setup,
					    certs_teardown),
	    cmocka_unit_test_setup_teardown(test_no_next_update_lasts_15_days, certs_setup,
					    certs_teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_answers_are_refused, certs_setup,
					    certs_teardown),
	    cmocka_unit_test_setup_teardown(test_what_is_not_a_response, certs_setup,
					    certs_teardown),
	    cmocka_unit_test_setup_teardown(test_load_refuses_a_self_signed_certificate_first,
					    certs_setup, certs_teardown),
	    cmocka_unit_test_setup_teardown(test_load_reads_the_file, certs_setup, certs_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
