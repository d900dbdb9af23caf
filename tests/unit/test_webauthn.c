/* test_webauthn.c — reading WebAuthn's authenticator data, attestation objects, COSE keys and
 * client data, and checking assertion signatures (signin/webauthn.h): what a real ceremony
 * sends, built by a software authenticator, and each way a malformed or altered one is
 * refused. */
#include "test_util.h"

#include "test_webauthn_authenticator.h"

#define RP     "localhost"
#define ORIGIN "https://localhost:8443"

/* --- authenticator data ------------------------------------------------------------------ */

static void test_auth_data_registration(void **state)
{
	(void)state;
	struct test_authenticator a;
	struct webauthn_auth_data d;
	uint8_t ad[512], hash[32];
	ta_make(&a, WEBAUTHN_ES256);
	size_t n = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 7, ad);
	assert_int_equal(webauthn_auth_data_parse(ad, n, &d), COFFER_OK);
	assert_int_equal(webauthn_rp_id_hash(RP, hash), COFFER_OK);
	assert_memory_equal(d.rp_id_hash, hash, 32);
	assert_int_equal(d.sign_count, 7);
	assert_true(d.has_credential);
	assert_int_equal(d.cred_id_len, 16);
	assert_memory_equal(d.cred_id, a.cred_id, 16);
	assert_int_equal(d.key.alg, WEBAUTHN_ES256);
	assert_true(webauthn_key_usable(&d.key));
	/* Every truncation, and a byte too many, is refused and leaves nothing behind. */
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(webauthn_auth_data_parse(ad, cut, &d), COFFER_ERR_INVALID_INPUT);
		assert_true(sodium_is_zero((const unsigned char *)&d, sizeof d));
	}
	ad[n] = 0;
	assert_int_equal(webauthn_auth_data_parse(ad, n + 1, &d), COFFER_ERR_INVALID_INPUT);
	ta_free(&a);
}

static void test_auth_data_assertion_and_extensions(void **state)
{
	(void)state;
	struct test_authenticator a;
	struct webauthn_auth_data d;
	uint8_t ad[512];
	ta_make(&a, WEBAUTHN_EDDSA);
	size_t n = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_UV, 0x01020304, ad);
	assert_int_equal(n, 37);
	assert_int_equal(webauthn_auth_data_parse(ad, n, &d), COFFER_OK);
	assert_false(d.has_credential);
	assert_int_equal(d.sign_count, 0x01020304);
	assert_int_equal(d.flags, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_UV);
	/* ED: one map of extensions, and only that. */
	ad[32] |= WEBAUTHN_FLAG_ED;
	assert_int_equal(webauthn_auth_data_parse(ad, n, &d), COFFER_ERR_INVALID_INPUT);
	static const uint8_t ext[] = {0xa1, 0x63, 'c', 'r', 'p', 0xf5};
	memcpy(ad + n, ext, sizeof ext);
	assert_int_equal(webauthn_auth_data_parse(ad, n + sizeof ext, &d), COFFER_OK);
	ad[n + sizeof ext] = 0xa0;
	assert_int_equal(webauthn_auth_data_parse(ad, n + sizeof ext + 1, &d),
			 COFFER_ERR_INVALID_INPUT);
	ad[n] = 0x80; /* an array, not a map */
	assert_int_equal(webauthn_auth_data_parse(ad, n + 1, &d), COFFER_ERR_INVALID_INPUT);
	/* With a credential: Ed25519's key. */
	n = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	assert_int_equal(webauthn_auth_data_parse(ad, n, &d), COFFER_OK);
	assert_int_equal(d.key.alg, WEBAUTHN_EDDSA);
	assert_int_equal(d.key.len, 32);
	assert_true(webauthn_key_usable(&d.key));
	ta_free(&a);
}

static void test_auth_data_credential_id_bounds(void **state)
{
	(void)state;
	struct test_authenticator a;
	struct webauthn_auth_data d;
	uint8_t ad[1024], cose[80];
	ta_make(&a, WEBAUTHN_ES256);
	size_t kl = ta_cose(&a, cose);
	size_t lens[] = {0, 1, WEBAUTHN_CRED_ID_MAX, WEBAUTHN_CRED_ID_MAX + 1, 700};
	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		size_t n = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP, 0, ad);
		ad[32] |= WEBAUTHN_FLAG_AT;
		memset(ad + n, 0, 16);
		n += 16;
		ad[n++] = (uint8_t)(lens[i] >> 8);
		ad[n++] = (uint8_t)lens[i];
		memset(ad + n, 0xab, lens[i] < 700 ? lens[i] : 10);
		n += lens[i] < 700 ? lens[i] : 10; /* 700 claimed, 10 there */
		memcpy(ad + n, cose, kl);
		n += kl;
		bool ok = lens[i] >= 1 && lens[i] <= WEBAUTHN_CRED_ID_MAX;
		assert_int_equal(webauthn_auth_data_parse(ad, n, &d),
				 ok ? COFFER_OK : COFFER_ERR_INVALID_INPUT);
	}
	ta_free(&a);
}

/* --- COSE keys --------------------------------------------------------------------------- */

static void test_cose_refused(void **state)
{
	(void)state;
	struct test_authenticator a;
	struct webauthn_public_key k;
	uint8_t good[80], bad[120];
	size_t used = 0;
	ta_make(&a, WEBAUTHN_ES256);
	size_t n = ta_cose(&a, good);
	assert_int_equal(webauthn_cose_key_parse(good, n, &used, &k), COFFER_OK);
	assert_int_equal(used, n);
	/* Trailing bytes are the caller's: the key's own size is reported. */
	good[n] = 0xff;
	assert_int_equal(webauthn_cose_key_parse(good, n + 1, &used, &k), COFFER_OK);
	assert_int_equal(used, n);

	struct {
		size_t at;
		uint8_t byte;
	} edits[] = {
	    {4, 0x38},	    /* alg -25, not ES256 */
	    {4, 0x27},	    /* alg -8 with an EC2 key */
	    {2, 0x03},	    /* kty RSA */
	    {2, 0x01},	    /* kty OKP with crv P-256 */
	    {6, 0x02},	    /* crv P-384 */
	    {9, 0x1f},	    /* x of 31 bytes */
	    {41 + 1, 0x21}, /* y's label is x's again: a duplicate */
	    {0, 0xa6},	    /* the map claims one pair more than there is */
	    {0, 0xbf},	    /* an indefinite map */
	    {1, 0x61},	    /* a text label */
	};
	for (size_t i = 0; i < ARRAY_LEN(edits); i++) {
		memcpy(bad, good, n);
		bad[edits[i].at] = edits[i].byte;
		assert_int_equal(webauthn_cose_key_parse(bad, n, &used, &k),
				 COFFER_ERR_INVALID_INPUT);
		assert_true(sodium_is_zero((const unsigned char *)&k, sizeof k));
	}
	/* A header announcing 2^64 pairs, or a 2^32-byte string, is refused before any
	 * allocation. */
	static const uint8_t huge_map[] = {0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t huge_bytes[] = {0xa1, 0x01, 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00};
	static const uint8_t reserved[] = {0xa1, 0x01, 0x1c};
	assert_int_equal(webauthn_cose_key_parse(huge_map, sizeof huge_map, &used, &k),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(webauthn_cose_key_parse(huge_bytes, sizeof huge_bytes, &used, &k),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(webauthn_cose_key_parse(reserved, sizeof reserved, &used, &k),
			 COFFER_ERR_INVALID_INPUT);
	/* Nesting deeper than any key needs. */
	memset(bad, 0x81, 40);
	bad[40] = 0x01;
	assert_int_equal(webauthn_cose_key_parse(bad, 41, &used, &k), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(webauthn_cose_key_parse(NULL, 0, &used, &k), COFFER_ERR_INVALID_INPUT);
	ta_free(&a);
}

static void test_key_not_on_curve(void **state)
{
	(void)state;
	struct webauthn_public_key k = {.alg = WEBAUTHN_ES256, .len = 65};
	k.bytes[0] = 0x04;
	k.bytes[64] = 1; /* (0, 1) is not on P-256 */
	assert_false(webauthn_key_usable(&k));
	k.bytes[0] = 0x02;
	assert_false(webauthn_key_usable(&k));
	struct webauthn_public_key rsa = {.alg = -257, .len = 32};
	assert_false(webauthn_key_usable(&rsa));
}

/* --- attestation objects ----------------------------------------------------------------- */

static void test_attestation(void **state)
{
	(void)state;
	struct test_authenticator a;
	struct webauthn_auth_data d;
	uint8_t ad[512], att[700], bad[800];
	ta_make(&a, WEBAUTHN_ES256);
	size_t adl = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	size_t n = ta_attestation_none(ad, adl, att);
	assert_int_equal(webauthn_attestation_parse(att, n, &d), COFFER_OK);
	assert_memory_equal(d.cred_id, a.cred_id, 16);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(webauthn_attestation_parse(att, cut, &d),
				 COFFER_ERR_INVALID_INPUT);
	/* A byte after the object. */
	memcpy(bad, att, n);
	bad[n] = 0;
	assert_int_equal(webauthn_attestation_parse(bad, n + 1, &d), COFFER_ERR_INVALID_INPUT);
	/* "none" with a statement; "fido-u2f"; a repeated key; authenticator data without a
	 * credential. */
	memcpy(bad, att, n);
	bad[18] = 0xa1;
	assert_int_equal(webauthn_attestation_parse(bad, n, &d), COFFER_ERR_INVALID_INPUT);
	memcpy(bad, att, n);
	memcpy(bad + 6, "nonf", 4);
	assert_int_equal(webauthn_attestation_parse(bad, n, &d), COFFER_ERR_INVALID_INPUT);
	memcpy(bad, att, n);
	memcpy(bad + 11, "authDat", 7); /* "attStmt" becomes "authDat" + 't': not a key */
	assert_int_equal(webauthn_attestation_parse(bad, n, &d), COFFER_ERR_INVALID_INPUT);
	size_t adl2 = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP, 0, ad);
	size_t n2 = ta_attestation_none(ad, adl2, bad);
	assert_int_equal(webauthn_attestation_parse(bad, n2, &d), COFFER_ERR_INVALID_INPUT);
	/* "packed": its statement is not checked (webauthn.h). */
	static const uint8_t packed[] = {0xa3, 0x63, 'f',  'm',	 't', 0x66, 'p', 'a',  'c',
					 'k',  'e',  'd',  0x67, 'a', 't',  't', 'S',  't',
					 'm',  't',  0xa1, 0x63, 'a', 'l',  'g', 0x26, 0x68,
					 'a',  'u',  't',  'h',	 'D', 'a',  't', 'a',  0x59};
	adl = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, ad);
	memcpy(bad, packed, sizeof packed);
	bad[sizeof packed] = (uint8_t)(adl >> 8);
	bad[sizeof packed + 1] = (uint8_t)adl;
	memcpy(bad + sizeof packed + 2, ad, adl);
	assert_int_equal(webauthn_attestation_parse(bad, sizeof packed + 2 + adl, &d), COFFER_OK);
	ta_free(&a);
}

/* --- client data ------------------------------------------------------------------------- */

static void test_client_data(void **state)
{
	(void)state;
	struct webauthn_client_data c;
	uint8_t ch[32], cd[600];
	memset(ch, 0x42, sizeof ch);
	size_t n = ta_client_data("webauthn.get", ch, sizeof ch, ORIGIN, cd, sizeof cd);
	assert_int_equal(webauthn_client_data_parse(cd, n, &c), COFFER_OK);
	assert_int_equal(c.type, WEBAUTHN_GET);
	assert_int_equal(c.challenge_len, 32);
	assert_memory_equal(c.challenge, ch, 32);
	assert_string_equal(c.origin, ORIGIN);
	assert_false(c.cross_origin);

	static const char *const refused[] = {
	    "",
	    "[]",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUJD\"}", /* no origin */
	    "{\"type\":\"payment.get\",\"challenge\":\"QUJD\",\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUJD\",\"origin\":\"\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUI=\",\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QU+D\",\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"Q\",\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"\",\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUJD\",\"origin\":\"https://a\","
	    "\"crossOrigin\":\"false\"}",
	    "{\"type\":\"webauthn.get\",\"type\":\"webauthn.get\",\"challenge\":\"QUJD\","
	    "\"origin\":\"https://a\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUJD\",\"origin\":\"https://a\\u0000b\"}",
	    "{\"type\":\"webauthn.get\",\"challenge\":\"QUJD\",\"origin\":\"https://a\"} x",
	};
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		assert_int_equal(
		    webauthn_client_data_parse((const uint8_t *)refused[i], strlen(refused[i]), &c),
		    COFFER_ERR_INVALID_INPUT);
		assert_true(sodium_is_zero((const unsigned char *)&c, sizeof c));
	}
	static const char cross[] = "{\"type\":\"webauthn.create\",\"challenge\":\"QUJD\","
				    "\"origin\":\"https://a\",\"crossOrigin\":true,\"x\":[1]}";
	assert_int_equal(webauthn_client_data_parse((const uint8_t *)cross, strlen(cross), &c),
			 COFFER_OK);
	assert_true(c.cross_origin);
	assert_int_equal(c.type, WEBAUTHN_CREATE);
	uint8_t big[WEBAUTHN_CLIENT_DATA_MAX + 1];
	memset(big, ' ', sizeof big);
	memcpy(big, cross, strlen(cross));
	assert_int_equal(webauthn_client_data_parse(big, sizeof big, &c), COFFER_ERR_INVALID_INPUT);
	assert_int_equal(webauthn_client_data_parse(big, sizeof big - 1, &c), COFFER_OK);
}

static void test_b64url(void **state)
{
	(void)state;
	uint8_t out[8];
	size_t n = 0;
	char text[16];
	assert_true(webauthn_b64url_decode("AQID", 4, out, sizeof out, &n));
	assert_int_equal(n, 3);
	assert_true(webauthn_b64url_encode(out, 3, text, sizeof text));
	assert_string_equal(text, "AQID");
	assert_true(webauthn_b64url_decode("_-8", 3, out, sizeof out, &n));
	assert_false(webauthn_b64url_decode("AQ==", 4, out, sizeof out, &n));
	assert_false(webauthn_b64url_decode("A", 1, out, sizeof out, &n));
	assert_false(webauthn_b64url_decode("A/I", 3, out, sizeof out, &n));
	assert_false(webauthn_b64url_decode("AQID AQID", 9, out, sizeof out, &n));
	assert_false(webauthn_b64url_decode("AAAAAAAAAAAA", 12, out, sizeof out, &n));
	assert_false(webauthn_b64url_encode(out, 8, text, 11));
}

/* --- signatures -------------------------------------------------------------------------- */

static void check_signatures(int alg)
{
	struct test_authenticator a, other;
	struct webauthn_auth_data d;
	uint8_t reg[512], ad[64], cd[600], sig[WEBAUTHN_SIGNATURE_MAX], ch[32];
	ta_make(&a, alg);
	ta_make(&other, alg);
	size_t rl = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP | WEBAUTHN_FLAG_AT, 0, reg);
	assert_int_equal(webauthn_auth_data_parse(reg, rl, &d), COFFER_OK);
	randombytes_buf(ch, sizeof ch);
	size_t adl = ta_auth_data(&a, RP, WEBAUTHN_FLAG_UP, 1, ad);
	size_t cdl = ta_client_data("webauthn.get", ch, sizeof ch, ORIGIN, cd, sizeof cd);
	size_t sl = ta_sign(&a, ad, adl, cd, cdl, sig);
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl), COFFER_OK);
	/* Each part altered by one bit. */
	ad[36] ^= 1;
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl),
			 COFFER_ERR_INVALID_CREDENTIALS);
	ad[36] ^= 1;
	cd[10] ^= 1;
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl),
			 COFFER_ERR_INVALID_CREDENTIALS);
	cd[10] ^= 1;
	sig[sl - 1] ^= 1;
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl),
			 COFFER_ERR_INVALID_CREDENTIALS);
	sig[sl - 1] ^= 1;
	/* Another key's signature; a truncated one; none. */
	size_t osl = ta_sign(&other, ad, adl, cd, cdl, sig);
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, osl),
			 COFFER_ERR_INVALID_CREDENTIALS);
	sl = ta_sign(&a, ad, adl, cd, cdl, sig);
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl - 1),
			 COFFER_ERR_INVALID_CREDENTIALS);
	assert_int_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, 0),
			 COFFER_ERR_INVALID_INPUT);
	assert_int_equal(webauthn_signature_verify(&d.key, ad, 36, cd, cdl, sig, sl),
			 COFFER_ERR_INVALID_INPUT);
	/* The key of the other algorithm's kind. */
	d.key.alg = alg == WEBAUTHN_ES256 ? WEBAUTHN_EDDSA : WEBAUTHN_ES256;
	assert_int_not_equal(webauthn_signature_verify(&d.key, ad, adl, cd, cdl, sig, sl),
			     COFFER_OK);
	ta_free(&a);
	ta_free(&other);
}

static void test_signature_es256(void **state)
{
	(void)state;
	check_signatures(WEBAUTHN_ES256);
}

static void test_signature_eddsa(void **state)
{
	(void)state;
	check_signatures(WEBAUTHN_EDDSA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auth_data_registration),
	    cmocka_unit_test(test_auth_data_assertion_and_extensions),
	    cmocka_unit_test(test_auth_data_credential_id_bounds),
	    cmocka_unit_test(test_cose_refused),
	    cmocka_unit_test(test_key_not_on_curve),
	    cmocka_unit_test(test_attestation),
	    cmocka_unit_test(test_client_data),
	    cmocka_unit_test(test_b64url),
	    cmocka_unit_test(test_signature_es256),
	    cmocka_unit_test(test_signature_eddsa),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
