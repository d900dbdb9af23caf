/* test_content.c — sealing an object's fields (crypto/content.h): round trips, and every way
 * of moving ciphertext elsewhere fails: another field of the same object, another version,
 * level, object, kind or organisation, a changed byte, another key. */
#include "test_util.h"

#include <sodium.h>

#include "crypto/content.h"

static const char ORG[] = "0b7f0a3e-8a43-4b51-9c2f-1d5e6f708192";
static const char OBJ[] = "5a1c2e3f-4b5d-4e6f-8a7b-9c0d1e2f3a4b";

static const struct object_ctx base = {
    .org_id = ORG, .kind = "record", .object_id = OBJ, .version = 3, .level = LEVEL_CONFIDENTIAL};

static void test_round_trip_and_empty(void **state)
{
	(void)state;
	uint8_t key[AEAD_KEY_BYTES], sealed[64 + AEAD_OVERHEAD], out[64];
	randombytes_buf(key, sizeof key);
	const char text[] = "Smith v. Jones: settlement notes";
	assert_int_equal(
	    content_seal(key, &base, CONTENT_BODY, (const uint8_t *)text, sizeof text - 1, sealed),
	    COFFER_OK);
	assert_null(memmem(sealed, sizeof text - 1 + AEAD_OVERHEAD, "Smith", 5));
	assert_int_equal(
	    content_open(key, &base, CONTENT_BODY, sealed, sizeof text - 1 + AEAD_OVERHEAD, out),
	    COFFER_OK);
	assert_memory_equal(out, text, sizeof text - 1);
	/* An empty body is sealed too: its tag still binds it to the object. */
	assert_int_equal(content_seal(key, &base, CONTENT_BODY, NULL, 0, sealed), COFFER_OK);
	assert_int_equal(content_open(key, &base, CONTENT_BODY, sealed, AEAD_OVERHEAD, out),
			 COFFER_OK);
	assert_int_equal(content_open(key, &base, CONTENT_TITLE, sealed, AEAD_OVERHEAD, out),
			 COFFER_ERR_CRYPTO);
}

static void test_moved_ciphertext_fails(void **state)
{
	(void)state;
	uint8_t key[AEAD_KEY_BYTES], other_key[AEAD_KEY_BYTES], sealed[16 + AEAD_OVERHEAD], out[16];
	randombytes_buf(key, sizeof key);
	randombytes_buf(other_key, sizeof other_key);
	const uint8_t title[16] = "a case title....";
	const size_t len = sizeof title + AEAD_OVERHEAD;
	assert_int_equal(content_seal(key, &base, CONTENT_TITLE, title, sizeof title, sealed),
			 COFFER_OK);
	assert_int_equal(content_open(key, &base, CONTENT_TITLE, sealed, len, out), COFFER_OK);

	struct object_ctx moved[6];
	for (size_t i = 0; i < ARRAY_LEN(moved); i++)
		moved[i] = base;
	moved[0].version = 4;
	moved[1].level = LEVEL_RESTRICTED;
	moved[2].object_id = "5a1c2e3f-4b5d-4e6f-8a7b-9c0d1e2f3a4c";
	moved[3].kind = "file";
	moved[4].org_id = "0b7f0a3e-8a43-4b51-9c2f-1d5e6f708193";
	moved[5].version = 2;
	for (size_t i = 0; i < ARRAY_LEN(moved); i++)
		assert_int_equal(content_open(key, &moved[i], CONTENT_TITLE, sealed, len, out),
				 COFFER_ERR_CRYPTO);
	/* A title presented as the body (or file metadata) of the same version. */
	assert_int_equal(content_open(key, &base, CONTENT_BODY, sealed, len, out),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(content_open(key, &base, CONTENT_FILE_META, sealed, len, out),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(content_open(other_key, &base, CONTENT_TITLE, sealed, len, out),
			 COFFER_ERR_CRYPTO);
	for (size_t i = 0; i < len; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(content_open(key, &base, CONTENT_TITLE, sealed, len, out),
				 COFFER_ERR_CRYPTO);
		sealed[i] ^= 0x01;
	}
	/* Too short to be anything. */
	assert_int_equal(content_open(key, &base, CONTENT_TITLE, sealed, AEAD_OVERHEAD - 1, out),
			 COFFER_ERR_CRYPTO);
}

static void test_bad_context_is_refused(void **state)
{
	(void)state;
	uint8_t key[AEAD_KEY_BYTES] = {0}, sealed[AEAD_OVERHEAD + 1];
	struct object_ctx bad = base;
	bad.org_id = "";
	assert_int_equal(content_seal(key, &bad, CONTENT_TITLE, (const uint8_t *)"x", 1, sealed),
			 COFFER_ERR_INVALID_INPUT);
	bad = base;
	bad.level = (enum level)7;
	assert_int_equal(content_seal(key, &bad, CONTENT_TITLE, (const uint8_t *)"x", 1, sealed),
			 COFFER_ERR_INVALID_INPUT);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_and_empty),
	    cmocka_unit_test(test_moved_ciphertext_fails),
	    cmocka_unit_test(test_bad_context_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
