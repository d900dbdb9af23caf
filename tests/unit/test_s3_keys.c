/* test_s3_keys.c — which object keys and listing prefixes the S3 client accepts. */
#include "test_util.h"

#include <string.h>

#include "s3/s3_client.h"

static void test_keys(void **state)
{
	(void)state;
	static const char *good[] = {"a", "orgs/0f3c/blobs/5d2e-77", "a.b/c_d-e", "x/..y/z", "..."};
	static const char *bad[] = {"",	     "/a",	    "a//b", "a/./b", "a/../b", "a/",
				    "a/.",   "a/..",	    ".",    "..",    "a b",    "a?b",
				    "a%2Fb", "caf\xc3\xa9", "a\\b", "a+b"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!s3_key_valid(good[i]))
			fail_msg("key '%s' refused", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (s3_key_valid(bad[i]))
			fail_msg("key '%s' accepted", bad[i]);
	assert_false(s3_key_valid(NULL));
}

/* A listing's prefix may end in one '/': the sweep lists "orgs/ORG/blobs/" so that it never also
 * selects "orgs/ORG/blobs-old/…". */
static void test_prefixes(void **state)
{
	(void)state;
	static const char *good[] = {"", "orgs/0f3c/blobs/", "orgs/0f3c/blobs", "a/", "a"};
	static const char *bad[] = {"/", "a//", "a/./", "a/../", "./", "../", "/a/", "a b/", "a/?"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!s3_prefix_valid(good[i]))
			fail_msg("prefix '%s' refused", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (s3_prefix_valid(bad[i]))
			fail_msg("prefix '%s' accepted", bad[i]);
	assert_false(s3_prefix_valid(NULL));
}

/* A prefix is held to a key's length, its '/' included. */
static void test_lengths(void **state)
{
	(void)state;
	char s[S3_KEY_MAX + 2];
	memset(s, 'k', sizeof s);
	s[S3_KEY_MAX] = '\0';
	assert_true(s3_key_valid(s));
	assert_true(s3_prefix_valid(s));
	s[S3_KEY_MAX - 1] = '/';
	assert_true(s3_prefix_valid(s));
	s[S3_KEY_MAX - 1] = 'k';
	s[S3_KEY_MAX] = 'k';
	s[S3_KEY_MAX + 1] = '\0';
	assert_false(s3_key_valid(s));
	assert_false(s3_prefix_valid(s));
	s[S3_KEY_MAX] = '/';
	assert_false(s3_prefix_valid(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
