/* test_tls_certs.c — the HTTPS certificate and key: loaded and checked, swapped on reload, a failed
 * reload keeping the pair in use, replaced pairs kept alive and their number bounded; the OCSP
 * response stapled with a CA-issued pair, swapped with it and refused with it. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

#include "common/fileio.h"
#include "crypto/selfsigned.h"
#include "http/tls_certs.h"
#include "test_ocsp_ca.h"

struct taken {
	gnutls_pcert_st *certs;
	unsigned int n;
	gnutls_privkey_t key;
	gnutls_ocsp_data_st *ocsp;
	unsigned int n_ocsp;
};

static struct taken take(void)
{
	struct taken t = {NULL, 0, NULL, NULL, 7};
	unsigned int flags = 1;
	assert_int_equal(
	    tls_certs_retrieve(NULL, NULL, &t.certs, &t.n, &t.ocsp, &t.n_ocsp, &t.key, &flags), 0);
	assert_int_equal(flags, 0); /* nothing for GnuTLS to free: the pair is tls_certs' */
	assert_int_equal(t.n_ocsp, t.ocsp != NULL ? 1 : 0);
	assert_non_null(t.certs);
	assert_non_null(t.key);
	assert_true(t.n >= 1);
	return t;
}

/* Makes a fresh self-signed pair NAME.crt / NAME.key in the fixture's directory. */
static void make_pair(const struct fixture *f, const char *name, char crt[PATH_MAX],
		      char key[PATH_MAX])
{
	char n[64];
	snprintf(n, sizeof n, "%s.crt", name);
	path_in(f, n, crt);
	snprintf(n, sizeof n, "%s.key", name);
	path_in(f, n, key);
	unlink(crt);
	unlink(key);
	assert_int_equal(selfsigned_create("127.0.0.1", crt, key), COFFER_OK);
}

static void copy_file(const char *from, const char *to)
{
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(from, 1 << 20, 0, &buf, &len), COFFER_OK);
	assert_int_equal(file_write_atomic(to, buf, len, 0600, 0), COFFER_OK);
	free(buf);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0600, 0), COFFER_OK);
}

static void serial_of_current(char out[64])
{
	int64_t not_after = 0;
	assert_int_equal(tls_certs_current(out, 64, &not_after), COFFER_OK);
	assert_true(not_after > 0);
}

/* The live files ("cert.pem", "key.pem") hold pair A; returns their paths. */
static void open_live(const struct fixture *f, char cert[PATH_MAX], char key[PATH_MAX])
{
	char crt_a[PATH_MAX], key_a[PATH_MAX], why[512];
	make_pair(f, "a", crt_a, key_a);
	path_in(f, "cert.pem", cert);
	path_in(f, "key.pem", key);
	copy_file(crt_a, cert);
	copy_file(key_a, key);
	assert_int_equal(tls_certs_open(cert, key, NULL, why, sizeof why), COFFER_OK);
}

static void test_nothing_before_open(void **state)
{
	(void)state;
	gnutls_pcert_st *certs = NULL;
	unsigned int n = 0;
	gnutls_privkey_t key = NULL;
	gnutls_ocsp_data_st *ocsp = NULL;
	unsigned int n_ocsp = 0, flags = 0;
	char why[256], serial[64];
	int64_t not_after;
	assert_int_equal(tls_certs_retrieve(NULL, NULL, &certs, &n, &ocsp, &n_ocsp, &key, &flags),
			 -1);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	assert_int_equal(tls_certs_current(serial, sizeof serial, &not_after),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(tls_certs_held(), 0);
}

static void test_open_and_close(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], why[512];
	open_live(f, cert, key);
	struct taken t = take();
	assert_int_equal(t.n, 1);
	assert_null(t.ocsp); /* no tls_ocsp_file: nothing stapled */
	assert_int_equal(tls_certs_held(), 1);
	/* One set per process. */
	assert_int_equal(tls_certs_open(cert, key, NULL, why, sizeof why), COFFER_ERR_EXISTS);
	tls_certs_close();
	assert_int_equal(tls_certs_held(), 0);
	gnutls_pcert_st *certs = NULL;
	unsigned int n = 0;
	gnutls_privkey_t k = NULL;
	gnutls_ocsp_data_st *ocsp = NULL;
	unsigned int n_ocsp = 0, flags = 0;
	assert_int_equal(tls_certs_retrieve(NULL, NULL, &certs, &n, &ocsp, &n_ocsp, &k, &flags),
			 -1);
	/* Opening again after close works. */
	assert_int_equal(tls_certs_open(cert, key, NULL, why, sizeof why), COFFER_OK);
	tls_certs_close();
}

static void test_open_refuses_bad_pairs(void **state)
{
	struct fixture *f = *state;
	char crt_a[PATH_MAX], key_a[PATH_MAX], crt_b[PATH_MAX], key_b[PATH_MAX];
	char missing[PATH_MAX], junk[PATH_MAX], empty[PATH_MAX], why[512];
	make_pair(f, "a", crt_a, key_a);
	make_pair(f, "b", crt_b, key_b);
	path_in(f, "missing.pem", missing);
	path_in(f, "junk.pem", junk);
	path_in(f, "empty.pem", empty);
	write_text(junk,
		   "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
	write_text(empty, "");
	assert_int_equal(tls_certs_open(missing, key_a, NULL, why, sizeof why),
			 COFFER_ERR_NOT_FOUND);
	assert_non_null(strstr(why, "missing"));
	assert_int_equal(tls_certs_open(crt_a, missing, NULL, why, sizeof why),
			 COFFER_ERR_NOT_FOUND);
	assert_int_equal(tls_certs_open(junk, key_a, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	assert_int_equal(tls_certs_open(empty, key_a, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	assert_int_equal(tls_certs_open(crt_a, junk, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	assert_int_equal(tls_certs_open(crt_a, empty, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	/* The key file holding a certificate, the certificate file holding a key. */
	assert_int_equal(tls_certs_open(crt_a, crt_a, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	assert_int_equal(tls_certs_open(key_a, key_a, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	/* Each file fine, but not a pair. */
	assert_int_equal(tls_certs_open(crt_a, key_b, NULL, why, sizeof why), COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "is not the key of the certificate"));
	assert_int_equal(tls_certs_held(), 0);
	assert_int_equal(tls_certs_open(crt_b, key_b, NULL, why, sizeof why), COFFER_OK);
	tls_certs_close();
}

static void test_reload_swaps_and_keeps_the_old_pair_alive(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], crt_b[PATH_MAX], key_b[PATH_MAX], why[512];
	char serial_a[64], serial_b[64];
	open_live(f, cert, key);
	serial_of_current(serial_a);
	struct taken a = take();
	unsigned char der_a[4096];
	assert_true(a.certs[0].cert.size <= sizeof der_a);
	memcpy(der_a, a.certs[0].cert.data, a.certs[0].cert.size);

	make_pair(f, "b", crt_b, key_b);
	copy_file(crt_b, cert);
	copy_file(key_b, key);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	serial_of_current(serial_b);
	assert_string_not_equal(serial_a, serial_b);
	struct taken b = take();
	assert_false(b.certs == a.certs);
	assert_false(b.certs[0].cert.size == a.certs[0].cert.size &&
		     memcmp(b.certs[0].cert.data, a.certs[0].cert.data, b.certs[0].cert.size) == 0);
	/* A handshake that took A before the reload still finds it whole (ASan would see a
	 * use after free here). */
	assert_memory_equal(a.certs[0].cert.data, der_a, a.certs[0].cert.size);
	assert_int_equal(gnutls_privkey_get_pk_algorithm(a.key, NULL), GNUTLS_PK_ECDSA);
	assert_int_equal(tls_certs_held(), 2);

	/* The same files again: nothing to do, and no slot used. */
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_EXISTS);
	assert_int_equal(tls_certs_held(), 2);
	assert_true(take().certs == b.certs);
	tls_certs_close();
}

static void test_failed_reload_keeps_the_pair(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], crt_b[PATH_MAX], key_b[PATH_MAX], why[512];
	char before[64], after[64];
	open_live(f, cert, key);
	serial_of_current(before);
	struct taken a = take();
	make_pair(f, "b", crt_b, key_b);

	/* A new certificate with the old key (an ACME client that has written one file of two). */
	copy_file(crt_b, cert);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "is not the key of the certificate"));
	/* Garbage key, missing key, garbage certificate, missing certificate. */
	copy_file(key_b, key);
	write_text(key, "garbage\n");
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	unlink(key);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_NOT_FOUND);
	copy_file(key_b, key);
	write_text(cert, "garbage\n");
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	unlink(cert);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_NOT_FOUND);

	serial_of_current(after);
	assert_string_equal(before, after);
	assert_true(take().certs == a.certs);
	assert_int_equal(tls_certs_held(), 1);

	/* Once both files are right, the reload goes through. */
	copy_file(crt_b, cert);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	serial_of_current(after);
	assert_string_not_equal(before, after);
	tls_certs_close();
}

static void test_replaced_pairs_are_bounded(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], crt[PATH_MAX], k[PATH_MAX], why[512];
	char serial[64], refused[64];
	open_live(f, cert, key);
	struct taken first = take();
	for (unsigned int i = 1; i < TLS_CERTS_SLOTS; i++) {
		make_pair(f, "n", crt, k);
		copy_file(crt, cert);
		copy_file(k, key);
		assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	}
	assert_int_equal(tls_certs_held(), TLS_CERTS_SLOTS);
	serial_of_current(serial);
	/* Every slot holds a pair replaced less than TLS_CERTS_RETIRE_S ago: refused, and the
	 * pair in use stays. */
	make_pair(f, "n", crt, k);
	copy_file(crt, cert);
	copy_file(k, key);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_UNAVAILABLE);
	serial_of_current(refused);
	assert_string_equal(serial, refused);
	/* The first pair is still whole. */
	assert_int_equal(gnutls_privkey_get_pk_algorithm(first.key, NULL), GNUTLS_PK_ECDSA);

	/* (A minute short of the hour: this test takes seconds, not a minute.) */
	tls_certs_advance_clock_for_tests(TLS_CERTS_RETIRE_S - 60);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_UNAVAILABLE);
	/* An hour after the replacements, the pairs retired then are freed, and one more comes
	 * in. */
	tls_certs_advance_clock_for_tests(60);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	assert_true(tls_certs_held() <= TLS_CERTS_SLOTS);
	assert_true(tls_certs_held() >= 2);
	serial_of_current(refused);
	assert_string_not_equal(serial, refused);
	tls_certs_close();
}

static void test_chain_is_sent_whole(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], crt_b[PATH_MAX], key_b[PATH_MAX], why[512];
	char *leaf = NULL, *other = NULL;
	size_t leaf_len = 0, other_len = 0;
	open_live(f, cert, key);
	/* Another name, so that its subject is not the first one's issuer. */
	path_in(f, "b.crt", crt_b);
	path_in(f, "b.key", key_b);
	assert_int_equal(selfsigned_create("localhost", crt_b, key_b), COFFER_OK);
	assert_int_equal(file_read_all(cert, 1 << 20, 0, &leaf, &leaf_len), COFFER_OK);
	assert_int_equal(file_read_all(crt_b, 1 << 20, 0, &other, &other_len), COFFER_OK);
	/* A second certificate that did not issue the first: not a chain, refused. */
	char *both = malloc(leaf_len + (other_len > leaf_len ? other_len : leaf_len));
	assert_non_null(both);
	memcpy(both, leaf, leaf_len);
	memcpy(both + leaf_len, other, other_len);
	assert_int_equal(file_write_atomic(cert, both, leaf_len + other_len, 0600, 0), COFFER_OK);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	/* A self-signed certificate twice is in order (each "issued" by the next). */
	memcpy(both + leaf_len, leaf, leaf_len);
	assert_int_equal(file_write_atomic(cert, both, 2 * leaf_len, 0600, 0), COFFER_OK);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	assert_int_equal(take().n, 2);
	free(both);
	free(leaf);
	free(other);
	tls_certs_close();
}

/* The CA's certificate and response (test_ocsp_ca.h) as the live files; returns their paths. */
static void open_stapling(const struct fixture *f, char cert[PATH_MAX], char key[PATH_MAX],
			  char ocsp[PATH_MAX])
{
	char from[PATH_MAX], why[512];
	assert_int_equal(ocsp_ca_make(f->dir), 0);
	path_in(f, "cert.pem", cert);
	path_in(f, "key.pem", key);
	path_in(f, "ocsp.der", ocsp);
	path_in(f, "leaf.chain.pem", from);
	copy_file(from, cert);
	path_in(f, "leaf.key", from);
	copy_file(from, key);
	path_in(f, "good.der", from);
	copy_file(from, ocsp);
	assert_int_equal(tls_certs_open(cert, key, ocsp, why, sizeof why), COFFER_OK);
}

static void use_response(const struct fixture *f, const char *name, const char *ocsp)
{
	char from[PATH_MAX];
	path_in(f, name, from);
	copy_file(from, ocsp);
}

static void test_the_response_is_stapled_with_its_pair(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], ocsp[PATH_MAX], good[PATH_MAX], why[512];
	struct ocsp_staple_times times;
	open_stapling(f, cert, key, ocsp);
	struct taken a = take();
	assert_int_equal(a.n, 2);
	assert_non_null(a.ocsp);
	char *want = NULL;
	size_t want_len = 0;
	path_in(f, "good.der", good);
	assert_int_equal(file_read_all(good, 1 << 20, 0, &want, &want_len), COFFER_OK);
	assert_int_equal(a.ocsp->version, 0);
	assert_int_equal(a.ocsp->response.size, want_len);
	assert_memory_equal(a.ocsp->response.data, want, want_len);
	/* GnuTLS stops stapling it at its nextUpdate. */
	assert_int_equal(tls_certs_current_ocsp(&times), COFFER_OK);
	assert_int_equal((int64_t)a.ocsp->exptime, times.valid_until);
	assert_int_equal(times.valid_until, times.this_update + 7 * 86400);

	/* The same files: nothing to do. */
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_EXISTS);
	assert_non_null(strstr(why, "OCSP response already in use"));
	/* A new response for the same certificate is a new pair; the handshake that took the old
	 * one still finds it whole (ASan would see a use after free). */
	use_response(f, "nonext.der", ocsp);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_OK);
	struct taken b = take();
	assert_non_null(b.ocsp);
	assert_false(b.ocsp == a.ocsp);
	assert_false(b.ocsp->response.size == want_len &&
		     memcmp(b.ocsp->response.data, want, want_len) == 0);
	assert_memory_equal(a.ocsp->response.data, want, want_len);
	assert_int_equal(tls_certs_current_ocsp(&times), COFFER_OK);
	assert_int_equal(times.next_update, -1);
	free(want);
	tls_certs_close();
}

static void test_a_bad_response_keeps_pair_and_response(void **state)
{
	struct fixture *f = *state;
	char cert[PATH_MAX], key[PATH_MAX], ocsp[PATH_MAX], why[512];
	open_stapling(f, cert, key, ocsp);
	struct taken a = take();
	static const struct {
		const char *file, *words;
	} cases[] = {
	    {"revoked.der", "revoked"},
	    {"other.der", "another certificate"},
	    {"forged.der", "not signed"},
	    {"leaf.pem", "not an OCSP response"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		use_response(f, cases[i].file, ocsp);
		assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
		if (strstr(why, cases[i].words) == NULL)
			fail_msg("%s: %s", cases[i].file, why);
		assert_true(take().ocsp == a.ocsp);
	}
	unlink(ocsp);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_NOT_FOUND);
	/* A new pair the response is not about (self-signed, with its own key): refused whole. */
	char other_cert[PATH_MAX], other_key[PATH_MAX];
	use_response(f, "good.der", ocsp);
	make_pair(f, "b", other_cert, other_key);
	copy_file(other_cert, cert);
	copy_file(other_key, key);
	assert_int_equal(tls_certs_reload(why, sizeof why), COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "self-signed"));
	assert_true(take().certs == a.certs);
	assert_int_equal(tls_certs_held(), 1);
	tls_certs_close();
}

static void test_open_refuses_a_self_signed_certificate_with_a_response(void **state)
{
	struct fixture *f = *state;
	char crt[PATH_MAX], key[PATH_MAX], ocsp[PATH_MAX], why[512];
	assert_int_equal(ocsp_ca_make(f->dir), 0);
	make_pair(f, "a", crt, key);
	path_in(f, "good.der", ocsp);
	assert_int_equal(tls_certs_open(crt, key, ocsp, why, sizeof why), COFFER_ERR_CONFIG);
	assert_non_null(strstr(why, "self-signed"));
	assert_int_equal(tls_certs_held(), 0);
}

/* Closes the set even after a failed assertion, so that one failure does not fail the rest. */
static int close_and_teardown(void **state)
{
	tls_certs_close();
	return teardown(state);
}

int main(void)
{
	if (sodium_init() < 0 || gnutls_global_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_before_open),
	    cmocka_unit_test_setup_teardown(test_open_and_close, setup, close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses_bad_pairs, setup, close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_reload_swaps_and_keeps_the_old_pair_alive, setup,
					    close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_failed_reload_keeps_the_pair, setup,
					    close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_replaced_pairs_are_bounded, setup,
					    close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_chain_is_sent_whole, setup, close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_the_response_is_stapled_with_its_pair, setup,
					    close_and_teardown),
	    cmocka_unit_test_setup_teardown(test_a_bad_response_keeps_pair_and_response, setup,
					    close_and_teardown),
	    cmocka_unit_test_setup_teardown(
		test_open_refuses_a_self_signed_certificate_with_a_response, setup,
		close_and_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	gnutls_global_deinit();
	return rc;
}
