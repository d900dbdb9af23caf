/* test_keywrap.c — the envelope: org keys and data keys unwrap only in their own context. */
#include "test_util.h"

#include <sodium.h>

#include "crypto/keywrap.h"

static void test_org_key_bound_to_org_and_version(void **state)
{
	(void)state;
	uint8_t master[32], other_master[32], org[32], back[32], wrapped[KEYWRAP_BYTES];
	randombytes_buf(master, sizeof master);
	randombytes_buf(other_master, sizeof other_master);
	randombytes_buf(org, sizeof org);
	assert_int_equal(keywrap_org_key(master, "org-a", 1, org, wrapped), COFFER_OK);
	assert_int_equal(keyunwrap_org_key(master, "org-a", 1, wrapped, back), COFFER_OK);
	assert_memory_equal(back, org, 32);
	assert_int_equal(keyunwrap_org_key(master, "org-b", 1, wrapped, back), COFFER_ERR_CRYPTO);
	assert_int_equal(keyunwrap_org_key(master, "org-a", 2, wrapped, back), COFFER_ERR_CRYPTO);
	assert_int_equal(keyunwrap_org_key(other_master, "org-a", 1, wrapped, back),
			 COFFER_ERR_CRYPTO);
	assert_int_equal(keywrap_org_key(master, "", 1, org, wrapped), COFFER_ERR_INVALID_INPUT);
}

static void test_data_key_bound_to_every_field(void **state)
{
	(void)state;
	uint8_t org[32], dk[32], back[32], wrapped[KEYWRAP_BYTES];
	const struct object_ctx good = {"org-a", "record", "rec-1", 3, LEVEL_CONFIDENTIAL};
	const struct object_ctx moved[] = {
	    {"org-b", "record", "rec-1", 3, LEVEL_CONFIDENTIAL}, /* other organisation */
	    {"org-a", "file", "rec-1", 3, LEVEL_CONFIDENTIAL},	 /* other kind */
	    {"org-a", "record", "rec-2", 3, LEVEL_CONFIDENTIAL}, /* other object */
	    {"org-a", "record", "rec-1", 4, LEVEL_CONFIDENTIAL}, /* other version */
	    {"org-a", "record", "rec-1", 3, LEVEL_PUBLIC},	 /* other level */
	};
	randombytes_buf(org, sizeof org);
	randombytes_buf(dk, sizeof dk);
	assert_int_equal(keywrap_data_key(org, &good, dk, wrapped), COFFER_OK);
	assert_int_equal(keyunwrap_data_key(org, &good, wrapped, back), COFFER_OK);
	assert_memory_equal(back, dk, 32);
	for (size_t i = 0; i < ARRAY_LEN(moved); i++)
		assert_int_equal(keyunwrap_data_key(org, &moved[i], wrapped, back),
				 COFFER_ERR_CRYPTO);
}

static void test_aad_is_unambiguous(void **state)
{
	(void)state;
	uint8_t a[KEYWRAP_AAD_MAX], b[KEYWRAP_AAD_MAX];
	/* Moving a byte between adjacent fields must change the encoding. */
	const struct object_ctx x = {"org-a", "record", "1", 1, LEVEL_PUBLIC};
	const struct object_ctx y = {"org-ar", "ecord", "1", 1, LEVEL_PUBLIC};
	size_t la = keywrap_object_aad(&x, a), lb = keywrap_object_aad(&y, b);
	assert_true(la > 0 && lb > 0);
	assert_true(la != lb || memcmp(a, b, la) != 0);
	/* Empty, over-long and out-of-range fields are refused. */
	const struct object_ctx bad_level = {"o", "record", "1", 1, (enum level)9};
	const struct object_ctx empty = {"o", "", "1", 1, LEVEL_PUBLIC};
	char long_id[KEYWRAP_ID_MAX + 2];
	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	const struct object_ctx too_long = {long_id, "record", "1", 1, LEVEL_PUBLIC};
	assert_int_equal(keywrap_object_aad(&bad_level, a), 0);
	assert_int_equal(keywrap_object_aad(&empty, a), 0);
	assert_int_equal(keywrap_object_aad(&too_long, a), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_org_key_bound_to_org_and_version),
	    cmocka_unit_test(test_data_key_bound_to_every_field),
	    cmocka_unit_test(test_aad_is_unambiguous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
