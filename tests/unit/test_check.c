/* test_check.c — the pure parts of `coffer check`: the certificate checks (certificates made
 * here), the policy baseline, trusted proxies as coffer.conf gives them, dm-crypt detection
 * under a fake /sys, credentials in coffer.conf's text, and the findings document. */
#include "test_util.h"
#include "test_tmpdir.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/check.h"
#include "config/config.h"

/* A certificate with an RSA key of 1024 bits, too weak to serve. GnuTLS's policy here refuses
 * to sign one, so it was made once with openssl and is kept here. */
static const char rsa1024_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICFTCCAX6gAwIBAgIUcEDZk4LKILpn7Kwbo0kwlSe80E4wDQYJKoZIhvcNAQEL\n"
    "BQAwFDESMBAGA1UEAwwJMTI3LjAuMC4xMB4XDTI2MTIwNzA1Mzg0OVoXDTI3MDEw\n"
    "NjA1Mzg0OVowFDESMBAGA1UEAwwJMTI3LjAuMC4xMIGfMA0GCSqGSIb3DQEBAQUA\n"
    "A4GNADCBiQKBgQDA3IE7sCKLuUfhl9drx5JpftNgC7CF/hNaHJOWnKAJG+CeOqjd\n"
    "IaI9+cQnGLRvHbHSJCNWMlf3Bmfr5KkyGZ6ZCSMJZLFW41ze2VSfft+1HzwEM1OU\n"
    "b4iWbVK6hhyQYoT8yo9lug5+Mm3dP+RzjBkJD0wTl5ZiGZSNOEx3VrxmMwIDAQAB\n"
    "o2QwYjAdBgNVHQ4EFgQUtg8ls+MNUBEOZZ+fbtZnALti81swHwYDVR0jBBgwFoAU\n"
    "tg8ls+MNUBEOZZ+fbtZnALti81swDwYDVR0TAQH/BAUwAwEB/zAPBgNVHREECDAG\n"
    "hwR/AAABMA0GCSqGSIb3DQEBCwUAA4GBAH4WqQqP22zQTy/UfZ/jB+91jiJXtqB2\n"
    "y0bI89OqnEwiEYIkqhUNL6UD3i68nCr4Q8JEdRZTGJnwIwnLqTWb/k6qIVs/vF3O\n"
    "+NbdEQsHILMP3bbvuVXvIHOhHarGMh7UErNO2CPui1Hp9C+TFRGLQUarOWI4qR/G\n"
    "cdqC0UuVCfC3\n"
    "-----END CERTIFICATE-----\n";

#define DAY 86400
#define NOW ((int64_t)1800000000)

static enum check_severity sev(const struct check_findings *f, const char *id)
{
	const struct check_finding *it = check_find(f, id);
	if (it == NULL)
		fail_msg("no finding %s", id);
	return it->severity;
}

/* --- certificates -------------------------------------------------------------------- */

struct cert_spec {
	gnutls_pk_algorithm_t alg;
	unsigned int bits;
	int64_t start, end;
	const char *ip;	 /* an IPv4 SAN, or NULL */
	const char *dns; /* a DNS SAN, or NULL */
};

/* A self-signed certificate as SPEC says, in PEM (gnutls_free it). */
static gnutls_datum_t make_cert(const struct cert_spec *s)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem = {NULL, 0};
	unsigned char serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, s->alg, s->bits, 0), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, (time_t)s->start), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, (time_t)s->end), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	if (s->ip != NULL) {
		unsigned char bin[4];
		assert_int_equal(inet_pton(AF_INET, s->ip, bin), 1);
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS,
								      bin, 4, GNUTLS_FSAN_APPEND),
				 0);
	}
	if (s->dns != NULL)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(
				     crt, GNUTLS_SAN_DNSNAME, s->dns, (unsigned)strlen(s->dns),
				     GNUTLS_FSAN_APPEND),
				 0);
	int rc = gnutls_x509_crt_sign2(
	    crt, crt, key,
	    s->alg == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_SHA512 : GNUTLS_DIG_SHA256, 0);
	if (rc < 0)
		fail_msg("signing (key %d of %u bits): %s", (int)s->alg, s->bits,
			 gnutls_strerror(rc));
	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return pem;
}

static void check_spec(const struct cert_spec *s, const char *host, struct check_findings *f)
{
	gnutls_datum_t pem = make_cert(s);
	check_tls_pem((const char *)pem.data, pem.size, host, NOW, f);
	gnutls_free(pem.data);
}

#define P256 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)

static void test_a_good_certificate(void **state)
{
	(void)state;
	struct check_findings f = {0};
	struct cert_spec s = {GNUTLS_PK_ECDSA, P256, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", NULL};
	check_spec(&s, "127.0.0.1", &f);
	assert_int_equal(sev(&f, "tls.key_type"), CHECK_OK);
	assert_int_equal(sev(&f, "tls.expiry"), CHECK_OK);
	assert_int_equal(sev(&f, "tls.validity"), CHECK_OK);
	assert_int_equal(sev(&f, "tls.names"), CHECK_OK);
	assert_int_equal(check_worst(&f), CHECK_OK);
	check_findings_free(&f);
}

static void test_expiry(void **state)
{
	(void)state;
	struct check_findings f = {0};
	struct cert_spec soon = {GNUTLS_PK_ECDSA, P256, NOW - DAY,
				 NOW + 10 * DAY,  NULL, "coffer.example"};
	check_spec(&soon, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.expiry"), CHECK_WARNING);
	assert_non_null(strstr(check_find(&f, "tls.expiry")->seen, "in 10 days"));
	check_findings_free(&f);
	struct cert_spec edge = soon;
	edge.end = NOW + 31 * DAY;
	check_spec(&edge, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.expiry"), CHECK_OK);
	check_findings_free(&f);
	struct cert_spec gone = soon;
	gone.end = NOW - 1;
	check_spec(&gone, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.expiry"), CHECK_ERROR);
	check_findings_free(&f);
}

static void test_validity_over_398_days(void **state)
{
	(void)state;
	struct check_findings f = {0};
	struct cert_spec s = {GNUTLS_PK_ECDSA,	     P256, NOW - DAY,
			      NOW - DAY + 399 * DAY, NULL, "coffer.example"};
	check_spec(&s, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.validity"), CHECK_WARNING);
	check_findings_free(&f);
	s.end = NOW - DAY + 398 * DAY;
	check_spec(&s, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.validity"), CHECK_OK);
	check_findings_free(&f);
}

static void test_names(void **state)
{
	(void)state;
	struct check_findings f = {0};
	struct cert_spec s = {GNUTLS_PK_ECDSA, P256,	    NOW - DAY,
			      NOW + 90 * DAY,  "127.0.0.1", "coffer.example"};
	check_spec(&s, "other.example", &f);
	assert_int_equal(sev(&f, "tls.names"), CHECK_WARNING);
	assert_non_null(strstr(check_find(&f, "tls.names")->seen, "127.0.0.1, coffer.example"));
	check_findings_free(&f);
	check_spec(&s, "coffer.example", &f);
	assert_int_equal(sev(&f, "tls.names"), CHECK_OK);
	check_findings_free(&f);
	check_spec(&s, "0.0.0.0", &f);
	assert_int_equal(sev(&f, "tls.names"), CHECK_INFO);
	check_findings_free(&f);
}

static void test_key_types(void **state)
{
	(void)state;
	struct check_findings f = {0};
	check_tls_pem(rsa1024_cert_pem, strlen(rsa1024_cert_pem), "127.0.0.1", NOW, &f);
	assert_int_equal(sev(&f, "tls.key_type"), CHECK_ERROR);
	assert_non_null(strstr(check_find(&f, "tls.key_type")->seen, "1024"));
	check_findings_free(&f);
	struct cert_spec weak = {GNUTLS_PK_RSA, 2048, NOW - DAY, NOW + 90 * DAY, "127.0.0.1", NULL};
	check_spec(&weak, "127.0.0.1", &f);
	assert_int_equal(sev(&f, "tls.key_type"), CHECK_OK);
	check_findings_free(&f);
	struct cert_spec ed = weak;
	ed.alg = GNUTLS_PK_EDDSA_ED25519;
	ed.bits = 256;
	check_spec(&ed, "127.0.0.1", &f);
	assert_int_equal(sev(&f, "tls.key_type"), CHECK_OK);
	check_findings_free(&f);
}

static void test_not_a_certificate(void **state)
{
	(void)state;
	struct check_findings f = {0};
	check_tls_pem("hello", 5, "127.0.0.1", NOW, &f);
	assert_int_equal(sev(&f, "tls.certificate"), CHECK_ERROR);
	assert_null(check_find(&f, "tls.expiry"));
	check_findings_free(&f);
}

/* --- policies -------------------------------------------------------------------------- */

static void test_policy_baseline(void **state)
{
	(void)state;
	struct check_findings f = {0};
	struct org_policy p;
	org_policy_default(&p);
	p.password.min_length = 12;
	check_policy(&p, "the system", &f);
	assert_int_equal(f.n, 0); /* only departures are findings */
	p.password.min_length = 11;
	p.require_totp = false;
	p.password.reject_common = false;
	check_policy(&p, "organisation X", &f);
	assert_int_equal(sev(&f, "policy.totp"), CHECK_ERROR);
	assert_null(check_find(&f, "policy.min_length")); /* the floor is the server's own */
	assert_int_equal(sev(&f, "policy.common_list"), CHECK_WARNING);
	assert_non_null(strstr(check_find(&f, "policy.common_list")->seen, "organisation X"));
	check_findings_free(&f);
}

/* --- trusted proxies, as coffer.conf gives them -------------------------------------- */

static enum check_severity proxies(const char *value)
{
	struct coffer_config cfg;
	struct check_findings f = {0};
	char text[256], err[256];
	config_defaults(&cfg);
	snprintf(text, sizeof text, "trusted_proxies = %s\n", value);
	assert_int_equal(config_parse(&cfg, "t", text, strlen(text), err, sizeof err), COFFER_OK);
	check_trusted_proxies(&cfg, &f);
	enum check_severity s = sev(&f, "proxies.trusted");
	check_findings_free(&f);
	config_free(&cfg);
	return s;
}

static void test_trusted_proxies(void **state)
{
	(void)state;
	assert_int_equal(proxies("127.0.0.1"), CHECK_OK);
	assert_int_equal(proxies("10.1.2.0/24, ::1"), CHECK_OK);
	assert_int_equal(proxies("10.0.0.0/8"), CHECK_OK);
	assert_int_equal(proxies("0.0.0.0/0"), CHECK_ERROR);
	assert_int_equal(proxies("127.0.0.1, ::/0"), CHECK_ERROR);
	assert_int_equal(proxies("::ffff:0:0/96"), CHECK_ERROR); /* every IPv4 address */
	assert_int_equal(proxies("::/64"), CHECK_ERROR);	 /* holds ::ffff:0:0/96 too */
	assert_int_equal(proxies("2000::/16"), CHECK_WARNING);
	assert_int_equal(proxies("::/8"), CHECK_ERROR); /* holds ::ffff:0:0/96 */
	assert_int_equal(proxies("4.0.0.0/6"), CHECK_WARNING);
	assert_int_equal(proxies("2001:db8::/32"), CHECK_OK);
	assert_int_equal(proxies("2000::/3"), CHECK_WARNING);
}

/* --- dm-crypt under a fake /sys -------------------------------------------------------- */

static void put(const struct fixture *fx, const char *rel, const char *text)
{
	char path[PATH_MAX];
	path_in(fx, rel, path);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void dir(const struct fixture *fx, const char *rel)
{
	char path[PATH_MAX];
	path_in(fx, rel, path);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void test_dm_crypt_detection(void **state)
{
	struct fixture *fx = *state;
	char name[64] = "", root[PATH_MAX];
	path_in(fx, "sys", root);
	assert_int_equal(check_device_kind(root, 253, 0, name, sizeof name), CHECK_DEVICE_UNKNOWN);
	dir(fx, "sys");
	dir(fx, "sys/block");
	/* dm-0: LUKS; dm-1: LVM on top of it; dm-2: LVM on a bare disk. */
	const char *devs[] = {"dm-0", "dm-1", "dm-2"};
	const char *uuids[] = {"CRYPT-LUKS2-0123456789abcdef-luks\n", "LVM-abcdef\n",
			       "LVM-012345\n"};
	for (int i = 0; i < 3; i++) {
		char rel[128], text[32];
		snprintf(rel, sizeof rel, "sys/block/%s", devs[i]);
		dir(fx, rel);
		snprintf(rel, sizeof rel, "sys/block/%s/dm", devs[i]);
		dir(fx, rel);
		snprintf(rel, sizeof rel, "sys/block/%s/slaves", devs[i]);
		dir(fx, rel);
		snprintf(rel, sizeof rel, "sys/block/%s/dev", devs[i]);
		snprintf(text, sizeof text, "253:%d\n", i);
		put(fx, rel, text);
		snprintf(rel, sizeof rel, "sys/block/%s/dm/uuid", devs[i]);
		put(fx, rel, uuids[i]);
	}
	dir(fx, "sys/block/dm-1/slaves/dm-0");
	dir(fx, "sys/block/dm-2/slaves/sda2");
	assert_int_equal(check_device_kind(root, 253, 0, name, sizeof name), CHECK_DEVICE_CRYPT);
	assert_string_equal(name, "dm-0");
	assert_int_equal(check_device_kind(root, 253, 1, name, sizeof name), CHECK_DEVICE_CRYPT);
	assert_string_equal(name, "dm-1");
	assert_int_equal(check_device_kind(root, 253, 2, name, sizeof name), CHECK_DEVICE_DM_PLAIN);
	assert_int_equal(check_device_kind(root, 8, 1, name, sizeof name), CHECK_DEVICE_PLAIN);
}

/* --- credentials in coffer.conf -------------------------------------------------------- */

static enum check_severity conf_text(const char *text)
{
	struct check_findings f = {0};
	check_conf_text(text, strlen(text), &f);
	enum check_severity s = sev(&f, "conf.plaintext_credential");
	assert_null(strstr(check_find(&f, "conf.plaintext_credential")->seen, "hunter2"));
	check_findings_free(&f);
	return s;
}

static void test_conf_credentials(void **state)
{
	(void)state;
	assert_int_equal(conf_text("listen = 127.0.0.1:8443\nbreached_passwords_file = /x\n"
				   "s3_access_key_id = AKIA123\npg_sslmode = verify-full\n"),
			 CHECK_OK);
	assert_int_equal(conf_text("listen = 127.0.0.1:8443\n# pg_password = hunter2\n"),
			 CHECK_ERROR);
	assert_int_equal(conf_text("#s3_secret_access_key=hunter2"), CHECK_ERROR);
	assert_int_equal(conf_text("# see https://user:hunter2@example.org/x\n"), CHECK_ERROR);
	assert_int_equal(conf_text("# the password lives in DATA/secrets\n"), CHECK_OK);
	assert_int_equal(conf_text("# pg_password =\n"), CHECK_OK); /* no value */
	assert_int_equal(conf_text("# pinning = on\n"), CHECK_OK);
	assert_int_equal(conf_text("# pkcs11_pin = 1234\n"), CHECK_ERROR);
}

/* --- the document ------------------------------------------------------------------------ */

static void test_findings_json(void **state)
{
	(void)state;
	struct check_findings f = {0};
	for (int i = 0; i < 40; i++) /* past the first allocation */
		check_add(&f, "x.ok", CHECK_OK, NULL, "fine %d", i);
	check_add(&f, "x.warn", CHECK_WARNING, "do this", "so so");
	assert_int_equal(check_worst(&f), CHECK_WARNING);
	json_t *doc = check_findings_json(&f);
	assert_non_null(doc);
	json_t *list = json_object_get(doc, "findings");
	assert_int_equal(json_array_size(list), 41);
	json_t *last = json_array_get(list, 40);
	assert_string_equal(json_string_value(json_object_get(last, "id")), "x.warn");
	assert_string_equal(json_string_value(json_object_get(last, "severity")), "warning");
	assert_string_equal(json_string_value(json_object_get(last, "seen")), "so so");
	assert_string_equal(json_string_value(json_object_get(last, "fix")), "do this");
	json_t *summary = json_object_get(doc, "summary");
	assert_int_equal(json_integer_value(json_object_get(summary, "ok")), 40);
	assert_int_equal(json_integer_value(json_object_get(summary, "warning")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "error")), 0);
	assert_string_equal(json_string_value(json_object_get(summary, "worst")), "warning");
	json_decref(doc);
	check_add(&f, "x.err", CHECK_ERROR, "fix", "%s", "bad");
	assert_int_equal(check_worst(&f), CHECK_ERROR);
	check_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_good_certificate),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_validity_over_398_days),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_key_types),
	    cmocka_unit_test(test_not_a_certificate),
	    cmocka_unit_test(test_policy_baseline),
	    cmocka_unit_test(test_trusted_proxies),
	    cmocka_unit_test_setup_teardown(test_dm_crypt_detection, setup, teardown),
	    cmocka_unit_test(test_conf_credentials),
	    cmocka_unit_test(test_findings_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
